//! Storage URLs: which provider, which bucket (container), which key, and for endpoint URLs
//! where the service lives. Pure parsing; nothing is resolved or contacted.
//!
//! Scheme URLs (`s3://b/k`, `gs://`, `az://`, `abfs[s]://`, `memory://`, `file://`) take the
//! key verbatim, as fsspec does: `s3://b/a%20b` names the key `a%20b`. Endpoint URLs
//! (`https://...`) are what a browser shows, so their path is percent-decoded.

use percent_encoding::percent_decode_str;

use super::error::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Provider {
    S3,
    Gcs,
    /// Azure Blob storage (`az://`, `*.blob.core.windows.net`).
    Azure,
    /// ADLS Gen2, the hierarchical `dfs` endpoint (`abfs[s]://`, `*.dfs.core.windows.net`).
    AzureDfs,
    File,
    Memory,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub provider: Provider,
    /// Bucket or container; empty for `file://` and for a bare `s3://`.
    pub bucket: String,
    /// Object key (decoded); for `file://` the whole local path.
    pub key: String,
    /// `scheme://host[:port]` of a non-default endpoint (MinIO, R2, a local server).
    pub endpoint: Option<String>,
    /// AWS region when the URL names one.
    pub region: Option<String>,
    /// Azure storage account when the URL names one.
    pub account: Option<String>,
}

impl Location {
    fn new(provider: Provider, bucket: &str, key: &str) -> Location {
        Location { provider, bucket: bucket.into(), key: key.into(), endpoint: None, region: None, account: None }
    }

    pub fn parse(url: &str) -> Result<Location> {
        let (scheme, rest) =
            url.split_once("://").ok_or_else(|| Error::invalid_input(format!("{:?} is not a URL (no scheme://)", shown(url))))?;
        let scheme = scheme.to_ascii_lowercase();
        let provider = match scheme.as_str() {
            "s3" | "s3a" => Provider::S3,
            "gs" | "gcs" => Provider::Gcs,
            "az" | "azure" | "adl" => return parse_azure(Provider::Azure, url, &scheme, rest),
            "abfs" | "abfss" => return parse_azure(Provider::AzureDfs, url, &scheme, rest),
            "memory" => Provider::Memory,
            "file" => {
                if !rest.starts_with('/') {
                    return Err(Error::invalid_input(format!("{:?}: file URLs need an absolute path (file:///...)", shown(url))));
                }
                return Ok(Location::new(Provider::File, "", rest));
            }
            "http" | "https" => return parse_endpoint(&scheme, rest),
            _ => return Err(Error::invalid_input(format!("{:?}: unknown scheme {scheme:?}", shown(url)))),
        };
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() && !key.is_empty() {
            return Err(Error::invalid_input(format!("{:?}: missing bucket name", shown(url))));
        }
        Ok(Location::new(provider, bucket, key))
    }
}

/// A URL as error messages may show it: without its query, which can hold a SAS signature.
fn shown(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

/// The forms adlfs accepts for `az://` and `abfs[s]://`: `container/path` (the account given as
/// an option) or `container@account.{blob,dfs}.core.windows.net/path`. Any other host after the
/// `@` is a custom endpoint, reached over https.
fn parse_azure(provider: Provider, url: &str, scheme: &str, rest: &str) -> Result<Location> {
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let service = if provider == Provider::AzureDfs { "dfs" } else { "blob" };
    let bad = || {
        Error::invalid_input(format!(
            "{:?}: expected {scheme}://container/path or {scheme}://container@account.{service}.core.windows.net/path",
            shown(url)
        ))
    };
    let Some((container, host)) = authority.split_once('@') else {
        // Container names have no dots: a dotted name is a host whose container is missing.
        if authority.contains('.') || (authority.is_empty() && !path.is_empty()) {
            return Err(bad());
        }
        return Ok(Location::new(provider, authority, path));
    };
    let host = host.to_ascii_lowercase();
    let account = host.split('.').next().filter(|a| !a.is_empty()).ok_or_else(bad)?;
    if container.is_empty() {
        return Err(bad());
    }
    let mut loc = Location::new(provider, container, path);
    loc.account = Some(account.to_string());
    let default_host = [".blob.core.windows.net", ".dfs.core.windows.net"].iter().any(|s| host.strip_suffix(s) == Some(account));
    if !default_host {
        loc.endpoint = Some(format!("https://{host}"));
    }
    Ok(loc)
}

/// `https://...`: AWS virtual-hosted or path style, GCS, Azure blob/dfs, or a custom S3 endpoint.
fn parse_endpoint(scheme: &str, rest: &str) -> Result<Location> {
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let path = path.split(['?', '#']).next().unwrap_or("");
    if host.is_empty() {
        return Err(Error::invalid_input(format!("{scheme}://{}: missing host", shown(rest))));
    }
    if host.contains('@') {
        // Never echoed: the part before the `@` is a user name and password.
        return Err(Error::invalid_input(format!("{scheme}:// URL with credentials in it: pass them as options instead")));
    }
    let decoded = percent_decode_str(path)
        .decode_utf8()
        .map_err(|_| Error::invalid_input(format!("{scheme}://{host}/...: path is not UTF-8")))?
        .into_owned();
    let first_rest = |p: &str| -> (String, String) {
        let (a, b) = p.split_once('/').unwrap_or((p, ""));
        (a.to_string(), b.to_string())
    };
    let hostname = host.split(':').next().unwrap_or(host).to_ascii_lowercase();

    if let Some(account) = hostname.strip_suffix(".blob.core.windows.net") {
        let (c, k) = first_rest(&decoded);
        let mut loc = Location::new(Provider::Azure, &c, &k);
        loc.account = Some(account.to_string());
        return Ok(loc);
    }
    if let Some(account) = hostname.strip_suffix(".dfs.core.windows.net") {
        let (c, k) = first_rest(&decoded);
        let mut loc = Location::new(Provider::AzureDfs, &c, &k);
        loc.account = Some(account.to_string());
        return Ok(loc);
    }
    if hostname == "storage.googleapis.com" {
        let (b, k) = first_rest(&decoded);
        return Ok(Location::new(Provider::Gcs, &b, &k));
    }
    if let Some(bucket) = hostname.strip_suffix(".storage.googleapis.com") {
        return Ok(Location::new(Provider::Gcs, bucket, &decoded));
    }
    if let Some(prefix) = hostname.strip_suffix(".amazonaws.com") {
        // `s3.region`, `s3`, `s3-region` (path style) or `bucket.s3.region`, `bucket.s3` (virtual).
        let labels: Vec<&str> = prefix.split('.').collect();
        let s3_at = labels.iter().rposition(|l| *l == "s3" || l.starts_with("s3-"));
        if let Some(i) = s3_at {
            let region = labels.get(i + 1).map(|r| r.to_string()).or_else(|| labels[i].strip_prefix("s3-").map(str::to_string));
            let mut loc = if i == 0 {
                let (b, k) = first_rest(&decoded);
                Location::new(Provider::S3, &b, &k)
            } else {
                Location::new(Provider::S3, &labels[..i].join("."), &decoded)
            };
            loc.region = region;
            return Ok(loc);
        }
    }
    // Anything else is an S3-compatible endpoint addressed path style.
    let (b, k) = first_rest(&decoded);
    let mut loc = Location::new(Provider::S3, &b, &k);
    loc.endpoint = Some(format!("{scheme}://{host}"));
    Ok(loc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(u: &str) -> Location {
        Location::parse(u).unwrap()
    }

    #[test]
    fn scheme_urls_keep_keys_verbatim() {
        let l = p("s3://bkt/a%20b/../c d");
        assert_eq!((l.provider, l.bucket.as_str(), l.key.as_str()), (Provider::S3, "bkt", "a%20b/../c d"));
        assert_eq!(p("gs://b/k").provider, Provider::Gcs);
        assert_eq!(p("az://c/p/q").key, "p/q");
        assert_eq!(p("memory://b").key, "");
        assert_eq!(p("file:///tmp/x").key, "/tmp/x");
        assert!(Location::parse("file://relative").is_err());
        assert!(Location::parse("nope").is_err());
        assert!(Location::parse("ftp://x/y").is_err());
    }

    #[test]
    fn abfs() {
        let l = p("abfss://data@acct.dfs.core.windows.net/dir/f.parquet");
        assert_eq!(l.provider, Provider::AzureDfs);
        assert_eq!((l.bucket.as_str(), l.key.as_str(), l.account.as_deref()), ("data", "dir/f.parquet", Some("acct")));
        assert!(Location::parse("abfs://acct.dfs.core.windows.net/x").is_err());
        assert!(Location::parse("abfs://@acct.dfs.core.windows.net/x").is_err());
        assert!(Location::parse("abfs:///x").is_err());
    }

    #[test]
    fn azure_forms_adlfs_accepts() {
        // The account comes from the options.
        let l = p("abfs://data/dir/f.parquet");
        assert_eq!(
            (l.provider, l.bucket.as_str(), l.key.as_str(), l.account),
            (Provider::AzureDfs, "data", "dir/f.parquet", None)
        );
        let l = p("az://cont@Acct.blob.core.windows.net/p/q");
        assert_eq!((l.provider, l.bucket.as_str(), l.key.as_str()), (Provider::Azure, "cont", "p/q"));
        assert_eq!((l.account.as_deref(), l.endpoint), (Some("acct"), None));
        // The account's dfs host names the account for the blob API too.
        assert_eq!(p("az://c@acct.dfs.core.windows.net/p").endpoint, None);
        // Any other host is an endpoint of its own (sovereign clouds, private links).
        let l = p("abfss://c@acct.dfs.core.chinacloudapi.cn/p");
        assert_eq!((l.account.as_deref(), l.endpoint.as_deref()), (Some("acct"), Some("https://acct.dfs.core.chinacloudapi.cn")));
        assert!(Location::parse("az://acct.blob.core.windows.net/c/p").is_err());
    }

    #[test]
    fn errors_never_show_queries_or_passwords() {
        for url in ["ftp://h/p?sig=SECRETSIG", "nourl?sig=SECRETSIG", "https://user:SECRETPW@h/b/k", "https:///x?sig=SECRETSIG"] {
            let e = Location::parse(url).unwrap_err();
            let shown = format!("{e} {e:?}");
            assert!(!shown.contains("SECRET"), "{shown}");
        }
    }

    #[test]
    fn aws_endpoints() {
        let l = p("https://my-bucket.s3.eu-west-1.amazonaws.com/a%20b.txt");
        assert_eq!((l.bucket.as_str(), l.key.as_str(), l.region.as_deref()), ("my-bucket", "a b.txt", Some("eu-west-1")));
        let l = p("https://s3.us-west-2.amazonaws.com/b.with.dots/k");
        assert_eq!((l.bucket.as_str(), l.key.as_str(), l.region.as_deref()), ("b.with.dots", "k", Some("us-west-2")));
        let l = p("https://b.s3.amazonaws.com/k");
        assert_eq!((l.bucket.as_str(), l.region), ("b", None));
        assert_eq!(p("https://s3-eu-west-1.amazonaws.com/b/k").region.as_deref(), Some("eu-west-1"));
    }

    #[test]
    fn other_endpoints() {
        let l = p("http://127.0.0.1:9000/bkt/k%2Fx?x-id=1");
        assert_eq!(l.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!((l.bucket.as_str(), l.key.as_str()), ("bkt", "k/x"));
        let l = p("https://acct.blob.core.windows.net/cont/p/q");
        assert_eq!((l.provider, l.account.as_deref(), l.bucket.as_str()), (Provider::Azure, Some("acct"), "cont"));
        assert_eq!(p("https://acct.dfs.core.windows.net/c/p").provider, Provider::AzureDfs);
        let l = p("https://storage.googleapis.com/b/o/x");
        assert_eq!((l.provider, l.key.as_str()), (Provider::Gcs, "o/x"));
    }
}
