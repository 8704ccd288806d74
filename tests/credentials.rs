//! Refreshing credentials end to end: container credentials (the ECS/EKS endpoint, which has no
//! emulator, so a stub serves it here) feed an S3 store talking to s3s-fs, which checks every
//! signature. The token request is built and parsed by the core and sent through the same
//! transport; the credentials are fetched again before they expire.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use pailfs::core::auth::{AwsContainerCredentials, CredentialCache, Secret};
use pailfs::core::s3::S3Config;
use pailfs::fs::Store;
use pailfs::fs::s3::S3Store;
use pailfs::transport::native::{ReqwestTransport, SystemClock};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn env(k: &str) -> String {
    std::env::var(k).unwrap_or_else(|_| panic!("{k} is not set: make test starts s3s-fs"))
}

/// A container-credentials endpoint: answers every GET with `key`/`secret` valid for
/// `lifetime`, if the request carries the expected authorization token. Counts the requests.
async fn stub(key: String, secret: String, lifetime: chrono::TimeDelta) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1/credentials", listener.local_addr().unwrap());
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
            count.fetch_add(1, Ordering::SeqCst);
            let authorized = String::from_utf8_lossy(&req).to_ascii_lowercase().contains("authorization: pod-token");
            let now: chrono::DateTime<chrono::Utc> = std::time::SystemTime::now().into();
            let expires = (now + lifetime).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let (status, body) = if authorized {
                (
                    "200 OK",
                    format!(
                        r#"{{"AccessKeyId":"{key}","SecretAccessKey":"{secret}","Token":"session","Expiration":"{expires}"}}"#
                    ),
                )
            } else {
                ("401 Unauthorized", r#"{"message":"no token"}"#.to_string())
            };
            let answer = format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = sock.write_all(answer.as_bytes()).await;
        }
    });
    (url, hits)
}

fn store(url: &str, token: &str) -> S3Store<ReqwestTransport> {
    let provider = AwsContainerCredentials::full(url, Some(Secret::new(token))).unwrap();
    // Refresh when less than 5 minutes are left.
    let cache = CredentialCache::refreshing(Box::new(provider), Duration::from_secs(300));
    let mut config = S3Config::custom(&env("PAILFS_S3S_ENDPOINT"), "us-east-1").unwrap();
    config.url_encoded_listing = false;
    S3Store::with_credentials(config, cache, ReqwestTransport::default(), Arc::new(SystemClock))
        .with_retry(pailfs::core::retry::RetryPolicy { max_attempts: 2, ..Default::default() })
}

#[tokio::test]
#[ignore = "needs s3s-fs: make test"]
async fn container_credentials_are_fetched_used_and_refreshed_before_they_expire() {
    // Valid 5 min 2 s: fresh for 2 s, then inside the refresh window.
    let (url, hits) = stub(env("PAILFS_S3S_KEY"), env("PAILFS_S3S_SECRET"), chrono::TimeDelta::seconds(302)).await;
    let s = store(&url, "pod-token");
    let bucket = format!("pailfs-creds-{}", std::process::id());
    s.create_bucket(&bucket).await.unwrap();
    s.put(&bucket, "k", Bytes::from_static(b"signed with fetched keys"), &Default::default()).await.unwrap();
    assert_eq!(&s.get(&bucket, "k", None).await.unwrap().data[..], b"signed with fetched keys");
    assert_eq!(hits.load(Ordering::SeqCst), 1, "fetched once while fresh");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    s.head(&bucket, "k").await.unwrap();
    assert_eq!(hits.load(Ordering::SeqCst), 2, "fetched again inside the refresh window");
    assert!(s.capabilities().presign);
    let url_get = s.presign(pailfs::core::http::Method::Get, &bucket, "k", Duration::from_secs(60)).await.unwrap().url;
    assert_eq!(reqwest::get(&url_get).await.unwrap().status(), 200, "a URL presigned with fetched keys works");
    s.delete_batch(&bucket, &["k".to_string()]).await.unwrap();
    s.delete_bucket(&bucket).await.unwrap();
}

#[tokio::test]
#[ignore = "needs s3s-fs: make test"]
async fn wrong_fetched_keys_and_a_refused_token_request_are_typed_errors() {
    // The endpoint hands out a secret s3s-fs does not know: the signature is refused.
    let (url, _) = stub(env("PAILFS_S3S_KEY"), "not-the-secret".into(), chrono::TimeDelta::hours(1)).await;
    let e = store(&url, "pod-token").list_buckets().await.unwrap_err();
    assert_eq!((e.kind, e.status), (pailfs::ErrorKind::PermissionDenied, Some(403)), "{e}");
    assert!(!format!("{e} {e:?}").contains("not-the-secret"));
    // The token endpoint refuses us: the error names the credential provider, not S3.
    let (url, hits) = stub(env("PAILFS_S3S_KEY"), env("PAILFS_S3S_SECRET"), chrono::TimeDelta::hours(1)).await;
    let e = store(&url, "wrong-pod-token").list_buckets().await.unwrap_err();
    assert_eq!(e.kind, pailfs::ErrorKind::PermissionDenied, "{e}");
    assert!(e.message.contains("credential provider"), "{e}");
    assert!(!format!("{e} {e:?}").contains("wrong-pod-token"), "{e:?}");
    assert!(hits.load(Ordering::SeqCst) >= 1);
}
