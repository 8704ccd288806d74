//! Where requests go: the blob endpoint (the account in the host, or path style as Azurite
//! serves it), and how container and blob names become URL paths.

use crate::core::error::{Error, Result};
use crate::core::http::{Endpoint, Method, Request};
use crate::core::provider::Quirks;

/// The `x-ms-version` every request states (the signer would set the same when absent; the
/// builders set it so that bearer and SAS requests carry it too).
pub const API_VERSION: &str = crate::core::sign::azure::DEFAULT_API_VERSION;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AzureConfig {
    /// `https`, or `http` for Azurite.
    pub scheme: String,
    /// Host with optional port (`acct.blob.core.windows.net`, `127.0.0.1:10000`).
    pub host: String,
    /// What precedes the container in every path: `""` for the account's own host,
    /// `/devstoreaccount1` for a path-style endpoint such as Azurite's.
    pub base_path: String,
    /// Workarounds for emulators that depart from Azure (all off for Azure itself).
    pub quirks: Quirks,
}

impl AzureConfig {
    /// An account of the public cloud: `https://{account}.blob.core.windows.net`.
    pub fn account(account: &str) -> Result<AzureConfig> {
        validate_account(account)?;
        AzureConfig::custom(&format!("https://{account}.blob.core.windows.net"))
    }

    /// A blob endpoint given as a URL (`http://127.0.0.1:10000/devstoreaccount1`, a
    /// connection string's `BlobEndpoint`, a private endpoint).
    pub fn custom(endpoint_url: &str) -> Result<AzureConfig> {
        let e = Endpoint::parse(endpoint_url, "Azure blob endpoint")?;
        Ok(AzureConfig { scheme: e.scheme, host: e.host, base_path: e.base_path, quirks: Quirks::default() })
    }

    fn request(&self, method: Method, path: String) -> Request {
        Request::new(method, &self.scheme, &self.host, path).header("x-ms-version", API_VERSION)
    }

    /// A request to the account itself (List Containers).
    pub(crate) fn service(&self, method: Method) -> Request {
        let path = if self.base_path.is_empty() { "/".to_string() } else { self.base_path.clone() };
        self.request(method, path)
    }

    /// A request about a container (`restype=container` is the builder's to add).
    pub(crate) fn container(&self, method: Method, container: &str) -> Result<Request> {
        validate_container(container)?;
        Ok(self.request(method, format!("{}/{container}", self.base_path)))
    }

    /// A request about one blob.
    pub(crate) fn blob(&self, method: Method, container: &str, name: &str) -> Result<Request> {
        Ok(self.request(method, self.blob_path(container, name)?))
    }

    pub(crate) fn blob_path(&self, container: &str, name: &str) -> Result<String> {
        validate_container(container)?;
        Ok(format!("{}/{container}/{}", self.base_path, encode_blob_name(name)?))
    }

    /// The absolute URL of a blob, as `x-ms-copy-source` names it.
    pub(crate) fn blob_url(&self, container: &str, name: &str) -> Result<String> {
        Ok(format!("{}://{}{}", self.scheme, self.host, self.blob_path(container, name)?))
    }
}

/// Storage account names: 3 to 24 lower-case letters and digits.
pub fn validate_account(account: &str) -> Result<()> {
    let ok = (3..=24).contains(&account.len()) && account.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if ok { Ok(()) } else { Err(Error::invalid_input(format!("invalid Azure storage account name {account:?}"))) }
}

/// Container names: 3 to 63 lower-case letters, digits and single hyphens, starting and ending
/// with a letter or digit; `$root`, `$logs` and `$web` are the service's own.
pub fn validate_container(container: &str) -> Result<()> {
    if matches!(container, "$root" | "$logs" | "$web") {
        return Ok(());
    }
    let b = container.as_bytes();
    let ok = (3..=63).contains(&b.len())
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
        && !container.contains("--");
    if ok { Ok(()) } else { Err(Error::invalid_input(format!("invalid Azure container name {container:?}"))) }
}

/// A blob name as URL path: S3's rule (every byte but unreserved characters and `/` encoded,
/// and every `/` too when a segment is empty, `.` or `..`, so no URL parser rewrites it;
/// Azure decodes `%2F` back to `/`). Azure refuses empty names and names over 1024 characters.
pub fn encode_blob_name(name: &str) -> Result<String> {
    if name.is_empty() {
        return Err(Error::invalid_input("an Azure blob name cannot be empty"));
    }
    if name.chars().count() > 1024 {
        return Err(Error::invalid_input("an Azure blob name has at most 1024 characters"));
    }
    Ok(crate::core::s3::encode_key(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_and_paths() {
        let a = AzureConfig::account("acct").unwrap();
        assert_eq!((a.scheme.as_str(), a.host.as_str(), a.base_path.as_str()), ("https", "acct.blob.core.windows.net", ""));
        assert_eq!(a.service(Method::Get).url(), "https://acct.blob.core.windows.net/");
        assert_eq!(a.blob(Method::Get, "ct1", "d/e f").unwrap().url(), "https://acct.blob.core.windows.net/ct1/d/e%20f");
        let z = AzureConfig::custom("http://127.0.0.1:10000/devstoreaccount1/").unwrap();
        assert_eq!(z.service(Method::Get).path, "/devstoreaccount1");
        assert_eq!(z.container(Method::Put, "ct1").unwrap().path, "/devstoreaccount1/ct1");
        assert_eq!(z.blob_url("ct1", "up/../x").unwrap(), "http://127.0.0.1:10000/devstoreaccount1/ct1/up%2F..%2Fx");
        assert_eq!(z.blob(Method::Get, "ct1", "k").unwrap().headers.get("x-ms-version"), Some(API_VERSION));
        for bad in ["ftp://x", "https://u:p@h", "https://h/?sv=1"] {
            assert!(AzureConfig::custom(bad).is_err(), "{bad}");
        }
        assert!(AzureConfig::account("Upper").is_err());
    }

    #[test]
    fn names() {
        for good in ["abc", "a-b-c", "0123", "$root"] {
            assert!(validate_container(good).is_ok(), "{good}");
        }
        for bad in ["ab", "Abc", "-ab", "ab-", "a--b", "a_b", "a.b", &"x".repeat(64)] {
            assert!(validate_container(bad).is_err(), "{bad}");
        }
        assert!(encode_blob_name("").is_err());
        assert!(encode_blob_name(&"é".repeat(1025)).is_err());
        assert_eq!(encode_blob_name("%41+?#").unwrap(), "%2541%2B%3F%23");
    }
}
