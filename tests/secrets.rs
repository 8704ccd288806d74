//! Known secrets go through every error path; none may appear in Display or Debug of anything
//! a caller might print: credentials, stores, requests, signatures, errors (from a refused
//! connection, a timeout, a server that echoes the canonical request in its error body, a bad
//! presign, a failed write through the file system).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use pailfs::core::auth::{Authorizer, AwsContainerCredentials, CredentialCache, CredentialStep, Credentials, Scheme, Secret};
use pailfs::core::creds::{AwsCredentials, drive};
use pailfs::core::http::{Headers, Method, Request, Response};
use pailfs::core::retry::RetryPolicy;
use pailfs::core::s3::S3Config;
use pailfs::core::sign::sigv4::{Payload, SignOptions, Signer, SigningParams};
use pailfs::fs::Store;
use pailfs::fs::facade::FileSystem;
use pailfs::fs::s3::S3Store;
use pailfs::transport::native::{ReqwestTransport, SystemClock, Timeouts};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SECRET: &str = "SECRETxKEYx0123456789abcdefghijklmnopqr";
const TOKEN: &str = "SESSIONxTOKENxzyxwvutsrqponmlkjihgfedcba";

fn creds() -> AwsCredentials {
    let mut c = AwsCredentials::new("AKIDVISIBLE", SECRET);
    c.session_token = Some(TOKEN.into());
    c
}

/// Nothing derived from the secret may show: the secret, the token, or a signature value.
fn assert_clean(what: &str, shown: &str, signatures: &[String]) {
    assert!(!shown.contains(SECRET), "{what} leaks the secret: {shown}");
    assert!(!shown.contains(TOKEN), "{what} leaks the session token: {shown}");
    for s in signatures {
        assert!(!shown.contains(s.as_str()), "{what} leaks a signature: {shown}");
    }
}

fn store(endpoint: &str) -> S3Store<ReqwestTransport> {
    let timeouts =
        Timeouts { connect: Duration::from_secs(2), request: Duration::from_secs(5), read: Duration::from_millis(300) };
    let retry = RetryPolicy { max_attempts: 2, base_delay: Duration::from_millis(1), ..RetryPolicy::default() };
    S3Store::new(
        S3Config::custom(endpoint, "us-east-1").unwrap(),
        Some(creds()),
        ReqwestTransport::new(timeouts).unwrap(),
        Arc::new(SystemClock),
    )
    .with_retry(retry)
}

/// A stub that answers every request with `status` and a body that echoes the request head
/// (as S3's SignatureDoesNotMatch does with the canonical request), or stalls.
async fn stub(status: u16, stall: bool) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else { return };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                let n = s.read(&mut buf).await.unwrap_or(0);
                if stall {
                    tokio::time::sleep(Duration::from_secs(3)).await;
                    return;
                }
                let head = String::from_utf8_lossy(&buf[..n]).replace('&', "&amp;").replace('<', "&lt;");
                let code = if status >= 500 { "InternalError" } else { "SignatureDoesNotMatch" };
                let body = format!(
                    "<Error><Code>{code}</Code><Message>no</Message><CanonicalRequest>{head}</CanonicalRequest><StringToSign>{head}</StringToSign></Error>"
                );
                let resp = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(resp.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}")
}

#[test]
fn credentials_signers_and_signed_requests_redact() {
    let c = creds();
    assert_clean("credentials", &format!("{c:?}"), &[]);
    let signer = Signer::new(SignOptions::S3);
    let params =
        SigningParams { credentials: &c, region: "us-east-1", service: "s3", time: "2024-01-01T00:00:00Z".parse().unwrap() };
    let mut req = Request::new(Method::Get, "https", "b.s3.amazonaws.com", "/k");
    let sig = signer.sign(&mut req, &params, Payload::Unsigned).unwrap();
    let mut pre = Request::new(Method::Get, "https", "b.s3.amazonaws.com", "/k");
    let psig = signer.presign(&mut pre, &params, Duration::from_secs(60), Payload::Unsigned).unwrap();
    let sigs = vec![sig.signature.clone(), psig.signature.clone()];
    assert!(pre.url().contains(&psig.signature), "the URL itself carries the signature, for whoever asked for it");
    for (what, shown) in [
        ("signed request", format!("{req:?}")),
        ("presigned request", format!("{pre:?}")),
        ("redacted URL", pre.redacted_url()),
        ("signature", format!("{sig:?} {psig:?}")),
        ("signer", format!("{signer:?}")),
        ("headers", format!("{:?}", req.headers)),
    ] {
        assert_clean(what, &shown, &sigs);
    }
    let err = signer.presign(&mut pre.clone(), &params, Duration::from_secs(10 * 24 * 3600), Payload::Unsigned).unwrap_err();
    assert_clean("presign error", &format!("{err} {err:?}"), &sigs);
}

/// A credential endpoint's answer (container credentials, STS, IMDS, an OAuth token) holds the
/// secret in its body: a Response prints its length, never its bytes.
#[test]
fn a_credential_answer_does_not_print_its_body() {
    let body = format!(
        r#"{{"AccessKeyId":"ASIAVISIBLE","SecretAccessKey":"{SECRET}","Token":"{TOKEN}","Expiration":"2030-01-01T00:00:00Z"}}"#
    );
    let resp = Response::new(200, Headers::new(), body.clone());
    let shown = format!("{resp:?}");
    assert_clean("credential answer", &shown, &[]);
    assert!(shown.contains("status: 200") && shown.contains(&format!("body_len: {}", body.len())), "{shown}");
}

#[test]
fn the_authorization_seam_redacts() {
    let now = "2024-01-01T00:00:00Z".parse().unwrap();
    let kinds = [
        Credentials::Aws(creds()),
        Credentials::GcsHmac { access_id: "GOOG1VISIBLE".into(), secret: Secret::new(SECRET) },
        Credentials::GcsServiceAccount { client_email: "a@b".into(), private_key_pem: Secret::new(SECRET) },
        Credentials::Bearer(Secret::new(TOKEN)),
        Credentials::AzureSharedKey { account: "acct".into(), key: Secret::new(SECRET) },
        Credentials::AzureSas(Secret::new(format!("sv=2022-11-02&sp=r&se=2030-01-01&sig={TOKEN}"))),
        Credentials::AzureSas(Secret::new(TOKEN)), // not a SAS at all: refused, not printed
    ];
    for c in &kinds {
        assert_clean("credentials", &format!("{c:?}"), &[]);
        // Every scheme, fitting or not: the signed request, the presigned URL, and the errors.
        for scheme in [
            Scheme::SigV4 { region: "us-east-1".into(), service: "s3".into(), sign_payload: true },
            Scheme::Goog4Hmac { region: "auto".into() },
            Scheme::Bearer,
            Scheme::AzureSharedKey,
            Scheme::AzureSas,
        ] {
            let a = Authorizer::new(scheme);
            let mut req = Request::new(Method::Get, "https", "acct.blob.core.windows.net", "/c/k");
            match a.authorize(&mut req, c, now) {
                Ok(()) => assert_clean("authorized request", &format!("{req:?} {}", req.redacted_url()), &[]),
                Err(e) => assert_clean("authorize error", &format!("{e} {e:?}"), &[]),
            }
            let req = Request::new(Method::Get, "https", "acct.blob.core.windows.net", "/c/k");
            match a.presign(req, c, now, Duration::from_secs(60)) {
                Ok(p) => {
                    let sig = p.url.rsplit('=').next().unwrap().to_string();
                    assert_clean("presigned", &format!("{p:?}"), &[sig]);
                }
                Err(e) => assert_clean("presign error", &format!("{e} {e:?}"), &[]),
            }
            assert_clean("authorizer", &format!("{a:?}"), &[]);
        }
    }

    // The refreshing cache: its provider's token, the fetched keys, refusals that echo them.
    let provider = AwsContainerCredentials::full("http://127.0.0.1:9/creds", Some(Secret::new(TOKEN))).unwrap();
    let cache = CredentialCache::refreshing(Box::new(provider), pailfs::core::auth::DEFAULT_EARLY);
    let CredentialStep::Fetch(mut fetch) = cache.step(now).unwrap() else { panic!("an empty cache fetches") };
    let first = fetch.next(None, now).unwrap();
    assert_clean("credential fetch", &format!("{first:?} {cache:?}"), &[]);
    let echo = format!("{{\"AccessKeyId\":\"AKIDVISIBLE\",\"SecretAccessKey\":\"{SECRET}\",\"Token\":\"{TOKEN}\"}}");
    let feed = |resp: Response| {
        let CredentialStep::Fetch(f) = cache.step(now).unwrap() else { panic!("still nothing to sign with") };
        cache.finish(drive(f, |_| resp.clone(), now), now)
    };
    for resp in [Response::new(403, Headers::new(), echo.clone()), Response::new(200, Headers::new(), echo.clone())] {
        let e = feed(resp).unwrap_err();
        assert_clean("credential refusal", &format!("{e} {e:?}"), &[]);
    }
    let good = format!("{}, \"Expiration\":\"2024-01-01T06:00:00Z\"}}", echo.trim_end_matches('}'));
    let fed = feed(Response::new(200, Headers::new(), good)).unwrap();
    assert_clean("fetched credentials", &format!("{fed:?} {cache:?}"), &[]);
}

#[tokio::test]
async fn errors_from_every_path_are_clean() {
    // Refused connection.
    let s = store("http://127.0.0.1:9");
    assert_clean("store", &format!("{s:?}"), &[]);
    let e = s.head("bkt", "k").await.unwrap_err();
    assert_clean("connect error", &format!("{e} {e:?}"), &[]);

    // A server echoing the signed request head in its error body (Authorization, token).
    let s = store(&stub(403, false).await);
    for e in [
        s.head("bkt", "k").await.unwrap_err(),
        s.get("bkt", "k", None).await.unwrap_err(),
        s.put("bkt", "k", Bytes::from_static(b"x"), &Default::default()).await.unwrap_err(),
        s.list_buckets().await.unwrap_err(),
        s.create_multipart("bkt", "k", &Default::default()).await.unwrap_err(),
    ] {
        assert_eq!(e.kind, pailfs::ErrorKind::PermissionDenied);
        assert_clean("error from an echoing server", &format!("{e} {e:?}"), &[]);
    }
    // Through the facade and a file writer.
    let fs = FileSystem::new(s.clone());
    let e = fs.pipe("bkt/k", Bytes::from(vec![0u8; 6 * 1024 * 1024])).await.unwrap_err();
    assert_clean("facade write error", &format!("{e} {e:?}"), &[]);
    let url = fs.sign("bkt/k", Duration::from_secs(60)).await.unwrap();
    let sig = url.split("X-Amz-Signature=").nth(1).unwrap().to_string();
    let e = fs.cat("bkt/k").await.unwrap_err();
    assert_clean("facade read error", &format!("{e} {e:?}"), &[sig]);

    // A 500 that is retried, then given up.
    let s = store(&stub(500, false).await);
    let e = s.list_page("bkt", &Default::default()).await.unwrap_err();
    assert!(e.retryable);
    assert_clean("retried server error", &format!("{e} {e:?}"), &[]);

    // A stalled body times out.
    let s = store(&stub(200, true).await);
    let e = s.get("bkt", "k", None).await.unwrap_err();
    assert_eq!(e.kind, pailfs::ErrorKind::Timeout, "{e:?}");
    assert_clean("timeout", &format!("{e} {e:?}"), &[]);
}

/// The native AWS chain: secrets from the environment, profile files and a credential_process
/// stay out of Debug and every error it returns (a malformed line names its number only).
#[tokio::test]
async fn the_aws_chain_keeps_its_secrets() {
    use pailfs::core::options::StoreOptions;
    use pailfs::fs::aws_chain::{Env, aws_settings};
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("secrets-chain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let files = |config: String| {
        std::fs::write(dir.join("config"), config).unwrap();
        Env::from_pairs([
            ("AWS_CONFIG_FILE", dir.join("config").display().to_string()),
            ("AWS_SHARED_CREDENTIALS_FILE", dir.join("none").display().to_string()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
            ("AWS_SESSION_TOKEN", TOKEN.into()),
            ("AWS_SECRET_ACCESS_KEY", SECRET.into()),
        ])
    };
    let opts = StoreOptions::default();
    // Half-set environment keys; a profile line that is only a secret; a process that fails.
    let cases = [
        format!("[default]\naws_access_key_id = A\naws_secret_access_key = {SECRET}\n"),
        format!("[default]\n{SECRET}\n"),
        format!("[profile p]\ncredential_process = sh -c 'echo {SECRET}; exit 1'\n"),
    ];
    for (i, config) in cases.iter().enumerate() {
        let env = files(config.clone());
        assert_clean("environment", &format!("{env:?}"), &[]);
        match aws_settings(&opts, &env) {
            Ok(s) => assert_clean("settings", &format!("{s:?}"), &[]),
            Err(e) => assert_clean("chain error", &format!("{e} {e:?}"), &[]),
        }
        if i == 2 {
            let p = StoreOptions { profile: Some("p".into()), ..StoreOptions::default() };
            let s = aws_settings(&p, &env).unwrap();
            let store = S3Store::with_credentials(
                S3Config::custom("http://127.0.0.1:9", "us-east-1").unwrap(),
                s.credentials.unwrap(),
                ReqwestTransport::default(),
                Arc::new(SystemClock),
            );
            let e = store.list_buckets().await.unwrap_err();
            assert!(e.message.contains("credential_process"), "{e}");
            assert_clean("credential_process failure", &format!("{e} {e:?} {store:?}"), &[]);
        }
    }
}

#[tokio::test]
async fn the_gcs_chain_keeps_its_secrets() {
    use pailfs::core::options::StoreOptions;
    use pailfs::fs::any::AnyStore;
    use pailfs::fs::aws_chain::Env;
    use pailfs::fs::gcs_chain::gcs_settings;
    use pailfs::fs::open::open_url_in;
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("secrets-gcs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A token endpoint that refuses, echoing the request (with the refresh token) in its body.
    let endpoint = stub(400, false).await;
    let file = dir.join("user.json");
    std::fs::write(
        &file,
        format!(
            r#"{{"type":"authorized_user","client_id":"cid","client_secret":"{SECRET}","refresh_token":"{TOKEN}","token_uri":"{endpoint}/token"}}"#
        ),
    )
    .unwrap();
    let env = Env::from_pairs([("GOOGLE_APPLICATION_CREDENTIALS", file.display().to_string())]);
    let opts = StoreOptions::default();
    assert_clean("settings", &format!("{:?}", gcs_settings(&opts, &env).unwrap()), &[]);
    let AnyStore::Gcs(store) = open_url_in("gs://b", &opts, &env).unwrap().fs.store().clone() else { panic!("not GCS") };
    let e = store.current_credentials().await.unwrap_err();
    assert_eq!(e.status, Some(400), "{e}");
    assert_clean("token exchange refusal", &format!("{e} {e:?} {store:?}"), &[]);
    // A key file whose private key is not a key; one whose type is unknown.
    for text in [
        format!(r#"{{"type":"service_account","client_email":"a@b","private_key":"{SECRET}"}}"#),
        format!(r#"{{"type":"{SECRET}","private_key":"{TOKEN}"}}"#),
        format!(r#"{{"type":"authorized_user","client_secret":"{SECRET}","refresh_token":"{TOKEN}"}}"#),
    ] {
        std::fs::write(&file, text).unwrap();
        let e = gcs_settings(&opts, &env).unwrap_err();
        assert_clean("key file error", &format!("{e} {e:?}"), &[]);
    }
}
