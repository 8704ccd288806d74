//! Credentials as plain values. The core never reads them from the environment or a file;
//! callers (the facade, the CLI, the JS and Python bindings) hand them in.
//!
//! Every secret is a [`Secret`], which prints as `<redacted>` in Debug and Display.

use std::fmt;

/// A secret string that never prints.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// The secret itself, for signing. Keep the result out of messages.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.to_string())
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// AWS (and S3-compatible) credentials: access key, secret and an optional session token.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AwsCredentials {
    /// Not secret by itself (it appears in every Authorization header), so it prints.
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
}

impl AwsCredentials {
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<Secret>) -> Self {
        AwsCredentials { access_key_id: access_key_id.into(), secret_access_key: secret_access_key.into(), session_token: None }
    }

    pub fn with_session_token(mut self, token: impl Into<Secret>) -> Self {
        self.session_token = Some(token.into());
        self
    }
}

/// Google Cloud Storage credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GcsCredentials {
    /// An OAuth2 access token, sent as `Authorization: Bearer`.
    Bearer(Secret),
    /// An HMAC key pair for the XML API (`GOOG4-HMAC-SHA256`).
    Hmac {
        access_id: String,
        secret: Secret,
    },
    /// A service account: client email plus a PEM RSA private key, for V4 signed URLs.
    ServiceAccount {
        client_email: String,
        private_key_pem: Secret,
    },
    Anonymous,
}

/// Azure Storage credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AzureCredentials {
    /// The account name and its base64 account key, for SharedKey signing and SAS creation.
    SharedKey {
        account: String,
        key: Secret,
    },
    /// A ready SAS token (the query string, without leading `?`).
    Sas(Secret),
    /// An OAuth2 access token, sent as `Authorization: Bearer`.
    Bearer(Secret),
    Anonymous,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let c = AwsCredentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
            .with_session_token("FQoGZXIvYXdzEXAMPLETOKEN");
        let s = format!("{c:?}");
        assert!(!s.contains("wJalr"), "{s}");
        assert!(!s.contains("FQoGZ"), "{s}");
        assert!(s.contains("AKIDEXAMPLE"));
        let a = AzureCredentials::SharedKey { account: "acct".into(), key: Secret::new("c2VjcmV0") };
        assert!(!format!("{a:?}").contains("c2VjcmV0"));
        assert_eq!(format!("{}", Secret::new("x")), "<redacted>");
    }
}
