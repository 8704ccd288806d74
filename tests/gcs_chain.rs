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
fn check_jwt(jwt: &str, audience: &str, now: DateTime<Utc>) -> Value {
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
    assert_eq!(claims["iat"], now.timestamp());
    assert_eq!(claims["exp"], now.timestamp() + 3600);
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
    check_jwt(&form[1].1, "http://127.0.0.1:9/token", now);
    assert_eq!(e.credentials, Credentials::Bearer(Secret::new("ya29.sa")));
    assert_eq!(e.expires, Some(now + TimeDelta::seconds(120)));
    // A tampered signature does not verify: the check above can fail.
    let jwt = &form[1].1;
    let at = jwt.rfind('.').unwrap() + 10;
    let flipped = if &jwt[at..at + 1] == "A" { "B" } else { "A" };
    let jwt = format!("{}{flipped}{}", &jwt[..at], &jwt[at + 1..]);
    assert!(std::panic::catch_unwind(|| check_jwt(&jwt, "http://127.0.0.1:9/token", now)).is_err());
}
