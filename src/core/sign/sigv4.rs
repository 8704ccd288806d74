//! AWS Signature Version 4: header (`Authorization`) and query (presigned URL) modes, plus
//! the chunk and POST-policy signatures that share its signing key.
//!
//! Two rule sets exist. Generic AWS services normalise the path (`/a/../b` → `/b`) and encode
//! it once more for the canonical request. S3 does neither: an S3 key may hold `..` or `//`,
//! and the canonical URI must be the wire path exactly. [`SignOptions::S3`] and
//! [`SignOptions::DEFAULT`] name the two.

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::{hex, hmac_sha256};
use crate::core::creds::AwsCredentials;
use crate::core::error::{Error, Result};
use crate::core::http::{Headers, Request, encode_unreserved};

pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// Longest presigned URL lifetime AWS accepts: 7 days.
pub const MAX_EXPIRES: Duration = Duration::from_secs(7 * 24 * 3600);

/// What the payload-hash line of the canonical request says about the body.
#[derive(Clone, Copy, Debug)]
pub enum Payload<'a> {
    /// Hash these bytes (the body).
    Signed(&'a [u8]),
    /// `UNSIGNED-PAYLOAD`: the body is not covered (TLS protects it; presigned URLs).
    Unsigned,
    /// A hash (or a `STREAMING-...` token) computed elsewhere.
    Precomputed(&'a str),
}

impl Payload<'_> {
    pub fn hash(&self) -> String {
        match self {
            Payload::Signed(b) => hex(&Sha256::digest(b)),
            Payload::Unsigned => UNSIGNED_PAYLOAD.to_string(),
            Payload::Precomputed(h) => h.to_string(),
        }
    }
}

pub struct SigningParams<'a> {
    pub credentials: &'a AwsCredentials,
    pub region: &'a str,
    pub service: &'a str,
    pub time: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignOptions {
    /// Resolve `.`/`..` segments and collapse `//` before signing (never for S3).
    pub normalize_path: bool,
    /// Percent-encode the (wire) path once more for the canonical URI (never for S3).
    pub double_encode_path: bool,
    /// Send the payload hash as `x-amz-content-sha256` (S3 requires it).
    pub content_sha256_header: bool,
    /// Add the session token after signing instead of signing it (a few services want this).
    pub omit_session_token: bool,
}

impl SignOptions {
    pub const S3: SignOptions =
        SignOptions { normalize_path: false, double_encode_path: false, content_sha256_header: true, omit_session_token: false };
    pub const DEFAULT: SignOptions =
        SignOptions { normalize_path: true, double_encode_path: true, content_sha256_header: false, omit_session_token: false };
}

/// The intermediate texts of one signature, for tests and debugging. Debug shows none of
/// them: the canonical request can contain a session token, and a signature is a bearer
/// credential for as long as its request (or presigned URL) is valid.
#[derive(Clone, PartialEq, Eq)]
pub struct Signature {
    pub canonical_request: String,
    pub string_to_sign: String,
    pub signature: String,
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signature").field("signature", &"<redacted>").finish_non_exhaustive()
    }
}

/// A cached signing key and what it was derived from. The secret is kept as a `Secret`
/// (never printed); the store that owns the signer holds it anyway.
struct CachedKey {
    secret: crate::core::creds::Secret,
    date: String,
    region: String,
    service: String,
    key: [u8; 32],
}

/// Signs requests under one set of rules, caching derived signing keys: deriving one costs
/// four HMACs, and a key is valid for a whole day per (secret, region, service).
pub struct Signer {
    opts: SignOptions,
    keys: Mutex<Vec<CachedKey>>,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer").field("opts", &self.opts).finish_non_exhaustive()
    }
}

/// Headers a proxy or HTTP stack may add or rewrite: signing them would break the signature.
pub fn is_unsigned_header(lower_name: &str) -> bool {
    matches!(lower_name, "authorization" | "user-agent" | "x-amzn-trace-id" | "expect" | "transfer-encoding" | "connection")
}

impl Signer {
    pub fn new(opts: SignOptions) -> Self {
        Signer { opts, keys: Mutex::new(Vec::new()) }
    }

    pub fn options(&self) -> SignOptions {
        self.opts
    }

    /// The day's signing key, derived once and cached. A lookup allocates nothing.
    pub fn key(&self, secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(k) =
            keys.iter().find(|k| k.date == date && k.region == region && k.service == service && k.secret.expose() == secret)
        {
            return k.key;
        }
        // Keys of past days are useless; keep the cache small.
        if keys.len() >= 16 {
            keys.clear();
        }
        let key = signing_key(secret, date, region, service);
        keys.push(CachedKey { secret: secret.into(), date: date.into(), region: region.into(), service: service.into(), key });
        key
    }

    /// Number of cached keys (to observe the cache in tests).
    pub fn cached_keys(&self) -> usize {
        self.keys.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Header mode: sets `X-Amz-Date`, the session token, `x-amz-content-sha256` (per the
    /// options) and `Authorization`. Every other header on the request is signed, plus `host`.
    pub fn sign(&self, req: &mut Request, p: &SigningParams, payload: Payload) -> Result<Signature> {
        let (datetime, date) = stamp(p.time);
        let scope = scope(&date, p.region, p.service);
        req.headers.remove("authorization");
        req.headers.set("X-Amz-Date", datetime.clone());
        let token = p.credentials.session_token.as_ref().map(|t| t.expose().to_string());
        if let Some(t) = &token
            && !self.opts.omit_session_token
        {
            req.headers.set("X-Amz-Security-Token", t.clone());
        }
        let payload_hash = payload.hash();
        if self.opts.content_sha256_header {
            req.headers.set("x-amz-content-sha256", payload_hash.clone());
        }
        let (canon_headers, signed) = canonical_headers(&req.headers, &req.host)?;
        let sig = self.finish(req, &canon_headers, &signed, &payload_hash, (&datetime, &date, &scope), p);
        req.headers.set(
            "Authorization",
            format!(
                "{ALGORITHM} Credential={}/{scope}, SignedHeaders={signed}, Signature={}",
                p.credentials.access_key_id, sig.signature
            ),
        );
        if let Some(t) = token
            && self.opts.omit_session_token
        {
            req.headers.set("X-Amz-Security-Token", t);
        }
        Ok(sig)
    }

    /// Query mode (a presigned URL): appends the `X-Amz-*` parameters and the signature to
    /// `req.query`. The headers on the request (and `host`) are signed, so whoever uses the
    /// URL must send them too.
    pub fn presign(&self, req: &mut Request, p: &SigningParams, expires: Duration, payload: Payload) -> Result<Signature> {
        if expires.is_zero() || expires > MAX_EXPIRES {
            return Err(Error::invalid_input(format!(
                "a presigned URL lives between 1 second and 7 days; {} s asked",
                expires.as_secs()
            )));
        }
        let (datetime, date) = stamp(p.time);
        let scope = scope(&date, p.region, p.service);
        let (canon_headers, signed) = canonical_headers(&req.headers, &req.host)?;
        let token = p.credentials.session_token.as_ref().map(|t| t.expose().to_string());
        req.query.push(("X-Amz-Algorithm".into(), ALGORITHM.into()));
        req.query.push(("X-Amz-Credential".into(), format!("{}/{scope}", p.credentials.access_key_id)));
        req.query.push(("X-Amz-Date".into(), datetime.clone()));
        req.query.push(("X-Amz-Expires".into(), expires.as_secs().to_string()));
        if let Some(t) = &token
            && !self.opts.omit_session_token
        {
            req.query.push(("X-Amz-Security-Token".into(), t.clone()));
        }
        req.query.push(("X-Amz-SignedHeaders".into(), signed.clone()));
        let sig = self.finish(req, &canon_headers, &signed, &payload.hash(), (&datetime, &date, &scope), p);
        if let Some(t) = token
            && self.opts.omit_session_token
        {
            req.query.push(("X-Amz-Security-Token".into(), t));
        }
        req.query.push(("X-Amz-Signature".into(), sig.signature.clone()));
        Ok(sig)
    }

    /// Signature of a browser POST policy: the base64 policy text is the string to sign.
    pub fn sign_policy(&self, policy_b64: &str, p: &SigningParams) -> String {
        let (_, date) = stamp(p.time);
        let key = self.key(p.credentials.secret_access_key.expose(), &date, p.region, p.service);
        hex(&hmac_sha256(&key, policy_b64.as_bytes()))
    }

    /// Canonical request, string to sign and signature of `req` as it stands.
    fn finish(
        &self,
        req: &Request,
        canon_headers: &str,
        signed: &str,
        payload_hash: &str,
        (datetime, date, scope): (&str, &str, &str),
        p: &SigningParams,
    ) -> Signature {
        let creq = canonical_request(
            req.method.as_str(),
            &canonical_uri(&req.path, &self.opts),
            &canonical_query(&req.query),
            canon_headers,
            signed,
            payload_hash,
        );
        let sts = string_to_sign(datetime, scope, &creq);
        let key = self.key(p.credentials.secret_access_key.expose(), date, p.region, p.service);
        let signature = hex(&hmac_sha256(&key, sts.as_bytes()));
        Signature { canonical_request: creq, string_to_sign: sts, signature }
    }
}

/// Signatures of an `aws-chunked` body (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`):
/// each chunk's signature chains on the previous one, starting from the seed request's.
pub struct ChunkSigner {
    key: [u8; 32],
    datetime: String,
    scope: String,
    previous: String,
}

impl fmt::Debug for ChunkSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkSigner").field("scope", &self.scope).field("previous", &self.previous).finish_non_exhaustive()
    }
}

impl ChunkSigner {
    /// Continue from the seed request's signature, with the same parameters it was signed with.
    pub fn new(signer: &Signer, p: &SigningParams, seed_signature: &str) -> Self {
        let (datetime, date) = stamp(p.time);
        let key = signer.key(p.credentials.secret_access_key.expose(), &date, p.region, p.service);
        ChunkSigner { key, scope: scope(&date, p.region, p.service), datetime, previous: seed_signature.to_string() }
    }

    pub fn chunk_string_to_sign(&self, data: &[u8]) -> String {
        format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{}\n{}\n{}\n{}",
            self.datetime,
            self.scope,
            self.previous,
            hex(&Sha256::digest(b"")),
            hex(&Sha256::digest(data))
        )
    }

    /// Sign the next chunk (the last one is empty).
    pub fn sign_chunk(&mut self, data: &[u8]) -> String {
        let sig = hex(&hmac_sha256(&self.key, self.chunk_string_to_sign(data).as_bytes()));
        self.previous = sig.clone();
        sig
    }

    /// Sign the trailing headers after the final chunk (`name:value` lines, LF-terminated).
    pub fn sign_trailer(&mut self, trailer: &[(&str, &str)]) -> (String, String) {
        let canonical: String = trailer.iter().map(|(k, v)| format!("{}:{}\n", k.to_ascii_lowercase(), v.trim())).collect();
        let sts = format!(
            "AWS4-HMAC-SHA256-TRAILER\n{}\n{}\n{}\n{}",
            self.datetime,
            self.scope,
            self.previous,
            hex(&Sha256::digest(canonical.as_bytes()))
        );
        let sig = hex(&hmac_sha256(&self.key, sts.as_bytes()));
        self.previous = sig.clone();
        (sts, sig)
    }
}

/// `(YYYYMMDDTHHMMSSZ, YYYYMMDD)`
fn stamp(t: DateTime<Utc>) -> (String, String) {
    use chrono::{Datelike, Timelike};
    // By hand: chrono's format machinery costs more than the rest of a signature's text.
    let date = format!("{:04}{:02}{:02}", t.year(), t.month(), t.day());
    let datetime = format!("{date}T{:02}{:02}{:02}Z", t.hour(), t.minute(), t.second());
    (datetime, date)
}

pub fn scope(date: &str, region: &str, service: &str) -> String {
    format!("{date}/{region}/{service}/aws4_request")
}

/// `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac_sha256(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, b"aws4_request")
}

pub fn string_to_sign(datetime: &str, scope: &str, canonical_request: &str) -> String {
    format!("{ALGORITHM}\n{datetime}\n{scope}\n{}", hex(&Sha256::digest(canonical_request.as_bytes())))
}

pub fn canonical_request(method: &str, uri: &str, query: &str, headers: &str, signed: &str, payload_hash: &str) -> String {
    format!("{method}\n{uri}\n{query}\n{headers}\n{signed}\n{payload_hash}")
}

/// The canonical URI of a wire path under `opts`.
pub fn canonical_uri(path: &str, opts: &SignOptions) -> String {
    let path = if path.is_empty() { "/" } else { path };
    let normalized;
    let path = if opts.normalize_path {
        normalized = normalize(path);
        normalized.as_str()
    } else {
        path
    };
    if !opts.double_encode_path {
        return path.to_string();
    }
    path.split('/').map(encode_unreserved).collect::<Vec<_>>().join("/")
}

/// RFC 3986 dot-segment removal, with empty segments dropped (`//` → `/`).
fn normalize(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    let dir_like = path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..");
    let mut s = format!("/{}", out.join("/"));
    if dir_like && !out.is_empty() {
        s.push('/');
    }
    s
}

/// Query parameters encoded and sorted by key, then value; a bare key signs as `key=`.
pub fn canonical_query(query: &[(String, String)]) -> String {
    let mut pairs: Vec<(String, String)> = query.iter().map(|(k, v)| (encode_unreserved(k), encode_unreserved(v))).collect();
    pairs.sort();
    pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

/// `(canonical header block, signed header list)`. Names lower-cased and sorted, values
/// trimmed with inner runs of spaces collapsed, repeated headers joined with `,`. `host` comes
/// from the request when no Host header is set (transports add it themselves).
pub fn canonical_headers(headers: &Headers, host: &str) -> Result<(String, String)> {
    let mut list: Vec<(String, &str)> = Vec::with_capacity(headers.len() + 1);
    for (k, v) in headers.iter() {
        let name = k.to_ascii_lowercase();
        if is_unsigned_header(&name) {
            continue;
        }
        if v.contains(['\r', '\n']) {
            return Err(Error::invalid_input(format!("header {name} contains a line break")));
        }
        list.push((name, v));
    }
    if !list.iter().any(|(k, _)| k == "host") {
        list.push(("host".to_string(), host));
    }
    // Stable: repeated headers keep their order.
    list.sort_by(|a, b| a.0.cmp(&b.0));
    let mut block = String::with_capacity(256);
    let mut signed = String::with_capacity(128);
    for (i, (name, value)) in list.iter().enumerate() {
        let repeat = i > 0 && list[i - 1].0 == *name;
        if repeat {
            block.pop(); // the newline: values of one header are joined by `,`
            block.push(',');
        } else {
            if i > 0 {
                signed.push(';');
            }
            signed.push_str(name);
            block.push_str(name);
            block.push(':');
        }
        push_trimmed(&mut block, value);
        block.push('\n');
    }
    Ok((block, signed))
}

/// Append `value` trimmed, with inner runs of whitespace collapsed to one space.
fn push_trimmed(out: &mut String, value: &str) {
    let value = value.trim();
    if !value.contains("  ") && !value.contains(['\t']) {
        out.push_str(value);
        return;
    }
    for (i, word) in value.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(word);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::http::Method;

    fn creds() -> AwsCredentials {
        AwsCredentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    }

    fn time() -> DateTime<Utc> {
        "2015-08-30T12:36:00Z".parse().unwrap()
    }

    #[test]
    fn key_cache_is_per_secret_day_region_service() {
        let s = Signer::new(SignOptions::S3);
        let c = creds();
        let p = SigningParams { credentials: &c, region: "us-east-1", service: "s3", time: time() };
        for _ in 0..3 {
            s.sign(&mut Request::new(Method::Get, "https", "b.s3.amazonaws.com", "/k"), &p, Payload::Unsigned).unwrap();
        }
        assert_eq!(s.cached_keys(), 1);
        let p2 = SigningParams { region: "eu-west-1", ..p };
        s.sign(&mut Request::new(Method::Get, "https", "b.s3.amazonaws.com", "/k"), &p2, Payload::Unsigned).unwrap();
        assert_eq!(s.cached_keys(), 2);
        assert_eq!(
            s.key(c.secret_access_key.expose(), "20150830", "us-east-1", "s3"),
            signing_key(c.secret_access_key.expose(), "20150830", "us-east-1", "s3")
        );
    }

    #[test]
    fn secrets_stay_out_of_debug() {
        let mut c = creds();
        c.session_token = Some("token-secret-value".into());
        let s = Signer::new(SignOptions::S3);
        let p = SigningParams { credentials: &c, region: "us-east-1", service: "s3", time: time() };
        let mut req = Request::new(Method::Get, "https", "b.s3.amazonaws.com", "/k");
        let sig = s.sign(&mut req, &p, Payload::Unsigned).unwrap();
        let shown = format!("{req:?} {sig:?} {s:?}");
        assert!(!shown.contains("token-secret-value") && !shown.contains("EXAMPLEKEY"), "{shown}");
        let mut req = Request::new(Method::Get, "https", "b.s3.amazonaws.com", "/k");
        s.presign(&mut req, &p, Duration::from_secs(60), Payload::Unsigned).unwrap();
        assert!(!format!("{req:?}").contains("token-secret-value"));
    }

    #[test]
    fn s3_paths_are_signed_verbatim() {
        assert_eq!(canonical_uri("/a/../b//c%20d", &SignOptions::S3), "/a/../b//c%20d");
        assert_eq!(canonical_uri("/a/../b//c d", &SignOptions::DEFAULT), "/b/c%20d");
        assert_eq!(canonical_uri("/a/./", &SignOptions::DEFAULT), "/a/");
        assert_eq!(canonical_uri("/a/b/../..", &SignOptions::DEFAULT), "/");
    }

    #[test]
    fn expiry_limits() {
        let c = creds();
        let s = Signer::new(SignOptions::S3);
        let p = SigningParams { credentials: &c, region: "us-east-1", service: "s3", time: time() };
        let mut req = Request::new(Method::Get, "https", "h", "/k");
        assert!(s.presign(&mut req, &p, Duration::from_secs(604_801), Payload::Unsigned).is_err());
        assert!(s.presign(&mut req, &p, Duration::ZERO, Payload::Unsigned).is_err());
        assert!(s.presign(&mut req, &p, MAX_EXPIRES, Payload::Unsigned).is_ok());
    }
}
