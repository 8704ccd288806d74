//! The native AWS credential chain (`fs::aws_chain`) through `open_url_in`, with the environment
//! given as a value (no test changes the process's) and profile files in a temp folder.
//! Server-free cases run in plain `cargo test`; the `#[ignore]`d ones need moto (STS
//! AssumeRole, AssumeRoleWithWebIdentity) or s3s-fs (which checks every signature), started by
//! `make test`. The instance metadata service has no emulator: a stub answers as IMDSv2 does.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use pailfs::core::auth::Credentials;
use pailfs::core::options::StoreOptions;
use pailfs::fs::Store;
use pailfs::fs::any::AnyStore;
use pailfs::fs::aws_chain::Env;
use pailfs::fs::open::open_url_in;
use pailfs::fs::s3::S3Store;
use pailfs::transport::native::ReqwestTransport;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SECRET: &str = "chainSECRETxyz0123456789abcdefgh";

fn server(k: &str) -> String {
    std::env::var(k).unwrap_or_else(|_| panic!("{k} is not set: make test starts the servers"))
}

/// A fresh folder under the target dir, with `files` written into it.
fn folder(name: &str, files: &[(&str, String)]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("aws-chain-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (f, text) in files {
        std::fs::write(dir.join(f), text).unwrap();
    }
    dir
}

/// An environment pointing at `dir`'s config and credentials files, IMDS at a closed port.
fn env_in(dir: &Path, extra: &[(&str, &str)]) -> Env {
    let mut vars = vec![
        ("HOME".to_string(), dir.display().to_string()),
        ("AWS_CONFIG_FILE".to_string(), dir.join("config").display().to_string()),
        ("AWS_SHARED_CREDENTIALS_FILE".to_string(), dir.join("credentials").display().to_string()),
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT".to_string(), "http://127.0.0.1:9".to_string()),
    ];
    vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Env::from_pairs(vars)
}

fn s3(url: &str, opts: &StoreOptions, env: &Env) -> S3Store<ReqwestTransport> {
    match open_url_in(url, opts, env).unwrap().fs.store() {
        AnyStore::S3(s) => s.clone(),
        _ => panic!("not S3"),
    }
}

fn aws(c: &Credentials) -> &pailfs::core::creds::AwsCredentials {
    match c {
        Credentials::Aws(a) => a,
        other => panic!("not AWS keys: {other:?}"),
    }
}

#[tokio::test]
async fn profiles_environment_and_their_precedence() {
    let dir = folder("order", &[
        ("config", "[default]\nregion = eu-west-3\ns3 =\n  endpoint_url = http://127.0.0.1:9\n  addressing_style = path\n[profile dev]\nregion = ap-south-1\n".into()),
        ("credentials", format!("[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = {SECRET}\n[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = {SECRET}\naws_session_token = devtoken\n")),
    ]);
    let none = StoreOptions::default();
    // The default profile: keys, region and the s3 sub-section's endpoint.
    let s = s3("s3://bkt/k", &none, &env_in(&dir, &[]));
    assert_eq!(aws(&s.current_credentials().await.unwrap()).access_key_id, "AKIDDEFAULT");
    assert_eq!((s.config().region.as_str(), s.config().host.as_str(), s.config().path_style), ("eu-west-3", "127.0.0.1:9", true));
    // AWS_PROFILE picks another; the environment's keys win over any profile, and its region too.
    let s = s3("s3://bkt/k", &none, &env_in(&dir, &[("AWS_PROFILE", "dev")]));
    let c = s.current_credentials().await.unwrap();
    assert_eq!((aws(&c).access_key_id.as_str(), aws(&c).session_token.as_ref().unwrap().expose()), ("AKIDDEV", "devtoken"));
    assert_eq!(s.config().region, "ap-south-1");
    let keys = [
        ("AWS_ACCESS_KEY_ID", "AKIDENV"),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
        ("AWS_REGION", "us-west-1"),
        ("AWS_PROFILE", "dev"),
    ];
    let s = s3("s3://bkt/k", &none, &env_in(&dir, &keys));
    assert_eq!(aws(&s.current_credentials().await.unwrap()).access_key_id, "AKIDENV");
    assert_eq!(s.config().region, "us-west-1");
    // ...but not over a profile named in the options (aws --profile).
    let dev = StoreOptions { profile: Some("dev".into()), ..StoreOptions::default() };
    assert_eq!(aws(&s3("s3://bkt/k", &dev, &env_in(&dir, &keys)).current_credentials().await.unwrap()).access_key_id, "AKIDDEV");
    // Options win over everything; anon asks nothing.
    let opts =
        StoreOptions::from_json_str(&format!(r#"{{"key": "AKIDOPT", "secret": "{SECRET}", "region": "sa-east-1"}}"#)).unwrap();
    let s = s3("s3://bkt/k", &opts, &env_in(&dir, &keys));
    assert_eq!(
        (aws(&s.current_credentials().await.unwrap()).access_key_id.as_str(), s.config().region.as_str()),
        ("AKIDOPT", "sa-east-1")
    );
    let anon = StoreOptions { anon: true, ..StoreOptions::default() };
    assert_eq!(*s3("s3://bkt/k", &anon, &env_in(&dir, &keys)).current_credentials().await.unwrap(), Credentials::Anonymous);
}

#[tokio::test]
async fn mistakes_are_errors_and_nothing_found_names_every_source() {
    let dir = folder(
        "mistakes",
        &[(
            "credentials",
            "[half]\naws_access_key_id = AKIDHALF\n[loop]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = loop2\n[loop2]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = loop\n".to_string(),
        )],
    );
    let none = StoreOptions::default();
    let open_err = |env: Env| open_url_in("s3://bkt/k", &none, &env).expect_err("must fail");
    let e = open_err(env_in(&dir, &[("AWS_ACCESS_KEY_ID", "AKIDENV")]));
    assert!(e.message.contains("AWS_SECRET_ACCESS_KEY is not"), "{e}");
    let e = open_err(env_in(&dir, &[("AWS_PROFILE", "nope")]));
    assert!(e.message.contains("\"nope\" is not in") && e.message.contains("credentials"), "{e}");
    let e = open_err(env_in(&dir, &[("AWS_PROFILE", "half")]));
    assert!(e.message.contains("only one of"), "{e}");
    let e = open_err(env_in(&dir, &[("AWS_PROFILE", "loop")]));
    assert!(e.message.contains("hops"), "{e}");
    let e = open_err(env_in(&dir, &[("AWS_EC2_METADATA_DISABLED", "true")]));
    assert_eq!(e.kind, pailfs::ErrorKind::PermissionDenied);
    for source in ["environment", "profile \"default\"", "web identity", "container credentials", "EC2 instance metadata", "anon"]
    {
        assert!(e.message.contains(source), "{source} missing from: {e}");
    }
    // With IMDS (here a closed port) as the last resort, the first request says the same, once,
    // and no anonymous request is sent.
    let s = s3("s3://bkt/k", &none, &env_in(&dir, &[]));
    let e = s.list_buckets().await.unwrap_err();
    assert_eq!((e.kind, e.retryable), (pailfs::ErrorKind::PermissionDenied, false), "{e}");
    assert!(
        e.message.contains("no credentials found") && e.message.contains("127.0.0.1:9") && e.message.contains("container"),
        "{e}"
    );
    assert_eq!(s.stats().attempts.load(Ordering::Relaxed), 0, "nothing was sent to S3");
    assert!(!format!("{e:?}").contains(SECRET));
}

/// moto's STS: a role assumed with a source profile's keys, and by web identity; the temporary
/// credentials it hands out read an object written with the plain keys.
#[tokio::test]
#[ignore = "needs moto: make test"]
async fn roles_are_assumed_through_sts_on_moto() {
    let endpoint = server("PAILFS_MOTO_ENDPOINT");
    let token_file = folder("web", &[("token", "eyJhbGciOi.web-identity.token\n".into())]).join("token");
    let dir = folder(
        "roles",
        &[
            (
                "config",
                format!(
                    "[default]\nregion = us-east-1\nendpoint_url = {endpoint}\n\
             [profile reader]\nrole_arn = arn:aws:iam::123456789012:role/reader\nsource_profile = default\nrole_session_name = pailfs-test\nendpoint_url = {endpoint}\nregion = us-east-1\n\
             [profile web]\nrole_arn = arn:aws:iam::123456789012:role/web\nweb_identity_token_file = {}\nendpoint_url = {endpoint}\n",
                    token_file.display()
                ),
            ),
            (
                "credentials",
                format!(
                    "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
                    server("PAILFS_MOTO_KEY"),
                    server("PAILFS_MOTO_SECRET")
                ),
            ),
        ],
    );
    let none = StoreOptions::default();
    let plain = s3("s3://bkt/k", &none, &env_in(&dir, &[]));
    let bucket = format!("pailfs-chain-{}", std::process::id());
    plain.create_bucket(&bucket).await.unwrap();
    plain.put(&bucket, "obj", Bytes::from_static(b"read through an assumed role"), &Default::default()).await.unwrap();
    assert_eq!(aws(&plain.current_credentials().await.unwrap()).access_key_id, server("PAILFS_MOTO_KEY"));
    for (profile, env_extra) in [("reader", vec![("AWS_PROFILE", "reader")]), ("web", vec![("AWS_PROFILE", "web")])] {
        let s = s3("s3://bkt/k", &none, &env_in(&dir, &env_extra));
        assert_eq!(&s.get(&bucket, "obj", None).await.unwrap().data[..], b"read through an assumed role", "{profile}");
        let c = s.current_credentials().await.unwrap();
        let c = aws(&c);
        assert!(c.access_key_id.starts_with("ASIA") && c.access_key_id != server("PAILFS_MOTO_KEY"), "{profile}: {c:?}");
        assert!(c.session_token.is_some(), "{profile}");
        assert_eq!(s.stats().credential_fetches.load(Ordering::Relaxed), 1, "{profile}: one STS call");
    }
    // The environment's web identity (EKS IRSA's variables).
    let irsa = [
        ("AWS_WEB_IDENTITY_TOKEN_FILE", token_file.to_str().unwrap()),
        ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/irsa"),
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
    ];
    let empty = folder("irsa", &[]);
    let s = s3("s3://bkt/k", &none, &env_in(&empty, &irsa));
    assert_eq!(&s.get(&bucket, "obj", None).await.unwrap().data[..], b"read through an assumed role");
    assert!(aws(&s.current_credentials().await.unwrap()).access_key_id.starts_with("ASIA"));
    plain.delete_batch(&bucket, &["obj".to_string()]).await.unwrap();
    plain.delete_bucket(&bucket).await.unwrap();
}

/// `credential_process` (a tiny shell script printing s3s-fs's keys) signs requests s3s-fs checks.
#[tokio::test]
#[ignore = "needs s3s-fs: make test"]
async fn credential_process_keys_sign_requests_s3s_checks() {
    let (key, secret) = (server("PAILFS_S3S_KEY"), server("PAILFS_S3S_SECRET"));
    let dir = folder(
        "process",
        &[(
            "creds.sh",
            format!(
                "#!/bin/sh\necho run >> \"$(dirname \"$0\")/runs\"\nprintf '{{\"Version\": 1, \"AccessKeyId\": \"{key}\", \"SecretAccessKey\": \"{secret}\"}}'\n"
            ),
        )],
    );
    let config = format!(
        "[default]\ncredential_process = sh {}\nendpoint_url = {}\n",
        dir.join("creds.sh").display(),
        server("PAILFS_S3S_ENDPOINT")
    );
    std::fs::write(dir.join("config"), config).unwrap();
    let opts = StoreOptions { quirks: vec!["s3s-fs".into()], ..StoreOptions::default() };
    let s = s3("s3://bkt/k", &opts, &env_in(&dir, &[]));
    let bucket = format!("pailfs-process-{}", std::process::id());
    s.create_bucket(&bucket).await.unwrap();
    s.put(&bucket, "k", Bytes::from_static(b"process keys"), &Default::default()).await.unwrap();
    assert_eq!(&s.get(&bucket, "k", None).await.unwrap().data[..], b"process keys");
    assert_eq!(std::fs::read_to_string(dir.join("runs")).unwrap().lines().count(), 1, "no expiry: run once");
    s.delete_batch(&bucket, &["k".to_string()]).await.unwrap();
    s.delete_bucket(&bucket).await.unwrap();
    // A failing process is an error naming the profile, not an anonymous request.
    std::fs::write(
        dir.join("config"),
        format!("[default]\ncredential_process = sh -c 'exit 3'\nendpoint_url = {}\n", server("PAILFS_S3S_ENDPOINT")),
    )
    .unwrap();
    let e = s3("s3://bkt/k", &opts, &env_in(&dir, &[])).list_buckets().await.unwrap_err();
    assert!(e.message.contains("credential_process of profile \"default\" failed"), "{e}");
}

/// An IMDSv2 stub: a PUT for a session token, then the role name and its credentials (valid
/// for `lifetime`), each only with the token. Counts the credential requests.
async fn imds_stub(key: String, secret: String, lifetime: chrono::TimeDelta) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let count = hits.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else { return };
            let mut req = Vec::new();
            let mut buf = [0u8; 1024];
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match sock.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            let head = String::from_utf8_lossy(&req).to_string();
            let lower = head.to_ascii_lowercase();
            let line = head.lines().next().unwrap_or_default().to_string();
            let has_token = lower.contains("x-aws-ec2-metadata-token: imds-session");
            let (status, body) = if line.starts_with("PUT /latest/api/token ")
                && lower.contains("x-aws-ec2-metadata-token-ttl-seconds: 21600")
            {
                ("200 OK", "imds-session".to_string())
            } else if !has_token {
                ("401 Unauthorized", String::new())
            } else if line.starts_with("GET /latest/meta-data/iam/security-credentials/ ") {
                ("200 OK", "stub-role".to_string())
            } else if line.starts_with("GET /latest/meta-data/iam/security-credentials/stub-role ") {
                count.fetch_add(1, Ordering::SeqCst);
                let now: chrono::DateTime<chrono::Utc> = std::time::SystemTime::now().into();
                let exp = (now + lifetime).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                (
                    "200 OK",
                    format!(
                        r#"{{"Code":"Success","Type":"AWS-HMAC","AccessKeyId":"{key}","SecretAccessKey":"{secret}","Token":"t","Expiration":"{exp}"}}"#
                    ),
                )
            } else {
                ("404 Not Found", String::new())
            };
            let answer = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
            let _ = sock.write_all(answer.as_bytes()).await;
        }
    });
    (url, hits)
}

#[tokio::test]
#[ignore = "needs s3s-fs: make test"]
async fn instance_metadata_credentials_are_used_and_refreshed() {
    // Valid 5 min 2 s: fresh for 2 s, then inside the refresh window.
    let (url, hits) = imds_stub(server("PAILFS_S3S_KEY"), server("PAILFS_S3S_SECRET"), chrono::TimeDelta::seconds(302)).await;
    let dir = folder("imds", &[]);
    let env = env_in(
        &dir,
        &[("AWS_EC2_METADATA_SERVICE_ENDPOINT", url.as_str()), ("AWS_ENDPOINT_URL", &server("PAILFS_S3S_ENDPOINT"))],
    );
    let opts = StoreOptions { quirks: vec!["s3s-fs".into()], ..StoreOptions::default() };
    let s = s3("s3://bkt/k", &opts, &env);
    let bucket = format!("pailfs-imds-{}", std::process::id());
    s.create_bucket(&bucket).await.unwrap();
    s.put(&bucket, "k", Bytes::from_static(b"imds keys"), &Default::default()).await.unwrap();
    assert_eq!(hits.load(Ordering::SeqCst), 1, "fetched once while fresh");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(&s.get(&bucket, "k", None).await.unwrap().data[..], b"imds keys");
    assert_eq!(hits.load(Ordering::SeqCst), 2, "fetched again inside the refresh window");
    s.delete_batch(&bucket, &["k".to_string()]).await.unwrap();
    s.delete_bucket(&bucket).await.unwrap();
}
