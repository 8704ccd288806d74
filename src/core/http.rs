//! Plain-data HTTP messages: what the core hands to a transport and what it gets back.
//!
//! The URL is kept in parts rather than as a `url::Url` on purpose: signing needs the exact
//! encoded path the server will see, and a general URL parser would normalise it (for example
//! resolving `a/../b`), which would silently address a different object.

use bytes::Bytes;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// The characters AWS, GCS and Azure leave unencoded in a URI: RFC 3986 unreserved.
pub const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Percent-encode everything except RFC 3986 unreserved characters.
pub fn encode_unreserved(s: &str) -> String {
    utf8_percent_encode(s, UNRESERVED).to_string()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Head,
    Put,
    Post,
    Delete,
    Patch,
    Options,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::Patch => "PATCH",
            Method::Options => "OPTIONS",
        }
    }

    pub fn parse(s: &str) -> Option<Method> {
        Some(match s {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "PUT" => Method::Put,
            "POST" => Method::Post,
            "DELETE" => Method::Delete,
            "PATCH" => Method::Patch,
            "OPTIONS" => Method::Options,
            _ => return None,
        })
    }

    /// Safe to repeat when the outcome of an attempt is unknown.
    pub fn is_idempotent(self) -> bool {
        !matches!(self, Method::Post | Method::Patch)
    }
}

/// An ordered header list. Names are stored as given; lookups are case-insensitive.
/// Order and duplicates are kept because signers must see exactly what is sent.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Headers(Vec<(String, String)>);

impl Headers {
    pub fn new() -> Self {
        Headers(Vec::new())
    }

    /// First value of a header, case-insensitive.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Every value of a header, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Replace any existing values of `name` with one value.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let name = name.into();
        self.remove(&name);
        self.0.push((name, value.into()));
    }

    /// Add a value, keeping existing ones (a repeated header).
    pub fn append(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.push((name.into(), value.into()));
    }

    pub fn remove(&mut self, name: &str) {
        self.0.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    }

    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Header values can carry credentials (Authorization, x-amz-security-token, SAS-bearing
/// copy sources), so Debug prints names only, and values of the harmless ones.
impl std::fmt::Debug for Headers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut m = f.debug_map();
        for (k, v) in &self.0 {
            if is_sensitive_header(k) {
                m.entry(k, &"<redacted>");
            } else {
                m.entry(k, v);
            }
        }
        m.finish()
    }
}

/// Headers whose values must never be printed.
pub fn is_sensitive_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "authorization"
        || n == "x-amz-security-token"
        || n == "x-goog-signature"
        || n == "x-ms-copy-source"
        || n == "x-amz-copy-source"
        || n == "cookie"
        || n == "x-aws-ec2-metadata-token"
        || n.contains("credential")
        || n.contains("signature")
}

/// Query parameters that carry credentials in presigned/SAS URLs.
pub fn is_sensitive_query(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("signature")
        || n.contains("credential")
        || n.contains("security-token")
        || n == "sig"
        || n == "x-goog-signature"
        || n == "x-amz-security-token"
}

/// A request ready to be sent (after signing).
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    /// `http` or `https`.
    pub scheme: String,
    /// Host with optional `:port`, exactly as it goes in the Host header.
    pub host: String,
    /// The path, already percent-encoded by the provider's rules, starting with `/`.
    pub path: String,
    /// Query parameters, *decoded*. Encoded on output with RFC 3986 unreserved rules.
    pub query: Vec<(String, String)>,
    pub headers: Headers,
    pub body: Bytes,
}

impl Request {
    pub fn new(method: Method, scheme: &str, host: &str, path: impl Into<String>) -> Self {
        Request {
            method,
            scheme: scheme.to_string(),
            host: host.to_string(),
            path: path.into(),
            query: Vec::new(),
            headers: Headers::new(),
            body: Bytes::new(),
        }
    }

    pub fn query_param(mut self, k: impl Into<String>, v: impl Into<String>) -> Self {
        self.query.push((k.into(), v.into()));
        self
    }

    pub fn header(mut self, k: impl Into<String>, v: impl Into<String>) -> Self {
        self.headers.set(k, v);
        self
    }

    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// The encoded query string (no leading `?`), parameters in their stored order.
    pub fn query_string(&self) -> String {
        let mut out = String::new();
        for (i, (k, v)) in self.query.iter().enumerate() {
            if i > 0 {
                out.push('&');
            }
            out.push_str(&encode_unreserved(k));
            // `?uploads` and friends are sent as bare keys.
            if !v.is_empty() {
                out.push('=');
                out.push_str(&encode_unreserved(v));
            }
        }
        out
    }

    /// The full URL to send. Contains any query-string credentials: do not print it; use
    /// [`Request::redacted_url`] for messages.
    pub fn url(&self) -> String {
        let mut u = format!("{}://{}{}", self.scheme, self.host, self.path);
        if !self.query.is_empty() {
            u.push('?');
            u.push_str(&self.query_string());
        }
        u
    }

    /// The URL with signature/credential query values replaced, safe for errors and logs.
    pub fn redacted_url(&self) -> String {
        let mut u = format!("{}://{}{}", self.scheme, self.host, self.path);
        for (i, (k, v)) in self.query.iter().enumerate() {
            u.push(if i == 0 { '?' } else { '&' });
            u.push_str(&encode_unreserved(k));
            if !v.is_empty() {
                u.push('=');
                if is_sensitive_query(k) {
                    u.push_str("<redacted>");
                } else {
                    u.push_str(&encode_unreserved(v));
                }
            }
        }
        u
    }
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &self.redacted_url())
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// A response as the transport received it, body fully read.
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Headers,
    pub body: Bytes,
}

/// The body's length only: a credential endpoint's answer (STS, IMDS, container credentials,
/// OAuth tokens) holds secrets in its body, and a Debug print must never show one.
impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl Response {
    pub fn new(status: u16, headers: Headers, body: impl Into<Bytes>) -> Self {
        Response { status, headers, body: body.into() }
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A service endpoint given as a URL (`http://127.0.0.1:9000`, `https://minio.example/s3/`):
/// checked once for every provider, so none sends credentials or a query it did not build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub scheme: String,
    /// Host with `:port` when one is given.
    pub host: String,
    /// The path the service is mounted under, without a trailing `/` (`""` or `/s3`).
    pub base_path: String,
}

impl Endpoint {
    /// Parse `url`; `what` names the endpoint in errors (`"S3 endpoint"`).
    pub fn parse(url: &str, what: &str) -> crate::core::error::Result<Endpoint> {
        let bad = |why: &str| crate::core::error::Error::invalid_input(format!("{what} {url:?}: {why}"));
        let parsed = url::Url::parse(url).map_err(|e| bad(&e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(bad("scheme must be http or https"));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() || parsed.query().is_some() {
            return Err(bad("must not carry credentials or a query"));
        }
        let host = parsed.host_str().ok_or_else(|| bad("no host"))?;
        let host = match parsed.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        };
        Ok(Endpoint { scheme: parsed.scheme().into(), host, base_path: parsed.path().trim_end_matches('/').to_string() })
    }
}

/// The span a partial answer covers, from its `Content-Range: bytes first-last/total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContentRange {
    /// The first byte.
    pub start: u64,
    /// One past the last byte (`last + 1`), so `[start, end)` like [`ByteRange`](crate::core::types::ByteRange).
    pub end: u64,
    /// The whole object's size; `None` when the server sent `*`.
    pub total: Option<u64>,
}

impl ContentRange {
    /// Parse a Content-Range value such as `bytes 2-4/10` or `bytes 2-4/*`. A malformed value,
    /// an inverted span, a span reaching past `total` and the unsatisfied form `bytes */10`
    /// (which only a 416 carries) are `InvalidResponse` errors.
    pub fn parse(v: &str) -> crate::core::error::Result<ContentRange> {
        let bad = || crate::core::error::Error::invalid_response(format!("bad Content-Range {v:?}"));
        let num = |s: &str| s.trim().parse::<u64>().map_err(|_| bad());
        let rest = v.trim().strip_prefix("bytes ").ok_or_else(bad)?;
        let (range, total) = rest.split_once('/').ok_or_else(bad)?;
        let (a, b) = range.split_once('-').ok_or_else(bad)?;
        let (a, b) = (num(a)?, num(b)?);
        let total = if total.trim() == "*" { None } else { Some(num(total)?) };
        // A last byte of u64::MAX has no exclusive end.
        if b < a || b == u64::MAX || total.is_some_and(|t| b >= t) {
            return Err(bad());
        }
        Ok(ContentRange { start: a, end: b + 1, total })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_case_insensitive_and_redacted_in_debug() {
        let mut h = Headers::new();
        h.set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/..., Signature=deadbeef");
        h.set("Content-Type", "text/plain");
        assert_eq!(h.get("authorization").unwrap().len(), 56);
        let dbg = format!("{h:?}");
        assert!(!dbg.contains("deadbeef"), "{dbg}");
        assert!(dbg.contains("text/plain"));
        h.set("content-type", "a");
        assert_eq!(h.get_all("CONTENT-TYPE").collect::<Vec<_>>(), vec!["a"]);
    }

    #[test]
    fn url_encodes_query_and_redacts_signatures() {
        let r = Request::new(Method::Get, "https", "b.s3.amazonaws.com", "/a%20b")
            .query_param("uploads", "")
            .query_param("X-Amz-Signature", "abc123")
            .query_param("prefix", "x y/z");
        assert_eq!(r.url(), "https://b.s3.amazonaws.com/a%20b?uploads&X-Amz-Signature=abc123&prefix=x%20y%2Fz");
        assert!(!r.redacted_url().contains("abc123"));
        assert!(!format!("{r:?}").contains("abc123"));
    }
}
