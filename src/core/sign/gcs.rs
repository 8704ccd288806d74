//! Google Cloud Storage signing: V4 signed URLs and POST policies (`GOOG4-RSA-SHA256` with a
//! service account, `GOOG4-HMAC-SHA256` with an HMAC key). Header signing of XML-API requests
//! with an HMAC key is SigV4 with GOOG4 names (`sigv4::GOOG4_HMAC`), reached through
//! `core::auth::Authorizer`; signed URLs run on the same engine (`sigv4::prepare_query`) and
//! differ only in how the string to sign is signed.
//!
//! Everything here is a pure function of its inputs: the signing time comes in as a value and
//! RSA PKCS#1 v1.5 signing is deterministic, so no clock and no random source are needed (which
//! keeps the core buildable for `wasm32-unknown-unknown`).

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use percent_encoding::{AsciiSet, utf8_percent_encode};
#[cfg(feature = "rsa")]
use rsa::RsaPrivateKey;
#[cfg(feature = "rsa")]
use rsa::pkcs1::DecodeRsaPrivateKey;
#[cfg(feature = "rsa")]
use rsa::pkcs8::DecodePrivateKey;
#[cfg(feature = "rsa")]
use sha2::{Digest, Sha256};

use super::sigv4::{self, Context, Family, GOOG4_HMAC, GOOG4_RSA, Payload, Prepared, SignOptions, Signature, stamp};
use super::{hex, hmac_sha256};
use crate::core::creds::{Credentials, Secret};
use crate::core::error::{Error, Result};
use crate::core::http::{Method, Request, UNRESERVED, encode_unreserved, is_sensitive_header};

/// The default XML-API host.
pub const DEFAULT_HOST: &str = "storage.googleapis.com";
/// Longest lifetime GCS accepts for a V4 signature: seven days.
pub const MAX_EXPIRATION_SECS: u64 = sigv4::MAX_EXPIRES.as_secs();
/// GCS ignores the region in the scope; every client library signs with `auto`.
pub const DEFAULT_REGION: &str = "auto";
/// The payload line used when the body is not part of the signature.
pub const UNSIGNED_PAYLOAD: &str = sigv4::UNSIGNED_PAYLOAD;
/// The service of the credential scope.
pub const SERVICE: &str = "storage";

/// Object names keep `/` as the segment separator; everything else but RFC 3986 unreserved
/// characters is encoded.
const OBJECT_NAME: &AsciiSet = &UNRESERVED.remove(b'/');

/// Percent-encode an object name for a GCS URL path: `/` is kept, everything except RFC 3986
/// unreserved characters is encoded (UTF-8). A leading `/` is kept too, so `/a` addresses the
/// object named `/a` (giving `//a` after the bucket).
pub fn encode_object_name(name: &str) -> String {
    utf8_percent_encode(name, OBJECT_NAME).to_string()
}

/// How the bucket is addressed in a signed URL.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum UrlStyle {
    /// `https://storage.googleapis.com/<bucket>/<object>`.
    #[default]
    Path,
    /// `https://<bucket>.storage.googleapis.com/<object>`.
    VirtualHosted,
    /// A CNAME pointing at the bucket: `https://<hostname>/<object>`.
    BucketBoundHostname(String),
}

/// What to sign for a V4 signed URL. Build with [`V4SignRequest::new`] and the `with_*` setters.
#[derive(Clone, PartialEq, Eq)]
pub struct V4SignRequest {
    pub method: Method,
    pub bucket: String,
    /// The object name, unencoded; `None` signs a bucket-level URL (for example a listing).
    pub object: Option<String>,
    /// `X-Goog-Expires`, 1 to [`MAX_EXPIRATION_SECS`].
    pub expiration_secs: u64,
    /// The signing time (`X-Goog-Date`); the URL is valid from then for `expiration_secs`.
    pub time: DateTime<Utc>,
    /// Headers the eventual request must send with these exact values (they are signed).
    /// An `x-goog-content-sha256` header replaces `UNSIGNED-PAYLOAD` as the payload line.
    pub headers: Vec<(String, String)>,
    /// Extra query parameters, unencoded; they are signed and appear in the URL.
    pub query: Vec<(String, String)>,
    /// `https` (default) or `http`.
    pub scheme: String,
    /// Host (optionally `:port`) to use instead of `storage.<universe domain>`, for example a
    /// private endpoint or an emulator.
    pub endpoint: Option<String>,
    /// Replaces `googleapis.com` in the default host.
    pub universe_domain: Option<String>,
    pub url_style: UrlStyle,
    /// The scope's region; GCS accepts `auto`.
    pub region: String,
}

impl V4SignRequest {
    pub fn new(
        method: Method,
        bucket: impl Into<String>,
        object: Option<&str>,
        time: DateTime<Utc>,
        expiration_secs: u64,
    ) -> Self {
        V4SignRequest {
            method,
            bucket: bucket.into(),
            object: object.map(str::to_string),
            expiration_secs,
            time,
            headers: Vec::new(),
            query: Vec::new(),
            scheme: "https".to_string(),
            endpoint: None,
            universe_domain: None,
            url_style: UrlStyle::Path,
            region: DEFAULT_REGION.to_string(),
        }
    }

    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn with_query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    pub fn with_scheme(mut self, scheme: impl Into<String>) -> Self {
        self.scheme = scheme.into();
        self
    }

    pub fn with_endpoint(mut self, host: impl Into<String>) -> Self {
        self.endpoint = Some(host.into());
        self
    }

    pub fn with_universe_domain(mut self, domain: impl Into<String>) -> Self {
        self.universe_domain = Some(domain.into());
        self
    }

    pub fn with_url_style(mut self, style: UrlStyle) -> Self {
        self.url_style = style;
        self
    }

    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }
}

/// Signed headers can carry a customer-supplied encryption key, so their values are hidden.
impl fmt::Debug for V4SignRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("V4SignRequest")
            .field("method", &self.method)
            .field("bucket", &self.bucket)
            .field("object", &self.object)
            .field("expiration_secs", &self.expiration_secs)
            .field("time", &self.time)
            .field("headers", &RedactedPairs(&self.headers))
            .field("query", &RedactedPairs(&self.query))
            .field("scheme", &self.scheme)
            .field("endpoint", &self.endpoint)
            .field("universe_domain", &self.universe_domain)
            .field("url_style", &self.url_style)
            .field("region", &self.region)
            .finish()
    }
}

/// The intermediate values of a V4 signed URL, for tests and debugging.
#[derive(Clone, PartialEq, Eq)]
pub struct V4Parts {
    pub scheme: String,
    /// The URL's host, with a port if one was given.
    pub host: String,
    /// The encoded URL path.
    pub path: String,
    /// The encoded, sorted query without the signature.
    pub canonical_query: String,
    pub canonical_request: String,
    pub string_to_sign: String,
}

/// The canonical request holds signed header values (possibly an encryption key): not printed.
impl fmt::Debug for V4Parts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("V4Parts")
            .field("scheme", &self.scheme)
            .field("host", &self.host)
            .field("path", &self.path)
            .field("canonical_request_len", &self.canonical_request.len())
            .field("string_to_sign", &self.string_to_sign)
            .finish()
    }
}

/// Compute the canonical request and string-to-sign of a V4 signed URL without signing.
/// The algorithm and credential come from `creds` (service account or HMAC key).
pub fn v4_parts(req: &V4SignRequest, creds: &Credentials) -> Result<V4Parts> {
    let mut r = request_for(req)?;
    let prepared = prepare_signed_url(&mut r, creds, &req.region, req.time, Duration::from_secs(req.expiration_secs))?;
    Ok(V4Parts {
        canonical_query: sigv4::canonical_query(&r.query),
        scheme: r.scheme,
        host: r.host,
        path: r.path,
        canonical_request: prepared.canonical_request,
        string_to_sign: prepared.string_to_sign,
    })
}

/// A V4 signed URL (`X-Goog-Signature` last) for a service account or an HMAC key.
/// The result carries a credential: keep it out of logs.
pub fn signed_url(req: &V4SignRequest, creds: &Credentials) -> Result<String> {
    let mut r = request_for(req)?;
    presign(&mut r, creds, &req.region, req.time, Duration::from_secs(req.expiration_secs))?;
    Ok(r.url())
}

/// Query-sign a GCS XML-API request (`req.path` already encoded) into a V4 signed URL:
/// `GOOG4-RSA-SHA256` with a service account, `GOOG4-HMAC-SHA256` with an HMAC key. The host
/// is signed without its port; an `x-goog-content-sha256` header replaces `UNSIGNED-PAYLOAD`.
/// The query is left in canonical order with `X-Goog-Signature` last, so `req.url()` prints
/// what the client libraries print.
pub fn presign(
    req: &mut Request,
    creds: &Credentials,
    region: &str,
    time: DateTime<Utc>,
    expires: Duration,
) -> Result<Signature> {
    let prepared = prepare_signed_url(req, creds, region, time, expires)?;
    let signature = KeySigner::from_creds(creds)?.sign_hex(&prepared.date, region, &prepared.string_to_sign)?;
    req.query.push((GOOG4_HMAC.name("Signature"), signature.clone()));
    Ok(prepared.signed(signature))
}

/// The signing family and credential id of a GCS key; other credentials cannot sign URLs.
fn family_and_id(creds: &Credentials) -> Result<(Family, &str)> {
    match creds {
        Credentials::GcsServiceAccount { client_email, .. } => Ok((GOOG4_RSA, client_email)),
        Credentials::GcsHmac { access_id, .. } => Ok((GOOG4_HMAC, access_id)),
        _ => Err(Error::not_supported("GCS signed URLs and POST policies need a service account key or an HMAC key")),
    }
}

/// Query mode of the SigV4 engine with GCS's choices: service `storage`, the wire path as is,
/// the host without its port, the payload line from `x-goog-content-sha256`.
fn prepare_signed_url(
    req: &mut Request,
    creds: &Credentials,
    region: &str,
    time: DateTime<Utc>,
    expires: Duration,
) -> Result<Prepared> {
    let (family, id) = family_and_id(creds)?;
    check_region(region)?;
    let cx = Context { family, access_key_id: id, session_token: None, region, service: SERVICE, time };
    let payload_hash = req.headers.get("x-goog-content-sha256").map(str::to_string);
    let payload = payload_hash.as_deref().map_or(Payload::Unsigned, Payload::Precomputed);
    // The signed host has no port: that is what the official client libraries sign (see the
    // conformance cases "Simple GET with endpoint on client" and "... non-default hostname"),
    // so URLs match theirs byte for byte. The request itself keeps its host.
    req.headers.set("host", strip_port(&req.host).to_string());
    let prepared = sigv4::prepare_query(req, &cx, &SignOptions::S3, expires, payload);
    req.headers.remove("host");
    let prepared = prepared?;
    req.query.sort_by_cached_key(|(k, v)| (encode_unreserved(k), encode_unreserved(v)));
    Ok(prepared)
}

/// The request a [`V4SignRequest`] describes (headers and query unsigned yet).
fn request_for(req: &V4SignRequest) -> Result<Request> {
    check_bucket(&req.bucket)?;
    check_scheme(&req.scheme)?;
    let (host, path) = resolve_location(
        req.endpoint.as_deref(),
        req.universe_domain.as_deref(),
        &req.url_style,
        &req.bucket,
        Some(req.object.as_deref()),
    )?;
    let mut r = Request::new(req.method, &req.scheme, &host, path);
    for (name, value) in &req.headers {
        let name = name.trim();
        if name.eq_ignore_ascii_case("host") {
            return Err(Error::invalid_input("do not pass a host header to sign: set the endpoint or URL style instead"));
        }
        r.headers.append(name, value.clone());
    }
    r.query = req.query.clone();
    Ok(r)
}

/// A parsed service-account RSA private key. Parsing is the slow part, so keep one around to
/// sign many URLs (or JWTs). Debug never prints the key. Feature `rsa` (on by default; off in
/// the wasm package, where RSA is a third of the module and a browser rarely holds such a key).
#[cfg(feature = "rsa")]
#[derive(Clone)]
pub struct ServiceAccountKey(RsaPrivateKey);

#[cfg(feature = "rsa")]
impl ServiceAccountKey {
    /// Parse a PEM private key: PKCS#8 (`BEGIN PRIVATE KEY`, what service-account JSON files
    /// hold) or PKCS#1 (`BEGIN RSA PRIVATE KEY`). A key pasted with literal `\n` escapes, as
    /// it appears inside the JSON file, is accepted too.
    pub fn from_pem(pem: &str) -> Result<Self> {
        let unescaped;
        let pem = if pem.contains("\\n") && !pem.trim().contains('\n') {
            unescaped = pem.replace("\\n", "\n");
            unescaped.as_str()
        } else {
            pem
        };
        let pem = pem.trim();
        let key = if pem.starts_with("-----BEGIN PRIVATE KEY-----") {
            RsaPrivateKey::from_pkcs8_pem(pem).ok()
        } else if pem.starts_with("-----BEGIN RSA PRIVATE KEY-----") {
            RsaPrivateKey::from_pkcs1_pem(pem).ok()
        } else {
            None
        };
        // The parser's own error could quote key bytes; report a fixed message instead.
        key.map(ServiceAccountKey)
            .ok_or_else(|| Error::invalid_input("service account private key is not a PKCS#8 or PKCS#1 PEM RSA key"))
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 over `message`. Deterministic; needs no random source.
    pub fn sign_sha256(&self, message: &[u8]) -> Result<Vec<u8>> {
        // DER DigestInfo header for SHA-256 (RFC 8017 section 9.2, note 1). Prefixing it by hand
        // avoids needing the `oid` feature of sha2 for `Pkcs1v15Sign::new::<Sha256>()`.
        const SHA256_DIGEST_INFO: [u8; 19] =
            [0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20];
        let mut t = Vec::with_capacity(51);
        t.extend_from_slice(&SHA256_DIGEST_INFO);
        t.extend_from_slice(&Sha256::digest(message));
        self.0
            .sign(rsa::Pkcs1v15Sign::new_unprefixed(), &t)
            .map_err(|_| Error::invalid_input("RSA signing failed (key too small?)"))
    }
}

#[cfg(feature = "rsa")]
impl fmt::Debug for ServiceAccountKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServiceAccountKey(<redacted>)")
    }
}

/// What signs a GCS string to sign: an RSA key or a derived HMAC key.
enum KeySigner<'a> {
    #[cfg(feature = "rsa")]
    Rsa(Box<ServiceAccountKey>),
    Hmac(&'a Secret),
}

impl<'a> KeySigner<'a> {
    fn from_creds(creds: &'a Credentials) -> Result<Self> {
        match creds {
            #[cfg(feature = "rsa")]
            Credentials::GcsServiceAccount { private_key_pem, .. } => {
                Ok(KeySigner::Rsa(Box::new(ServiceAccountKey::from_pem(private_key_pem.expose())?)))
            }
            #[cfg(not(feature = "rsa"))]
            Credentials::GcsServiceAccount { .. } => {
                Err(Error::not_supported("signing with a service account key needs pailfs built with the `rsa` feature"))
            }
            Credentials::GcsHmac { secret, .. } => Ok(KeySigner::Hmac(secret)),
            _ => Err(Error::not_supported("GCS signing needs a service account key or an HMAC key")),
        }
    }

    fn sign_hex(&self, date: &str, region: &str, string_to_sign: &str) -> Result<String> {
        match self {
            #[cfg(feature = "rsa")]
            KeySigner::Rsa(key) => Ok(hex(&key.sign_sha256(string_to_sign.as_bytes())?)),
            KeySigner::Hmac(secret) => {
                let key = GOOG4_HMAC.signing_key(secret.expose(), date, region, SERVICE);
                Ok(hex(&hmac_sha256(&key, string_to_sign.as_bytes())))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// POST policies (HTML form uploads).

/// A condition in a V4 POST policy besides the exact-match fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyCondition {
    /// `["starts-with", "$field", "prefix"]`; the field is written with its `$`.
    StartsWith(String, String),
    /// `["content-length-range", min, max]`.
    ContentLengthRange(u64, u64),
}

/// What to sign for a V4 POST policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostPolicyV4Request {
    pub bucket: String,
    /// The object name the form uploads to (the `key` field), unencoded.
    pub object: String,
    pub expiration_secs: u64,
    pub time: DateTime<Utc>,
    /// Form fields, each also added to the policy as an exact-match condition, in this order.
    pub fields: Vec<(String, String)>,
    /// Conditions placed first in the policy, in this order.
    pub conditions: Vec<PolicyCondition>,
    pub scheme: String,
    pub endpoint: Option<String>,
    pub universe_domain: Option<String>,
    pub url_style: UrlStyle,
    pub region: String,
}

impl PostPolicyV4Request {
    pub fn new(bucket: impl Into<String>, object: impl Into<String>, time: DateTime<Utc>, expiration_secs: u64) -> Self {
        PostPolicyV4Request {
            bucket: bucket.into(),
            object: object.into(),
            expiration_secs,
            time,
            fields: Vec::new(),
            conditions: Vec::new(),
            scheme: "https".to_string(),
            endpoint: None,
            universe_domain: None,
            url_style: UrlStyle::Path,
            region: DEFAULT_REGION.to_string(),
        }
    }
}

/// A signed POST policy: the form's action URL and its hidden fields (`file` goes last).
#[derive(Clone, PartialEq, Eq)]
pub struct PostPolicyV4 {
    pub url: String,
    pub fields: Vec<(String, String)>,
}

impl PostPolicyV4 {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

impl fmt::Debug for PostPolicyV4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostPolicyV4").field("url", &self.url).field("fields", &RedactedPairs(&self.fields)).finish()
    }
}

/// The policy document (compact JSON, non-ASCII escaped as `\uXXXX`) that
/// [`post_policy_v4`] base64-encodes and signs. Exposed for tests.
pub fn post_policy_document(req: &PostPolicyV4Request, creds: &Credentials) -> Result<String> {
    let (family, id) = family_and_id(creds)?;
    policy_document(req, &family, id)
}

fn policy_document(req: &PostPolicyV4Request, family: &Family, id: &str) -> Result<String> {
    if req.expiration_secs == 0 || req.expiration_secs > MAX_EXPIRATION_SECS {
        return Err(Error::invalid_input(format!(
            "GCS POST policy expiration must be 1..={MAX_EXPIRATION_SECS} seconds, got {}",
            req.expiration_secs
        )));
    }
    check_region(&req.region)?;
    let expires = req
        .time
        .checked_add_signed(chrono::Duration::seconds(req.expiration_secs as i64))
        .ok_or_else(|| Error::invalid_input("POST policy expiration is out of range"))?;
    let (datetime, date) = stamp(req.time);
    let credential = format!("{id}/{}", family.scope(&date, &req.region, SERVICE));
    let mut conds: Vec<String> = Vec::new();
    for c in &req.conditions {
        conds.push(match c {
            PolicyCondition::StartsWith(field, prefix) => {
                format!("[\"starts-with\",{},{}]", json_string(field), json_string(prefix))
            }
            PolicyCondition::ContentLengthRange(min, max) => format!("[\"content-length-range\",{min},{max}]"),
        });
    }
    let mut exact: Vec<(&str, &str)> = req.fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    exact.push(("bucket", &req.bucket));
    exact.push(("key", &req.object));
    exact.push(("x-goog-date", &datetime));
    exact.push(("x-goog-credential", &credential));
    exact.push(("x-goog-algorithm", family.algorithm));
    for (k, v) in exact {
        conds.push(format!("{{{}:{}}}", json_string(k), json_string(v)));
    }
    Ok(format!("{{\"conditions\":[{}],\"expiration\":\"{}\"}}", conds.join(","), expires.format("%Y-%m-%dT%H:%M:%SZ")))
}

/// Sign a V4 POST policy for an HTML form upload.
pub fn post_policy_v4(req: &PostPolicyV4Request, creds: &Credentials) -> Result<PostPolicyV4> {
    let (family, id) = family_and_id(creds)?;
    check_bucket(&req.bucket)?;
    check_scheme(&req.scheme)?;
    for (k, _) in &req.fields {
        let lk = k.to_ascii_lowercase();
        if matches!(
            lk.as_str(),
            "key" | "policy" | "bucket" | "file" | "x-goog-algorithm" | "x-goog-credential" | "x-goog-date" | "x-goog-signature"
        ) {
            return Err(Error::invalid_input(format!("POST policy field {k} is set by the signer")));
        }
    }
    let doc = policy_document(req, &family, id)?;
    let policy = B64.encode(doc.as_bytes());
    let (datetime, date) = stamp(req.time);
    // The signature covers the base64 text, not the JSON.
    let sig = KeySigner::from_creds(creds)?.sign_hex(&date, &req.region, &policy)?;
    let (host, path) =
        resolve_location(req.endpoint.as_deref(), req.universe_domain.as_deref(), &req.url_style, &req.bucket, None)?;
    let mut fields = req.fields.clone();
    fields.push(("key".into(), req.object.clone()));
    fields.push(("x-goog-date".into(), datetime));
    fields.push(("x-goog-credential".into(), format!("{id}/{}", family.scope(&date, &req.region, SERVICE))));
    fields.push(("x-goog-algorithm".into(), family.algorithm.to_string()));
    fields.push(("policy".into(), policy));
    fields.push(("x-goog-signature".into(), sig));
    Ok(PostPolicyV4 { url: format!("{}://{}{}", req.scheme, host, path), fields })
}

/// JSON string literal as the GCS client libraries write policies: compact, with `"` and `\`
/// escaped, control characters and every non-ASCII character as `\uXXXX` (lowercase hex,
/// UTF-16 surrogate pairs above U+FFFF). The signature depends on these exact bytes.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || !c.is_ascii() => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

// ---------------------------------------------------------------------------------------------
// Shared helpers.

/// (URL host, encoded path). `object` is `None` for a POST policy (path ends with `/`),
/// `Some(None)` for a bucket-level URL, `Some(Some(name))` for an object.
fn resolve_location(
    endpoint: Option<&str>,
    universe_domain: Option<&str>,
    style: &UrlStyle,
    bucket: &str,
    object: Option<Option<&str>>,
) -> Result<(String, String)> {
    let base = match (endpoint, universe_domain) {
        (Some(e), _) => e.to_string(),
        (None, Some(u)) => format!("storage.{u}"),
        (None, None) => DEFAULT_HOST.to_string(),
    };
    check_host(&base)?;
    let object_path = match object {
        None => "/".to_string(),
        Some(None) => String::new(),
        Some(Some(o)) => format!("/{}", encode_object_name(o)),
    };
    Ok(match style {
        UrlStyle::Path => (base, format!("/{bucket}{object_path}")),
        UrlStyle::VirtualHosted => (format!("{bucket}.{base}"), if object_path.is_empty() { "/".into() } else { object_path }),
        UrlStyle::BucketBoundHostname(h) => {
            check_host(h)?;
            (h.clone(), if object_path.is_empty() { "/".into() } else { object_path })
        }
    })
}

fn check_bucket(bucket: &str) -> Result<()> {
    // Bucket names are lowercase letters, digits, '-', '_' and '.'; anything else would also
    // need encoding, so it is refused rather than signed into a URL GCS would reject.
    if bucket.is_empty() || !bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b)) {
        return Err(Error::invalid_input(format!("invalid GCS bucket name {bucket:?}")));
    }
    Ok(())
}

fn check_scheme(scheme: &str) -> Result<()> {
    if scheme != "https" && scheme != "http" {
        return Err(Error::invalid_input(format!("URL scheme must be http or https, got {scheme:?}")));
    }
    Ok(())
}

fn check_host(host: &str) -> Result<()> {
    if host.is_empty() || host.contains(['/', '?', '#', '@', ' ', '\n', '\r']) {
        return Err(Error::invalid_input(format!("invalid host {host:?} (give host[:port] without a scheme)")));
    }
    Ok(())
}

fn check_region(region: &str) -> Result<()> {
    if region.is_empty() || region.contains(['/', '\n']) {
        return Err(Error::invalid_input(format!("invalid scope region {region:?}")));
    }
    Ok(())
}

/// Drop a `:port` suffix (IPv6 literals keep their brackets).
fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return match rest.find(']') {
            Some(i) => &host[..i + 2],
            None => host,
        };
    }
    match host.rsplit_once(':') {
        Some((h, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

/// Debug helper: name/value pairs with credential-like and key-carrying values hidden.
struct RedactedPairs<'a>(&'a [(String, String)]);

impl fmt::Debug for RedactedPairs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut l = f.debug_list();
        for (k, v) in self.0 {
            let lk = k.to_ascii_lowercase();
            if is_sensitive_header(&lk) || lk.contains("encryption-key") || lk == "policy" {
                l.entry(&(k, "<redacted>"));
            } else {
                l.entry(&(k, v));
            }
        }
        l.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2019, 2, 1, 9, 0, 0).unwrap()
    }

    #[test]
    fn object_names_keep_slashes_and_encode_the_rest() {
        assert_eq!(encode_object_name("a/b c/&é~"), "a/b%20c/%26%C3%A9~");
        assert_eq!(encode_object_name("/x"), "/x");
    }

    #[test]
    fn strip_port_handles_names_and_ipv6() {
        assert_eq!(strip_port("localhost:8080"), "localhost");
        assert_eq!(strip_port("storage.googleapis.com"), "storage.googleapis.com");
        assert_eq!(strip_port("[::1]:9000"), "[::1]");
        assert_eq!(strip_port("[::1]"), "[::1]");
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        let hmac = Credentials::GcsHmac { access_id: "GOOGID".into(), secret: Secret::new("s") };
        let too_long = V4SignRequest::new(Method::Get, "b", Some("o"), t0(), MAX_EXPIRATION_SECS + 1);
        assert_eq!(signed_url(&too_long, &hmac).unwrap_err().kind, crate::ErrorKind::InvalidInput);
        let injected = V4SignRequest::new(Method::Get, "b", Some("o"), t0(), 10).with_header("x-a", "1\nx-b:2");
        assert_eq!(signed_url(&injected, &hmac).unwrap_err().kind, crate::ErrorKind::InvalidInput);
        let reserved = V4SignRequest::new(Method::Get, "b", Some("o"), t0(), 10).with_query("X-Goog-Signature", "x");
        assert!(signed_url(&reserved, &hmac).is_err());
        let bearer = Credentials::Bearer(Secret::new("tok"));
        let ok = V4SignRequest::new(Method::Get, "b", Some("o"), t0(), 10);
        assert_eq!(signed_url(&ok, &bearer).unwrap_err().kind, crate::ErrorKind::NotSupported);
    }

    #[test]
    #[cfg(feature = "rsa")]
    fn bad_pem_is_rejected_without_echoing_it() {
        let sa = Credentials::GcsServiceAccount {
            client_email: "a@b".into(),
            private_key_pem: Secret::new("-----BEGIN PRIVATE KEY-----\nTOPSECRETBYTES\n-----END PRIVATE KEY-----\n"),
        };
        let req = V4SignRequest::new(Method::Get, "b", Some("o"), t0(), 10);
        let e = signed_url(&req, &sa).unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::InvalidInput);
        assert!(!e.to_string().contains("TOPSECRET"));
        assert!(ServiceAccountKey::from_pem("garbage").is_err());
    }

    #[test]
    fn debug_hides_encryption_keys_and_signatures() {
        let req = V4SignRequest::new(Method::Get, "b", Some("o"), t0(), 10).with_header("X-Goog-Encryption-Key", "c2VjcmV0a2V5");
        assert!(!format!("{req:?}").contains("c2VjcmV0a2V5"));
        let p = PostPolicyV4 { url: "u".into(), fields: vec![("x-goog-signature".into(), "abcdef0123".into())] };
        assert!(!format!("{p:?}").contains("abcdef0123"));
    }

    #[test]
    fn presigning_a_request_signs_the_host_without_its_port() {
        let hmac = Credentials::GcsHmac { access_id: "GOOGID".into(), secret: Secret::new("s") };
        let mut r = Request::new(Method::Get, "http", "localhost:4443", "/b/o").query_param("generation", "7");
        let sig = presign(&mut r, &hmac, DEFAULT_REGION, t0(), Duration::from_secs(60)).unwrap();
        assert!(sig.canonical_request.contains("\nhost:localhost\n"), "{}", sig.canonical_request);
        assert!(r.headers.is_empty(), "no Host header is left behind: {r:?}");
        // Canonical order, the signature last.
        let names: Vec<&str> = r.query.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names.first(), Some(&"X-Goog-Algorithm"));
        assert_eq!(names.last(), Some(&"X-Goog-Signature"));
        assert_eq!(r.url().split_once("//").unwrap().1.split_once('/').unwrap().0, "localhost:4443");
    }

    #[test]
    fn json_strings_escape_like_the_client_libraries() {
        assert_eq!(json_string("a\"b\\é\u{1F600}\n"), "\"a\\\"b\\\\\\u00e9\\ud83d\\ude00\\n\"");
    }
}
