//! AWS STS: `AssumeRole` (signed with a source profile's credentials, which may themselves
//! refresh) and `AssumeRoleWithWebIdentity` (unsigned; the token is the proof). Requests built
//! and answers parsed here; the answers' temporary credentials carry their expiry.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{
    AwsCredentials, CredentialCache, CredentialFetch, CredentialProvider, CredentialStep, Credentials, Expiring, FetchStep,
    Secret,
};
use crate::core::auth::{Authorizer, Scheme};
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::http::{Method, Request, Response, encode_unreserved};
use crate::core::xml;

const VERSION: &str = "2011-06-15";

/// Where STS requests go, and the region they are signed for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StsEndpoint {
    pub scheme: String,
    pub host: String,
    pub region: String,
}

impl StsEndpoint {
    /// The regional AWS endpoint, `https://sts.{region}.amazonaws.com`.
    pub fn aws(region: &str) -> StsEndpoint {
        StsEndpoint { scheme: "https".into(), host: format!("sts.{region}.amazonaws.com"), region: region.into() }
    }

    /// A custom endpoint (`AWS_ENDPOINT_URL_STS`, a profile's `endpoint_url`; moto in tests).
    pub fn custom(url: &str, region: &str) -> Result<StsEndpoint> {
        let u = url::Url::parse(url).map_err(|e| Error::invalid_input(format!("STS endpoint {url:?}: {e}")))?;
        let host = u.host_str().filter(|_| matches!(u.scheme(), "http" | "https"));
        let host = host.ok_or_else(|| Error::invalid_input(format!("STS endpoint {url:?} is not an http(s) URL")))?;
        let host = match u.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        };
        Ok(StsEndpoint { scheme: u.scheme().into(), host, region: region.into() })
    }

    fn post(&self, params: &[(&str, &str)]) -> Request {
        let body: Vec<String> = params.iter().map(|(k, v)| format!("{k}={}", encode_unreserved(v))).collect();
        Request::new(Method::Post, &self.scheme, &self.host, "/")
            .header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
            .header("Accept", "application/xml")
            .with_body(body.join("&"))
    }
}

/// The `AssumeRole` request for `role_arn`, signed with `source` at `now`.
pub fn assume_role_request(
    endpoint: &StsEndpoint,
    role: &RoleSession,
    external_id: Option<&str>,
    source: &Credentials,
    now: DateTime<Utc>,
) -> Result<Request> {
    let duration = role.duration.map(|d| d.as_secs().to_string());
    let mut params = vec![
        ("Action", "AssumeRole"),
        ("Version", VERSION),
        ("RoleArn", &role.role_arn),
        ("RoleSessionName", &role.session_name),
    ];
    if let Some(d) = &duration {
        params.push(("DurationSeconds", d));
    }
    if let Some(x) = external_id {
        params.push(("ExternalId", x));
    }
    let mut req = endpoint.post(&params);
    let auth = Authorizer::new(Scheme::SigV4 { region: endpoint.region.clone(), service: "sts".into(), sign_payload: true });
    auth.authorize(&mut req, source, now)?;
    Ok(req)
}

/// The (unsigned) `AssumeRoleWithWebIdentity` request.
pub fn web_identity_request(endpoint: &StsEndpoint, role: &RoleSession, token: &Secret) -> Request {
    let duration = role.duration.map(|d| d.as_secs().to_string());
    let mut params = vec![
        ("Action", "AssumeRoleWithWebIdentity"),
        ("Version", VERSION),
        ("RoleArn", role.role_arn.as_str()),
        ("RoleSessionName", role.session_name.as_str()),
        ("WebIdentityToken", token.expose()),
    ];
    if let Some(d) = &duration {
        params.push(("DurationSeconds", d));
    }
    endpoint.post(&params)
}

/// An STS answer to `action` (`AssumeRole`, `AssumeRoleWithWebIdentity`): its credentials, or
/// its `<ErrorResponse>` as a typed error (`ExpiredTokenException`, `AccessDenied`, ...).
pub fn parse_credentials(resp: &Response, action: &str) -> Result<Expiring> {
    if !resp.is_success() {
        let status = resp.status;
        let kind = if matches!(status, 401 | 403) { ErrorKind::PermissionDenied } else { ErrorKind::Service };
        let mut e = Error::new(kind, format!("STS {action} answered HTTP {status}")).with_status(status);
        e.retryable = matches!(status, 429 | 500..=599);
        if let Ok(root) = xml::parse(&resp.body)
            && let Some(err) = root.child("Error")
        {
            let code = err.text_of("Code").unwrap_or_default();
            e.message = format!("STS {action} refused: {code}: {}", err.text_of("Message").unwrap_or_default());
            e.retryable |= code == "Throttling";
            e.code = Some(code.to_string());
        }
        return Err(e);
    }
    let bad = |what: &str| Error::invalid_response(format!("STS {action} answer: {what}"));
    let root = xml::parse(&resp.body)?;
    if root.name != format!("{action}Response") {
        return Err(bad(&format!("the root element is <{}>, not <{action}Response>", root.name)));
    }
    let c = root
        .child(&format!("{action}Result"))
        .and_then(|r| r.child("Credentials"))
        .ok_or_else(|| bad(&format!("no {action}Result/Credentials")))?;
    let field = |name: &str| {
        c.text_of(name).map(str::trim).filter(|v| !v.is_empty()).ok_or_else(|| bad(&format!("{name} is missing or empty")))
    };
    let (id, secret, token, expiration) =
        (field("AccessKeyId")?, field("SecretAccessKey")?, field("SessionToken")?, field("Expiration")?);
    let expires = DateTime::parse_from_rfc3339(expiration)
        .map_err(|_| bad(&format!("Expiration {expiration:?} is not an ISO 8601 timestamp")))?
        .with_timezone(&Utc);
    Ok(Expiring {
        credentials: Credentials::Aws(AwsCredentials::new(id, secret).with_session_token(token)),
        expires: Some(expires),
    })
}

/// The role to assume and the session's name (`role_session_name`; the SDKs make one up).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleSession {
    pub role_arn: String,
    pub session_name: String,
    /// `duration_seconds`; STS's default (an hour) when `None`.
    pub duration: Option<Duration>,
}

/// `role_arn` + `source_profile` (or `credential_source`): AssumeRole signed with the source's
/// credentials, which are a cache of their own so they refresh too (a role assumed from a
/// role, from container credentials, ...).
pub struct AssumeRole {
    pub endpoint: StsEndpoint,
    pub role: RoleSession,
    pub external_id: Option<String>,
    pub source: CredentialCache,
}

impl fmt::Debug for AssumeRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssumeRole")
            .field("role_arn", &self.role.role_arn)
            .field("sts", &format_args!("{}://{}", self.endpoint.scheme, self.endpoint.host))
            .field("source", &self.source)
            .finish()
    }
}

impl CredentialProvider for AssumeRole {
    fn fetch(&self, _now: DateTime<Utc>) -> Result<Box<dyn CredentialFetch + '_>> {
        Ok(Box::new(AssumeRoleFetch { p: self, state: RoleState::Start }))
    }
}

enum RoleState<'a> {
    Start,
    /// Refreshing the source credentials first.
    Source(Box<dyn CredentialFetch + 'a>),
    /// The AssumeRole request is out.
    Sent,
    Over,
}

struct AssumeRoleFetch<'a> {
    p: &'a AssumeRole,
    state: RoleState<'a>,
}

impl AssumeRoleFetch<'_> {
    fn assume(&mut self, source: &Credentials, now: DateTime<Utc>) -> Result<FetchStep> {
        self.state = RoleState::Sent;
        let request = assume_role_request(&self.p.endpoint, &self.p.role, self.p.external_id.as_deref(), source, now)?;
        Ok(FetchStep::Send { request, timeout: None })
    }
}

impl CredentialFetch for AssumeRoleFetch<'_> {
    fn next(&mut self, answer: Option<Response>, now: DateTime<Utc>) -> Result<FetchStep> {
        let source = &self.p.source;
        loop {
            match std::mem::replace(&mut self.state, RoleState::Over) {
                RoleState::Start => match source.step(now)? {
                    CredentialStep::Ready(c) => return self.assume(&c, now),
                    CredentialStep::Fetch(f) => self.state = RoleState::Source(f),
                },
                RoleState::Source(mut f) => {
                    // Relay the source's own fetch; its outcome goes into its cache.
                    let outcome = match f.next(answer, now) {
                        Ok(FetchStep::Send { request, timeout }) => {
                            self.state = RoleState::Source(f);
                            return Ok(FetchStep::Send { request, timeout });
                        }
                        Ok(FetchStep::Done(e)) => Ok(e),
                        Err(e) => Err(e),
                    };
                    let c = source.finish(outcome, now)?;
                    return self.assume(&c, now);
                }
                RoleState::Sent => {
                    let resp = answer.ok_or_else(|| Error::invalid_input("AssumeRole driven without its answer"))?;
                    return parse_credentials(&resp, "AssumeRole").map(FetchStep::Done);
                }
                RoleState::Over => return Err(Error::invalid_input("credential fetch driven past its end")),
            }
        }
    }

    fn failed(&mut self, err: Error, now: DateTime<Utc>) -> Error {
        match &mut self.state {
            // The source's own fetch failed: its cache must know (it backs off, keeps a valid one).
            RoleState::Source(f) => {
                let e = f.failed(err, now);
                self.p.source.finish(Err(e.clone()), now).err().unwrap_or(e)
            }
            _ => err,
        }
    }
}

/// Web identity (`AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`, EKS IRSA): the token is read
/// afresh for every fetch by `token` (the platform reads the file; it is rotated under us).
pub struct WebIdentity {
    pub endpoint: StsEndpoint,
    pub role: RoleSession,
    pub token: Arc<dyn Fn() -> Result<Secret> + Send + Sync>,
    /// Where the token comes from, for messages (a file name).
    pub token_source: String,
}

impl fmt::Debug for WebIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebIdentity")
            .field("role_arn", &self.role.role_arn)
            .field("sts", &format_args!("{}://{}", self.endpoint.scheme, self.endpoint.host))
            .field("token", &self.token_source)
            .finish()
    }
}

impl CredentialProvider for WebIdentity {
    fn fetch(&self, _now: DateTime<Utc>) -> Result<Box<dyn CredentialFetch + '_>> {
        let token = (self.token)()?;
        let req = web_identity_request(&self.endpoint, &self.role, &token);
        // parse_credentials reads error answers too: single_request's status check would hide STS's code.
        Ok(Box::new(WebFetch(Some(req))))
    }
}

struct WebFetch(Option<Request>);

impl CredentialFetch for WebFetch {
    fn next(&mut self, answer: Option<Response>, _now: DateTime<Utc>) -> Result<FetchStep> {
        if let Some(request) = self.0.take() {
            return Ok(FetchStep::Send { request, timeout: None });
        }
        let resp = answer.ok_or_else(|| Error::invalid_input("credential fetch driven past its end"))?;
        parse_credentials(&resp, "AssumeRoleWithWebIdentity").map(FetchStep::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::creds::{DEFAULT_EARLY, drive};
    use crate::core::http::Headers;

    const SOURCE_SECRET: &str = "sourceSECRETvalue0123456789";
    const ROLE_SECRET: &str = "roleSECRETvalue0123456789";

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn answer(action: &str, expiration: &str) -> Response {
        let body = format!(
            "<{action}Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><{action}Result><Credentials>\
             <AccessKeyId>ASIAROLE</AccessKeyId><SecretAccessKey>{ROLE_SECRET}</SecretAccessKey>\
             <SessionToken>roletoken</SessionToken><Expiration>{expiration}</Expiration></Credentials>\
             <AssumedRoleUser><Arn>arn:aws:sts::1:assumed-role/r/s</Arn></AssumedRoleUser></{action}Result></{action}Response>"
        );
        Response::new(200, Headers::new(), body)
    }

    fn role() -> RoleSession {
        RoleSession { role_arn: "arn:aws:iam::123456789012:role/reader".into(), session_name: "pailfs-1".into(), duration: None }
    }

    fn form(r: &Request) -> String {
        String::from_utf8(r.body.to_vec()).unwrap()
    }

    #[test]
    fn assume_role_is_signed_by_the_source_and_parsed() {
        let now = t("2024-01-01T10:00:00Z");
        let p = AssumeRole {
            endpoint: StsEndpoint::custom("http://127.0.0.1:5000", "eu-west-1").unwrap(),
            role: role(),
            external_id: Some("ext-1".into()),
            source: CredentialCache::fixed(Credentials::Aws(AwsCredentials::new("AKIDSOURCE", SOURCE_SECRET))),
        };
        let mut sent = Vec::new();
        let e = drive(
            p.fetch(now).unwrap(),
            |r| {
                sent.push(r.clone());
                answer("AssumeRole", "2024-01-01T11:00:00Z")
            },
            now,
        )
        .unwrap();
        assert_eq!(sent.len(), 1);
        let r = &sent[0];
        assert_eq!((r.method, r.url()), (Method::Post, "http://127.0.0.1:5000/".to_string()));
        assert_eq!(
            form(r),
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Freader&RoleSessionName=pailfs-1&ExternalId=ext-1"
        );
        let auth = r.headers.get("authorization").unwrap();
        assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDSOURCE/20240101/eu-west-1/sts/aws4_request"), "{auth}");
        assert_eq!(e.expires, Some(t("2024-01-01T11:00:00Z")));
        let Credentials::Aws(c) = &e.credentials else { panic!() };
        assert_eq!((c.access_key_id.as_str(), c.secret_access_key.expose()), ("ASIAROLE", ROLE_SECRET));
        assert_eq!(c.session_token.as_ref().unwrap().expose(), "roletoken");
        assert!(!format!("{p:?}").contains(SOURCE_SECRET));
    }

    /// A source that refreshes itself (container credentials) is fetched first, inside the
    /// role's fetch, and kept in its own cache: the next role refresh reuses it.
    #[test]
    fn a_refreshing_source_is_fetched_inside_the_role_fetch() {
        let now = t("2024-01-01T10:00:00Z");
        let container = crate::core::creds::AwsContainerCredentials::full("http://127.0.0.1:1/c", None).unwrap();
        let p = AssumeRole {
            endpoint: StsEndpoint::aws("us-east-1"),
            role: RoleSession { duration: Some(Duration::from_secs(900)), ..role() },
            external_id: None,
            source: CredentialCache::refreshing(Box::new(container), DEFAULT_EARLY),
        };
        let mut hosts = Vec::new();
        let mut run = |now| {
            drive(p.fetch(now).unwrap(), |r| {
                hosts.push(r.host.clone());
                if r.host == "127.0.0.1:1" {
                    let b = format!(r#"{{"AccessKeyId":"ASIASRC","SecretAccessKey":"{SOURCE_SECRET}","Token":"t","Expiration":"2024-01-01T16:00:00Z"}}"#);
                    Response::new(200, Headers::new(), b)
                } else {
                    assert!(r.headers.get("authorization").unwrap().contains("Credential=ASIASRC/"));
                    assert!(form(r).contains("&DurationSeconds=900"), "{}", form(r));
                    answer("AssumeRole", "2024-01-01T12:00:00Z")
                }
            }, now)
            .unwrap()
        };
        run(now);
        run(t("2024-01-01T11:58:00Z"));
        assert_eq!(hosts, ["127.0.0.1:1", "sts.us-east-1.amazonaws.com", "sts.us-east-1.amazonaws.com"]);
    }

    #[test]
    fn web_identity_sends_the_token_unsigned() {
        let now = t("2024-01-01T10:00:00Z");
        let p = WebIdentity {
            endpoint: StsEndpoint::aws("us-west-2"),
            role: role(),
            token: Arc::new(|| Ok(Secret::new("eyJ.web.token"))),
            token_source: "/var/run/token".into(),
        };
        let mut sent = None;
        drive(
            p.fetch(now).unwrap(),
            |r| {
                sent = Some(r.clone());
                answer("AssumeRoleWithWebIdentity", "2024-01-01T11:00:00.123Z")
            },
            now,
        )
        .unwrap();
        let r = sent.unwrap();
        assert!(!r.headers.contains("authorization"));
        assert!(form(&r).starts_with("Action=AssumeRoleWithWebIdentity&Version=2011-06-15&"));
        assert!(form(&r).ends_with("&WebIdentityToken=eyJ.web.token"));
        assert!(!format!("{p:?} {r:?}").contains("eyJ.web.token"));
        let failing = WebIdentity { token: Arc::new(|| Err(Error::new(ErrorKind::Io, "cannot read /x"))), ..p };
        assert_eq!(failing.fetch(now).err().unwrap().kind, ErrorKind::Io);
    }

    #[test]
    fn sts_errors_and_malformed_answers_are_typed() {
        let refused = "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not allowed</Message></Error></ErrorResponse>";
        let e = parse_credentials(&Response::new(403, Headers::new(), refused), "AssumeRole").unwrap_err();
        assert_eq!((e.kind, e.code.as_deref(), e.status), (ErrorKind::PermissionDenied, Some("AccessDenied"), Some(403)));
        assert!(e.message.contains("not allowed") && !e.retryable, "{e}");
        let e = parse_credentials(&Response::new(503, Headers::new(), "busy"), "AssumeRole").unwrap_err();
        assert!(e.retryable && e.kind == ErrorKind::Service);
        let good = answer("AssumeRole", "2024-01-01T11:00:00Z");
        let text = String::from_utf8(good.body.to_vec()).unwrap();
        for (body, why) in [
            (text.replace("AssumeRoleResponse", "OtherResponse"), "root element"),
            (text.replace("<SessionToken>roletoken</SessionToken>", ""), "SessionToken is missing"),
            (text.replace("2024-01-01T11:00:00Z", "soon"), "not an ISO 8601"),
            (text.replace("</Credentials>", ""), "malformed XML"),
            (text.replace("Credentials>", "Creds>"), "no AssumeRoleResult/Credentials"),
        ] {
            let e = parse_credentials(&Response::new(200, Headers::new(), body), "AssumeRole").unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidResponse);
            assert!(e.message.contains(why), "{e}");
            assert!(!format!("{e:?}").contains(ROLE_SECRET));
        }
    }
}
