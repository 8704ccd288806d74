//! Shared Key and SAS signatures against a real Azurite, which verifies them (a wrong key or an
//! expired SAS is refused). Run by `make test`, or by hand:
//!
//! ```text
//! scripts/azurite.sh install && scripts/azurite.sh start
//! source .servers/azurite.env && cargo test --test azurite_signing -- --ignored
//! scripts/azurite.sh stop
//! ```
#![cfg(feature = "native")]

use std::time::SystemTime;

use chrono::{DateTime, Duration, Utc};
use pailfs::core::auth::{Authorizer, Credentials, Presigned, Scheme};
use pailfs::core::creds::Secret;
use pailfs::core::http::{Method, Request, encode_unreserved};
use pailfs::core::sign::azure::{self, AccountSas, SasProtocol, SasResource, ServiceSas};

struct Azurite {
    scheme: String,
    host: String,
    /// `/devstoreaccount1` for Azurite's path-style endpoint, empty for a real account host.
    base_path: String,
    account: String,
    key: Secret,
}

fn env_var(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is not set: run `scripts/azurite.sh start && source .servers/azurite.env` first"))
}

fn azurite() -> Azurite {
    let endpoint = env_var("PAILFS_AZURITE_BLOB");
    let url = url::Url::parse(&endpoint).unwrap_or_else(|e| panic!("PAILFS_AZURITE_BLOB {endpoint:?}: {e}"));
    let host = match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().expect("host")),
        None => url.host_str().expect("host").to_string(),
    };
    Azurite {
        scheme: url.scheme().to_string(),
        host,
        base_path: url.path().trim_end_matches('/').to_string(),
        account: env_var("PAILFS_AZURITE_ACCOUNT"),
        key: Secret::new(env_var("PAILFS_AZURITE_KEY")),
    }
}

fn now() -> DateTime<Utc> {
    DateTime::<Utc>::from(SystemTime::now())
}

/// Encode a blob name for the path: each segment with the unreserved set, `/` kept.
fn encode_blob(name: &str) -> String {
    name.split('/').map(encode_unreserved).collect::<Vec<_>>().join("/")
}

/// A container name unique to this run and test, so parallel tests do not collide.
fn container_name(test: &str) -> String {
    let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_nanos();
    format!("pailfs-{test}-{}", nanos % 1_000_000_000_000)
}

impl Azurite {
    fn request(&self, method: Method, container: Option<&str>, blob: Option<&str>) -> Request {
        let mut path = self.base_path.clone();
        if let Some(c) = container {
            path.push('/');
            path.push_str(c);
        }
        if let Some(b) = blob {
            path.push('/');
            path.push_str(&encode_blob(b));
        }
        if path.is_empty() {
            path.push('/');
        }
        Request::new(method, &self.scheme, &self.host, path)
    }

    fn sign(&self, req: &mut Request) {
        azure::sign_shared_key(req, &self.account, &self.key, now()).expect("sign");
    }

    async fn create_container(&self, c: &str) {
        let mut req = self.request(Method::Put, Some(c), None).query_param("restype", "container");
        self.sign(&mut req);
        expect(&req, send(&req).await, 201);
    }

    async fn put_blob(&self, c: &str, b: &str, body: &'static str) {
        let mut req = self
            .request(Method::Put, Some(c), Some(b))
            .header("x-ms-blob-type", "BlockBlob")
            .header("Content-Type", "text/plain; charset=utf-8")
            .header("x-ms-meta-note", "signed by  pailfs")
            .with_body(body);
        self.sign(&mut req);
        expect(&req, send(&req).await, 201);
    }
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

async fn send(req: &Request) -> Answer {
    let client = reqwest::Client::new();
    let method = reqwest::Method::from_bytes(req.method.as_str().as_bytes()).unwrap();
    let mut rb = client.request(method, req.url());
    for (k, v) in req.headers.iter() {
        rb = rb.header(k, v);
    }
    if !req.body.is_empty() || matches!(req.method, Method::Put | Method::Post) {
        rb = rb.body(req.body.clone());
    }
    let resp = rb.send().await.unwrap_or_else(|e| panic!("{} {}: {e}", req.method.as_str(), req.redacted_url()));
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.text().await.unwrap_or_default();
    Answer { status, headers, body }
}

/// Fails with the server's explanation (Azurite's error XML), never with the signed URL.
fn expect(req: &Request, a: Answer, status: u16) -> Answer {
    assert_eq!(
        a.status,
        status,
        "{} {} -> {} (wanted {status}); x-ms-error-code {:?}; body: {}",
        req.method.as_str(),
        req.redacted_url(),
        a.status,
        a.headers.get("x-ms-error-code"),
        a.body
    );
    a
}

fn error_code(a: &Answer) -> String {
    a.headers.get("x-ms-error-code").and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
}

const BLOB: &str = "dir/a b+é%~.txt";
const BODY: &str = "hello from pailfs";

#[tokio::test]
#[ignore = "needs Azurite: run by make test"]
async fn shared_key_create_put_get_list() {
    let az = azurite();
    let c = container_name("sk");
    az.create_container(&c).await;
    az.put_blob(&c, BLOB, BODY).await;

    let mut get = az.request(Method::Get, Some(&c), Some(BLOB));
    az.sign(&mut get);
    let a = expect(&get, send(&get).await, 200);
    assert_eq!(a.body, BODY);
    assert_eq!(a.headers.get("x-ms-meta-note").unwrap(), "signed by  pailfs");

    // A range read: the Range header is one of the signed standard headers.
    let mut range = az.request(Method::Get, Some(&c), Some(BLOB)).header("Range", "bytes=0-4");
    az.sign(&mut range);
    let a = expect(&range, send(&range).await, 206);
    assert_eq!(a.body, "hello");

    // Listing: several query parameters, one repeated, all part of the canonical resource.
    let mut list = az
        .request(Method::Get, Some(&c), None)
        .query_param("restype", "container")
        .query_param("comp", "list")
        .query_param("prefix", "dir/")
        .query_param("include", "metadata");
    az.sign(&mut list);
    let a = expect(&list, send(&list).await, 200);
    assert!(a.body.contains("<Name>dir/a b+é%~.txt</Name>"), "{}", a.body);

    // HEAD (no body, no Content-Length) and the service root (`/devstoreaccount1?comp=list`).
    let mut head = az.request(Method::Head, Some(&c), Some(BLOB));
    az.sign(&mut head);
    let a = expect(&head, send(&head).await, 200);
    assert_eq!(a.headers.get("content-length").unwrap(), &BODY.len().to_string());
    let mut root = az.request(Method::Get, None, None).query_param("comp", "list");
    az.sign(&mut root);
    let a = expect(&root, send(&root).await, 200);
    assert!(a.body.contains(&format!("<Name>{c}</Name>")), "{}", a.body);
}

#[tokio::test]
#[ignore = "needs Azurite: run by make test"]
async fn shared_key_with_wrong_key_is_refused() {
    let az = azurite();
    let c = container_name("wrongkey");
    az.create_container(&c).await;
    az.put_blob(&c, BLOB, BODY).await;
    // A well-formed key that is not the account's.
    let wrong = Secret::new("d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXktd3Jvbmcta2V5LXdyb25nLWtleQ==");
    let mut get = az.request(Method::Get, Some(&c), Some(BLOB));
    azure::sign_shared_key(&mut get, &az.account, &wrong, now()).unwrap();
    let a = expect(&get, send(&get).await, 403);
    assert_eq!(error_code(&a), "AuthorizationFailure", "{}", a.body);
    // The right key, but the request changed after signing (another Range): also refused.
    let mut tampered = az.request(Method::Get, Some(&c), Some(BLOB)).header("Range", "bytes=0-1");
    az.sign(&mut tampered);
    tampered.headers.set("Range", "bytes=0-9");
    expect(&tampered, send(&tampered).await, 403);
}

#[tokio::test]
#[ignore = "needs Azurite: run by make test"]
async fn service_sas_blob_and_container() {
    let az = azurite();
    let c = container_name("svcsas");
    az.create_container(&c).await;
    az.put_blob(&c, BLOB, BODY).await;

    // Blob SAS, read only, with a response header override.
    let mut sas =
        ServiceSas::new(SasResource::Blob { container: c.clone(), blob: BLOB.into() }, "r", now() + Duration::minutes(10));
    sas.start = Some(now() - Duration::minutes(5));
    sas.protocol = Some(SasProtocol::HttpsAndHttp);
    sas.content_type = Some("application/x-pailfs".into());
    let token = azure::service_sas(&sas, &az.account, &az.key).unwrap();
    let mut get = az.request(Method::Get, Some(&c), Some(BLOB));
    azure::apply_sas(&mut get, &token).unwrap();
    let a = expect(&get, send(&get).await, 200);
    assert_eq!(a.body, BODY);
    assert_eq!(a.headers.get("content-type").unwrap(), "application/x-pailfs");

    // The same read-only SAS may not write.
    let mut put = az.request(Method::Put, Some(&c), Some(BLOB)).header("x-ms-blob-type", "BlockBlob").with_body("x");
    azure::apply_sas(&mut put, &token).unwrap();
    expect(&put, send(&put).await, 403);

    // Container SAS: list and read any blob; create-permission writes a new blob.
    let csas = ServiceSas::new(SasResource::Container { container: c.clone() }, "lrc", now() + Duration::minutes(10));
    let ctoken = azure::service_sas(&csas, &az.account, &az.key).unwrap();
    let mut list = az.request(Method::Get, Some(&c), None).query_param("restype", "container").query_param("comp", "list");
    azure::apply_sas(&mut list, &ctoken).unwrap();
    let a = expect(&list, send(&list).await, 200);
    assert!(a.body.contains("<Name>dir/a b+é%~.txt</Name>"), "{}", a.body);
    let mut create = az.request(Method::Put, Some(&c), Some("new.txt")).header("x-ms-blob-type", "BlockBlob").with_body("new");
    azure::apply_sas(&mut create, &ctoken).unwrap();
    expect(&create, send(&create).await, 201);

    // Changing a signed field after signing breaks the signature.
    // (Permissions come out in the service's order, so "lrc" was signed as "rcl".)
    let tampered = ctoken.replacen("sp=rcl&", "sp=racwdl&", 1);
    assert!(tampered != ctoken, "the token has no sp=rcl to tamper with");
    let mut del = az.request(Method::Delete, Some(&c), Some("new.txt"));
    azure::apply_sas(&mut del, &tampered).unwrap();
    expect(&del, send(&del).await, 403);
}

#[tokio::test]
#[ignore = "needs Azurite: run by make test"]
async fn account_sas_get_and_list() {
    let az = azurite();
    let c = container_name("acctsas");
    az.create_container(&c).await;
    az.put_blob(&c, BLOB, BODY).await;
    let mut sas = AccountSas::new("b", "sco", "rl", now() + Duration::minutes(10));
    sas.start = Some(now() - Duration::minutes(5));
    let token = azure::account_sas(&sas, &az.account, &az.key).unwrap();

    let mut get = az.request(Method::Get, Some(&c), Some(BLOB));
    azure::apply_sas(&mut get, &token).unwrap();
    let a = expect(&get, send(&get).await, 200);
    assert_eq!(a.body, BODY);

    let mut root = az.request(Method::Get, None, None).query_param("comp", "list");
    azure::apply_sas(&mut root, &token).unwrap();
    let a = expect(&root, send(&root).await, 200);
    assert!(a.body.contains(&format!("<Name>{c}</Name>")), "{}", a.body);

    // Read/list only: deleting the blob is refused.
    let mut del = az.request(Method::Delete, Some(&c), Some(BLOB));
    azure::apply_sas(&mut del, &token).unwrap();
    expect(&del, send(&del).await, 403);
}

#[tokio::test]
#[ignore = "needs Azurite: run by make test"]
async fn wrong_key_and_expired_sas_are_refused() {
    let az = azurite();
    let c = container_name("badsas");
    az.create_container(&c).await;
    az.put_blob(&c, BLOB, BODY).await;
    let wrong = Secret::new("d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXktd3Jvbmcta2V5LXdyb25nLWtleQ==");
    let blob = SasResource::Blob { container: c.clone(), blob: BLOB.into() };

    // Valid times, wrong key.
    let sas = ServiceSas::new(blob.clone(), "r", now() + Duration::minutes(10));
    let mut get = az.request(Method::Get, Some(&c), Some(BLOB));
    azure::apply_sas(&mut get, &azure::service_sas(&sas, &az.account, &wrong).unwrap()).unwrap();
    expect(&get, send(&get).await, 403);
    let acct = AccountSas::new("b", "sco", "rl", now() + Duration::minutes(10));
    let mut get = az.request(Method::Get, Some(&c), Some(BLOB));
    azure::apply_sas(&mut get, &azure::account_sas(&acct, &az.account, &wrong).unwrap()).unwrap();
    expect(&get, send(&get).await, 403);

    // Right key, expired a minute ago.
    let mut expired = ServiceSas::new(blob.clone(), "r", now() - Duration::minutes(1));
    expired.start = Some(now() - Duration::minutes(30));
    let mut get = az.request(Method::Get, Some(&c), Some(BLOB));
    azure::apply_sas(&mut get, &azure::service_sas(&expired, &az.account, &az.key).unwrap()).unwrap();
    expect(&get, send(&get).await, 403);
    let mut acct_expired = AccountSas::new("b", "sco", "rl", now() - Duration::minutes(1));
    acct_expired.start = Some(now() - Duration::minutes(30));
    let mut get = az.request(Method::Get, Some(&c), Some(BLOB));
    azure::apply_sas(&mut get, &azure::account_sas(&acct_expired, &az.account, &az.key).unwrap()).unwrap();
    expect(&get, send(&get).await, 403);

    // Right key, not valid yet.
    let mut future = ServiceSas::new(blob, "r", now() + Duration::hours(2));
    future.start = Some(now() + Duration::hours(1));
    let mut get = az.request(Method::Get, Some(&c), Some(BLOB));
    azure::apply_sas(&mut get, &azure::service_sas(&future, &az.account, &az.key).unwrap()).unwrap();
    expect(&get, send(&get).await, 403);

    // And the control: the same request with a good SAS works.
    let good = ServiceSas::new(SasResource::Blob { container: c.clone(), blob: BLOB.into() }, "r", now() + Duration::minutes(10));
    let mut get = az.request(Method::Get, Some(&c), Some(BLOB));
    azure::apply_sas(&mut get, &azure::service_sas(&good, &az.account, &az.key).unwrap()).unwrap();
    expect(&get, send(&get).await, 200);
}

/// Send a presigned request as its holder would: the URL and the headers, no credentials.
async fn send_presigned(p: &Presigned, body: &'static str) -> Answer {
    let client = reqwest::Client::new();
    let method = reqwest::Method::from_bytes(p.method.as_str().as_bytes()).unwrap();
    let mut rb = client.request(method, &p.url);
    for (k, v) in &p.headers {
        rb = rb.header(k, v);
    }
    let resp = rb.body(body).send().await.unwrap_or_else(|e| panic!("{p:?}: {e}"));
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    Answer { status, headers, body: resp.text().await.unwrap_or_default() }
}

#[tokio::test]
#[ignore = "needs Azurite: run by make test"]
async fn authorizer_signs_and_presigns() {
    let az = azurite();
    let c = container_name("authz");
    let key = Credentials::AzureSharedKey { account: az.account.clone(), key: az.key.clone() };
    let shared = Authorizer::new(Scheme::AzureSharedKey);

    // Shared Key through the seam, re-authorized in place as a retry would be.
    let mut create = az.request(Method::Put, Some(&c), None).query_param("restype", "container");
    shared.authorize(&mut create, &key, now() - Duration::seconds(30)).unwrap();
    shared.authorize(&mut create, &key, now()).unwrap();
    expect(&create, send(&create).await, 201);
    az.put_blob(&c, BLOB, BODY).await;

    // Presigned read: the holder has the URL and nothing else.
    let get = az.request(Method::Get, Some(&c), Some(BLOB)).header("x-ms-version", "2022-11-02");
    let p = shared.presign(get, &key, now(), std::time::Duration::from_secs(600)).unwrap();
    assert!(!format!("{p:?}").contains(&az.key.expose()[..12]));
    let a = send_presigned(&p, "").await;
    assert_eq!((a.status, a.body.as_str()), (200, BODY), "{p:?}");

    // Presigned upload: create + write on a new blob, with the headers it came with.
    let put = az
        .request(Method::Put, Some(&c), Some("up/é.txt"))
        .header("x-ms-blob-type", "BlockBlob")
        .header("x-ms-version", "2022-11-02");
    let p = shared.presign(put, &key, now(), std::time::Duration::from_secs(600)).unwrap();
    assert_eq!(send_presigned(&p, "uploaded").await.status, 201, "{p:?}");
    let mut check = az.request(Method::Get, Some(&c), Some("up/é.txt"));
    az.sign(&mut check);
    assert_eq!(expect(&check, send(&check).await, 200).body, "uploaded");

    // A read URL cannot write; an expired URL cannot read.
    let mut as_put =
        shared.presign(az.request(Method::Get, Some(&c), Some(BLOB)), &key, now(), std::time::Duration::from_secs(600)).unwrap();
    as_put.method = Method::Put;
    as_put.headers.push(("x-ms-blob-type".into(), "BlockBlob".into()));
    assert_eq!(send_presigned(&as_put, "x").await.status, 403);
    let old = shared
        .presign(
            az.request(Method::Get, Some(&c), Some(BLOB)),
            &key,
            now() - Duration::hours(2),
            std::time::Duration::from_secs(3600),
        )
        .unwrap();
    assert_eq!(send_presigned(&old, "").await.status, 403);

    // Presigned delete.
    let del = az.request(Method::Delete, Some(&c), Some("up/é.txt")).header("x-ms-version", "2022-11-02");
    let p = shared.presign(del, &key, now(), std::time::Duration::from_secs(600)).unwrap();
    assert_eq!(send_presigned(&p, "").await.status, 202, "{p:?}");

    // A SAS credential under the SAS scheme, applied twice (a retry) and still valid.
    let sas = ServiceSas::new(SasResource::Blob { container: c.clone(), blob: BLOB.into() }, "r", now() + Duration::minutes(10));
    let token = Credentials::AzureSas(Secret::new(azure::service_sas(&sas, &az.account, &az.key).unwrap()));
    let by_sas = Authorizer::new(Scheme::AzureSas);
    let mut get = az.request(Method::Get, Some(&c), Some(BLOB));
    by_sas.authorize(&mut get, &token, now()).unwrap();
    by_sas.authorize(&mut get, &token, now()).unwrap();
    assert_eq!(expect(&get, send(&get).await, 200).body, BODY);
}
