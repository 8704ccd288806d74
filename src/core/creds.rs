//! Credentials as plain values, and the cache that keeps refreshable ones fresh.
//!
//! The core never reads credentials from the environment or a file: callers (the facade, the
//! CLI, the JS and Python bindings) hand them in, or a [`CredentialProvider`] says which request
//! fetches them and how to read the answer, and the driver sends that request on whatever
//! transport it has. [`CredentialCache`] decides, from the time it is given, when to fetch.
//!
//! Every secret is a [`Secret`], which prints as `<redacted>` in Debug and Display.

pub mod google;
pub mod imds;
pub mod profile;
pub mod sts;

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;

use crate::core::error::{Error, ErrorKind, Result};
use crate::core::http::{Method, Request, Response};

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

/// Credentials of any scheme, as values. Names and ids print; secrets are [`Secret`]s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credentials {
    /// AWS (and S3-compatible) keys.
    Aws(AwsCredentials),
    /// A GCS HMAC key pair, for the XML API (`GOOG4-HMAC-SHA256`).
    GcsHmac { access_id: String, secret: Secret },
    /// A GCS service account: client email plus a PEM RSA private key, for V4 signed URLs.
    GcsServiceAccount { client_email: String, private_key_pem: Secret },
    /// An OAuth2 access token (GCS, Azure Entra ID), sent as `Authorization: Bearer`.
    Bearer(Secret),
    /// An Azure storage account name and its base64 account key.
    AzureSharedKey { account: String, key: Secret },
    /// A ready Azure SAS token (the query string, without leading `?`).
    AzureSas(Secret),
    /// No credentials: requests go unsigned (public buckets and containers).
    Anonymous,
}

impl Credentials {
    /// What kind of credential this is, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Credentials::Aws(_) => "AWS keys",
            Credentials::GcsHmac { .. } => "a GCS HMAC key",
            Credentials::GcsServiceAccount { .. } => "a GCS service account",
            Credentials::Bearer(_) => "a bearer token",
            Credentials::AzureSharedKey { .. } => "an Azure account key",
            Credentials::AzureSas(_) => "an Azure SAS token",
            Credentials::Anonymous => "anonymous access",
        }
    }
}

impl From<AwsCredentials> for Credentials {
    fn from(c: AwsCredentials) -> Self {
        Credentials::Aws(c)
    }
}

/// Credentials that came with an expiry (`None` = never expires).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expiring {
    pub credentials: Credentials,
    pub expires: Option<DateTime<Utc>>,
}

/// Where refreshable credentials come from. Fetching them is one or more [`Request`]s the core
/// builds and [`Response`]s it parses (IMDSv2 takes three: a token, the role name, the
/// credentials; STS AssumeRole may first refresh the credentials it is signed with), so it runs
/// on every transport and is tested without a network. Debug must not print secrets: errors
/// name the provider by it.
pub trait CredentialProvider: Send + Sync + fmt::Debug {
    /// Begin one fetch: a small state machine the driver runs to its end ([`CredentialFetch`]).
    fn fetch(&self, now: DateTime<Utc>) -> Result<Box<dyn CredentialFetch + '_>>;
}

/// One fetch of credentials in progress.
pub trait CredentialFetch: Send {
    /// What to do next, given the answer (any status) to the last [`FetchStep::Send`]; `None`
    /// on the first call. A failure to send ends the fetch: the driver does not call again.
    fn next(&mut self, answer: Option<Response>, now: DateTime<Utc>) -> Result<FetchStep>;

    /// Sending the last request failed with `err` (refused, timed out): the error that ends
    /// the fetch. By default `err` itself.
    fn failed(&mut self, err: Error, _now: DateTime<Utc>) -> Error {
        err
    }

    /// Sending the last request failed with `err`: credentials to finish with instead of
    /// failing ([`OrAnonymous`]: a metadata server that is not there means anonymous access).
    /// Asked before [`failed`](Self::failed); by default `None`.
    fn fallback(&mut self, _err: &Error, _now: DateTime<Utc>) -> Option<Expiring> {
        None
    }
}

/// What a [`CredentialFetch`] asks of the driver.
#[derive(Debug)]
pub enum FetchStep {
    /// Send this and hand its answer to `next`. With a `timeout`, give up after that long:
    /// an instance metadata service that is not there may never answer.
    Send { request: Request, timeout: Option<Duration> },
    /// The fetch is over.
    Done(Expiring),
}

/// A fetch of one request and its parser (most sources).
pub fn single_request<'a>(
    request: Request,
    timeout: Option<Duration>,
    parse: impl FnOnce(&Response, DateTime<Utc>) -> Result<Expiring> + Send + 'a,
) -> Box<dyn CredentialFetch + 'a> {
    struct Single<F> {
        request: Option<(Request, Option<Duration>)>,
        parse: Option<F>,
    }
    impl<F: FnOnce(&Response, DateTime<Utc>) -> Result<Expiring> + Send> CredentialFetch for Single<F> {
        fn next(&mut self, answer: Option<Response>, now: DateTime<Utc>) -> Result<FetchStep> {
            if let Some((request, timeout)) = self.request.take() {
                return Ok(FetchStep::Send { request, timeout });
            }
            let (Some(resp), Some(parse)) = (answer, self.parse.take()) else {
                return Err(Error::invalid_input("credential fetch driven past its end"));
            };
            expect_success(&resp)?;
            parse(&resp, now).map(FetchStep::Done)
        }
    }
    Box::new(Single { request: Some((request, timeout)), parse: Some(parse) })
}

/// A fetch that needs no request (credentials at hand, a process already run).
pub fn ready<'a>(e: Expiring) -> Box<dyn CredentialFetch + 'a> {
    struct Ready(Option<Expiring>);
    impl CredentialFetch for Ready {
        fn next(&mut self, _: Option<Response>, _: DateTime<Utc>) -> Result<FetchStep> {
            self.0.take().map(FetchStep::Done).ok_or_else(|| Error::invalid_input("credential fetch driven past its end"))
        }
    }
    Box::new(Ready(Some(e)))
}

/// A non-2xx answer of a credential source as a typed error (`PermissionDenied` for 401/403,
/// retryable for throttling and 5xx). The body is not quoted: it may hold a secret.
pub fn expect_success(resp: &Response) -> Result<()> {
    if resp.is_success() { Ok(()) } else { Err(status_error(resp.status)) }
}

/// How long before expiry credentials are refreshed, unless told otherwise.
pub const DEFAULT_EARLY: Duration = Duration::from_secs(5 * 60);
/// A refresh handed out and neither fed nor failed within this time was probably dropped
/// (its operation cancelled): another caller may try.
const REFRESH_LEASE: TimeDelta = TimeDelta::seconds(30);
/// After a failed refresh of a credential still in use, wait this long before the next try.
const RETRY_AFTER_FAILURE: TimeDelta = TimeDelta::seconds(10);

/// What the driver does before an attempt.
pub enum CredentialStep<'a> {
    /// Sign with these.
    Ready(Arc<Credentials>),
    /// Run this fetch first and hand its outcome to [`CredentialCache::finish`], which gives
    /// the credentials to sign with.
    Fetch(Box<dyn CredentialFetch + 'a>),
}

impl fmt::Debug for CredentialStep<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialStep::Ready(c) => f.debug_tuple("Ready").field(&c.kind()).finish(),
            CredentialStep::Fetch(_) => f.write_str("Fetch"),
        }
    }
}

/// The credentials cache the driver asks before every attempt, driven by the clock it is given.
/// `Send + Sync` and cheap to share (hold it in an `Arc`).
///
/// With a provider, [`step`](Self::step) answers:
/// - `Ready` while the credential is fresh (more than `early` before its expiry);
/// - `Fetch` when there is none, it has expired, or it was [invalidated](Self::invalidate):
///   there is nothing to sign with, so every caller is told to fetch;
/// - inside the `early` window, `Fetch` to one caller at a time and `Ready` (the old,
///   still-valid credential) to the others. If that refresh fails, the credential stays in use
///   until it really expires ([`fetch_failed`](Self::fetch_failed) hands it back) and the next
///   try comes a few seconds later: a flaky token endpoint does not stop a long job whose token
///   is still good, and does not get hammered either.
pub struct CredentialCache {
    source: Source,
    early: TimeDelta,
    state: Mutex<State>,
}

enum Source {
    Fixed(Arc<Credentials>),
    Provider(Box<dyn CredentialProvider>),
}

#[derive(Default)]
struct State {
    current: Option<(Arc<Credentials>, Option<DateTime<Utc>>)>,
    /// When the pending refresh was handed out.
    refreshing_since: Option<DateTime<Utc>>,
    last_failure: Option<DateTime<Utc>>,
}

impl State {
    /// The current credential unless it has expired.
    fn valid(&self, now: DateTime<Utc>) -> Option<&Arc<Credentials>> {
        self.current.as_ref().filter(|(_, exp)| exp.is_none_or(|e| now < e)).map(|(c, _)| c)
    }
}

impl CredentialCache {
    pub fn fixed(c: Credentials) -> Self {
        CredentialCache { source: Source::Fixed(Arc::new(c)), early: TimeDelta::zero(), state: Mutex::default() }
    }

    /// Credentials from `p`, refreshed `early` before they expire ([`DEFAULT_EARLY`] is usual).
    pub fn refreshing(p: Box<dyn CredentialProvider>, early: Duration) -> Self {
        let early = TimeDelta::from_std(early).unwrap_or(TimeDelta::MAX);
        CredentialCache { source: Source::Provider(p), early, state: Mutex::default() }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What to do before the next attempt: see the type's documentation.
    pub fn step(&self, now: DateTime<Utc>) -> Result<CredentialStep<'_>> {
        let p = match &self.source {
            Source::Fixed(c) => return Ok(CredentialStep::Ready(c.clone())),
            Source::Provider(p) => p,
        };
        let mut st = self.state();
        if let Some((c, expires)) = &st.current
            && expires.is_none_or(|e| now < e)
        {
            let due = expires.is_some_and(|e| e.checked_sub_signed(self.early).is_none_or(|t| now >= t));
            let leased = st.refreshing_since.is_some_and(|t| now < t + REFRESH_LEASE);
            let backing_off = st.last_failure.is_some_and(|t| now < t + RETRY_AFTER_FAILURE);
            if !due || leased || backing_off {
                return Ok(CredentialStep::Ready(c.clone()));
            }
        }
        st.refreshing_since = Some(now);
        drop(st);
        p.fetch(now).map(CredentialStep::Fetch).inspect_err(|_| self.state().refreshing_since = None)
    }

    /// The outcome of a `Fetch` (its `Done`, or the error that ended it, on the wire or in a
    /// parser): keep and return the new credentials, or, after an error (which then names the
    /// provider), the previous credential while it is still valid.
    pub fn finish(&self, outcome: Result<Expiring>, now: DateTime<Utc>) -> Result<Arc<Credentials>> {
        let Source::Provider(p) = &self.source else {
            return Err(Error::invalid_input("fixed credentials are never fetched"));
        };
        let parsed = outcome.and_then(|e| match e.expires {
            Some(t) if t <= now => {
                Err(Error::invalid_response(format!("the credentials expired at {t}, before they arrived (is the clock right?)")))
            }
            _ => Ok(e),
        });
        let mut st = self.state();
        st.refreshing_since = None;
        match parsed {
            Ok(e) => {
                let c = Arc::new(e.credentials);
                st.current = Some((c.clone(), e.expires));
                st.last_failure = None;
                Ok(c)
            }
            Err(e) => {
                st.last_failure = Some(now);
                let e = e.context(format_args!("credential provider {p:?}"));
                st.valid(now).cloned().ok_or(e)
            }
        }
    }

    /// The service refused the credential as expired (`ExpiredToken`, a 401 `invalid_token`):
    /// forget it, so the next [`step`](Self::step) fetches. No effect on fixed credentials.
    pub fn invalidate(&self) {
        *self.state() = State::default();
    }

    /// When `c` (as this cache handed it out) stops working, if the source said: a presigned URL
    /// signed with it dies then too, whatever its own expiry. `None` for fixed credentials.
    pub fn expiry_of(&self, c: &Arc<Credentials>) -> Option<DateTime<Utc>> {
        let st = self.state();
        st.current.as_ref().filter(|(cur, _)| Arc::ptr_eq(cur, c)).and_then(|(_, e)| *e)
    }

    /// Whether this cache fetches credentials (built by [`refreshing`](Self::refreshing)): only
    /// then is an expired-token answer worth [`invalidate`](Self::invalidate) and a retry.
    pub fn is_refreshing(&self) -> bool {
        matches!(self.source, Source::Provider(_))
    }
}

fn status_error(status: u16) -> Error {
    let (kind, retryable) = match status {
        401 | 403 => (ErrorKind::PermissionDenied, false),
        408 | 429 | 500..=599 => (ErrorKind::Service, true),
        _ => (ErrorKind::Service, false),
    };
    Error::new(kind, format!("answered HTTP {status}")).with_status(status).retryable(retryable)
}

impl fmt::Debug for CredentialCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("CredentialCache");
        match &self.source {
            Source::Fixed(c) => d.field("fixed", &c.kind()),
            Source::Provider(p) => d.field("provider", p).field("early", &self.early),
        };
        let st = self.state();
        d.field("expires", &st.current.as_ref().map(|(_, e)| *e)).finish_non_exhaustive()
    }
}

// ---------------------------------------------------------------------------------------------
// AWS container credentials

/// The ECS task-role endpoint that `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` is relative to.
pub const ECS_CREDENTIALS_HOST: &str = "169.254.170.2";

/// AWS container credentials (ECS task roles, EKS Pod Identity): a GET of a local endpoint,
/// with an optional `Authorization` token, answering
/// `{"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}`.
#[derive(Clone)]
pub struct AwsContainerCredentials {
    pub scheme: String,
    /// Host with optional `:port`.
    pub host: String,
    /// Encoded path.
    pub path: String,
    /// Decoded query parameters.
    pub query: Vec<(String, String)>,
    /// Sent as `Authorization` (`AWS_CONTAINER_AUTHORIZATION_TOKEN`, or the contents of
    /// `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`).
    pub auth_token: Option<Secret>,
}

impl AwsContainerCredentials {
    /// ECS: `http://169.254.170.2` + `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`.
    pub fn relative(relative_uri: &str, auth_token: Option<Secret>) -> Result<Self> {
        if !relative_uri.starts_with('/') {
            return Err(Error::invalid_input("the container credentials relative URI must start with '/'"));
        }
        Self::from_url(&format!("http://{ECS_CREDENTIALS_HOST}{relative_uri}"), auth_token)
    }

    /// `AWS_CONTAINER_CREDENTIALS_FULL_URI` (EKS Pod Identity: `http://169.254.170.23/v1/credentials`).
    /// As in the AWS SDKs, plain `http` is allowed only to loopback and the ECS/EKS link-local
    /// addresses, so the token and the keys never cross a network in the clear.
    pub fn full(uri: &str, auth_token: Option<Secret>) -> Result<Self> {
        let c = Self::from_url(uri, auth_token)?;
        if c.scheme == "http" && !is_container_host(&c.host) {
            return Err(Error::invalid_input(format!(
                "container credentials over plain http go to loopback, {ECS_CREDENTIALS_HOST}, 169.254.170.23 or \
                 [fd00:ec2::23] only, not {}",
                c.host
            )));
        }
        Ok(c)
    }

    fn from_url(uri: &str, auth_token: Option<Secret>) -> Result<Self> {
        let url = url::Url::parse(uri).map_err(|e| Error::invalid_input(format!("container credentials URI: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::invalid_input("container credentials URI must be http or https"));
        }
        let host = url.host_str().ok_or_else(|| Error::invalid_input("container credentials URI has no host"))?;
        if let Some(t) = &auth_token
            && t.expose().contains(['\r', '\n'])
        {
            return Err(Error::invalid_input("the container authorization token holds a line break"));
        }
        Ok(AwsContainerCredentials {
            scheme: url.scheme().to_string(),
            host: match url.port() {
                Some(p) => format!("{host}:{p}"),
                None => host.to_string(),
            },
            path: url.path().to_string(),
            query: url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect(),
            auth_token,
        })
    }
}

/// Loopback or one of the container credential endpoints (`host` may carry a port).
fn is_container_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    if name.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match name.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback() || ["169.254.170.2", "169.254.170.23", "fd00:ec2::23"].iter().any(|a| a.parse() == Ok(ip)),
        Err(_) => false,
    }
}

impl fmt::Debug for AwsContainerCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsContainerCredentials")
            .field("url", &format_args!("{}://{}{}", self.scheme, self.host, self.path))
            .field("auth_token", &self.auth_token)
            .finish()
    }
}

impl AwsContainerCredentials {
    pub fn request(&self) -> Request {
        let mut r = Request::new(Method::Get, &self.scheme, &self.host, self.path.clone()).header("Accept", "application/json");
        r.query = self.query.clone();
        if let Some(t) = &self.auth_token {
            r.headers.set("Authorization", t.expose());
        }
        r
    }
}

impl CredentialProvider for AwsContainerCredentials {
    fn fetch(&self, _now: DateTime<Utc>) -> Result<Box<dyn CredentialFetch + '_>> {
        Ok(single_request(self.request(), Some(METADATA_TIMEOUT), |resp, _| parse_aws_json(&resp.body, "container credentials")))
    }
}

/// How long a metadata service on the machine (container, EC2, GCE, Azure IMDS) may take to
/// answer one request: one that is not there must not hold a job up for long.
pub const METADATA_TIMEOUT: Duration = Duration::from_secs(1);

/// `{"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}`: the JSON of container
/// credentials, EC2 instance metadata and `credential_process` (which names the token
/// `SessionToken` and may omit it and the expiry: `lenient`). Messages name fields, never values.
pub fn parse_aws_json(body: &[u8], what: &str) -> Result<Expiring> {
    let json: Value = serde_json::from_slice(body)
        .map_err(|e| Error::invalid_response(format!("{what} are not JSON (line {}, column {})", e.line(), e.column())))?;
    let obj = json.as_object().ok_or_else(|| Error::invalid_response(format!("{what} are not a JSON object")))?;
    let lenient = what == "credential_process output";
    let get = |name: &str| obj.get(name).and_then(Value::as_str).filter(|s| !s.is_empty());
    let field = |name: &str| {
        get(name).ok_or_else(|| Error::invalid_response(format!("{what}: {name} is missing, empty or not a string")))
    };
    let (id, secret) = (field("AccessKeyId")?, field("SecretAccessKey")?);
    let token = if lenient { get("SessionToken") } else { Some(field("Token")?) };
    let expiration = if lenient { get("Expiration") } else { Some(field("Expiration")?) };
    let expires = expiration
        .map(|x| {
            DateTime::parse_from_rfc3339(x).map(|t| t.with_timezone(&Utc)).map_err(|_| {
                let shown = if x.len() <= 40 { format!(" {x:?}") } else { String::new() };
                Error::invalid_response(format!("{what}: Expiration{shown} is not an RFC 3339 timestamp"))
            })
        })
        .transpose()?;
    let mut c = AwsCredentials::new(id, secret);
    c.session_token = token.map(Secret::from);
    Ok(Expiring { credentials: Credentials::Aws(c), expires })
}

// ---------------------------------------------------------------------------------------------
// The end of a chain

/// The last source of a credential chain (EC2 instance metadata), tried because nothing before
/// it was configured. Until it has once answered, its failure is the chain's: "no credentials
/// found", naming every source tried, and not retryable (a retry would ask it all again).
pub struct LastResort {
    source: Box<dyn CredentialProvider>,
    /// The sources tried before it, each with why it did not apply ("environment: AWS_ACCESS_KEY_ID not set").
    tried: Vec<String>,
    /// What asks for anonymous access instead, for the message (`anon`, `--anon`).
    anon_hint: String,
    found: AtomicBool,
}

impl LastResort {
    pub fn new(source: Box<dyn CredentialProvider>, tried: Vec<String>, anon_hint: impl Into<String>) -> Self {
        LastResort { source, tried, anon_hint: anon_hint.into(), found: AtomicBool::new(false) }
    }

    /// The error when nothing was found: `last` is what the last source said.
    pub fn not_found(tried: &[String], last: Option<&Error>, anon_hint: &str) -> Error {
        let mut m = format!("no credentials found; tried: {}", tried.join("; "));
        if let Some(e) = last {
            m.push_str(&format!("; then {e}"));
        }
        m.push_str(&format!(". For unsigned requests ask for anonymous access ({anon_hint})"));
        Error::new(ErrorKind::PermissionDenied, m)
    }
}

impl fmt::Debug for LastResort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.source.fmt(f)
    }
}

impl CredentialProvider for LastResort {
    fn fetch(&self, now: DateTime<Utc>) -> Result<Box<dyn CredentialFetch + '_>> {
        let inner = self.source.fetch(now).map_err(|e| self.failed(e))?;
        Ok(Box::new(LastFetch { p: self, inner }))
    }
}

impl LastResort {
    fn failed(&self, e: Error) -> Error {
        if self.found.load(Ordering::Relaxed) { e } else { Self::not_found(&self.tried, Some(&e), &self.anon_hint) }
    }
}

struct LastFetch<'a> {
    p: &'a LastResort,
    inner: Box<dyn CredentialFetch + 'a>,
}

impl CredentialFetch for LastFetch<'_> {
    fn next(&mut self, answer: Option<Response>, now: DateTime<Utc>) -> Result<FetchStep> {
        let step = self.inner.next(answer, now).map_err(|e| self.p.failed(e))?;
        if matches!(step, FetchStep::Done(_)) {
            self.p.found.store(true, Ordering::Relaxed);
        }
        Ok(step)
    }

    fn failed(&mut self, err: Error, now: DateTime<Utc>) -> Error {
        let e = self.inner.failed(err, now);
        self.p.failed(e)
    }
}

/// The last source of a chain whose documented last step is anonymous access (GCS, as gcsfs
/// does): until it has once answered, any failure of it (no server, a refusal, an odd answer)
/// gives [`Credentials::Anonymous`], which never expires, so a machine without the source pays
/// for one try. Once it has answered, its failures are errors (the cache keeps a valid token).
pub struct OrAnonymous {
    source: Box<dyn CredentialProvider>,
    found: AtomicBool,
}

impl OrAnonymous {
    pub fn new(source: Box<dyn CredentialProvider>) -> Self {
        OrAnonymous { source, found: AtomicBool::new(false) }
    }

    fn anonymous(&self) -> Option<Expiring> {
        let found = self.found.load(Ordering::Relaxed);
        (!found).then_some(Expiring { credentials: Credentials::Anonymous, expires: None })
    }
}

impl fmt::Debug for OrAnonymous {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}, else anonymous", self.source)
    }
}

impl CredentialProvider for OrAnonymous {
    fn fetch(&self, now: DateTime<Utc>) -> Result<Box<dyn CredentialFetch + '_>> {
        match self.source.fetch(now) {
            Ok(inner) => Ok(Box::new(OrAnonymousFetch { p: self, inner })),
            Err(e) => self.anonymous().map(ready).ok_or(e),
        }
    }
}

struct OrAnonymousFetch<'a> {
    p: &'a OrAnonymous,
    inner: Box<dyn CredentialFetch + 'a>,
}

impl CredentialFetch for OrAnonymousFetch<'_> {
    fn next(&mut self, answer: Option<Response>, now: DateTime<Utc>) -> Result<FetchStep> {
        match self.inner.next(answer, now) {
            Ok(step) => {
                if matches!(step, FetchStep::Done(_)) {
                    self.p.found.store(true, Ordering::Relaxed);
                }
                Ok(step)
            }
            Err(e) => self.p.anonymous().map(FetchStep::Done).ok_or(e),
        }
    }

    fn failed(&mut self, err: Error, now: DateTime<Utc>) -> Error {
        self.inner.failed(err, now)
    }

    fn fallback(&mut self, err: &Error, now: DateTime<Utc>) -> Option<Expiring> {
        self.inner.fallback(err, now).or_else(|| self.p.anonymous())
    }
}

/// Run a fetch to its end with `answer` playing the network: for tests, and callers with a
/// blocking way to send. (The store's driver, `fs::http`, does the same asynchronously.)
pub fn drive(
    mut f: Box<dyn CredentialFetch + '_>,
    mut answer: impl FnMut(&Request) -> Response,
    now: DateTime<Utc>,
) -> Result<Expiring> {
    let mut last = None;
    loop {
        match f.next(last.take(), now)? {
            FetchStep::Done(e) => return Ok(e),
            FetchStep::Send { request, .. } => last = Some(answer(&request)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::http::Headers;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLETOKEN";
    const AUTH: &str = "eks-pod-identity-auth-token-value";

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn body(expiration: &str) -> String {
        format!(
            r#"{{"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"{SECRET}","Token":"{TOKEN}","Expiration":"{expiration}","RoleArn":"arn:aws:iam::1:role/r"}}"#
        )
    }

    fn ok(body: impl Into<bytes::Bytes>) -> Response {
        Response::new(200, Headers::new(), body)
    }

    fn provider() -> AwsContainerCredentials {
        AwsContainerCredentials::full("http://169.254.170.23/v1/credentials", Some(AUTH.into())).unwrap()
    }

    fn cache() -> CredentialCache {
        CredentialCache::refreshing(Box::new(provider()), DEFAULT_EARLY)
    }

    fn is_fetch(step: CredentialStep) -> bool {
        matches!(step, CredentialStep::Fetch(_))
    }

    /// Step (it must say fetch) and answer the fetch's request with `resp`.
    fn feed(c: &CredentialCache, resp: Response, now: DateTime<Utc>) -> Result<Arc<Credentials>> {
        let CredentialStep::Fetch(f) = c.step(now).unwrap() else { panic!("no fetch") };
        let outcome = drive(f, |_| resp.clone(), now);
        c.finish(outcome, now)
    }

    /// A cache holding credentials that expire at noon.
    fn primed() -> (CredentialCache, DateTime<Utc>) {
        let c = cache();
        let now = t("2024-01-01T11:00:00Z");
        feed(&c, ok(body("2024-01-01T12:00:00Z")), now).unwrap();
        (c, now)
    }

    fn assert_clean(shown: &str) {
        for s in [SECRET, TOKEN, AUTH] {
            assert!(!shown.contains(s), "leaks {s}: {shown}");
        }
    }

    #[test]
    fn secrets_never_print() {
        let c = AwsCredentials::new("AKIDEXAMPLE", SECRET).with_session_token(TOKEN);
        let s = format!("{c:?}");
        assert_clean(&s);
        assert!(s.contains("AKIDEXAMPLE"));
        let a = Credentials::AzureSharedKey { account: "acct".into(), key: Secret::new("c2VjcmV0") };
        assert!(!format!("{a:?}").contains("c2VjcmV0"));
        assert_eq!(format!("{}", Secret::new("x")), "<redacted>");
        let (cache, _) = primed();
        assert_clean(&format!("{cache:?} {:?} {:?}", provider(), provider().request()));
    }

    #[test]
    fn fixed_credentials_are_always_ready() {
        let c = CredentialCache::fixed(Credentials::Anonymous);
        assert!(!c.is_refreshing());
        assert!(matches!(c.step(t("2100-01-01T00:00:00Z")).unwrap(), CredentialStep::Ready(a) if *a == Credentials::Anonymous));
        c.invalidate();
        assert!(matches!(c.step(t("2100-01-01T00:00:00Z")).unwrap(), CredentialStep::Ready(_)));
        assert_eq!(
            c.finish(Err(Error::new(ErrorKind::Io, "x")), t("2100-01-01T00:00:00Z")).unwrap_err().kind,
            ErrorKind::InvalidInput
        );
    }

    #[test]
    fn fresh_credentials_are_ready_without_a_fetch() {
        let (c, now) = primed();
        assert!(c.is_refreshing());
        for later in [now, t("2024-01-01T11:54:59Z")] {
            match c.step(later).unwrap() {
                CredentialStep::Ready(a) => {
                    let Credentials::Aws(a) = &*a else { panic!("{a:?}") };
                    assert_eq!(a.access_key_id, "ASIAEXAMPLE");
                    assert_eq!(a.session_token.as_ref().unwrap().expose(), TOKEN);
                }
                CredentialStep::Fetch(_) => panic!("fetch while fresh"),
            }
        }
    }

    #[test]
    fn within_the_window_one_caller_refreshes_the_others_keep_going() {
        let (c, _) = primed();
        let now = t("2024-01-01T11:56:00Z");
        let CredentialStep::Fetch(f) = c.step(now).unwrap() else { panic!("inside the 5-minute window: fetch") };
        assert!(!is_fetch(c.step(now).unwrap()), "a refresh is under way: the old credential serves");
        c.finish(drive(f, |_| ok(body("2024-01-01T13:00:00Z")), now), now).unwrap();
        assert!(!is_fetch(c.step(t("2024-01-01T12:30:00Z")).unwrap()), "refreshed");
    }

    #[test]
    fn a_refresh_that_never_reports_back_is_handed_out_again() {
        let (c, _) = primed();
        assert!(is_fetch(c.step(t("2024-01-01T11:56:00Z")).unwrap()));
        assert!(!is_fetch(c.step(t("2024-01-01T11:56:29Z")).unwrap()));
        assert!(is_fetch(c.step(t("2024-01-01T11:56:30Z")).unwrap()), "the lease ran out");
    }

    #[test]
    fn expired_or_invalidated_credentials_are_fetched_by_everyone() {
        let (c, _) = primed();
        let now = t("2024-01-01T12:00:00Z");
        assert!(is_fetch(c.step(now).unwrap()));
        assert!(is_fetch(c.step(now).unwrap()), "nothing to sign with: every caller fetches");
        let (c, now) = primed();
        c.invalidate();
        assert!(is_fetch(c.step(now).unwrap()));
        assert!(c.finish(Err(Error::new(ErrorKind::Io, "refused")), now).is_err(), "an invalidated credential is not reused");
    }

    #[test]
    fn a_failed_refresh_keeps_a_valid_credential() {
        let (c, _) = primed();
        let now = t("2024-01-01T11:58:00Z");
        let CredentialStep::Fetch(f) = c.step(now).unwrap() else { panic!("no fetch") };
        let e = drive(f, |_| Response::new(503, Headers::new(), "busy"), now).unwrap_err();
        assert!(e.retryable && e.kind == ErrorKind::Service, "{e}");
        let kept = c.finish(Err(e), now).unwrap();
        assert!(matches!(&*kept, Credentials::Aws(a) if a.access_key_id == "ASIAEXAMPLE"));
        // Backing off: the next few seconds use the old credential without asking again.
        assert!(!is_fetch(c.step(t("2024-01-01T11:58:05Z")).unwrap()));
        assert!(is_fetch(c.step(t("2024-01-01T11:58:10Z")).unwrap()));
        // A transport failure goes the same way.
        assert!(c.finish(Err(Error::new(ErrorKind::Timeout, "timed out")), t("2024-01-01T11:58:11Z")).is_ok());
        // Once it has expired, the failure is the answer.
        let late = t("2024-01-01T12:00:01Z");
        assert!(is_fetch(c.step(late).unwrap()));
        assert_eq!(c.finish(Err(Error::new(ErrorKind::Timeout, "timed out")), late).unwrap_err().kind, ErrorKind::Timeout);
    }

    #[test]
    fn refusals_are_typed_and_name_the_provider() {
        let c = cache();
        let now = t("2024-01-01T11:00:00Z");
        for (status, kind) in [(401, ErrorKind::PermissionDenied), (403, ErrorKind::PermissionDenied), (404, ErrorKind::Service)]
        {
            let e = feed(&c, Response::new(status, Headers::new(), format!("{SECRET} {TOKEN}")), now).unwrap_err();
            assert_eq!((e.kind, e.status), (kind, Some(status)));
            assert!(e.message.contains("169.254.170.23"), "{e}");
            assert_clean(&format!("{e} {e:?}"));
        }
        let e = feed(&c, ok(body("2024-01-01T10:00:00Z")), now).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidResponse);
        assert!(e.message.contains("before they arrived"), "{e}");
        assert_clean(&format!("{e}"));
    }

    #[test]
    fn container_answers_are_parsed_strictly() {
        let p = provider();
        let now = t("2024-01-01T11:00:00Z");
        let e = drive(p.fetch(now).unwrap(), |_| ok(body("2024-01-01T12:00:00+01:00")), now).unwrap();
        assert_eq!(e.expires, Some(t("2024-01-01T11:00:00Z")));
        let full = body("2024-01-01T12:00:00Z");
        let cases: Vec<(String, &str)> = vec![
            (format!("{full}x"), "not JSON"),
            ("[1]".into(), "not a JSON object"),
            (full.replace("\"AccessKeyId\"", "\"AccessKey\""), "AccessKeyId is missing"),
            (full.replace(&format!("\"{SECRET}\""), "17"), "SecretAccessKey is missing"),
            (full.replace("\"Token\"", "\"Tok\""), "Token is missing"),
            (full.replace("2024-01-01T12:00:00Z", ""), "Expiration is missing"),
            (full.replace("2024-01-01T12:00:00Z", "tomorrow"), "\"tomorrow\" is not an RFC 3339"),
        ];
        for (text, why) in cases {
            let e = drive(p.fetch(now).unwrap(), |_| ok(text.clone()), now).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidResponse, "{text}");
            assert!(e.message.contains(why), "{e} for {text}");
            assert_clean(&format!("{e} {e:?}"));
        }
    }

    #[test]
    fn container_requests_and_uris() {
        let r = provider().request();
        assert_eq!(r.url(), "http://169.254.170.23/v1/credentials");
        assert_eq!(r.headers.get("authorization"), Some(AUTH));
        let ecs = AwsContainerCredentials::relative("/v2/credentials/abc-123?x=1", None).unwrap();
        let r = ecs.request();
        assert_eq!(r.url(), "http://169.254.170.2/v2/credentials/abc-123?x=1");
        assert!(!r.headers.contains("authorization"));
        assert!(AwsContainerCredentials::relative("v2/x", None).is_err());
        for ok in [
            "http://127.0.0.1:8080/c",
            "http://localhost/c",
            "http://[::1]/c",
            "http://[fd00:ec2::23]/c",
            "https://creds.example/c",
        ] {
            assert!(AwsContainerCredentials::full(ok, None).is_ok(), "{ok}");
        }
        for bad in ["http://creds.example/c", "http://10.0.0.1/c", "ftp://127.0.0.1/c", "not a uri"] {
            assert_eq!(AwsContainerCredentials::full(bad, None).unwrap_err().kind, ErrorKind::InvalidInput, "{bad}");
        }
        assert!(AwsContainerCredentials::full("http://127.0.0.1/c", Some("a\r\nX-Evil: 1".into())).is_err());
    }

    #[test]
    fn the_cache_can_be_shared_across_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<CredentialCache>();
        shareable::<Arc<Credentials>>();
    }

    #[test]
    fn or_anonymous_gives_way_until_its_source_has_answered() {
        let now: DateTime<Utc> = "2024-01-01T10:00:00Z".parse().unwrap();
        let p = OrAnonymous::new(Box::new(google::GceMetadata::default()));
        let anon = Expiring { credentials: Credentials::Anonymous, expires: None };
        let answer = |status: u16| {
            move |_: &Request| Response::new(status, Headers::new(), r#"{"access_token":"ya29.m","expires_in":60}"#)
        };
        // A refusal, and a send that failed (no server), before any token: anonymous.
        assert_eq!(drive(p.fetch(now).unwrap(), answer(404), now).unwrap(), anon);
        let mut f = p.fetch(now).unwrap();
        assert!(matches!(f.next(None, now).unwrap(), FetchStep::Send { .. }));
        assert_eq!(f.fallback(&Error::new(ErrorKind::Timeout, "no answer"), now), Some(anon.clone()));
        // Once it has answered, its failures are errors: the cache keeps the token it has.
        assert_eq!(drive(p.fetch(now).unwrap(), answer(200), now).unwrap().credentials, Credentials::Bearer("ya29.m".into()));
        assert_eq!(drive(p.fetch(now).unwrap(), answer(404), now).unwrap_err().status, Some(404));
        let mut f = p.fetch(now).unwrap();
        f.next(None, now).unwrap();
        assert_eq!(f.fallback(&Error::new(ErrorKind::Timeout, "no answer"), now), None);
        assert_eq!(format!("{p:?}"), "GceMetadata(http://metadata.google.internal), else anonymous");
    }
}
