//! One seam for every authorization scheme. The driver holds an [`Authorizer`] for its
//! provider's [`Scheme`] and a [`CredentialCache`]; before each attempt it asks the cache for
//! credentials and has the authorizer sign the request with them at the clock's time:
//!
//! ```text
//! let creds = match cache.step(clock.now())? {
//!     CredentialStep::Ready(c) => c,
//!     CredentialStep::Fetch(mut fetch) => {
//!         // A fetch may take several requests (IMDSv2: token, role, credentials).
//!         let mut answer = None;
//!         let outcome = loop {
//!             match fetch.next(answer.take(), clock.now()) {
//!                 Ok(FetchStep::Send { request, timeout }) => match send(request, timeout).await {
//!                     Ok(resp) => answer = Some(resp),
//!                     Err(e) => break Err(e),
//!                 },
//!                 Ok(FetchStep::Done(e)) => break Ok(e),
//!                 Err(e) => break Err(e),
//!             }
//!         };
//!         cache.finish(outcome, clock.now())?
//!     }
//! };
//! authorizer.authorize(&mut req, &creds, clock.now())?;
//! // ExpiredToken, or a 401 invalid_token, and cache.is_refreshing(): cache.invalidate(), retry.
//! ```
//!
//! The schemes' pure functions live in `core::sign` (and stay public for the vector tests);
//! this module only decides which one applies and how it is fed. The credential types are
//! defined in `core::creds` and re-exported here.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, SubsecRound, TimeDelta, Utc};
use percent_encoding::percent_decode_str;

pub use crate::core::creds::{
    AwsContainerCredentials, AwsCredentials, CredentialCache, CredentialFetch, CredentialProvider, CredentialStep, Credentials,
    DEFAULT_EARLY, Expiring, FetchStep, Secret,
};
use crate::core::error::{Error, Result};
use crate::core::http::{Method, Request, is_sensitive_header, is_sensitive_query};
use crate::core::sign::sigv4::{AWS4, Context, GOOG4_HMAC, Payload, SignOptions, Signer, is_unsigned_header};
use crate::core::sign::{azure, gcs};

/// How a provider's requests are authorized.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// AWS Signature Version 4. `service` is `s3` (S3's path rules and
    /// `x-amz-content-sha256`) or another AWS service such as `sts` (generic rules).
    /// `sign_payload` hashes bodies into the signature; otherwise they are sent as
    /// `UNSIGNED-PAYLOAD` (empty bodies are always hashed, which costs nothing).
    SigV4 { region: String, service: String, sign_payload: bool },
    /// GCS XML API with HMAC keys: SigV4 with GOOG4 names. `region` is normally `auto`.
    Goog4Hmac { region: String },
    /// OAuth2 access tokens (GCS, Azure Entra ID): `Authorization: Bearer`.
    Bearer,
    /// Azure Shared Key: `x-ms-date` and `Authorization: SharedKey`.
    AzureSharedKey,
    /// Azure SAS: the token appended to the query.
    AzureSas,
    /// Requests go unsigned whatever the credentials.
    None,
}

impl Scheme {
    fn name(&self) -> &'static str {
        match self {
            Scheme::SigV4 { .. } => "SigV4",
            Scheme::Goog4Hmac { .. } => "GOOG4-HMAC",
            Scheme::Bearer => "bearer-token",
            Scheme::AzureSharedKey => "Azure Shared Key",
            Scheme::AzureSas => "Azure SAS",
            Scheme::None => "unsigned",
        }
    }
}

/// S3's rules (the wire path signed verbatim) for S3 and its variants (`s3express`,
/// `s3-outposts`), the generic ones for every other AWS service.
fn is_s3(service: &str) -> bool {
    service.starts_with("s3")
}

/// Signs requests for one scheme, keeping what is worth keeping between requests (the
/// SigV4/GOOG4 derived-key cache).
pub struct Authorizer {
    scheme: Scheme,
    signer: Signer,
}

impl fmt::Debug for Authorizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authorizer").field("scheme", &self.scheme).finish_non_exhaustive()
    }
}

impl Authorizer {
    pub fn new(scheme: Scheme) -> Self {
        let opts = match &scheme {
            Scheme::SigV4 { service, .. } if !is_s3(service) => SignOptions::DEFAULT,
            _ => SignOptions::S3,
        };
        Authorizer { scheme, signer: Signer::new(opts) }
    }

    pub fn scheme(&self) -> &Scheme {
        &self.scheme
    }

    /// Sign `req` in place for sending at `now`. Signing the same request again (a retry)
    /// replaces what the previous signing set. A preset payload hash header
    /// (`x-amz-content-sha256` / `x-goog-content-sha256`: `UNSIGNED-PAYLOAD`, `STREAMING-…`) is
    /// kept. A credential that does not fit the scheme is `InvalidInput`; `Anonymous` (or
    /// [`Scheme::None`]) sends the request unsigned.
    pub fn authorize(&self, req: &mut Request, creds: &Credentials, now: DateTime<Utc>) -> Result<()> {
        match (&self.scheme, creds) {
            (_, Credentials::Anonymous) | (Scheme::None, _) => Ok(()),
            (Scheme::SigV4 { region, service, sign_payload }, Credentials::Aws(c)) => {
                let cx = aws_context(c, region, service, now);
                self.sign_headers(req, &cx, &c.secret_access_key, *sign_payload)
            }
            (Scheme::Goog4Hmac { region }, Credentials::GcsHmac { access_id, secret }) => {
                let cx = Context {
                    family: GOOG4_HMAC,
                    access_key_id: access_id,
                    session_token: None,
                    region,
                    service: gcs::SERVICE,
                    time: now,
                };
                self.sign_headers(req, &cx, secret, true)
            }
            (Scheme::Bearer, Credentials::Bearer(token)) => {
                if token.expose().contains(['\r', '\n']) {
                    return Err(Error::invalid_input("the bearer token holds a line break"));
                }
                req.headers.set("Authorization", format!("Bearer {}", token.expose()));
                Ok(())
            }
            (Scheme::AzureSharedKey, Credentials::AzureSharedKey { account, key }) => {
                azure::sign_shared_key(req, account, key, now)
            }
            (Scheme::AzureSas, Credentials::AzureSas(sas)) => azure::apply_sas(req, sas.expose()),
            (scheme, creds) => Err(mismatch(scheme, creds)),
        }
    }

    fn sign_headers(&self, req: &mut Request, cx: &Context, secret: &Secret, sign_payload: bool) -> Result<()> {
        let preset = req.headers.get(cx.family.content_sha256).map(str::to_string);
        let body = req.body.clone(); // a reference count, not a copy
        let payload = match &preset {
            Some(hash) => Payload::Precomputed(hash),
            None if sign_payload || body.is_empty() => Payload::Signed(&body),
            None => Payload::Unsigned,
        };
        self.signer.sign_with(req, cx, secret, payload).map(drop)
    }

    /// A URL someone else can use without credentials until `now + expires`: SigV4/GOOG4 query
    /// signing, GCS V4 signed URLs from a service account (RSA) or an HMAC key (GOOG4-HMAC),
    /// under [`Scheme::Goog4Hmac`] or [`Scheme::Bearer`] (the JSON API store), an Azure service SAS for the blob (from an account key), or the
    /// given SAS appended (the URL then also ends at the token's own `se`, if earlier).
    /// `NotSupported` where the credential cannot presign (bearer tokens, anonymous access) and
    /// under [`Scheme::None`]. The request's headers are signed (SigV4/GOOG4) or needed (Azure),
    /// so they come back in [`Presigned::headers`]: remove any the holder should choose before
    /// calling. S3 URLs sign `UNSIGNED-PAYLOAD` (the holder sends any body); other AWS services
    /// sign the request's body.
    pub fn presign(&self, mut req: Request, creds: &Credentials, now: DateTime<Utc>, expires: Duration) -> Result<Presigned> {
        if expires.is_zero() {
            return Err(Error::invalid_input("a presigned URL must live at least a second"));
        }
        // Every scheme writes its times in whole seconds: the URL ends `expires` after the second
        // it was signed in.
        let signed_at = now.trunc_subsecs(0);
        let mut until = TimeDelta::from_std(expires)
            .ok()
            .and_then(|d| signed_at.checked_add_signed(d))
            .ok_or_else(|| Error::invalid_input("presigned URL expiry is out of range"))?;
        match (&self.scheme, creds) {
            (_, Credentials::Anonymous | Credentials::Bearer(_)) | (Scheme::None, _) => {
                return Err(Error::not_supported(format!(
                    "{} cannot presign a URL under the {} scheme",
                    creds.kind(),
                    self.scheme.name()
                )));
            }
            (Scheme::SigV4 { region, service, .. }, Credentials::Aws(c)) => {
                let cx = aws_context(c, region, service, now);
                let body = req.body.clone();
                let payload = if is_s3(service) { Payload::Unsigned } else { Payload::Signed(&body) };
                self.signer.presign_with(&mut req, &cx, &c.secret_access_key, expires, payload)?;
            }
            (Scheme::Goog4Hmac { region }, Credentials::GcsHmac { .. } | Credentials::GcsServiceAccount { .. }) => {
                gcs::presign(&mut req, creds, region, now, expires)?;
            }
            (Scheme::Bearer, Credentials::GcsServiceAccount { .. } | Credentials::GcsHmac { .. }) => {
                gcs::presign(&mut req, creds, gcs::DEFAULT_REGION, now, expires)?;
            }
            (Scheme::AzureSharedKey, Credentials::AzureSharedKey { account, key }) => {
                azure::presign_blob(&mut req, account, key, until)?;
            }
            (Scheme::AzureSas, Credentials::AzureSas(sas)) => {
                azure::apply_sas(&mut req, sas.expose())?;
                if let Some(se) = sas_expiry(&req) {
                    until = until.min(se);
                }
            }
            (scheme, creds) => return Err(mismatch(scheme, creds)),
        }
        let headers = req
            .headers
            .iter()
            .filter(|(k, _)| {
                let k = k.to_ascii_lowercase();
                k != "host" && !is_unsigned_header(&k)
            })
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Ok(Presigned { method: req.method, url: req.url(), headers, expires: until })
    }
}

fn mismatch(scheme: &Scheme, creds: &Credentials) -> Error {
    Error::invalid_input(format!("{} cannot authorize {} requests", creds.kind(), scheme.name()))
}

/// The `se` of a SAS on the request: a time, or a date meaning its midnight (UTC).
fn sas_expiry(req: &Request) -> Option<DateTime<Utc>> {
    let (_, se) = req.query.iter().find(|(k, _)| k == "se")?;
    if let Ok(t) = DateTime::parse_from_rfc3339(se) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(se, "%Y-%m-%d").ok()?.and_hms_opt(0, 0, 0).map(|t| t.and_utc())
}

/// A presigned request: what the holder must send.
#[derive(Clone, PartialEq, Eq)]
pub struct Presigned {
    pub method: Method,
    /// Carries the signature (or SAS): hand it over, do not log it.
    pub url: String,
    /// Headers to send exactly as they are: the signed ones for SigV4/GOOG4 (`host` excepted:
    /// the URL carries it), the ones the request needs for Azure. Empty for a plain GET.
    pub headers: Vec<(String, String)>,
    pub expires: DateTime<Utc>,
}

/// The URL's credential-bearing parameters and sensitive header values are replaced.
impl fmt::Debug for Presigned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| {
                let lk = k.to_ascii_lowercase();
                let hide = is_sensitive_header(&lk) || lk.contains("encryption-key") || lk.contains("customer-key");
                (k.as_str(), if hide { "<redacted>" } else { v.as_str() })
            })
            .collect();
        f.debug_struct("Presigned")
            .field("method", &self.method)
            .field("url", &redact_url(&self.url))
            .field("headers", &headers)
            .field("expires", &self.expires)
            .finish()
    }
}

/// `url` with the values of [`is_sensitive_query`] parameters replaced.
fn redact_url(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else { return url.to_string() };
    let mut out = format!("{base}?");
    for (i, part) in query.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        match part.split_once('=') {
            Some((k, _)) if is_sensitive_query(&percent_decode_str(k).decode_utf8_lossy()) => {
                out.push_str(k);
                out.push_str("=<redacted>");
            }
            _ => out.push_str(part),
        }
    }
    out
}

/// The SigV4 context of AWS keys in `region` for `service` at `now`.
fn aws_context<'a>(c: &'a AwsCredentials, region: &'a str, service: &'a str, now: DateTime<Utc>) -> Context<'a> {
    Context { family: AWS4, access_key_id: &c.access_key_id, session_token: c.session_token.as_ref(), region, service, time: now }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use crate::core::sign::azure::{SasResource, ServiceSas};

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const AZ_KEY: &str = "a2V5LWZvci11bml0LXRlc3Rz"; // base64("key-for-unit-tests")

    fn now() -> DateTime<Utc> {
        "2024-05-01T10:00:00Z".parse().unwrap()
    }

    fn aws() -> Credentials {
        Credentials::Aws(AwsCredentials::new("AKIDEXAMPLE", SECRET).with_session_token("SESSIONTOKEN"))
    }

    fn s3() -> Authorizer {
        Authorizer::new(Scheme::SigV4 { region: "us-east-1".into(), service: "s3".into(), sign_payload: false })
    }

    fn hmac() -> Credentials {
        Credentials::GcsHmac { access_id: "GOOG1EXAMPLE".into(), secret: Secret::new("gcs-hmac-secret") }
    }

    fn get(host: &str, path: &str) -> Request {
        Request::new(Method::Get, "https", host, path)
    }

    #[test]
    fn sigv4_signs_like_the_signer() {
        let mut req = Request::new(Method::Put, "https", "b.s3.amazonaws.com", "/k").with_body("hello");
        s3().authorize(&mut req, &aws(), now()).unwrap();
        assert_eq!(req.headers.get("x-amz-content-sha256"), Some("UNSIGNED-PAYLOAD"));
        assert_eq!(req.headers.get("x-amz-security-token"), Some("SESSIONTOKEN"));
        let auth = req.headers.get("authorization").unwrap().to_string();
        assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/us-east-1/s3/aws4_request, "), "{auth}");
        // A retry a minute later re-signs in place: one of each header, a new signature.
        s3().authorize(&mut req, &aws(), now() + TimeDelta::minutes(1)).unwrap();
        assert_eq!(req.headers.get_all("authorization").count(), 1);
        assert_ne!(req.headers.get("authorization").unwrap(), auth);
        // Payload signing hashes the body; an empty body is always hashed.
        let signing = Authorizer::new(Scheme::SigV4 { region: "us-east-1".into(), service: "s3".into(), sign_payload: true });
        let mut req = Request::new(Method::Put, "https", "b.s3.amazonaws.com", "/k").with_body("hello");
        signing.authorize(&mut req, &aws(), now()).unwrap();
        assert_eq!(
            req.headers.get("x-amz-content-sha256"),
            Some("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
        );
        let mut empty = get("b.s3.amazonaws.com", "/k");
        s3().authorize(&mut empty, &aws(), now()).unwrap();
        assert_eq!(
            empty.headers.get("x-amz-content-sha256"),
            Some("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        );
        // Other services: generic rules, no payload header.
        let sts = Authorizer::new(Scheme::SigV4 { region: "us-east-1".into(), service: "sts".into(), sign_payload: true });
        let mut req = Request::new(Method::Post, "https", "sts.amazonaws.com", "/").with_body("Action=GetCallerIdentity");
        sts.authorize(&mut req, &aws(), now()).unwrap();
        assert!(!req.headers.contains("x-amz-content-sha256"));
    }

    #[test]
    fn goog4_hmac_is_sigv4_with_goog4_names() {
        let a = Authorizer::new(Scheme::Goog4Hmac { region: "auto".into() });
        let mut req = Request::new(Method::Put, "https", "storage.googleapis.com", "/b/o")
            .header("x-goog-content-sha256", "UNSIGNED-PAYLOAD")
            .with_body("x");
        a.authorize(&mut req, &hmac(), now()).unwrap();
        assert_eq!(req.headers.get("x-goog-date"), Some("20240501T100000Z"));
        assert_eq!(req.headers.get("x-goog-content-sha256"), Some("UNSIGNED-PAYLOAD"), "a preset hash is kept");
        assert!(
            req.headers
                .get("authorization")
                .unwrap()
                .starts_with("GOOG4-HMAC-SHA256 Credential=GOOG1EXAMPLE/20240501/auto/storage/goog4_request, ")
        );
    }

    #[test]
    fn bearer_azure_and_anonymous() {
        let mut req = get("storage.googleapis.com", "/b/o");
        Authorizer::new(Scheme::Bearer).authorize(&mut req, &Credentials::Bearer("ya29.token".into()), now()).unwrap();
        assert_eq!(req.headers.get("authorization"), Some("Bearer ya29.token"));
        assert!(!format!("{req:?}").contains("ya29"));
        assert!(Authorizer::new(Scheme::Bearer).authorize(&mut req, &Credentials::Bearer("a\nb".into()), now()).is_err());

        let mut req = get("acct.blob.core.windows.net", "/c/b");
        let key = Credentials::AzureSharedKey { account: "acct".into(), key: AZ_KEY.into() };
        Authorizer::new(Scheme::AzureSharedKey).authorize(&mut req, &key, now()).unwrap();
        assert!(req.headers.get("authorization").unwrap().starts_with("SharedKey acct:"));
        assert_eq!(req.headers.get("x-ms-date"), Some("Wed, 01 May 2024 10:00:00 GMT"));

        let sas = Credentials::AzureSas("sv=2022-11-02&sp=r&se=2024-06-01&sig=abc%2B".into());
        let mut req = get("acct.blob.core.windows.net", "/c/b").query_param("timeout", "30");
        for _ in 0..2 {
            Authorizer::new(Scheme::AzureSas).authorize(&mut req, &sas, now()).unwrap();
        }
        assert_eq!(req.url(), "https://acct.blob.core.windows.net/c/b?timeout=30&sv=2022-11-02&sp=r&se=2024-06-01&sig=abc%2B");

        for scheme in [s3().scheme().clone(), Scheme::Bearer, Scheme::AzureSas, Scheme::None] {
            let mut req = get("h", "/x");
            Authorizer::new(scheme).authorize(&mut req, &Credentials::Anonymous, now()).unwrap();
            assert!(req.headers.is_empty() && req.query.is_empty(), "{req:?}");
        }
        let mut req = get("h", "/x");
        Authorizer::new(Scheme::None).authorize(&mut req, &aws(), now()).unwrap();
        assert!(req.headers.is_empty());
    }

    #[test]
    fn credentials_that_do_not_fit_are_invalid_input() {
        let pairs = [
            (s3(), hmac()),
            (Authorizer::new(Scheme::Goog4Hmac { region: "auto".into() }), aws()),
            (Authorizer::new(Scheme::Bearer), Credentials::AzureSas("sig=x".into())),
            (Authorizer::new(Scheme::AzureSharedKey), Credentials::Bearer("t".into())),
            (Authorizer::new(Scheme::AzureSas), Credentials::AzureSharedKey { account: "a".into(), key: AZ_KEY.into() }),
        ];
        for (a, c) in pairs {
            let e = a.authorize(&mut get("h", "/x"), &c, now()).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidInput, "{e}");
            assert!(e.message.contains(c.kind()) && e.message.contains(a.scheme().name()), "{e}");
        }
        let e = s3().presign(get("h", "/x"), &hmac(), now(), Duration::from_secs(60)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput);
    }

    #[test]
    fn presign_sigv4() {
        let p = s3().presign(get("b.s3.amazonaws.com", "/k"), &aws(), now(), Duration::from_secs(3600)).unwrap();
        assert_eq!(p.method, Method::Get);
        assert!(p.url.starts_with("https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&"), "{}", p.url);
        assert!(p.url.contains("X-Amz-Security-Token=SESSIONTOKEN") && p.url.contains("&X-Amz-Signature="));
        assert!(p.headers.is_empty(), "{p:?}");
        assert_eq!(p.expires, now() + TimeDelta::hours(1));
        // Signed at 10:00:00.750 the URL says X-Amz-Date=…T100000Z: it ends at 11:00:00 sharp.
        let late = s3().presign(get("h", "/k"), &aws(), now() + TimeDelta::milliseconds(750), Duration::from_secs(3600)).unwrap();
        assert!(late.url.contains("X-Amz-Date=20240501T100000Z"), "{}", late.url);
        assert_eq!(late.expires, now() + TimeDelta::hours(1));
        let put = Request::new(Method::Put, "https", "b.s3.amazonaws.com", "/k").header("Content-Type", "text/plain");
        let p = s3().presign(put, &aws(), now(), Duration::from_secs(60)).unwrap();
        assert_eq!(p.headers, vec![("Content-Type".to_string(), "text/plain".to_string())]);
        assert!(p.url.contains("X-Amz-SignedHeaders=content-type%3Bhost"), "{}", p.url);
        for bad in [Duration::ZERO, Duration::from_secs(8 * 24 * 3600)] {
            assert_eq!(s3().presign(get("h", "/k"), &aws(), now(), bad).unwrap_err().kind, ErrorKind::InvalidInput);
        }
    }

    #[test]
    fn presign_goog4_hmac_matches_the_signed_url_builder() {
        let a = Authorizer::new(Scheme::Goog4Hmac { region: "auto".into() });
        let p = a.presign(get("storage.googleapis.com", "/bucket/a%20b.txt"), &hmac(), now(), Duration::from_secs(900)).unwrap();
        let v4 = gcs::V4SignRequest::new(Method::Get, "bucket", Some("a b.txt"), now(), 900);
        assert_eq!(p.url, gcs::signed_url(&v4, &hmac()).unwrap());
        assert!(p.headers.is_empty());
        // The JSON API store (bearer scheme) signs URLs with an HMAC key the same way.
        let bearer = Authorizer::new(Scheme::Bearer);
        let q = bearer.presign(get("storage.googleapis.com", "/bucket/a%20b.txt"), &hmac(), now(), Duration::from_secs(900));
        assert_eq!(q.unwrap().url, p.url);
    }

    #[test]
    fn presign_azure_service_sas() {
        let key = Credentials::AzureSharedKey { account: "devstoreaccount1".into(), key: AZ_KEY.into() };
        let a = Authorizer::new(Scheme::AzureSharedKey);
        let expect = |perm: &str, blob: &str| {
            let sas = ServiceSas::new(
                SasResource::Blob { container: "c1".into(), blob: blob.into() },
                perm,
                now() + TimeDelta::hours(1),
            );
            azure::service_sas(&sas, "devstoreaccount1", &Secret::new(AZ_KEY)).unwrap()
        };
        // Path style (Azurite): the account is the first segment.
        let req = Request::new(Method::Get, "http", "127.0.0.1:10000", "/devstoreaccount1/c1/dir/%C3%A9%20x.txt");
        let p = a.presign(req, &key, now(), Duration::from_secs(3600)).unwrap();
        assert_eq!(
            p.url,
            format!("http://127.0.0.1:10000/devstoreaccount1/c1/dir/%C3%A9%20x.txt?{}", expect("r", "dir/é x.txt"))
        );
        // Account host; PUT needs create and write, and its headers come back.
        let req = Request::new(Method::Put, "https", "devstoreaccount1.blob.core.windows.net", "/c1/b")
            .header("x-ms-blob-type", "BlockBlob");
        let p = a.presign(req, &key, now(), Duration::from_secs(3600)).unwrap();
        assert!(p.url.ends_with(&expect("cw", "b")), "{}", p.url);
        assert_eq!(p.headers, vec![("x-ms-blob-type".to_string(), "BlockBlob".to_string())]);
        let del = Request::new(Method::Delete, "https", "devstoreaccount1.blob.core.windows.net", "/c1/b");
        assert!(a.presign(del, &key, now(), Duration::from_secs(3600)).unwrap().url.ends_with(&expect("d", "b")));
        // A container is not a blob; POST has no SAS permission here.
        let e =
            a.presign(get("devstoreaccount1.blob.core.windows.net", "/c1"), &key, now(), Duration::from_secs(60)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput);
        let post = Request::new(Method::Post, "https", "devstoreaccount1.blob.core.windows.net", "/c1/b");
        assert_eq!(a.presign(post, &key, now(), Duration::from_secs(60)).unwrap_err().kind, ErrorKind::NotSupported);
    }

    #[test]
    fn presign_with_a_given_sas_ends_with_it() {
        let sas = Credentials::AzureSas("sv=2022-11-02&sp=r&se=2024-05-01T10%3A30%3A00Z&sig=abc".into());
        let a = Authorizer::new(Scheme::AzureSas);
        let p = a.presign(get("acct.blob.core.windows.net", "/c/b"), &sas, now(), Duration::from_secs(3600)).unwrap();
        assert_eq!(p.expires, "2024-05-01T10:30:00Z".parse::<DateTime<Utc>>().unwrap());
        let p = a.presign(get("acct.blob.core.windows.net", "/c/b"), &sas, now(), Duration::from_secs(60)).unwrap();
        assert_eq!(p.expires, now() + TimeDelta::minutes(1));
    }

    #[test]
    fn presign_refusals() {
        for (a, c) in [
            (Authorizer::new(Scheme::Bearer), Credentials::Bearer("t".into())),
            (s3(), Credentials::Anonymous),
            (Authorizer::new(Scheme::None), aws()),
        ] {
            let e = a.presign(get("h", "/b/k"), &c, now(), Duration::from_secs(60)).unwrap_err();
            assert_eq!(e.kind, ErrorKind::NotSupported, "{e}");
        }
    }

    #[test]
    fn presigned_debug_redacts() {
        let p = s3().presign(get("b.s3.amazonaws.com", "/k"), &aws(), now(), Duration::from_secs(60)).unwrap();
        let sig = p.url.split("X-Amz-Signature=").nth(1).unwrap().to_string();
        let shown = format!("{p:?}");
        assert!(!shown.contains(&sig) && !shown.contains("SESSIONTOKEN") && !shown.contains(SECRET), "{shown}");
        assert!(shown.contains("X-Amz-Signature=<redacted>") && shown.contains("X-Amz-Expires=60"), "{shown}");
        let p = Presigned {
            method: Method::Get,
            url: "https://a.blob.core.windows.net/c/b?sv=1&sig=SASSIG".into(),
            headers: vec![("x-ms-encryption-key".into(), "KEYBYTES".into()), ("x-ms-version".into(), "2022-11-02".into())],
            expires: now(),
        };
        let shown = format!("{p:?}");
        assert!(!shown.contains("SASSIG") && !shown.contains("KEYBYTES") && shown.contains("2022-11-02"), "{shown}");
        assert_eq!(
            format!("{:?}", s3()),
            "Authorizer { scheme: SigV4 { region: \"us-east-1\", service: \"s3\", sign_payload: false }, .. }"
        );
    }
}
