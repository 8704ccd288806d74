//! EC2 instance metadata (IMDSv2): PUT a session token, GET the role name, GET its
//! credentials, each with a short timeout so a machine without IMDS costs a second.

use std::fmt;

use chrono::{DateTime, Utc};

use super::{CredentialFetch, CredentialProvider, FetchStep, METADATA_TIMEOUT, Secret, expect_success, parse_aws_json};
use crate::core::error::{Error, Result};
use crate::core::http::{Method, Request, Response};

/// The instance metadata service's address.
pub const IMDS_HOST: &str = "169.254.169.254";
const CREDENTIALS_PATH: &str = "/latest/meta-data/iam/security-credentials/";
/// The session token's lifetime asked for, in seconds (the SDKs' six hours; a fetch uses it once).
const TOKEN_TTL: &str = "21600";
/// The header carrying the session token (a secret: `Headers` redacts it).
pub const TOKEN_HEADER: &str = "x-aws-ec2-metadata-token";

/// EC2 role credentials from IMDSv2.
#[derive(Clone, PartialEq, Eq)]
pub struct Imds {
    pub scheme: String,
    /// Host with optional `:port`.
    pub host: String,
}

impl Default for Imds {
    fn default() -> Self {
        Imds { scheme: "http".into(), host: IMDS_HOST.into() }
    }
}

impl fmt::Debug for Imds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Imds({}://{})", self.scheme, self.host)
    }
}

impl Imds {
    /// `AWS_EC2_METADATA_SERVICE_ENDPOINT` (`http://[fd00:ec2::254]`, a stub in tests).
    pub fn at(endpoint: &str) -> Result<Imds> {
        let u = url::Url::parse(endpoint).map_err(|e| Error::invalid_input(format!("instance metadata endpoint: {e}")))?;
        let host = u.host_str().filter(|_| matches!(u.scheme(), "http" | "https"));
        let host = host.ok_or_else(|| Error::invalid_input("the instance metadata endpoint must be an http(s) URL"))?;
        let host = match u.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        };
        Ok(Imds { scheme: u.scheme().into(), host })
    }

    fn request(&self, method: Method, path: String) -> Request {
        Request::new(method, &self.scheme, &self.host, path)
    }
}

impl CredentialProvider for Imds {
    fn fetch(&self, _now: DateTime<Utc>) -> Result<Box<dyn CredentialFetch + '_>> {
        Ok(Box::new(ImdsFetch { imds: self, state: State::Start }))
    }
}

enum State {
    Start,
    Token,
    Role(Secret),
    Credentials,
}

struct ImdsFetch<'a> {
    imds: &'a Imds,
    state: State,
}

fn send(request: Request) -> Result<FetchStep> {
    Ok(FetchStep::Send { request, timeout: Some(METADATA_TIMEOUT) })
}

fn text(resp: &Response, what: &str) -> Result<String> {
    expect_success(resp).map_err(|e| e.context(format_args!("instance metadata, {what}")))?;
    String::from_utf8(resp.body.to_vec())
        .map_err(|_| Error::invalid_response(format!("instance metadata: the {what} is not UTF-8")))
}

impl CredentialFetch for ImdsFetch<'_> {
    fn next(&mut self, answer: Option<Response>, _now: DateTime<Utc>) -> Result<FetchStep> {
        let state = std::mem::replace(&mut self.state, State::Credentials);
        let resp = match (&state, answer) {
            (State::Start, _) => {
                self.state = State::Token;
                return send(
                    self.imds
                        .request(Method::Put, "/latest/api/token".into())
                        .header("x-aws-ec2-metadata-token-ttl-seconds", TOKEN_TTL),
                );
            }
            (_, Some(r)) => r,
            (_, None) => return Err(Error::invalid_input("instance metadata fetch driven without an answer")),
        };
        match state {
            State::Start => unreachable!("answered above"),
            State::Token => {
                let token = Secret::new(text(&resp, "session token")?.trim());
                if token.expose().is_empty() || token.expose().contains(['\r', '\n']) {
                    return Err(Error::invalid_response("instance metadata: the session token is empty or holds a line break"));
                }
                let req = self.imds.request(Method::Get, CREDENTIALS_PATH.into()).header(TOKEN_HEADER, token.expose());
                self.state = State::Role(token);
                send(req)
            }
            State::Role(token) => {
                let listing = text(&resp, "role name")?;
                let role = listing.lines().map(str::trim).find(|l| !l.is_empty());
                let role = role.ok_or_else(|| {
                    Error::new(
                        crate::core::error::ErrorKind::PermissionDenied,
                        "instance metadata: this instance has no IAM role",
                    )
                })?;
                if !role.bytes().all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b)) {
                    return Err(Error::invalid_response("instance metadata: the role name holds characters IAM does not allow"));
                }
                self.state = State::Credentials;
                send(self.imds.request(Method::Get, format!("{CREDENTIALS_PATH}{role}")).header(TOKEN_HEADER, token.expose()))
            }
            State::Credentials => {
                expect_success(&resp).map_err(|e| e.context("instance metadata, role credentials"))?;
                if let Ok(serde_json::Value::Object(o)) = serde_json::from_slice::<serde_json::Value>(&resp.body)
                    && let Some(code) = o.get("Code").and_then(|c| c.as_str()).filter(|c| *c != "Success")
                {
                    return Err(Error::invalid_response(format!("instance metadata: the role credentials say Code {code:?}")));
                }
                parse_aws_json(&resp.body, "instance metadata credentials").map(FetchStep::Done)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::creds::{Credentials, drive};
    use crate::core::error::ErrorKind;
    use crate::core::http::Headers;

    const SECRET: &str = "imdsSECRETvalue0123456789";

    fn ok(body: &str) -> Response {
        Response::new(200, Headers::new(), body.to_string())
    }

    fn creds(code: &str) -> String {
        format!(
            r#"{{"Code":"{code}","Type":"AWS-HMAC","AccessKeyId":"ASIAIMDS","SecretAccessKey":"{SECRET}","Token":"tok","Expiration":"2024-01-01T12:00:00Z"}}"#
        )
    }

    #[test]
    fn token_then_role_then_credentials() {
        let now: DateTime<Utc> = "2024-01-01T10:00:00Z".parse().unwrap();
        let imds = Imds::at("http://127.0.0.1:8111").unwrap();
        let mut seen = Vec::new();
        let e = drive(
            imds.fetch(now).unwrap(),
            |r| {
                seen.push((r.method, r.path.clone(), r.headers.get(TOKEN_HEADER).map(str::to_string)));
                match r.path.as_str() {
                    "/latest/api/token" => {
                        assert_eq!(r.headers.get("x-aws-ec2-metadata-token-ttl-seconds"), Some("21600"));
                        ok("session-token-1\n")
                    }
                    CREDENTIALS_PATH => ok("reader-role\n"),
                    _ => ok(&creds("Success")),
                }
            },
            now,
        )
        .unwrap();
        assert_eq!(
            seen,
            [
                (Method::Put, "/latest/api/token".to_string(), None),
                (Method::Get, CREDENTIALS_PATH.to_string(), Some("session-token-1".to_string())),
                (Method::Get, format!("{CREDENTIALS_PATH}reader-role"), Some("session-token-1".to_string())),
            ]
        );
        let Credentials::Aws(c) = e.credentials else { panic!() };
        assert_eq!((c.access_key_id.as_str(), c.secret_access_key.expose()), ("ASIAIMDS", SECRET));
        assert_eq!(Imds::default().host, IMDS_HOST);
    }

    #[test]
    fn refusals_and_odd_answers_are_errors() {
        let now: DateTime<Utc> = "2024-01-01T10:00:00Z".parse().unwrap();
        let imds = Imds::default();
        let run = |token: Response, role: Response, c: Response| {
            drive(
                imds.fetch(now).unwrap(),
                |r| match r.path.as_str() {
                    "/latest/api/token" => token.clone(),
                    CREDENTIALS_PATH => role.clone(),
                    _ => c.clone(),
                },
                now,
            )
            .unwrap_err()
        };
        let e = run(Response::new(403, Headers::new(), ""), ok("r"), ok(&creds("Success")));
        assert_eq!((e.kind, e.status), (ErrorKind::PermissionDenied, Some(403)));
        assert!(e.message.contains("session token"), "{e}");
        assert_eq!(run(ok("t"), ok(""), ok(&creds("Success"))).kind, ErrorKind::PermissionDenied, "no role");
        assert_eq!(run(ok("t"), ok("../etc"), ok(&creds("Success"))).kind, ErrorKind::InvalidResponse);
        assert_eq!(run(ok("a\r\nb"), ok("r"), ok(&creds("Success"))).kind, ErrorKind::InvalidResponse);
        let e = run(ok("t"), ok("r"), ok(&creds("Failed")));
        assert!(e.message.contains("\"Failed\"") && !e.message.contains(SECRET), "{e}");
        assert_eq!(run(ok("t"), ok("r"), Response::new(404, Headers::new(), "")).status, Some(404));
        assert!(Imds::at("ftp://x").is_err());
    }
}
