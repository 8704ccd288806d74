//! End-to-end checksums against s3s-fs, which verifies `x-amz-checksum-crc32c` on PutObject
//! and returns it on GetObject (moto ignores both, so it cannot prove anything here).
//! `#[ignore]`d: `make test` starts s3s-fs.

use bytes::Bytes;
use pailfs::ErrorKind;
use pailfs::core::creds::AwsCredentials;
use pailfs::core::http::{Request, Response};
use pailfs::core::s3::{self, S3Config};
use pailfs::core::sign::sigv4::{Payload, SignOptions, Signer, SigningParams};
use pailfs::transport::native::{ReqwestTransport, SystemClock};
use pailfs::transport::{Clock, Transport};

fn env(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is not set: start the servers with scripts/servers.sh (make test does)"))
}

struct Client {
    cfg: S3Config,
    creds: AwsCredentials,
    signer: Signer,
    transport: ReqwestTransport,
}

impl Client {
    async fn send(&self, mut req: Request) -> Response {
        let params = SigningParams { credentials: &self.creds, region: "us-east-1", service: "s3", time: SystemClock.now() };
        let body = req.body.clone();
        self.signer.sign(&mut req, &params, Payload::Signed(&body)).unwrap();
        self.transport.send(req).await.unwrap()
    }
}

#[tokio::test]
#[ignore = "needs s3s-fs: make test"]
async fn crc32c_is_sent_checked_and_verified() {
    let c = Client {
        cfg: S3Config::custom(&env("PAILFS_S3S_ENDPOINT"), "us-east-1").unwrap(),
        creds: AwsCredentials::new(env("PAILFS_S3S_KEY"), env("PAILFS_S3S_SECRET")),
        signer: Signer::new(SignOptions::S3),
        transport: ReqwestTransport::default(),
    };
    let bucket = format!("pailfs-crc-{}", std::process::id());
    assert!(c.send(s3::create_bucket(&c.cfg, &bucket).unwrap()).await.is_success());

    // A body that does not match its declared checksum is refused, as a typed error.
    let mut bad = s3::put_object(&c.cfg, &bucket, "k", Bytes::from_static(b"hello"), &Default::default()).unwrap();
    bad.headers.set("x-amz-checksum-crc32c", s3::crc32c_base64(b"jello"));
    let resp = c.send(bad).await;
    let err = s3::parse_error(&resp);
    assert_eq!((err.kind, err.code.as_deref()), (ErrorKind::InvalidInput, Some("BadDigest")), "{err:?}");

    // The builder's own checksum is accepted, stored, and returned on read, where the parser
    // verifies it (and would refuse a body that does not match).
    let resp = c.send(s3::put_object(&c.cfg, &bucket, "k", Bytes::from_static(b"hello"), &Default::default()).unwrap()).await;
    assert!(resp.is_success(), "{}", String::from_utf8_lossy(&resp.body));
    let mut resp = c.send(s3::get_object(&c.cfg, &bucket, "k", None, None).unwrap()).await;
    assert_eq!(resp.headers.get("x-amz-checksum-crc32c"), Some(s3::crc32c_base64(b"hello").as_str()));
    assert_eq!(&s3::parse_get_object("k", &resp).unwrap().1[..], b"hello");
    resp.body = Bytes::from_static(b"hellO");
    assert_eq!(s3::parse_get_object("k", &resp).unwrap_err().kind, ErrorKind::Integrity);

    for req in [s3::delete_object(&c.cfg, &bucket, "k").unwrap(), s3::delete_bucket(&c.cfg, &bucket).unwrap()] {
        assert!(c.send(req).await.is_success());
    }
}
