//! GCS credentials natively: the Google loaders of `core::creds::google` and the chain of
//! `fs::gcs_chain`. The service-account JWT is checked here, against the public half of the
//! conformance test key (loaded from the shared vectors folder, never copied): header, claims
//! and its RS256 signature. The OAuth token endpoint and the GCE metadata server have no
//! emulator: a stub in the test answers as they document.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use chrono::{DateTime, TimeDelta, Utc};
use pailfs::core::auth::{Credentials, Secret};
use pailfs::core::creds::google::{KeyFile, SCOPE};
use pailfs::core::creds::{CredentialProvider, drive};
use pailfs::core::http::{Headers, Method, Response};
use rsa::pkcs8::DecodePrivateKey;
use rsa::{Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use pailfs::core::error::ErrorKind;
use pailfs::core::options::StoreOptions;
use pailfs::fs::any::AnyStore;
use pailfs::fs::aws_chain::Env;
use pailfs::fs::gcs::GcsStore;
use pailfs::fs::open::open_url_in;
use pailfs::transport::native::ReqwestTransport;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn key_file() -> String {
    let p = common::vectors("gcs-v4-signatures-conformance").join("test_service_account.not-a-test.json");
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

/// The key file with its `token_uri` replaced.
fn key_file_at(token_uri: &str) -> String {
    let mut v: Value = serde_json::from_str(&key_file()).unwrap();
    v["token_uri"] = Value::from(token_uri);
    v.to_string()
}

fn public_key() -> RsaPublicKey {
    let v: Value = serde_json::from_str(&key_file()).unwrap();
    RsaPublicKey::from(&RsaPrivateKey::from_pkcs8_pem(v["private_key"].as_str().unwrap()).unwrap())
}

/// Check a JWT assertion's header, claims and RS256 signature; give its claims.
fn check_jwt(jwt: &str, audience: &str, now: Option<DateTime<Utc>>) -> Value {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT has three parts");
    let header: Value = serde_json::from_slice(&B64URL.decode(parts[0]).unwrap()).unwrap();
    let file: Value = serde_json::from_str(&key_file()).unwrap();
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["typ"], "JWT");
    assert_eq!(header["kid"], file["private_key_id"]);
    let claims: Value = serde_json::from_slice(&B64URL.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(claims["iss"], file["client_email"]);
    assert_eq!(claims["scope"], SCOPE);
    assert_eq!(claims["aud"], audience);
    let iat = claims["iat"].as_i64().expect("iat");
    if let Some(now) = now {
        assert_eq!(iat, now.timestamp());
    }
    assert_eq!(claims["exp"].as_i64(), Some(iat + 3600));
    // RSASSA-PKCS1-v1_5 over SHA-256: DigestInfo (RFC 8017 9.2 note 1) then the digest.
    let mut digest_info =
        vec![0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20];
    digest_info.extend_from_slice(&Sha256::digest(format!("{}.{}", parts[0], parts[1]).as_bytes()));
    let sig = B64URL.decode(parts[2]).unwrap();
    public_key()
        .verify(Pkcs1v15Sign::new_unprefixed(), &digest_info, &sig)
        .expect("the RS256 signature verifies with the public key");
    claims
}

#[test]
fn service_account_signs_a_jwt_and_exchanges_it() {
    let now: DateTime<Utc> = "2024-05-01T08:00:00Z".parse().unwrap();
    let KeyFile::ServiceAccount(sa) = KeyFile::parse(key_file_at("http://127.0.0.1:9/token").as_bytes()).unwrap() else {
        panic!("not a service account")
    };
    let shown = format!("{sa:?}");
    assert!(!shown.contains("PRIVATE KEY") && shown.contains("@"), "{shown}");
    let mut seen = Vec::new();
    let e = drive(
        sa.fetch(now).unwrap(),
        |r| {
            seen.push(r.clone());
            Response::new(200, Headers::new(), r#"{"access_token":"ya29.sa","expires_in":120,"token_type":"Bearer"}"#)
        },
        now,
    )
    .unwrap();
    assert_eq!(seen.len(), 1);
    let r = &seen[0];
    assert_eq!((r.method, r.host.as_str(), r.path.as_str()), (Method::Post, "127.0.0.1:9", "/token"));
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&r.body).into_owned().collect();
    assert_eq!(form[0], ("grant_type".into(), "urn:ietf:params:oauth:grant-type:jwt-bearer".into()));
    assert_eq!(form[1].0, "assertion");
    check_jwt(&form[1].1, "http://127.0.0.1:9/token", Some(now));
    assert_eq!(e.credentials, Credentials::Bearer(Secret::new("ya29.sa")));
    assert_eq!(e.expires, Some(now + TimeDelta::seconds(120)));
    // A tampered signature does not verify: the check above can fail.
    let jwt = &form[1].1;
    let at = jwt.rfind('.').unwrap() + 10;
    let flipped = if &jwt[at..at + 1] == "A" { "B" } else { "A" };
    let jwt = format!("{}{flipped}{}", &jwt[..at], &jwt[at + 1..]);
    assert!(std::panic::catch_unwind(|| check_jwt(&jwt, "http://127.0.0.1:9/token", Some(now))).is_err());
}

// ---------------------------------------------------------------------------------------------
// The chain, with a stub for the OAuth token endpoint and the metadata server

/// One request the stub saw.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn form(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(&self.body).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
    }
}

/// A local HTTP server answering as Google's token endpoint (`POST /token`) and the GCE
/// metadata server (`GET /computeMetadata/...`, only with `Metadata-Flavor: Google`) document:
/// tokens `ya29.stub-1`, `ya29.stub-2`, ... with `expires_in` seconds. Any other request is
/// forwarded to `upstream` (storage-testbench), so the test sees what the store sent.
struct Stub {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Stub {
    async fn start(expires_in: u64, metadata_status: u16, upstream: Option<String>) -> Stub {
        Self::start_refusing(expires_in, metadata_status, upstream, false).await
    }

    /// With `refuse_first`, the first storage request is answered 401 instead of forwarded.
    async fn start_refusing(expires_in: u64, metadata_status: u16, upstream: Option<String>, refuse_first: bool) -> Stub {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        let tokens = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let refused = Arc::new(std::sync::atomic::AtomicBool::new(!refuse_first));
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let (record, tokens, upstream, refused) = (record.clone(), tokens.clone(), upstream.clone(), refused.clone());
                tokio::spawn(async move {
                    let Some(req) = read_request(&mut s).await else { return };
                    record.lock().unwrap().push(req.clone());
                    let token = || {
                        let n = tokens.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                        let body =
                            format!(r#"{{"access_token":"ya29.stub-{n}","expires_in":{expires_in},"token_type":"Bearer"}}"#);
                        (200, vec![("Content-Type".to_string(), "application/json".to_string())], body.into_bytes())
                    };
                    let (status, headers, body) = match (req.method.as_str(), req.path.as_str()) {
                        ("POST", "/token") => token(),
                        ("GET", p) if p.starts_with("/computeMetadata/") => {
                            if req.header("metadata-flavor") != Some("Google") {
                                (403, vec![], b"Metadata-Flavor header missing".to_vec())
                            } else if metadata_status != 200 {
                                (metadata_status, vec![], b"no service account".to_vec())
                            } else {
                                token()
                            }
                        }
                        _ if !refused.swap(true, std::sync::atomic::Ordering::SeqCst) => (
                            401,
                            vec![("Content-Type".to_string(), "application/json".to_string())],
                            br#"{"error":{"code":401,"message":"Invalid Credentials"}}"#.to_vec(),
                        ),
                        _ => match &upstream {
                            Some(up) => forward(up, &req).await,
                            None => (404, vec![], b"not here".to_vec()),
                        },
                    };
                    let mut head = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
                    for (k, v) in headers {
                        head.push_str(&format!("{k}: {v}\r\n"));
                    }
                    head.push_str("\r\n");
                    let _ = s.write_all(head.as_bytes()).await;
                    let _ = s.write_all(&body).await;
                });
            }
        });
        Stub { url, seen }
    }

    fn host(&self) -> &str {
        self.url.trim_start_matches("http://")
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn read_request(s: &mut tokio::net::TcpStream) -> Option<Seen> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let end = loop {
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, path) = (first.next()?.to_string(), first.next()?.to_string());
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect();
    let len =
        headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("content-length")).and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    let mut body = buf[end + 4..].to_vec();
    while body.len() < len {
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Seen { method, path, headers, body })
}

/// Send `req` on to `upstream` and give its answer.
async fn forward(upstream: &str, req: &Seen) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let method = reqwest::Method::from_bytes(req.method.as_bytes()).unwrap();
    let mut r = reqwest::Client::new().request(method, format!("{upstream}{}", req.path)).body(req.body.clone());
    for (k, v) in &req.headers {
        if !["host", "content-length", "connection"].contains(&k.to_ascii_lowercase().as_str()) {
            r = r.header(k, v);
        }
    }
    let resp = r.send().await.expect("upstream answers");
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .filter(|(k, _)| !["content-length", "connection", "transfer-encoding"].contains(&k.as_str()))
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    (status, headers, resp.bytes().await.unwrap().to_vec())
}

fn folder(name: &str, files: &[(&str, String)]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("gcs-chain-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (f, text) in files {
        std::fs::write(dir.join(f), text).unwrap();
    }
    dir
}

/// An environment without Google settings but `vars`, its HOME an empty folder.
fn env_with(name: &str, vars: &[(&str, String)]) -> Env {
    let home = folder(&format!("{name}-home"), &[]);
    let mut all = vec![("HOME".to_string(), home.display().to_string())];
    all.extend(vars.iter().map(|(k, v)| (k.to_string(), v.clone())));
    Env::from_pairs(all)
}

fn gcs(url: &str, opts: &StoreOptions, env: &Env) -> GcsStore<ReqwestTransport> {
    match open_url_in(url, opts, env).unwrap().fs.store() {
        AnyStore::Gcs(s) => s.clone(),
        _ => panic!("not GCS"),
    }
}

fn bearer(c: &Credentials) -> &str {
    match c {
        Credentials::Bearer(t) => t.expose(),
        other => panic!("not a bearer token: {}", other.kind()),
    }
}

#[tokio::test]
async fn authorized_user_from_the_gcloud_file_refreshes() {
    // expires_in 60 is inside the cache's five-minute early window: every use fetches anew.
    let stub = Stub::start(60, 200, None).await;
    let user = format!(
        r#"{{"type":"authorized_user","client_id":"cid.apps","client_secret":"cs","refresh_token":"rt-1","token_uri":"{}/token"}}"#,
        stub.url
    );
    let dir = folder("adc", &[("application_default_credentials.json", user)]);
    let env = env_with("adc", &[("CLOUDSDK_CONFIG", dir.display().to_string()), ("GCE_METADATA_HOST", "127.0.0.1:9".into())]);
    let store = gcs("gs://b", &StoreOptions::default(), &env);
    assert_eq!(bearer(&store.current_credentials().await.unwrap()), "ya29.stub-1");
    assert_eq!(bearer(&store.current_credentials().await.unwrap()), "ya29.stub-2", "a token about to expire is fetched again");
    let seen = stub.seen();
    assert_eq!(seen.len(), 2);
    for s in &seen {
        assert_eq!((s.method.as_str(), s.path.as_str()), ("POST", "/token"));
        assert_eq!(s.form("grant_type").as_deref(), Some("refresh_token"));
        assert_eq!((s.form("client_id").as_deref(), s.form("refresh_token").as_deref()), (Some("cid.apps"), Some("rt-1")));
    }
}

#[tokio::test]
async fn the_metadata_server_then_anonymous() {
    let stub = Stub::start(3600, 200, None).await;
    let env = env_with("gce", &[("GCE_METADATA_HOST", stub.host().to_string())]);
    let store = gcs("gs://b", &StoreOptions::default(), &env);
    assert_eq!(bearer(&store.current_credentials().await.unwrap()), "ya29.stub-1");
    let seen = stub.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/computeMetadata/v1/instance/service-accounts/default/token");
    assert_eq!(seen[0].header("metadata-flavor"), Some("Google"));
    // No metadata server (a closed port), or one without a service account: anonymous, once.
    let env = env_with("gce-none", &[("GCE_METADATA_HOST", "127.0.0.1:9".into())]);
    let store = gcs("gs://b", &StoreOptions::default(), &env);
    assert_eq!(*store.current_credentials().await.unwrap(), Credentials::Anonymous);
    let refusing = Stub::start(3600, 404, None).await;
    let env = env_with("gce-404", &[("GCE_METADATA_HOST", refusing.host().to_string())]);
    let store = gcs("gs://b", &StoreOptions::default(), &env);
    assert_eq!(*store.current_credentials().await.unwrap(), Credentials::Anonymous);
    assert_eq!(*store.current_credentials().await.unwrap(), Credentials::Anonymous);
    assert_eq!(refusing.seen().len(), 1, "anonymous does not expire: the metadata server is asked once");
}

#[tokio::test]
async fn options_and_the_emulator_come_first() {
    // Every later source is set, and points at a stub that would count a request.
    let stub = Stub::start(3600, 200, None).await;
    let dir = folder("first", &[("sa.json", key_file_at(&format!("{}/token", stub.url)))]);
    let sa = dir.join("sa.json").display().to_string();
    let env =
        env_with("first", &[("GOOGLE_APPLICATION_CREDENTIALS", sa.clone()), ("GCE_METADATA_HOST", stub.host().to_string())]);
    let anon = StoreOptions { anon: true, ..StoreOptions::default() };
    assert_eq!(*gcs("gs://b", &anon, &env).current_credentials().await.unwrap(), Credentials::Anonymous);
    let token = StoreOptions { token: Some(Secret::new("ya29.given")), ..StoreOptions::default() };
    assert_eq!(bearer(&gcs("gs://b", &token, &env).current_credentials().await.unwrap()), "ya29.given");
    let emu = env_with("emu", &[("STORAGE_EMULATOR_HOST", "127.0.0.1:4443".into()), ("GOOGLE_APPLICATION_CREDENTIALS", sa)]);
    let store = gcs("gs://b", &StoreOptions::default(), &emu);
    assert_eq!(*store.current_credentials().await.unwrap(), Credentials::Anonymous);
    assert_eq!((store.config().scheme.as_str(), store.config().host.as_str()), ("http", "127.0.0.1:4443"));
    assert!(stub.seen().is_empty(), "no later source was asked");
    // A named key file that is not there is an error, not a reason to look further.
    let missing = env_with("missing", &[("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/sa.json".into())]);
    let Err(e) = open_url_in("gs://b", &StoreOptions::default(), &missing) else { panic!("no error") };
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert!(e.message.contains("/nonexistent/sa.json"), "{e}");
}

/// The service account of GOOGLE_APPLICATION_CREDENTIALS, through the whole chain: its JWT
/// reaches the token endpoint stub, and the store reads an object on storage-testbench with
/// the token. The testbench checks no credentials, so the stub also stands in front of it and
/// records the Authorization header of each storage request.
#[tokio::test]
#[ignore = "needs storage-testbench: make test"]
async fn service_account_token_reaches_the_testbench() {
    let testbench = std::env::var("PAILFS_GCS_ENDPOINT").expect("PAILFS_GCS_ENDPOINT: source .servers/gcs.env");
    let bucket = format!("pailfs-gcs-chain-{}", std::process::id());
    let setup = open_url_in(
        &format!("gs://{bucket}"),
        &StoreOptions {
            anon: true,
            endpoint_url: Some(testbench.clone()),
            project: Some("test-project".into()),
            ..StoreOptions::default()
        },
        &Env::default(),
    )
    .unwrap();
    setup.fs.mkdir(&bucket, false).await.unwrap();
    setup.fs.pipe(&format!("{bucket}/hello.txt"), Bytes::from_static(b"hello, token")).await.unwrap();

    let stub = Stub::start(60, 200, Some(testbench)).await;
    let dir = folder("sa", &[("sa.json", key_file_at(&format!("{}/token", stub.url)))]);
    let env = env_with(
        "sa",
        &[
            ("GOOGLE_APPLICATION_CREDENTIALS", dir.join("sa.json").display().to_string()),
            ("GCE_METADATA_HOST", "127.0.0.1:9".into()),
        ],
    );
    let opts = StoreOptions { endpoint_url: Some(stub.url.clone()), ..StoreOptions::default() };
    let o = open_url_in(&format!("gs://{bucket}/hello.txt"), &opts, &env).unwrap();
    assert_eq!(o.fs.cat(&o.path).await.unwrap(), Bytes::from_static(b"hello, token"));
    assert_eq!(o.fs.cat(&o.path).await.unwrap(), Bytes::from_static(b"hello, token"));

    let seen = stub.seen();
    let exchanges: Vec<&Seen> = seen.iter().filter(|s| s.path == "/token").collect();
    assert_eq!(exchanges.len(), 2, "expires_in 60 is inside the early window: the second read refreshes");
    for x in &exchanges {
        assert_eq!(x.form("grant_type").as_deref(), Some("urn:ietf:params:oauth:grant-type:jwt-bearer"));
        check_jwt(&x.form("assertion").expect("an assertion"), &format!("{}/token", stub.url), None);
    }
    let reads: Vec<Option<&str>> = seen.iter().filter(|s| s.path != "/token").map(|s| s.header("authorization")).collect();
    assert_eq!(reads, [Some("Bearer ya29.stub-1"), Some("Bearer ya29.stub-2")]);
    setup.fs.rm(&format!("{bucket}/hello.txt"), false).await.unwrap();
}

/// A token the service refuses (401) is dropped, a new one fetched, and the request repeated
/// once with it: the stub in front of storage-testbench refuses the first read.
#[tokio::test]
#[ignore = "needs storage-testbench: make test"]
async fn a_refused_token_is_replaced_and_the_request_repeated() {
    let testbench = std::env::var("PAILFS_GCS_ENDPOINT").expect("PAILFS_GCS_ENDPOINT: source .servers/gcs.env");
    let bucket = format!("pailfs-gcs-401-{}", std::process::id());
    let setup = open_url_in(
        &format!("gs://{bucket}"),
        &StoreOptions {
            anon: true,
            endpoint_url: Some(testbench.clone()),
            project: Some("test-project".into()),
            ..StoreOptions::default()
        },
        &Env::default(),
    )
    .unwrap();
    setup.fs.mkdir(&bucket, false).await.unwrap();
    setup.fs.pipe(&format!("{bucket}/k"), Bytes::from_static(b"again")).await.unwrap();
    // A token good for an hour: only the 401 makes the store fetch another.
    let stub = Stub::start_refusing(3600, 200, Some(testbench), true).await;
    let env = env_with("refused", &[("GCE_METADATA_HOST", stub.host().to_string())]);
    let opts = StoreOptions { endpoint_url: Some(stub.url.clone()), ..StoreOptions::default() };
    let o = open_url_in(&format!("gs://{bucket}/k"), &opts, &env).unwrap();
    assert_eq!(o.fs.cat(&o.path).await.unwrap(), Bytes::from_static(b"again"));
    let seen = stub.seen();
    let metadata = seen.iter().filter(|s| s.path.starts_with("/computeMetadata/")).count();
    let reads: Vec<Option<&str>> =
        seen.iter().filter(|s| !s.path.starts_with("/computeMetadata/")).map(|s| s.header("authorization")).collect();
    assert_eq!(metadata, 2, "the refused token was replaced");
    assert_eq!(reads, [Some("Bearer ya29.stub-1"), Some("Bearer ya29.stub-2")]);
    setup.fs.rm(&format!("{bucket}/k"), false).await.unwrap();
}
