//! Google OAuth2 access tokens for GCS, as requests the core builds and answers it parses:
//! a service-account key (a JWT signed RS256, exchanged at its `token_uri`), an
//! `authorized_user` refresh token (what `gcloud auth application-default login` writes), and
//! the GCE metadata server. Each ends in [`Credentials::Bearer`] with the token's expiry.

use std::fmt;

#[cfg(feature = "rsa")]
use base64::Engine as _;
#[cfg(feature = "rsa")]
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;

use super::{CredentialFetch, CredentialProvider, Credentials, Expiring, FetchStep, METADATA_TIMEOUT, Secret, expect_success};
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::http::{Method, Request, Response, encode_unreserved};
#[cfg(feature = "rsa")]
use crate::core::sign::gcs::ServiceAccountKey;

/// The scope asked for: read and write objects and buckets.
pub const SCOPE: &str = "https://www.googleapis.com/auth/devstorage.full_control";
/// Google's OAuth2 token endpoint (refresh tokens; the default `token_uri` of key files).
pub const TOKEN_URI: &str = "https://oauth2.googleapis.com/token";
/// The GCE metadata server's name (`GCE_METADATA_HOST` overrides it).
pub const METADATA_HOST: &str = "metadata.google.internal";
/// Where the metadata server hands out the default service account's token.
pub const METADATA_TOKEN_PATH: &str = "/computeMetadata/v1/instance/service-accounts/default/token";
/// A JWT assertion's lifetime: the hour Google allows at most.
#[cfg(feature = "rsa")]
const ASSERTION_LIFETIME: i64 = 3600;

/// An http(s) URL split the way a [`Request`] wants it.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenUri {
    pub scheme: String,
    /// Host with optional `:port`.
    pub host: String,
    pub path: String,
    /// The URL as given: the JWT's audience.
    pub url: String,
}

impl TokenUri {
    pub fn parse(url: &str) -> Result<TokenUri> {
        let u = url::Url::parse(url).map_err(|e| Error::invalid_input(format!("token_uri {url:?}: {e}")))?;
        let host = u.host_str().filter(|_| matches!(u.scheme(), "http" | "https"));
        let host = host.ok_or_else(|| Error::invalid_input(format!("token_uri {url:?} is not an http(s) URL")))?;
        let host = match u.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        };
        Ok(TokenUri { scheme: u.scheme().into(), host, path: u.path().into(), url: url.into() })
    }

    fn post_form(&self, params: &[(&str, &str)]) -> Request {
        let body: Vec<String> = params.iter().map(|(k, v)| format!("{k}={}", encode_unreserved(v))).collect();
        Request::new(Method::Post, &self.scheme, &self.host, self.path.clone())
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Accept", "application/json")
            .with_body(body.join("&"))
    }
}

impl fmt::Debug for TokenUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)
    }
}

/// A Google credentials JSON file (`GOOGLE_APPLICATION_CREDENTIALS`, gcloud's
/// application-default file), by its `type`.
#[derive(Debug)]
pub enum KeyFile {
    #[cfg(feature = "rsa")]
    ServiceAccount(Box<ServiceAccount>),
    AuthorizedUser(AuthorizedUser),
}

impl KeyFile {
    /// Parse a key file. Messages name fields and the `type`, never values of secret fields.
    pub fn parse(json: &[u8]) -> Result<KeyFile> {
        let v: Value = serde_json::from_slice(json).map_err(|e| {
            Error::invalid_input(format!("Google credentials file is not JSON (line {}, column {})", e.line(), e.column()))
        })?;
        let o = v.as_object().ok_or_else(|| Error::invalid_input("Google credentials file is not a JSON object"))?;
        let field = |name: &str| {
            o.get(name)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| Error::invalid_input(format!("Google credentials file: {name} is missing, empty or not a string")))
        };
        let token_uri = match o.get("token_uri").and_then(Value::as_str).filter(|s| !s.is_empty()) {
            Some(u) => TokenUri::parse(u)?,
            None => TokenUri::parse(TOKEN_URI)?,
        };
        match field("type")? {
            "service_account" => {
                let email = field("client_email")?.to_string();
                let pem = field("private_key")?;
                #[cfg(feature = "rsa")]
                {
                    let key = ServiceAccountKey::from_pem(pem)?;
                    let key_id = o.get("private_key_id").and_then(Value::as_str).map(str::to_string);
                    Ok(KeyFile::ServiceAccount(Box::new(ServiceAccount { client_email: email, key_id, key, token_uri })))
                }
                #[cfg(not(feature = "rsa"))]
                {
                    let _ = (email, pem);
                    Err(Error::not_supported("a service account key file needs pailfs built with the `rsa` feature"))
                }
            }
            "authorized_user" => Ok(KeyFile::AuthorizedUser(AuthorizedUser {
                client_id: field("client_id")?.to_string(),
                client_secret: Secret::new(field("client_secret")?),
                refresh_token: Secret::new(field("refresh_token")?),
                token_uri,
            })),
            other => {
                // Name the type only if it is one Google defines: the field could hold anything.
                const KNOWN: &[&str] = &[
                    "external_account",
                    "external_account_authorized_user",
                    "impersonated_service_account",
                    "gdch_service_account",
                ];
                let shown = KNOWN.iter().find(|k| **k == other).map_or("an unknown type".to_string(), |k| format!("type {k:?}"));
                Err(Error::not_supported(format!(
                    "Google credentials of {shown}: only service_account and authorized_user are loaded"
                )))
            }
        }
    }

    /// The source, to put in a [`super::CredentialCache`].
    pub fn into_provider(self) -> Box<dyn CredentialProvider> {
        match self {
            #[cfg(feature = "rsa")]
            KeyFile::ServiceAccount(s) => s,
            KeyFile::AuthorizedUser(u) => Box::new(u),
        }
    }
}

/// A service account: its email and RSA key sign a JWT that `token_uri` exchanges for a token.
#[cfg(feature = "rsa")]
#[derive(Clone)]
pub struct ServiceAccount {
    pub client_email: String,
    /// `private_key_id`, sent as the JWT's `kid`.
    pub key_id: Option<String>,
    pub key: ServiceAccountKey,
    pub token_uri: TokenUri,
}

#[cfg(feature = "rsa")]
impl fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ServiceAccount({} via {:?})", self.client_email, self.token_uri)
    }
}

#[cfg(feature = "rsa")]
impl ServiceAccount {
    /// The signed JWT assertion (RFC 7523), valid for an hour from `now`.
    pub fn assertion(&self, now: DateTime<Utc>) -> Result<Secret> {
        let mut header = serde_json::json!({"alg": "RS256", "typ": "JWT"});
        if let Some(kid) = &self.key_id {
            header["kid"] = Value::from(kid.as_str());
        }
        let iat = now.timestamp();
        let claims = serde_json::json!({
            "iss": self.client_email,
            "scope": SCOPE,
            "aud": self.token_uri.url,
            "iat": iat,
            "exp": iat + ASSERTION_LIFETIME,
        });
        let signing_input = format!("{}.{}", B64URL.encode(header.to_string()), B64URL.encode(claims.to_string()));
        let sig = self.key.sign_sha256(signing_input.as_bytes())?;
        Ok(Secret::new(format!("{signing_input}.{}", B64URL.encode(sig))))
    }
}

#[cfg(feature = "rsa")]
impl CredentialProvider for ServiceAccount {
    fn fetch(&self, now: DateTime<Utc>) -> Result<Box<dyn CredentialFetch + '_>> {
        let jwt = self.assertion(now)?;
        let req = self
            .token_uri
            .post_form(&[("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", jwt.expose())]);
        Ok(single_request_oauth(req, None, "service account token exchange"))
    }
}

/// A user's refresh token (gcloud's application-default login), exchanged at `token_uri`.
#[derive(Clone)]
pub struct AuthorizedUser {
    pub client_id: String,
    pub client_secret: Secret,
    pub refresh_token: Secret,
    pub token_uri: TokenUri,
}

impl fmt::Debug for AuthorizedUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AuthorizedUser({} via {:?})", self.client_id, self.token_uri)
    }
}

impl CredentialProvider for AuthorizedUser {
    fn fetch(&self, _now: DateTime<Utc>) -> Result<Box<dyn CredentialFetch + '_>> {
        let req = self.token_uri.post_form(&[
            ("grant_type", "refresh_token"),
            ("client_id", &self.client_id),
            ("client_secret", self.client_secret.expose()),
            ("refresh_token", self.refresh_token.expose()),
        ]);
        Ok(single_request_oauth(req, None, "refresh token exchange"))
    }
}

/// The GCE metadata server: the instance's default service account's token, one second at most.
#[derive(Clone, PartialEq, Eq)]
pub struct GceMetadata {
    pub scheme: String,
    /// Host with optional `:port` (`GCE_METADATA_HOST`).
    pub host: String,
}

impl Default for GceMetadata {
    fn default() -> Self {
        GceMetadata { scheme: "http".into(), host: METADATA_HOST.into() }
    }
}

impl GceMetadata {
    /// `GCE_METADATA_HOST`: a host with optional port, as the Google libraries take it.
    pub fn at(host: &str) -> Result<GceMetadata> {
        if host.is_empty() || host.contains(['/', '?', '#', '@', ' ', '\r', '\n']) {
            return Err(Error::invalid_input(format!("GCE_METADATA_HOST {host:?} is not a host[:port]")));
        }
        Ok(GceMetadata { scheme: "http".into(), host: host.into() })
    }

    pub fn request(&self) -> Request {
        Request::new(Method::Get, &self.scheme, &self.host, METADATA_TOKEN_PATH.to_string())
            .header("Metadata-Flavor", "Google")
            .header("Accept", "application/json")
    }
}

impl fmt::Debug for GceMetadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GceMetadata({}://{})", self.scheme, self.host)
    }
}

impl CredentialProvider for GceMetadata {
    fn fetch(&self, _now: DateTime<Utc>) -> Result<Box<dyn CredentialFetch + '_>> {
        Ok(single_request_oauth(self.request(), Some(METADATA_TIMEOUT), "GCE metadata server token"))
    }
}

/// One request to a token endpoint; its answer, of any status, goes to [`parse_token`].
fn single_request_oauth<'a>(
    req: Request,
    timeout: Option<std::time::Duration>,
    what: &'static str,
) -> Box<dyn CredentialFetch + 'a> {
    struct OAuth {
        request: Option<(Request, Option<std::time::Duration>)>,
        what: &'static str,
    }
    impl CredentialFetch for OAuth {
        fn next(&mut self, answer: Option<Response>, now: DateTime<Utc>) -> Result<FetchStep> {
            if let Some((request, timeout)) = self.request.take() {
                return Ok(FetchStep::Send { request, timeout });
            }
            let resp = answer.ok_or_else(|| Error::invalid_input("credential fetch driven past its end"))?;
            parse_token(&resp, now, self.what).map(FetchStep::Done)
        }
    }
    Box::new(OAuth { request: Some((req, timeout)), what })
}

/// `{"access_token", "expires_in", "token_type"}` as a bearer token expiring `expires_in`
/// seconds after `now`. A non-2xx answer is a typed error naming the source and OAuth's `error`
/// code, never quoting the body.
pub fn parse_token(resp: &Response, now: DateTime<Utc>, what: &str) -> Result<Expiring> {
    if !resp.is_success() {
        let mut e = expect_success(resp).unwrap_err().context(format_args!("{what}"));
        // OAuth's `error` is an identifier (RFC 6749 5.2); the description and the body are not
        // quoted: they may echo what was sent.
        let json: Option<Value> = serde_json::from_slice(&resp.body).ok();
        let code = json.as_ref().and_then(|j| j.get("error")).and_then(Value::as_str);
        if let Some(code) = code.filter(|c| c.len() <= 40 && c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')) {
            e.message.push_str(&format!(" ({code})"));
        }
        return Err(e);
    }
    let json: Value =
        serde_json::from_slice(&resp.body).map_err(|_| Error::invalid_response(format!("{what}: the answer is not JSON")))?;
    let token = json.get("access_token").and_then(Value::as_str).filter(|t| !t.is_empty());
    let token = token.ok_or_else(|| Error::invalid_response(format!("{what}: access_token is missing or empty")))?;
    if token.contains(['\r', '\n']) {
        return Err(Error::invalid_response(format!("{what}: access_token holds a line break")));
    }
    if let Some(t) = json.get("token_type").and_then(Value::as_str)
        && !t.eq_ignore_ascii_case("bearer")
    {
        return Err(Error::new(
            ErrorKind::NotSupported,
            format!("{what}: token_type {:?} is not Bearer", t.get(..20).unwrap_or(t)),
        ));
    }
    let secs = json.get("expires_in").and_then(Value::as_i64).filter(|s| *s > 0);
    let secs = secs.ok_or_else(|| Error::invalid_response(format!("{what}: expires_in is missing or not a positive number")))?;
    Ok(Expiring { credentials: Credentials::Bearer(Secret::new(token)), expires: Some(now + TimeDelta::seconds(secs)) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::creds::drive;
    use crate::core::http::Headers;

    const SECRET: &str = "googSECRETrefresh0123";
    const CLIENT_SECRET: &str = "googCLIENTsecret4567";

    fn now() -> DateTime<Utc> {
        "2024-01-01T10:00:00Z".parse().unwrap()
    }

    fn answer(status: u16, body: &str) -> Response {
        Response::new(status, Headers::new(), body.to_string())
    }

    fn user(token_uri: Option<&str>) -> String {
        let uri = token_uri.map(|u| format!(r#","token_uri":"{u}""#)).unwrap_or_default();
        format!(
            r#"{{"type":"authorized_user","client_id":"cid.apps","client_secret":"{CLIENT_SECRET}","refresh_token":"{SECRET}"{uri}}}"#
        )
    }

    #[test]
    fn authorized_user_posts_its_refresh_token() {
        let KeyFile::AuthorizedUser(u) = KeyFile::parse(user(None).as_bytes()).unwrap() else { panic!("not a user") };
        let shown = format!("{u:?}");
        assert!(!shown.contains(SECRET) && !shown.contains(CLIENT_SECRET) && shown.contains("cid.apps"), "{shown}");
        let mut seen = None;
        let e = drive(
            u.fetch(now()).unwrap(),
            |r| {
                seen = Some(r.clone());
                answer(200, r#"{"access_token":"ya29.user","expires_in":3599,"token_type":"Bearer"}"#)
            },
            now(),
        )
        .unwrap();
        let r = seen.unwrap();
        assert_eq!(
            (r.method, r.scheme.as_str(), r.host.as_str(), r.path.as_str()),
            (Method::Post, "https", "oauth2.googleapis.com", "/token")
        );
        assert_eq!(r.headers.get("content-type"), Some("application/x-www-form-urlencoded"));
        let form: Vec<(String, String)> = url::form_urlencoded::parse(&r.body).into_owned().collect();
        let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("grant_type"), Some("refresh_token"));
        assert_eq!(
            (get("client_id"), get("client_secret"), get("refresh_token")),
            (Some("cid.apps"), Some(CLIENT_SECRET), Some(SECRET))
        );
        assert_eq!(e.credentials, Credentials::Bearer(Secret::new("ya29.user")));
        assert_eq!(e.expires, Some(now() + TimeDelta::seconds(3599)));
        // The token_uri of the file is where it goes.
        let KeyFile::AuthorizedUser(u) = KeyFile::parse(user(Some("http://127.0.0.1:9/tok")).as_bytes()).unwrap() else {
            panic!()
        };
        assert_eq!(
            (u.token_uri.scheme.as_str(), u.token_uri.host.as_str(), u.token_uri.path.as_str()),
            ("http", "127.0.0.1:9", "/tok")
        );
    }

    #[test]
    fn metadata_server_asks_with_the_flavor_header_and_a_short_timeout() {
        let m = GceMetadata::at("127.0.0.1:8123").unwrap();
        let mut f = m.fetch(now()).unwrap();
        let FetchStep::Send { request, timeout } = f.next(None, now()).unwrap() else { panic!("no request") };
        assert_eq!(
            (request.method, request.host.as_str(), request.path.as_str()),
            (Method::Get, "127.0.0.1:8123", METADATA_TOKEN_PATH)
        );
        assert_eq!(request.headers.get("metadata-flavor"), Some("Google"));
        assert_eq!(timeout, Some(METADATA_TIMEOUT));
        let FetchStep::Done(e) =
            f.next(Some(answer(200, r#"{"access_token":"ya29.gce","expires_in":60,"token_type":"Bearer"}"#)), now()).unwrap()
        else {
            panic!("not done")
        };
        assert_eq!(e.expires, Some(now() + TimeDelta::seconds(60)));
        assert_eq!(GceMetadata::default().host, METADATA_HOST);
        assert!(GceMetadata::at("http://x/").is_err() && GceMetadata::at("").is_err());
    }

    #[test]
    fn odd_files_and_answers_are_typed_errors_without_secrets() {
        let parse_err = |j: &str| KeyFile::parse(j.as_bytes()).unwrap_err();
        assert_eq!(parse_err("{").kind, ErrorKind::InvalidInput);
        assert_eq!(parse_err(r#"{"type":"external_account"}"#).kind, ErrorKind::NotSupported);
        let e = parse_err(&format!(r#"{{"type":"authorized_user","client_id":"c","client_secret":"{CLIENT_SECRET}"}}"#));
        assert!(e.message.contains("refresh_token") && !e.message.contains(CLIENT_SECRET), "{e}");
        #[cfg(feature = "rsa")]
        {
            let e = parse_err(&format!(r#"{{"type":"service_account","client_email":"a@b","private_key":"{SECRET}"}}"#));
            assert!(e.kind == ErrorKind::InvalidInput && !e.message.contains(SECRET), "{e}");
        }
        let run = |status: u16, body: &str| {
            let m = GceMetadata::default();
            drive(m.fetch(now()).unwrap(), |_| answer(status, body), now())
        };
        let e = run(401, &format!(r#"{{"error":"invalid_grant","error_description":"{SECRET}"}}"#)).unwrap_err();
        assert_eq!((e.kind, e.status), (ErrorKind::PermissionDenied, Some(401)));
        assert!(!e.message.contains(SECRET), "{e}");
        assert!(e.message.contains("GCE metadata server token") && e.message.ends_with("(invalid_grant)"), "{e}");
        let e = run(400, &format!(r#"{{"error":"{SECRET}"}}"#)).unwrap_err();
        assert!(!e.message.contains(SECRET) && e.message.contains("HTTP 400"), "{e}");
        assert_eq!(run(200, "not json").unwrap_err().kind, ErrorKind::InvalidResponse);
        assert_eq!(run(200, r#"{"access_token":"t"}"#).unwrap_err().kind, ErrorKind::InvalidResponse, "no expires_in");
        assert_eq!(run(200, r#"{"access_token":"","expires_in":5}"#).unwrap_err().kind, ErrorKind::InvalidResponse);
        assert_eq!(run(200, r#"{"access_token":"a\nb","expires_in":5}"#).unwrap_err().kind, ErrorKind::InvalidResponse);
        let e = run(200, &format!(r#"{{"access_token":"{SECRET}","expires_in":5,"token_type":"MAC"}}"#)).unwrap_err();
        assert!(e.kind == ErrorKind::NotSupported && !e.message.contains(SECRET), "{e}");
    }
}
