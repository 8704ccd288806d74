//! Where requests go: the endpoint, the projects involved, and how names become URL paths.

use crate::core::error::{Error, Result};
use crate::core::http::{Method, Request, encode_unreserved};
use crate::core::provider::Quirks;

/// Google's service endpoint (the JSON API lives under `/storage/v1`, uploads under
/// `/upload/storage/v1`).
pub const GOOGLE_HOST: &str = "storage.googleapis.com";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GcsConfig {
    /// `https`, or `http` for a local emulator.
    pub scheme: String,
    /// Host with optional port (`storage.googleapis.com`, `127.0.0.1:9023`).
    pub host: String,
    /// A path the API is mounted under (`""` or `/prefix`).
    pub base_path: String,
    /// The project buckets are listed in and created under (`project=`).
    pub project: Option<String>,
    /// The project billed for requests to requester-pays buckets (`userProject=`).
    pub user_project: Option<String>,
    /// Workarounds for emulators that depart from GCS (all off for Google).
    pub quirks: Quirks,
}

impl GcsConfig {
    /// Google Cloud Storage itself.
    pub fn google() -> GcsConfig {
        GcsConfig {
            scheme: "https".into(),
            host: GOOGLE_HOST.into(),
            base_path: String::new(),
            project: None,
            user_project: None,
            quirks: Quirks::default(),
        }
    }

    /// An emulator or proxy at `endpoint_url` (`http://127.0.0.1:9023`).
    pub fn custom(endpoint_url: &str) -> Result<GcsConfig> {
        let e = crate::core::http::Endpoint::parse(endpoint_url, "GCS endpoint")?;
        Ok(GcsConfig {
            scheme: e.scheme,
            host: e.host,
            base_path: e.base_path,
            project: None,
            user_project: None,
            quirks: Quirks::default(),
        })
    }

    pub fn with_project(mut self, project: Option<String>) -> Self {
        self.project = project;
        self
    }

    pub fn with_user_project(mut self, user_project: Option<String>) -> Self {
        self.user_project = user_project;
        self
    }

    /// A JSON API request: `path` follows `/storage/v1` (already encoded).
    pub(crate) fn api(&self, method: Method, path: &str) -> Request {
        Request::new(method, &self.scheme, &self.host, format!("{}/storage/v1{path}", self.base_path))
    }

    /// A request about `bucket` or something in it, billed to `user_project` when set.
    pub(crate) fn billed(&self, method: Method, path: &str) -> Request {
        let req = self.api(method, path);
        match &self.user_project {
            Some(p) => req.query_param("userProject", p.clone()),
            None => req,
        }
    }

    /// The path of a bucket (`/b/{bucket}`).
    pub(crate) fn bucket_path(bucket: &str) -> Result<String> {
        validate_bucket(bucket)?;
        Ok(format!("/b/{bucket}"))
    }

    /// The path of an object's metadata and media (`/b/{bucket}/o/{name}`).
    pub(crate) fn object_path(bucket: &str, name: &str) -> Result<String> {
        Ok(format!("{}/o/{}", Self::bucket_path(bucket)?, encode_object_name(name)?))
    }

    /// An upload to `bucket` (`/upload/storage/v1/b/{bucket}/o`), billed like any object request.
    pub(crate) fn upload(&self, method: Method, bucket: &str) -> Result<Request> {
        let path = format!("{}/upload/storage/v1{}/o", self.base_path, Self::bucket_path(bucket)?);
        let req = Request::new(method, &self.scheme, &self.host, path);
        Ok(match &self.user_project {
            Some(p) => req.query_param("userProject", p.clone()),
            None => req,
        })
    }

    /// A request to a resumable session URI (what `uploadType=resumable` answered in
    /// `Location`). The URI is the server's, so it is taken apart as given rather than
    /// re-encoded; it must name this config's scheme and host (a token is never sent elsewhere)
    /// and an upload path under its base path.
    pub(crate) fn session(&self, method: Method, session_uri: &str) -> Result<Request> {
        let bad = |why: &str| Error::invalid_input(format!("resumable session URI: {why}"));
        let (scheme, rest) = session_uri.split_once("://").ok_or_else(|| bad("not an absolute URL"))?;
        let (authority, path_query) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => return Err(bad("no path")),
        };
        if !scheme.eq_ignore_ascii_case(&self.scheme) || !authority.eq_ignore_ascii_case(&self.host) {
            return Err(bad("it points at another server than the store's endpoint"));
        }
        let (path, query) = path_query.split_once('?').unwrap_or((path_query, ""));
        if !path.starts_with(&format!("{}/upload/", self.base_path)) || path.contains(['#', ' ']) {
            return Err(bad("not an upload path of this endpoint"));
        }
        let mut req = Request::new(method, &self.scheme, &self.host, path.to_string());
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let dec = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8()
                    .map(|c| c.into_owned())
                    .map_err(|_| bad("query is not UTF-8"))
            };
            req = req.query_param(dec(k)?, dec(v)?);
        }
        if !req.query.iter().any(|(k, _)| k == "upload_id") {
            return Err(bad("no upload_id"));
        }
        Ok(req)
    }
}

/// Bucket names GCS accepts, roughly: 3–222 characters of lower-case letters, digits, `-`,
/// `_` and `.`, starting and ending with a letter or digit. (The service decides the finer
/// rules; this refuses what could not form a URL path segment.)
pub fn validate_bucket(bucket: &str) -> Result<()> {
    let b = bucket.as_bytes();
    let ok = (3..=222).contains(&b.len())
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"-_.".contains(c))
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric();
    if ok { Ok(()) } else { Err(Error::invalid_input(format!("invalid GCS bucket name {bucket:?}"))) }
}

/// An object name as one JSON API path segment: everything but RFC 3986 unreserved characters
/// is percent-encoded, `/` included (`a/b` → `a%2Fb`), so no URL parser can rewrite it.
/// GCS refuses empty names and the names `.` and `..`; so does this.
pub fn encode_object_name(name: &str) -> Result<String> {
    if name.is_empty() || name == "." || name == ".." {
        return Err(Error::invalid_input(format!("{name:?} is not a GCS object name")));
    }
    Ok(encode_unreserved(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        let c = GcsConfig::custom("http://127.0.0.1:9023").unwrap();
        assert_eq!((c.scheme.as_str(), c.host.as_str(), c.base_path.as_str()), ("http", "127.0.0.1:9023", ""));
        assert_eq!(GcsConfig::custom("https://proxy.example/gcs/").unwrap().base_path, "/gcs");
        for bad in ["ftp://x", "not a url", "https://u:p@h", "https://h/?q=1"] {
            assert!(GcsConfig::custom(bad).is_err(), "{bad}");
        }
        let g = GcsConfig::google();
        assert_eq!(g.api(Method::Get, "/b").url(), "https://storage.googleapis.com/storage/v1/b");
        let p = GcsConfig::custom("https://proxy.example/gcs").unwrap();
        assert_eq!(p.upload(Method::Post, "bkt").unwrap().url(), "https://proxy.example/gcs/upload/storage/v1/b/bkt/o");
    }

    #[test]
    fn names_are_one_segment() {
        assert_eq!(encode_object_name("a/b c").unwrap(), "a%2Fb%20c");
        assert_eq!(encode_object_name("up/../down").unwrap(), "up%2F..%2Fdown");
        assert_eq!(encode_object_name("mäggi~").unwrap(), "m%C3%A4ggi~");
        assert_eq!(encode_object_name("%41+?#").unwrap(), "%2541%2B%3F%23");
        for bad in ["", ".", ".."] {
            assert!(encode_object_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(GcsConfig::object_path("bkt", "d/e").unwrap(), "/b/bkt/o/d%2Fe");
        for bad in ["ab", "Upper", "-lead", "trail-", "sp ace", "sl/ash"] {
            assert!(validate_bucket(bad).is_err(), "{bad:?}");
        }
        assert!(validate_bucket("my_bucket.example-1").is_ok());
    }

    #[test]
    fn billed_requests_name_the_user_project() {
        let c = GcsConfig::google().with_user_project(Some("payer".into()));
        assert_eq!(
            c.billed(Method::Get, "/b/bkt/o").url(),
            "https://storage.googleapis.com/storage/v1/b/bkt/o?userProject=payer"
        );
        assert!(c.upload(Method::Post, "bkt").unwrap().url().ends_with("/o?userProject=payer"));
        assert!(GcsConfig::google().billed(Method::Get, "/b/bkt").query.is_empty());
    }

    #[test]
    fn session_uris_must_be_this_servers() {
        let c = GcsConfig::custom("http://127.0.0.1:9023").unwrap();
        let r = c
            .session(Method::Put, "http://127.0.0.1:9023/upload/storage/v1/b/bkt/o?uploadType=resumable&upload_id=a%2Bb")
            .unwrap();
        assert_eq!((r.host.as_str(), r.path.as_str()), ("127.0.0.1:9023", "/upload/storage/v1/b/bkt/o"));
        assert_eq!(r.query, [("uploadType".to_string(), "resumable".to_string()), ("upload_id".to_string(), "a+b".to_string())]);
        assert_eq!(r.url(), "http://127.0.0.1:9023/upload/storage/v1/b/bkt/o?uploadType=resumable&upload_id=a%2Bb");
        for bad in [
            "http://evil.example/upload/storage/v1/b/bkt/o?upload_id=x",
            "https://127.0.0.1:9023/upload/storage/v1/b/bkt/o?upload_id=x",
            "http://127.0.0.1:9024/upload/storage/v1/b/bkt/o?upload_id=x",
            "http://127.0.0.1:9023/storage/v1/b/bkt/o?upload_id=x",
            "http://127.0.0.1:9023/upload/storage/v1/b/bkt/o?uploadType=resumable",
            "127.0.0.1:9023/upload/x",
            "http://127.0.0.1:9023",
        ] {
            assert!(c.session(Method::Put, bad).is_err(), "{bad}");
        }
    }
}
