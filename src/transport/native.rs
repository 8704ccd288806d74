//! The native transport: reqwest over tokio, HTTP/1.1 and HTTP/2, rustls.

use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};

use super::{BodyStream, Clock, Transport};
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::http::{Headers, Method, Request, Response};

/// Timeouts for the native transport.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    pub connect: Duration,
    /// The whole request, body included.
    pub request: Duration,
    /// Longest wait for the next bytes of a response: a stalled body fails this early.
    pub read: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts { connect: Duration::from_secs(10), request: Duration::from_secs(300), read: Duration::from_secs(30) }
    }
}

/// reqwest-based transport. Cheap to clone (the connection pool is shared).
#[derive(Clone, Debug)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestTransport {
    pub fn new(timeouts: Timeouts) -> Result<Self> {
        let client = reqwest::Client::builder()
            .connect_timeout(timeouts.connect)
            .timeout(timeouts.request)
            .read_timeout(timeouts.read)
            // Redirects would re-send signed headers to another host; S3 answers 301/307 with
            // an error body we want to see instead.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| transport_error(e, "building the HTTP client"))?;
        Ok(ReqwestTransport { client })
    }
}

impl Default for ReqwestTransport {
    fn default() -> Self {
        Self::new(Timeouts::default()).expect("default HTTP client")
    }
}

fn method(m: Method) -> reqwest::Method {
    match m {
        Method::Get => reqwest::Method::GET,
        Method::Head => reqwest::Method::HEAD,
        Method::Put => reqwest::Method::PUT,
        Method::Post => reqwest::Method::POST,
        Method::Delete => reqwest::Method::DELETE,
        Method::Patch => reqwest::Method::PATCH,
        Method::Options => reqwest::Method::OPTIONS,
    }
}

/// reqwest errors print the URL, which may carry a presigned signature: strip it.
fn transport_error(e: reqwest::Error, what: &str) -> Error {
    let timeout = e.is_timeout();
    // A connect failure never reached the server; anything later may have.
    let unsent = e.is_connect();
    let e = e.without_url();
    let mut msg = format!("{what}: {e}");
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        msg.push_str(&format!(": {s}"));
        source = s.source();
    }
    let kind = if timeout { ErrorKind::Timeout } else { ErrorKind::Io };
    let mut err = Error::new(kind, msg).retryable(true);
    err.outcome_unknown = !unsent;
    err
}

impl Transport for ReqwestTransport {
    type Body = ReqwestBody;

    async fn send_streaming(&self, req: Request) -> Result<(Response, ReqwestBody)> {
        let url = reqwest::Url::parse(&req.url())
            .map_err(|e| Error::invalid_input(format!("invalid request URL {}: {e}", req.redacted_url())))?;
        // A URL parser normalises dot segments; if it changed the path, the request would
        // address a different object than the one signed for.
        if url.path() != req.path {
            return Err(Error::invalid_input(format!(
                "path {:?} cannot be sent unchanged (a URL parser rewrites it to {:?})",
                req.path,
                url.path()
            )));
        }
        let what = format!("{} {}", req.method.as_str(), req.redacted_url());
        let mut rb = self.client.request(method(req.method), url);
        for (k, v) in req.headers.iter() {
            if k.eq_ignore_ascii_case("host") {
                continue; // derived from the URL by reqwest, identical to req.host
            }
            rb = rb.header(k, v);
        }
        if !req.body.is_empty() || matches!(req.method, Method::Put | Method::Post) {
            rb = rb.body(req.body.clone());
        }
        let resp = rb.send().await.map_err(|e| transport_error(e, &what))?;
        let status = resp.status().as_u16();
        let mut headers = Headers::new();
        for (k, v) in resp.headers() {
            headers.append(k.as_str(), String::from_utf8_lossy(v.as_bytes()).into_owned());
        }
        Ok((Response { status, headers, body: bytes::Bytes::new() }, ReqwestBody { resp, what }))
    }

    async fn sleep(&self, d: Duration) {
        tokio::time::sleep(d).await
    }
}

/// A response body arriving in chunks.
pub struct ReqwestBody {
    resp: reqwest::Response,
    /// The request, redacted, for error messages.
    what: String,
}

impl BodyStream for ReqwestBody {
    async fn chunk(&mut self) -> Result<Option<bytes::Bytes>> {
        self.resp.chunk().await.map_err(|e| transport_error(e, &self.what))
    }
}

/// The operating system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::<Utc>::from(SystemTime::now())
    }
}
