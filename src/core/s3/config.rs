//! Where requests go: endpoint, addressing style, and how a key becomes a URL path.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::core::error::{Error, Result};
use crate::core::http::{Method, Request};
use crate::core::provider::Quirks;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Config {
    /// `https`, or `http` for a local server.
    pub scheme: String,
    /// Service host with optional port (`s3.eu-west-1.amazonaws.com`, `127.0.0.1:9000`).
    pub host: String,
    pub region: String,
    /// `/bucket/key` on the service host rather than `bucket.host/key`.
    pub path_style: bool,
    /// A path the service is mounted under (`""` or `/prefix`), for path-style endpoints.
    pub base_path: String,
    /// Ask for URL-encoded keys in listings (`encoding-type=url`), so that keys holding
    /// characters XML cannot carry survive. Off only for servers that claim the encoding
    /// without applying it (s3s-fs 0.14).
    pub url_encoded_listing: bool,
    /// Send `x-amz-checksum-crc32c` with every PutObject and, where the payload is not signed,
    /// `Content-MD5` with every part; ask for stored checksums on reads. The server and pailfs
    /// both verify the bytes.
    pub checksums: bool,
    /// Send `x-amz-request-payer: requester` on object and listing requests, agreeing to pay
    /// for requests to (and downloads from) a requester-pays bucket, which refuses them otherwise.
    pub requester_pays: bool,
    /// Workarounds for servers that depart from S3 (all off for AWS).
    pub quirks: Quirks,
}

impl S3Config {
    /// Whether request bodies are hashed into the signature. Over plain http nothing else
    /// protects them; over https TLS does, and hashing every part twice is wasted CPU.
    pub fn signs_payload(&self) -> bool {
        self.scheme != "https"
    }

    /// AWS S3 in `region`, virtual-hosted style.
    pub fn aws(region: &str) -> S3Config {
        S3Config {
            scheme: "https".into(),
            host: format!("s3.{region}.amazonaws.com"),
            region: region.into(),
            path_style: false,
            base_path: String::new(),
            url_encoded_listing: true,
            checksums: true,
            requester_pays: false,
            quirks: Quirks::default(),
        }
    }

    /// An S3-compatible endpoint (MinIO, R2, a local server), path style.
    pub fn custom(endpoint_url: &str, region: &str) -> Result<S3Config> {
        let e = crate::core::http::Endpoint::parse(endpoint_url, "S3 endpoint")?;
        Ok(S3Config {
            scheme: e.scheme,
            host: e.host,
            region: region.into(),
            path_style: true,
            base_path: e.base_path,
            url_encoded_listing: true,
            checksums: true,
            requester_pays: false,
            quirks: Quirks::default(),
        })
    }

    fn virtual_hosted(&self, bucket: &str) -> bool {
        // Dotted names break TLS wildcard certificates on virtual hosts.
        !self.path_style && !bucket.contains('.')
    }

    /// A request for `bucket` (and `key`, when not empty).
    pub(crate) fn request(&self, method: Method, bucket: &str, key: &str) -> Result<Request> {
        validate_bucket(bucket)?;
        let key_path = encode_key(key);
        Ok(if self.virtual_hosted(bucket) {
            Request::new(method, &self.scheme, &format!("{bucket}.{}", self.host), format!("/{key_path}"))
        } else if key.is_empty() {
            Request::new(method, &self.scheme, &self.host, format!("{}/{bucket}", self.base_path))
        } else {
            Request::new(method, &self.scheme, &self.host, format!("{}/{bucket}/{key_path}", self.base_path))
        })
    }

    /// A request to the service itself (ListBuckets).
    pub(crate) fn service_request(&self, method: Method) -> Request {
        let path = if self.base_path.is_empty() { "/".to_string() } else { format!("{}/", self.base_path) };
        Request::new(method, &self.scheme, &self.host, path)
    }
}

/// Bucket names S3 accepts: 3–63 characters of lower-case letters, digits, `.` and `-`.
/// (Servers decide the finer rules; this refuses what could not even form a URL.)
pub fn validate_bucket(bucket: &str) -> Result<()> {
    let ok = (3..=63).contains(&bucket.len())
        && bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && bucket.as_bytes()[0].is_ascii_alphanumeric()
        && bucket.as_bytes()[bucket.len() - 1].is_ascii_alphanumeric();
    if ok { Ok(()) } else { Err(Error::invalid_input(format!("invalid bucket name {bucket:?}"))) }
}

const KEY_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');
const KEY_WITH_SLASHES: &AsciiSet = &KEY_SEGMENT.remove(b'/');

/// The URL path form of a key: every byte but RFC 3986 unreserved characters and `/` is
/// percent-encoded. A key with an empty, `.` or `..` segment would be rewritten by URL
/// parsers and proxies (`a/../b` → `b`), so there every `/` is sent as `%2F` too: the key
/// becomes one opaque path segment, which S3 decodes back to the same key.
pub fn encode_key(key: &str) -> String {
    let segments: Vec<&str> = key.split('/').collect();
    let last = segments.len() - 1;
    // A trailing `/` (a directory marker) is harmless; an empty segment elsewhere is not.
    let odd = segments.iter().enumerate().any(|(i, s)| *s == "." || *s == ".." || (s.is_empty() && i != last));
    let set = if odd { KEY_SEGMENT } else { KEY_WITH_SLASHES };
    utf8_percent_encode(key, set).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unicode_endpoint_hosts_are_refused_punycode_accepted() {
        // No IDNA tables are linked (Cargo.toml, idna_adapter): a Unicode host is a typed error.
        let e = S3Config::custom("https://bücher.example", "us-east-1").unwrap_err();
        assert_eq!(e.kind, crate::core::error::ErrorKind::InvalidInput);
        assert!(S3Config::custom("https://xn--bcher-kva.example", "us-east-1").is_ok());
    }

    #[test]
    fn endpoints() {
        let c = S3Config::custom("http://127.0.0.1:9000", "us-east-1").unwrap();
        assert_eq!(
            (c.scheme.as_str(), c.host.as_str(), c.path_style, c.base_path.as_str()),
            ("http", "127.0.0.1:9000", true, "")
        );
        assert_eq!(S3Config::custom("https://minio.example/s3/", "x").unwrap().base_path, "/s3");
        for bad in ["ftp://x", "not a url", "https://u:p@h", "https://h/?q=1"] {
            assert!(S3Config::custom(bad, "r").is_err(), "{bad}");
        }
        let aws = S3Config::aws("eu-west-1");
        let r = aws.request(Method::Get, "bkt", "a b").unwrap();
        assert_eq!(r.url(), "https://bkt.s3.eu-west-1.amazonaws.com/a%20b");
        let r = aws.request(Method::Get, "with.dots", "k").unwrap();
        assert_eq!(r.url(), "https://s3.eu-west-1.amazonaws.com/with.dots/k");
        assert_eq!(c.request(Method::Get, "bkt", "").unwrap().url(), "http://127.0.0.1:9000/bkt");
        assert!(aws.request(Method::Get, "Bad_Bucket", "k").is_err());
    }

    #[test]
    fn key_encoding() {
        assert_eq!(encode_key("a b+c=%#?&~/x"), "a%20b%2Bc%3D%25%23%3F%26~/x");
        assert_eq!(encode_key("🇦🇺/$shenanigans@@~.txt"), "%F0%9F%87%A6%F0%9F%87%BA/%24shenanigans%40%40~.txt");
        assert_eq!(encode_key("%48%45%4C%4C%4F"), "%2548%2545%254C%254C%254F");
        assert_eq!(encode_key("mäggi.png"), "m%C3%A4ggi.png");
        assert_eq!(encode_key("up/../down.txt"), "up%2F..%2Fdown.txt");
        assert_eq!(encode_key("double//slash"), "double%2F%2Fslash");
        assert_eq!(encode_key("../x"), "..%2Fx");
        assert_eq!(encode_key("a/.../b"), "a/.../b");
        assert_eq!(encode_key("dir/"), "dir/");
        assert_eq!(encode_key("/lead"), "%2Flead");
        let all: String = (0x20u8..=0x7E).map(char::from).collect();
        let enc = encode_key(&all);
        assert!(enc.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%/".contains(&b)), "{enc}");
        assert_eq!(percent_encoding::percent_decode_str(&enc).decode_utf8().unwrap(), all);
    }
}
