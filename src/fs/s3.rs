//! The S3 store: the core's request builders and parsers, the SigV4 signer, and a transport.
//!
//! This file is the "small loop outside the core": build a request, sign it with the clock's
//! time, send it, parse the answer. It holds no protocol knowledge of its own.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::{Bytes, BytesMut};

use super::store::{Capabilities, DeleteFailure, GetResult, Store, path_like};
use crate::core::creds::AwsCredentials;
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::http::{Method, Request, Response};
use crate::core::retry::{self, Decision, RetryPolicy};
use crate::core::s3::{self, S3Config};
use crate::core::sign::sigv4::{Payload, SignOptions, Signer, SigningParams};
use crate::core::types::{BucketInfo, ByteRange, ListPage, ListRequest, ObjectMeta, PutOptions};
use crate::transport::{BodyStream, Clock, Random, Transport, XorShift};

/// S3 (and S3-compatible servers) through transport `T`. Cheap to clone.
pub struct S3Store<T> {
    inner: Arc<Inner<T>>,
    caps: Capabilities,
    retry: RetryPolicy,
    random: Arc<dyn Random>,
    stats: Arc<CallStats>,
}

impl<T> Clone for S3Store<T> {
    fn clone(&self) -> Self {
        S3Store {
            inner: self.inner.clone(),
            caps: self.caps,
            retry: self.retry,
            random: self.random.clone(),
            stats: self.stats.clone(),
        }
    }
}

/// Requests sent and retries taken, shared by the clones of a store.
#[derive(Debug, Default)]
pub struct CallStats {
    pub attempts: AtomicU64,
    pub retries: AtomicU64,
    /// Reads continued from the byte where a broken-off body stopped.
    pub resumes: AtomicU64,
}

struct Inner<T> {
    config: S3Config,
    /// `None` sends requests unsigned (public buckets).
    credentials: Option<AwsCredentials>,
    signer: Signer,
    transport: T,
    clock: Arc<dyn Clock>,
}

impl<T> std::fmt::Debug for S3Store<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Store")
            .field("config", &self.inner.config)
            .field("credentials", &self.inner.credentials)
            .finish_non_exhaustive()
    }
}

impl<T: Transport> S3Store<T> {
    pub fn new(config: S3Config, credentials: Option<AwsCredentials>, transport: T, clock: Arc<dyn Clock>) -> Self {
        let caps = Capabilities {
            presign: credentials.is_some(),
            any_key: true,
            min_part_size: 5 * 1024 * 1024,
            max_delete_batch: 1000,
            conditional_put: true,
        };
        // Jitter only needs to differ between clients: seed it from the clock.
        let seed = clock.now().timestamp_nanos_opt().unwrap_or_default() as u64;
        let inner = Inner { config, credentials, signer: Signer::new(SignOptions::S3), transport, clock };
        S3Store {
            inner: Arc::new(inner),
            caps,
            retry: RetryPolicy::default(),
            random: Arc::new(XorShift::new(seed)),
            stats: Arc::default(),
        }
    }

    /// How failed requests are repeated (default: [`RetryPolicy::default`]).
    pub fn with_retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The source of retry jitter (tests make it deterministic).
    pub fn with_random(mut self, random: Arc<dyn Random>) -> Self {
        self.random = random;
        self
    }

    /// Attempts and retries so far, across clones.
    pub fn stats(&self) -> &CallStats {
        &self.stats
    }

    /// Declare what an S3-compatible server cannot do (AWS S3 does all of it), so generic
    /// code adapts instead of failing: e.g. a file-backed server cannot hold `a//b`.
    pub fn with_capabilities(mut self, caps: Capabilities) -> Self {
        self.caps = caps;
        self
    }

    pub fn config(&self) -> &S3Config {
        &self.inner.config
    }

    /// See [`S3Config::signs_payload`].
    fn payload<'a>(&self, body: &'a [u8]) -> Payload<'a> {
        if self.inner.config.signs_payload() || body.is_empty() { Payload::Signed(body) } else { Payload::Unsigned }
    }

    fn sign(&self, req: &mut Request) -> Result<()> {
        let Some(creds) = &self.inner.credentials else { return Ok(()) };
        let params =
            SigningParams { credentials: creds, region: &self.inner.config.region, service: "s3", time: self.inner.clock.now() };
        let body = req.body.clone();
        self.inner.signer.sign(req, &params, self.payload(&body)).map(|_| ())
    }

    /// A server declared without `any_key` would mangle other keys (store `a//b` as `a/b`):
    /// refuse them before anything is written.
    fn check_key(&self, key: &str) -> Result<()> {
        if self.caps.any_key || path_like(key) {
            Ok(())
        } else {
            Err(Error::invalid_input(format!("this server cannot hold the key {key:?} (empty, '.' or '..' segments, backslash)")))
        }
    }

    /// The driver loop: sign (afresh each attempt: the time is part of the signature), send,
    /// parse; on failure ask the core's retry policy whether and when to go again. A non-2xx
    /// answer becomes the typed S3 error; a parser's retryable error (an `<Error>` inside a 200)
    /// is retried like one.
    async fn call<R>(&self, req: Request, parse: impl Fn(Response) -> Result<R>) -> Result<R> {
        let inner = &self.inner;
        let idempotent = req.method.is_idempotent();
        let start = inner.clock.now();
        let mut attempts = 0;
        // Whether an earlier attempt may have taken effect though its answer was lost.
        let mut maybe_applied = false;
        loop {
            attempts += 1;
            let mut attempt = req.clone();
            self.sign(&mut attempt)?;
            self.stats.attempts.fetch_add(1, Ordering::Relaxed);
            let err = match inner.transport.send(attempt).await {
                Ok(resp) if resp.is_success() => match parse(resp) {
                    Ok(v) => return Ok(v),
                    Err(e) => e,
                },
                Ok(resp) => s3::parse_error(&resp),
                Err(e) => e,
            };
            maybe_applied |= err.outcome_unknown;
            if let Err(mut err) = self.backoff(attempts, start, err, idempotent).await {
                // The caller must know the request may have been carried out all the same.
                err.outcome_unknown |= maybe_applied;
                return Err(err);
            }
        }
    }

    /// After a failed attempt: wait as the retry policy says, or give the error back.
    async fn backoff(&self, attempts: u32, started: chrono::DateTime<chrono::Utc>, err: Error, idempotent: bool) -> Result<()> {
        let elapsed = (self.inner.clock.now() - started).to_std().unwrap_or_default();
        match retry::decide(&self.retry, attempts, elapsed, &err, idempotent, self.random.next_f64()) {
            Decision::RetryAfter(d) => {
                self.stats.retries.fetch_add(1, Ordering::Relaxed);
                self.inner.transport.sleep(d).await;
                Ok(())
            }
            Decision::GiveUp => Err(err),
        }
    }
}

impl<T: Transport> S3Store<T> {
    /// GetObject read as a stream. When the body breaks off, the rest is asked for from the
    /// byte where it stopped, pinned with If-Match to the first answer's ETag: a replaced
    /// object is an error, never a splice of two versions.
    async fn get_resumable(&self, bucket: &str, key: &str, range: Option<ByteRange>) -> Result<(ObjectMeta, Bytes)> {
        let inner = &self.inner;
        let started = inner.clock.now();
        let mut attempts = 0;
        // The first successful answer's head, the absolute span it covers, and the bytes so far.
        let mut first: Option<(Response, Option<(u64, u64)>)> = None;
        let mut body = BytesMut::new();
        loop {
            attempts += 1;
            let resume = match &first {
                Some((head, Some((_, end)))) if !body.is_empty() => Some((head.headers.get("etag").map(str::to_string), *end)),
                _ => None,
            };
            let mut req = match &resume {
                Some((etag, end)) => {
                    let start = first.as_ref().and_then(|f| f.1).map_or(0, |(s, _)| s) + body.len() as u64;
                    self.stats.resumes.fetch_add(1, Ordering::Relaxed);
                    s3::get_object(&inner.config, bucket, key, Some(ByteRange::From { start, end: Some(*end) }), etag.as_deref())?
                }
                None => {
                    first = None;
                    body.clear();
                    s3::get_object(&inner.config, bucket, key, range, None)?
                }
            };
            self.sign(&mut req)?;
            self.stats.attempts.fetch_add(1, Ordering::Relaxed);
            let err = match inner.transport.send_streaming(req).await {
                Err(e) => e,
                Ok((mut head, mut stream)) if !head.is_success() => {
                    let mut b = BytesMut::new();
                    while let Ok(Some(c)) = stream.chunk().await {
                        b.extend_from_slice(&c);
                    }
                    head.body = b.freeze();
                    let e = s3::parse_error(&head);
                    if resume.is_some() && e.kind == ErrorKind::PreconditionFailed {
                        return Err(Error::new(
                            ErrorKind::PreconditionFailed,
                            format!("{bucket}/{key} changed while being read"),
                        ));
                    }
                    e
                }
                Ok((head, mut stream)) => {
                    // A resumed read must continue the same span; anything else starts over.
                    if resume.is_none() || head.status != 206 {
                        body.clear();
                        // Room for the whole answer up front: growing by doubling would copy
                        // a large body several times over.
                        let announced = head.headers.get("content-length").and_then(|v| v.trim().parse::<usize>().ok());
                        body.reserve(announced.unwrap_or(0).min(1 << 30));
                        let span = absolute_span(&head);
                        first = Some((head, span));
                    }
                    let mut broke = None;
                    loop {
                        match stream.chunk().await {
                            Ok(Some(c)) => body.extend_from_slice(&c),
                            Ok(None) => break,
                            Err(e) => {
                                broke = Some(e);
                                break;
                            }
                        }
                    }
                    match broke {
                        Some(e) => e,
                        None => {
                            let (mut full, _) = first.take().expect("set above");
                            full.body = std::mem::take(&mut body).freeze();
                            match s3::parse_get_object(key, &full) {
                                Ok(v) => return Ok(v),
                                Err(e) => e,
                            }
                        }
                    }
                }
            };
            self.backoff(attempts, started, err, true).await?;
        }
    }
}

/// The absolute `[start, end)` a GetObject answer covers: its Content-Range, or for a 200 the
/// whole object by Content-Length. `None` when unknown (then a broken read starts over).
/// The ETag S3 gives an object written by one plain PUT (no SSE-KMS): the hex MD5 of its bytes.
fn md5_hex(data: &[u8]) -> String {
    use md5::{Digest, Md5};
    format!("{:x}", Md5::digest(data))
}

fn absolute_span(head: &Response) -> Option<(u64, u64)> {
    if head.status == 206 {
        let v = head.headers.get("content-range")?.trim().strip_prefix("bytes ")?;
        let (a, b) = v.split('/').next()?.split_once('-')?;
        return Some((a.parse().ok()?, b.parse::<u64>().ok()?.checked_add(1)?));
    }
    Some((0, head.headers.get("content-length")?.trim().parse().ok()?))
}

impl<T: Transport> Store for S3Store<T> {
    fn protocol(&self) -> &'static str {
        "s3"
    }

    fn capabilities(&self) -> Capabilities {
        self.caps
    }

    async fn list_buckets(&self) -> Result<Vec<BucketInfo>> {
        self.call(s3::list_buckets(&self.inner.config)?, |r| s3::parse_list_buckets(&r)).await
    }

    async fn create_bucket(&self, bucket: &str) -> Result<()> {
        self.call(s3::create_bucket(&self.inner.config, bucket)?, |_| Ok(())).await
    }

    async fn delete_bucket(&self, bucket: &str) -> Result<()> {
        self.call(s3::delete_bucket(&self.inner.config, bucket)?, |_| Ok(())).await
    }

    async fn bucket_exists(&self, bucket: &str) -> Result<bool> {
        match self.call(s3::head_bucket(&self.inner.config, bucket)?, |_| Ok(())).await {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn list_page(&self, bucket: &str, req: &ListRequest) -> Result<ListPage> {
        self.call(s3::list_objects_v2(&self.inner.config, bucket, req)?, |r| s3::parse_list_objects_v2(&r)).await
    }

    async fn head(&self, bucket: &str, key: &str) -> Result<ObjectMeta> {
        self.call(s3::head_object(&self.inner.config, bucket, key)?, |r| s3::parse_head_object(key, &r)).await
    }

    async fn get(&self, bucket: &str, key: &str, range: Option<ByteRange>) -> Result<GetResult> {
        if let Some(r) = range
            && r.to_header().is_none()
        {
            // An empty range needs no transfer, but the object must still exist.
            let meta = self.head(bucket, key).await?;
            return Ok(GetResult { meta, data: Bytes::new() });
        }
        let (meta, data) = self.get_resumable(bucket, key, range).await?;
        Ok(GetResult { meta, data })
    }

    async fn put(&self, bucket: &str, key: &str, data: Bytes, opts: &PutOptions) -> Result<ObjectMeta> {
        self.check_key(key)?;
        let size = data.len() as u64;
        let req = s3::put_object(&self.inner.config, bucket, key, data.clone(), opts)?;
        match self.call(req, |r| s3::parse_put_object(key, size, &r)).await {
            // A conditional PUT retried after a lost answer is refused by its own first
            // attempt: if the object now holds exactly these bytes, that attempt succeeded.
            Err(e) if e.kind == ErrorKind::PreconditionFailed && e.outcome_unknown => match self.head(bucket, key).await {
                Ok(m) if m.size == size && m.etag.as_deref() == Some(&md5_hex(&data)) => Ok(m),
                _ => Err(e),
            },
            r => r,
        }
    }

    async fn copy(&self, src_bucket: &str, src_key: &str, dst_bucket: &str, dst_key: &str) -> Result<()> {
        self.check_key(dst_key)?;
        let req = s3::copy_object(&self.inner.config, src_bucket, src_key, dst_bucket, dst_key)?;
        self.call(req, |r| s3::parse_copy_object(&r)).await
    }

    async fn delete_batch(&self, bucket: &str, keys: &[String]) -> Result<Vec<DeleteFailure>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        self.call(s3::delete_objects(&self.inner.config, bucket, keys)?, |r| s3::parse_delete_objects(&r)).await
    }

    async fn create_multipart(&self, bucket: &str, key: &str, opts: &PutOptions) -> Result<String> {
        self.check_key(key)?;
        self.call(s3::create_multipart(&self.inner.config, bucket, key, opts)?, |r| s3::parse_create_multipart(&r)).await
    }

    async fn upload_part(&self, bucket: &str, key: &str, upload_id: &str, part_number: u32, data: Bytes) -> Result<String> {
        let req = s3::upload_part(&self.inner.config, bucket, key, upload_id, part_number, data)?;
        self.call(req, |r| s3::parse_upload_part(&r)).await
    }

    async fn complete_multipart(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[(u32, String)],
        opts: &PutOptions,
    ) -> Result<ObjectMeta> {
        let req = s3::complete_multipart(&self.inner.config, bucket, key, upload_id, parts, opts)?;
        // The size is not in the answer: the caller knows it (asking with a HEAD could fail
        // after the object was made, turning a done write into a reported failure).
        self.call(req, |r| s3::parse_complete_multipart(key, &r)).await
    }

    async fn abort_multipart(&self, bucket: &str, key: &str, upload_id: &str) -> Result<()> {
        match self.call(s3::abort_multipart(&self.inner.config, bucket, key, upload_id)?, |_| Ok(())).await {
            // Already gone: the goal (no upload left behind) holds.
            Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
            r => r,
        }
    }

    fn presign(&self, method: Method, bucket: &str, key: &str, expires: Duration) -> Result<String> {
        let Some(creds) = &self.inner.credentials else {
            return Err(Error::not_supported("presigning needs credentials"));
        };
        let mut req = match method {
            Method::Get => {
                let mut r = s3::get_object(&self.inner.config, bucket, key, None, None)?;
                // Whoever uses the URL sends no extra headers; none may be signed.
                r.headers.remove("x-amz-checksum-mode");
                r
            }
            Method::Head => s3::head_object(&self.inner.config, bucket, key)?,
            Method::Put => {
                let mut r = s3::put_object(&self.inner.config, bucket, key, Bytes::new(), &PutOptions::default())?;
                // The uploader chooses these; they must not be pinned by the signature.
                r.headers.remove("content-type");
                r.headers.remove("content-length");
                r.headers.remove("x-amz-checksum-crc32c");
                r
            }
            Method::Delete => s3::delete_object(&self.inner.config, bucket, key)?,
            m => return Err(Error::not_supported(format!("presigning {} requests", m.as_str()))),
        };
        let params =
            SigningParams { credentials: creds, region: &self.inner.config.region, service: "s3", time: self.inner.clock.now() };
        self.inner.signer.presign(&mut req, &params, expires, Payload::Unsigned)?;
        Ok(req.url())
    }
}

/// Listing in-progress multipart uploads (to prove nothing was left behind, or to clean up).
impl<T: Transport> S3Store<T> {
    pub async fn list_multipart_uploads(&self, bucket: &str, prefix: &str) -> Result<Vec<(String, String)>> {
        let uploads = self
            .call(s3::list_multipart_uploads(&self.inner.config, bucket, prefix)?, |r| s3::parse_list_multipart_uploads(&r))
            .await?;
        Ok(uploads.into_iter().map(|u| (u.key, u.upload_id)).collect())
    }
}

#[cfg(feature = "native")]
mod native {
    use super::*;
    use crate::transport::native::{ReqwestTransport, SystemClock};

    impl S3Store<ReqwestTransport> {
        /// An S3 store on AWS (`endpoint: None`) or any S3-compatible endpoint (path style).
        pub fn connect(endpoint: Option<&str>, region: &str, credentials: Option<AwsCredentials>) -> Result<Self> {
            let config = match endpoint {
                Some(e) => S3Config::custom(e, region)?,
                None => S3Config::aws(region),
            };
            Ok(S3Store::new(config, credentials, ReqwestTransport::new(Default::default())?, Arc::new(SystemClock)))
        }

        /// Credentials and region from the standard AWS environment variables
        /// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION` /
        /// `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL`); anonymous when no key is set.
        pub fn from_env(endpoint: Option<&str>) -> Result<Self> {
            let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
            let region = var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")).unwrap_or_else(|| "us-east-1".into());
            let creds = match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
                (Some(id), Some(secret)) => {
                    let mut c = AwsCredentials::new(id, secret);
                    c.session_token = var("AWS_SESSION_TOKEN").map(Into::into);
                    Some(c)
                }
                _ => None,
            };
            let endpoint = endpoint.map(str::to_string).or_else(|| var("AWS_ENDPOINT_URL"));
            Self::connect(endpoint.as_deref(), &region, creds)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::VecDeque;

    use super::*;
    use crate::core::http::Headers;
    use crate::transport::FixedClock;

    /// Answers from a script, in order, and records what was asked.
    struct Script {
        answers: RefCell<VecDeque<Result<Response>>>,
        seen: RefCell<Vec<(Method, Option<String>)>>,
    }

    struct Whole(Option<Bytes>);

    impl BodyStream for Whole {
        async fn chunk(&mut self) -> Result<Option<Bytes>> {
            Ok(self.0.take().filter(|b| !b.is_empty()))
        }
    }

    impl Transport for &Script {
        type Body = Whole;

        async fn send_streaming(&self, req: Request) -> Result<(Response, Whole)> {
            self.seen.borrow_mut().push((req.method, req.headers.get("if-none-match").map(str::to_string)));
            let mut r = self.answers.borrow_mut().pop_front().expect("script ran out")?;
            let body = std::mem::take(&mut r.body);
            Ok((r, Whole(Some(body))))
        }

        async fn sleep(&self, _: Duration) {}
    }

    fn lost() -> Result<Response> {
        let mut e = Error::new(ErrorKind::Io, "connection reset").retryable(true);
        e.outcome_unknown = true;
        Err(e)
    }

    fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Result<Response> {
        let mut h = Headers::new();
        for (k, v) in headers {
            h.set(*k, *v);
        }
        Ok(Response::new(status, h, body.to_string()))
    }

    fn put_create(script: &Script, data: &'static [u8]) -> Result<ObjectMeta> {
        let store = S3Store::new(
            S3Config::custom("http://127.0.0.1:9", "us-east-1").unwrap(),
            Some(AwsCredentials::new("AKID", "SECRET")),
            script,
            Arc::new(FixedClock(chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap())),
        );
        let opts = PutOptions { if_none_match_any: true, ..PutOptions::default() };
        futures::executor::block_on(store.put("bucket", "k", Bytes::from_static(data), &opts))
    }

    fn script(answers: Vec<Result<Response>>) -> Script {
        Script { answers: RefCell::new(answers.into()), seen: RefCell::default() }
    }

    const REFUSED: &str = "<Error><Code>PreconditionFailed</Code><Message>exists</Message></Error>";

    #[test]
    fn create_only_put_whose_reply_was_lost_is_confirmed_by_its_content() {
        let etag = format!("\"{}\"", md5_hex(b"mine"));
        let s =
            script(vec![lost(), answer(412, &[], REFUSED), answer(200, &[("etag", etag.as_str()), ("content-length", "4")], "")]);
        let m = put_create(&s, b"mine").unwrap();
        assert_eq!((m.size, m.etag.as_deref()), (4, Some(&etag[1..33])));
        let seen = s.seen.borrow();
        assert_eq!(seen.iter().map(|(m, _)| *m).collect::<Vec<_>>(), [Method::Put, Method::Put, Method::Head]);
        assert_eq!(seen[1].1.as_deref(), Some("*"), "the retry keeps its condition");
    }

    #[test]
    fn create_only_put_refused_for_someone_elses_object_stays_refused() {
        // Lost reply, then 412, but the object holds other bytes: a real conflict.
        let other = format!("\"{}\"", md5_hex(b"theirs"));
        let s = script(vec![
            lost(),
            answer(412, &[], REFUSED),
            answer(200, &[("etag", other.as_str()), ("content-length", "4")], ""),
        ]);
        assert_eq!(put_create(&s, b"mine").unwrap_err().kind, ErrorKind::PreconditionFailed);
        // No lost reply: a 412 is final, without a HEAD.
        let s = script(vec![answer(412, &[], REFUSED)]);
        let e = put_create(&s, b"mine").unwrap_err();
        assert!(e.kind == ErrorKind::PreconditionFailed && !e.outcome_unknown);
        assert_eq!(s.seen.borrow().len(), 1);
    }
}
