//! SigV4 header signing: pailfs against the `aws-sigv4` crate (the AWS SDK for Rust's signer),
//! same requests, same credentials, same time, in the same run.
//!   cargo bench --bench sign

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings, UriPathNormalizationMode, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use criterion::{Criterion, black_box, criterion_group, criterion_main};
use pailfs::core::creds::AwsCredentials;
use pailfs::core::http::{Method, Request};
use pailfs::core::sign::sigv4::{Payload, SignOptions, Signer, SigningParams};

const KEY: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const HOST: &str = "examplebucket.s3.us-east-1.amazonaws.com";
const PATH: &str = "/photos/2026/11/holiday%20photo%20%28final%29.jpg";
const PUT_HEADERS: [(&str, &str); 5] = [
    ("content-type", "image/jpeg"),
    ("x-amz-storage-class", "STANDARD_IA"),
    ("x-amz-meta-camera", "x100v"),
    ("x-amz-meta-owner", "someone@example.com"),
    ("x-amz-tagging", "project=pailfs&year=2026"),
];

fn when() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_764_000_000)
}

fn pailfs_request(put: bool) -> Request {
    let mut r = Request::new(if put { Method::Put } else { Method::Get }, "https", HOST, PATH);
    if put {
        for (k, v) in PUT_HEADERS {
            r.headers.set(k, v);
        }
    } else {
        r.headers.set("range", "bytes=0-1048575");
    }
    r
}

fn bench(c: &mut Criterion) {
    let creds = AwsCredentials::new(KEY, SECRET);
    let signer = Signer::new(SignOptions::S3);
    let params = SigningParams { credentials: &creds, region: "us-east-1", service: "s3", time: when().into() };
    let identity: Identity = Credentials::new(KEY, SECRET, None, None, "bench").into();
    // S3's rules on both sides: no path normalisation, single encoding, x-amz-content-sha256.
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let aws_params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("s3")
        .time(when())
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let url = format!("https://{HOST}{PATH}");

    for put in [false, true] {
        let name = if put { "PUT with 5 x-amz/meta headers" } else { "GET with Range" };
        let mut g = c.benchmark_group(format!("sigv4 header signing, {name}"));
        g.bench_function("pailfs", |b| {
            b.iter(|| {
                let mut r = pailfs_request(put);
                signer.sign(&mut r, &params, Payload::Unsigned).unwrap();
                black_box(r)
            })
        });
        g.bench_function("aws-sigv4", |b| {
            b.iter(|| {
                let mut headers: Vec<(&str, &str)> = vec![("host", HOST)];
                if put {
                    headers.extend(PUT_HEADERS);
                } else {
                    headers.push(("range", "bytes=0-1048575"));
                }
                let req = SignableRequest::new(
                    if put { "PUT" } else { "GET" },
                    &url,
                    headers.into_iter(),
                    SignableBody::UnsignedPayload,
                )
                .unwrap();
                black_box(sign(req, &aws_params).unwrap().into_parts())
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
