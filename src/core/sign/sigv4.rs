//! The SigV4 family: AWS Signature Version 4 and its GCS twin (`GOOG4-HMAC-SHA256`, and
//! `GOOG4-RSA-SHA256` for service accounts), in header (`Authorization`) and query (presigned
//! URL) modes, plus the chunk and POST-policy signatures that share the AWS signing key.
//!
//! One engine serves every member: a [`Family`] supplies the names (algorithm, key seed, scope
//! terminator, `X-Amz-`/`X-Goog-` prefix). [`prepare_headers`] and [`prepare_query`] build the
//! canonical request and string to sign; [`Signer`] finishes them with a cached HMAC key, and
//! `gcs` with an RSA key.
//!
//! Two rule sets exist for the path. Generic AWS services normalise it (`/a/../b` → `/b`) and
//! encode it once more for the canonical request. S3 (and GCS) do neither: a key may hold `..`
//! or `//`, and the canonical URI must be the wire path exactly. [`SignOptions::S3`] and
//! [`SignOptions::DEFAULT`] name the two.

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::{hex, hmac_sha256};
use crate::core::creds::{AwsCredentials, Secret};
use crate::core::error::{Error, Result};
use crate::core::http::{Headers, Request, encode_unreserved};

/// The names that tell members of the family apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Family {
    /// First word of `Authorization`, first line of the string to sign, `<prefix>Algorithm`.
    pub algorithm: &'static str,
    /// Prepended to the secret to seed the key chain.
    pub key_prefix: &'static str,
    /// Last element of the credential scope.
    pub terminator: &'static str,
    /// Prefix of the query parameters (`<prefix>Signature`, ...).
    pub prefix: &'static str,
    // The headers, spelled out: header signing is hot and these would otherwise be built per call.
    /// The date header (and query parameter).
    pub date: &'static str,
    pub security_token: &'static str,
    pub content_sha256: &'static str,
}

pub const AWS4: Family = Family {
    algorithm: "AWS4-HMAC-SHA256",
    key_prefix: "AWS4",
    terminator: "aws4_request",
    prefix: "X-Amz-",
    date: "X-Amz-Date",
    security_token: "X-Amz-Security-Token",
    content_sha256: "x-amz-content-sha256",
};
/// GCS XML API with an HMAC key.
pub const GOOG4_HMAC: Family = Family {
    algorithm: "GOOG4-HMAC-SHA256",
    key_prefix: "GOOG4",
    terminator: "goog4_request",
    prefix: "X-Goog-",
    date: "X-Goog-Date",
    security_token: "X-Goog-Security-Token",
    content_sha256: "x-goog-content-sha256",
};
/// GCS with a service account: GOOG4's names, the string to sign signed with RSA instead of a
/// derived key (so `key_prefix` is unused).
pub const GOOG4_RSA: Family = Family { algorithm: "GOOG4-RSA-SHA256", ..GOOG4_HMAC };

pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// Longest presigned URL lifetime AWS (and GCS) accept: 7 days.
pub const MAX_EXPIRES: Duration = Duration::from_secs(7 * 24 * 3600);

impl Family {
    /// `<date>/<region>/<service>/<terminator>`.
    pub fn scope(&self, date: &str, region: &str, service: &str) -> String {
        format!("{date}/{region}/{service}/{}", self.terminator)
    }

    /// `HMAC(HMAC(HMAC(HMAC(key_prefix + secret, date), region), service), terminator)`
    pub fn signing_key(&self, secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
        let k_date = hmac_sha256(format!("{}{secret}", self.key_prefix).as_bytes(), date.as_bytes());
        let k_region = hmac_sha256(&k_date, region.as_bytes());
        let k_service = hmac_sha256(&k_region, service.as_bytes());
        hmac_sha256(&k_service, self.terminator.as_bytes())
    }

    /// `ALGORITHM \n YYYYMMDDTHHMMSSZ \n scope \n hex(sha256(canonical request))`.
    pub fn string_to_sign(&self, datetime: &str, scope: &str, canonical_request: &str) -> String {
        format!("{}\n{datetime}\n{scope}\n{}", self.algorithm, hex(&Sha256::digest(canonical_request.as_bytes())))
    }

    /// A query parameter of the family: `name("Signature")` is `X-Amz-Signature` for AWS.
    pub fn name(&self, suffix: &str) -> String {
        format!("{}{suffix}", self.prefix)
    }

    /// A query parameter that query signing sets (any case).
    pub fn is_signer_parameter(&self, name: &str) -> bool {
        const SET_BY_SIGNER: [&str; 7] =
            ["algorithm", "credential", "date", "expires", "signedheaders", "signature", "security-token"];
        name.get(..self.prefix.len()).is_some_and(|p| p.eq_ignore_ascii_case(self.prefix))
            && SET_BY_SIGNER.iter().any(|s| name[self.prefix.len()..].eq_ignore_ascii_case(s))
    }
}

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

/// AWS credentials, scope and time: the AWS4 [`Context`] plus the secret.
pub struct SigningParams<'a> {
    pub credentials: &'a AwsCredentials,
    pub region: &'a str,
    pub service: &'a str,
    pub time: DateTime<Utc>,
}

impl<'a> SigningParams<'a> {
    pub fn context(&self) -> Context<'a> {
        Context {
            family: AWS4,
            access_key_id: &self.credentials.access_key_id,
            session_token: self.credentials.session_token.as_ref(),
            region: self.region,
            service: self.service,
            time: self.time,
        }
    }
}

/// What a signature covers besides the request: the family, the key's id and session token,
/// the scope and the time. No secret: an RSA signature is computed from the same context.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    pub family: Family,
    pub access_key_id: &'a str,
    pub session_token: Option<&'a Secret>,
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
    /// Send the payload hash as `<prefix>Content-Sha256` (S3 and GCS require it in header mode).
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

/// A canonical request and its string to sign, waiting for a key.
#[derive(Clone, PartialEq, Eq)]
pub struct Prepared {
    pub canonical_request: String,
    pub string_to_sign: String,
    /// `SignedHeaders`: lower-case names joined with `;`.
    pub signed_headers: String,
    pub scope: String,
    /// `YYYYMMDD`, the day the signing key is derived for.
    pub date: String,
}

impl Prepared {
    pub fn signed(self, signature: String) -> Signature {
        Signature { canonical_request: self.canonical_request, string_to_sign: self.string_to_sign, signature }
    }
}

/// The canonical request can hold a session token or a customer encryption key.
impl fmt::Debug for Prepared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prepared")
            .field("scope", &self.scope)
            .field("signed_headers", &self.signed_headers)
            .finish_non_exhaustive()
    }
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

/// Headers a proxy or HTTP stack may add, drop or rewrite (hop-by-hop ones among them):
/// signing them would break the signature. The one list for every member of the family.
pub fn is_unsigned_header(lower_name: &str) -> bool {
    matches!(
        lower_name,
        "authorization"
            | "user-agent"
            | "x-amzn-trace-id"
            | "expect"
            | "connection"
            | "keep-alive"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "accept-encoding"
            | "proxy-authorization"
            | "proxy-connection"
    )
}

/// Header mode up to the signature: sets `<prefix>Date`, the session token (unless the
/// options omit it) and, per the options, `<prefix>Content-Sha256`. Every other header on the
/// request is signed (but [`is_unsigned_header`]s), plus `host`. Signing again replaces what
/// an earlier signing set.
pub fn prepare_headers(req: &mut Request, cx: &Context, opts: &SignOptions, payload: Payload) -> Result<Prepared> {
    check_context(cx)?;
    let f = &cx.family;
    let time = stamp(cx.time);
    req.headers.remove("authorization");
    req.headers.set(f.date, time.0.clone());
    // A token left by an earlier attempt must not be signed again when this one has none
    // (or adds it after signing).
    req.headers.remove(f.security_token);
    if let Some(t) = cx.session_token
        && !opts.omit_session_token
    {
        req.headers.set(f.security_token, t.expose());
    }
    let payload_hash = payload.hash();
    if opts.content_sha256_header {
        req.headers.set(f.content_sha256, payload_hash.clone());
    }
    let (headers, signed) = canonical_headers(&req.headers, &req.host)?;
    Ok(finish(req, cx, opts, (&headers, signed), &payload_hash, time))
}

/// Query mode up to the signature: appends `<prefix>Algorithm`, `Credential`, `Date`,
/// `Expires`, the session token (unless the options omit it) and `SignedHeaders` to
/// `req.query`. The headers on the request (and `host`) are signed, so whoever uses the URL
/// must send them too.
pub fn prepare_query(
    req: &mut Request,
    cx: &Context,
    opts: &SignOptions,
    expires: Duration,
    payload: Payload,
) -> Result<Prepared> {
    if expires.is_zero() || expires > MAX_EXPIRES {
        return Err(Error::invalid_input(format!(
            "a presigned URL lives between 1 second and 7 days; {} s asked",
            expires.as_secs()
        )));
    }
    check_context(cx)?;
    let f = &cx.family;
    if let Some((k, _)) = req.query.iter().find(|(k, _)| f.is_signer_parameter(k)) {
        return Err(Error::invalid_input(format!("query parameter {k} is set by the signer")));
    }
    let time = stamp(cx.time);
    let scope = f.scope(&time.1, cx.region, cx.service);
    let (headers, signed) = canonical_headers(&req.headers, &req.host)?;
    req.query.push((f.name("Algorithm"), f.algorithm.into()));
    req.query.push((f.name("Credential"), format!("{}/{scope}", cx.access_key_id)));
    req.query.push((f.date.into(), time.0.clone()));
    req.query.push((f.name("Expires"), expires.as_secs().to_string()));
    if let Some(t) = cx.session_token
        && !opts.omit_session_token
    {
        req.query.push((f.security_token.into(), t.expose().into()));
    }
    req.query.push((f.name("SignedHeaders"), signed.clone()));
    Ok(finish(req, cx, opts, (&headers, signed), &payload.hash(), time))
}

/// Canonical request and string to sign of `req` as it stands, from the canonical headers (block,
/// signed list) and the `(datetime, date)` stamp both modes computed.
fn finish(
    req: &Request,
    cx: &Context,
    opts: &SignOptions,
    (canon_headers, signed_headers): (&str, String),
    payload_hash: &str,
    (datetime, date): (String, String),
) -> Prepared {
    let canonical_request = canonical_request(
        req.method.as_str(),
        &canonical_uri(&req.path, opts),
        &canonical_query(&req.query),
        canon_headers,
        &signed_headers,
        payload_hash,
    );
    let scope = cx.family.scope(&date, cx.region, cx.service);
    let string_to_sign = cx.family.string_to_sign(&datetime, &scope, &canonical_request);
    Prepared { canonical_request, string_to_sign, signed_headers, scope, date }
}

/// The id, region and service land in `Authorization` and in the credential scope: none may
/// break either.
fn check_context(cx: &Context) -> Result<()> {
    let bad = |s: &str| s.is_empty() || s.contains(['/', ',', ' ', '\t', '\r', '\n']);
    if bad(cx.access_key_id) {
        return Err(Error::invalid_input("invalid access key id (empty, or holds '/', ',', whitespace)"));
    }
    if bad(cx.region) || bad(cx.service) {
        return Err(Error::invalid_input(format!("invalid scope {:?}/{:?}", cx.region, cx.service)));
    }
    Ok(())
}

/// A cached signing key and what it was derived from. The secret is kept as a `Secret`
/// (never printed); the store that owns the signer holds it anyway.
struct CachedKey {
    key_prefix: &'static str,
    secret: Secret,
    date: String,
    region: String,
    service: String,
    key: [u8; 32],
}

/// Signs requests under one set of rules, caching derived signing keys: deriving one costs
/// four HMACs, and a key is valid for a whole day per (family, secret, region, service).
pub struct Signer {
    opts: SignOptions,
    keys: Mutex<Vec<CachedKey>>,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer").field("opts", &self.opts).finish_non_exhaustive()
    }
}

impl Signer {
    pub fn new(opts: SignOptions) -> Self {
        Signer { opts, keys: Mutex::new(Vec::new()) }
    }

    pub fn options(&self) -> SignOptions {
        self.opts
    }

    /// The day's signing key, derived once and cached. A lookup allocates nothing.
    pub fn key(&self, family: &Family, secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(k) = keys.iter().find(|k| {
            k.date == date
                && k.region == region
                && k.service == service
                && k.key_prefix == family.key_prefix
                && k.secret.expose() == secret
        }) {
            return k.key;
        }
        // Keys of past days are useless; keep the cache small.
        if keys.len() >= 16 {
            keys.clear();
        }
        let key = family.signing_key(secret, date, region, service);
        keys.push(CachedKey {
            key_prefix: family.key_prefix,
            secret: secret.into(),
            date: date.into(),
            region: region.into(),
            service: service.into(),
            key,
        });
        key
    }

    /// Number of cached keys (to observe the cache in tests).
    pub fn cached_keys(&self) -> usize {
        self.keys.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// AWS header mode: [`Signer::sign_with`] with AWS credentials.
    pub fn sign(&self, req: &mut Request, p: &SigningParams, payload: Payload) -> Result<Signature> {
        self.sign_with(req, &p.context(), &p.credentials.secret_access_key, payload)
    }

    /// AWS query mode: [`Signer::presign_with`] with AWS credentials.
    pub fn presign(&self, req: &mut Request, p: &SigningParams, expires: Duration, payload: Payload) -> Result<Signature> {
        self.presign_with(req, &p.context(), &p.credentials.secret_access_key, expires, payload)
    }

    /// Header mode ([`prepare_headers`]), then `Authorization`.
    pub fn sign_with(&self, req: &mut Request, cx: &Context, secret: &Secret, payload: Payload) -> Result<Signature> {
        let prepared = prepare_headers(req, cx, &self.opts, payload)?;
        let signature = self.hmac_hex(cx, secret, &prepared);
        req.headers.set(
            "Authorization",
            format!(
                "{} Credential={}/{}, SignedHeaders={}, Signature={signature}",
                cx.family.algorithm, cx.access_key_id, prepared.scope, prepared.signed_headers
            ),
        );
        if let Some(t) = cx.session_token
            && self.opts.omit_session_token
        {
            req.headers.set(cx.family.security_token, t.expose());
        }
        Ok(prepared.signed(signature))
    }

    /// Query mode ([`prepare_query`]), then `<prefix>Signature` appended to the query.
    pub fn presign_with(
        &self,
        req: &mut Request,
        cx: &Context,
        secret: &Secret,
        expires: Duration,
        payload: Payload,
    ) -> Result<Signature> {
        let prepared = prepare_query(req, cx, &self.opts, expires, payload)?;
        let signature = self.hmac_hex(cx, secret, &prepared);
        if let Some(t) = cx.session_token
            && self.opts.omit_session_token
        {
            req.query.push((cx.family.security_token.into(), t.expose().into()));
        }
        req.query.push((cx.family.name("Signature"), signature.clone()));
        Ok(prepared.signed(signature))
    }

    /// Signature of an S3 browser POST policy: the base64 policy text is the string to sign.
    pub fn sign_policy(&self, policy_b64: &str, p: &SigningParams) -> String {
        let (_, date) = stamp(p.time);
        let key = self.key(&AWS4, p.credentials.secret_access_key.expose(), &date, p.region, p.service);
        hex(&hmac_sha256(&key, policy_b64.as_bytes()))
    }

    fn hmac_hex(&self, cx: &Context, secret: &Secret, prepared: &Prepared) -> String {
        let key = self.key(&cx.family, secret.expose(), &prepared.date, cx.region, cx.service);
        hex(&hmac_sha256(&key, prepared.string_to_sign.as_bytes()))
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
        let key = signer.key(&AWS4, p.credentials.secret_access_key.expose(), &date, p.region, p.service);
        ChunkSigner { key, scope: AWS4.scope(&date, p.region, p.service), datetime, previous: seed_signature.to_string() }
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
pub(crate) fn stamp(t: DateTime<Utc>) -> (String, String) {
    use chrono::{Datelike, Timelike};
    // By hand: chrono's format machinery costs more than the rest of a signature's text.
    let date = format!("{:04}{:02}{:02}", t.year(), t.month(), t.day());
    let datetime = format!("{date}T{:02}{:02}{:02}Z", t.hour(), t.minute(), t.second());
    (datetime, date)
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

/// `(canonical header block, signed header list)`. Names trimmed, lower-cased and sorted,
/// values trimmed with inner runs of spaces collapsed, repeated headers joined with `,`. `host`
/// comes from the request when no Host header is set (transports add it themselves). A name or
/// value that could forge another line of the canonical request is refused.
pub fn canonical_headers(headers: &Headers, host: &str) -> Result<(String, String)> {
    let mut list: Vec<(String, &str)> = Vec::with_capacity(headers.len() + 1);
    for (k, v) in headers.iter() {
        let name = k.trim().to_ascii_lowercase();
        if is_unsigned_header(&name) {
            continue;
        }
        if name.is_empty() || name.bytes().any(|b| matches!(b, b':' | b' ' | b'\t' | b'\r' | b'\n')) {
            return Err(Error::invalid_input(format!("invalid header name {name:?}")));
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
    fn key_cache_is_per_family_secret_day_region_service() {
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
        let secret = c.secret_access_key.expose();
        assert_eq!(s.key(&AWS4, secret, "20150830", "us-east-1", "s3"), AWS4.signing_key(secret, "20150830", "us-east-1", "s3"));
        // Same secret and scope, other family: another key.
        assert_ne!(
            s.key(&GOOG4_HMAC, secret, "20150830", "us-east-1", "s3"),
            s.key(&AWS4, secret, "20150830", "us-east-1", "s3")
        );
        assert_eq!(s.cached_keys(), 3);
    }

    #[test]
    fn secrets_stay_out_of_debug() {
        let mut c = creds();
        c.session_token = Some("token-secret-value".into());
        let s = Signer::new(SignOptions::S3);
        let p = SigningParams { credentials: &c, region: "us-east-1", service: "s3", time: time() };
        let mut req = Request::new(Method::Get, "https", "b.s3.amazonaws.com", "/k");
        let sig = s.sign(&mut req, &p, Payload::Unsigned).unwrap();
        let prepared = prepare_headers(&mut req.clone(), &p.context(), &SignOptions::S3, Payload::Unsigned).unwrap();
        let shown = format!("{req:?} {sig:?} {s:?} {prepared:?} {:?}", p.context());
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
        let req = Request::new(Method::Get, "https", "h", "/k");
        assert!(s.presign(&mut req.clone(), &p, Duration::from_secs(604_801), Payload::Unsigned).is_err());
        assert!(s.presign(&mut req.clone(), &p, Duration::ZERO, Payload::Unsigned).is_err());
        assert!(s.presign(&mut req.clone(), &p, MAX_EXPIRES, Payload::Unsigned).is_ok());
    }

    #[test]
    fn resigning_replaces_what_signing_set() {
        let mut c = creds().with_session_token("tok");
        let s = Signer::new(SignOptions::S3);
        let mut req = Request::new(Method::Put, "https", "b.s3.amazonaws.com", "/k").with_body("x");
        let p = SigningParams { credentials: &c, region: "us-east-1", service: "s3", time: time() };
        s.sign(&mut req, &p, Payload::Signed(b"x")).unwrap();
        c.session_token = None;
        let p = SigningParams { credentials: &c, region: "us-east-1", service: "s3", time: time() };
        let sig = s.sign(&mut req, &p, Payload::Signed(b"x")).unwrap();
        assert!(!req.headers.contains("x-amz-security-token"), "{req:?}");
        assert!(!sig.canonical_request.contains("x-amz-security-token"));
        assert_eq!(req.headers.get_all("authorization").count(), 1);
        assert_eq!(req.headers.get_all("x-amz-date").count(), 1);
    }

    #[test]
    fn forged_lines_and_signer_parameters_are_refused() {
        let c = creds();
        let s = Signer::new(SignOptions::S3);
        let p = SigningParams { credentials: &c, region: "us-east-1", service: "s3", time: time() };
        let mut bad_name = Request::new(Method::Get, "https", "h", "/k");
        bad_name.headers.append("x-a:b", "1");
        assert!(s.sign(&mut bad_name, &p, Payload::Unsigned).is_err());
        let mut bad_value = Request::new(Method::Get, "https", "h", "/k").header("x-a", "1\nx-b:2");
        assert!(s.sign(&mut bad_value, &p, Payload::Unsigned).is_err());
        let mut twice = Request::new(Method::Get, "https", "h", "/k").query_param("X-Amz-Signature", "x");
        assert!(s.presign(&mut twice, &p, Duration::from_secs(60), Payload::Unsigned).is_err());
        let no_region = SigningParams { region: "us-east-1/x", ..p };
        assert!(s.sign(&mut Request::new(Method::Get, "https", "h", "/k"), &no_region, Payload::Unsigned).is_err());
        let odd = AwsCredentials::new("AKID/x", "s");
        let p = SigningParams { credentials: &odd, ..p };
        assert!(s.sign(&mut Request::new(Method::Get, "https", "h", "/k"), &p, Payload::Unsigned).is_err());
    }

    #[test]
    fn goog4_uses_its_own_names() {
        let secret = Secret::new("s");
        let cx = Context {
            family: GOOG4_HMAC,
            access_key_id: "GOOG1ID",
            session_token: None,
            region: "auto",
            service: "storage",
            time: time(),
        };
        let s = Signer::new(SignOptions::S3);
        let mut req = Request::new(Method::Get, "https", "storage.googleapis.com", "/b/o");
        let sig = s.sign_with(&mut req, &cx, &secret, Payload::Unsigned).unwrap();
        assert_eq!(req.headers.get("x-goog-date"), Some("20150830T123600Z"));
        assert_eq!(req.headers.get("x-goog-content-sha256"), Some(UNSIGNED_PAYLOAD));
        assert!(!req.headers.contains("x-amz-date"));
        assert!(sig.string_to_sign.starts_with("GOOG4-HMAC-SHA256\n20150830T123600Z\n20150830/auto/storage/goog4_request\n"));
        let auth = req.headers.get("authorization").unwrap();
        assert!(auth.starts_with("GOOG4-HMAC-SHA256 Credential=GOOG1ID/20150830/auto/storage/goog4_request, "), "{auth}");
        let mut req = Request::new(Method::Get, "https", "storage.googleapis.com", "/b/o");
        s.presign_with(&mut req, &cx, &secret, Duration::from_secs(60), Payload::Unsigned).unwrap();
        let names: Vec<&str> = req.query.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "X-Goog-Algorithm",
                "X-Goog-Credential",
                "X-Goog-Date",
                "X-Goog-Expires",
                "X-Goog-SignedHeaders",
                "X-Goog-Signature"
            ]
        );
    }
}
