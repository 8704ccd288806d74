//! SigV4 canonicalisation and signing of arbitrary requests, under both rule sets.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pailfs::core::creds::AwsCredentials;
use pailfs::core::http::{Method, Request};
use pailfs::core::sign::sigv4::{Payload, SignOptions, Signer, SigningParams, canonical_headers, canonical_query, canonical_uri};

fuzz_target!(|data: &[u8]| {
    // Lines: path, then query pairs and headers as `k=v` / `k:v`, then the body after a NUL.
    let (head, body) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split('\n');
    let path = format!("/{}", lines.next().unwrap_or(""));
    let mut req = Request::new(Method::Put, "https", "bucket.s3.amazonaws.com", path);
    for l in lines {
        if let Some((k, v)) = l.split_once('=') {
            req.query.push((k.to_string(), v.to_string()));
        } else if let Some((k, v)) = l.split_once(':') {
            req.headers.append(k.to_string(), v.to_string());
        }
    }
    req.body = body.to_vec().into();
    for opts in [SignOptions::S3, SignOptions::DEFAULT] {
        let _ = canonical_uri(&req.path, &opts);
        let _ = canonical_query(&req.query);
        let _ = canonical_headers(&req.headers, &req.host);
        let creds = AwsCredentials::new("AKID", "secret");
        let time = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let params = SigningParams { credentials: &creds, region: "us-east-1", service: "s3", time };
        let signer = Signer::new(opts);
        let _ = signer.sign(&mut req.clone(), &params, Payload::Signed(&req.body));
        let _ = signer.presign(&mut req.clone(), &params, std::time::Duration::from_secs(60), Payload::Unsigned);
    }
});
