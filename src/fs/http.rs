//! The one driver for every HTTP provider. [`HttpStore`] implements [`Store`] over any
//! [`Provider`] (S3 today; GCS and Azure next): it authorizes each attempt afresh (the time is
//! part of a signature) with credentials from the core's [`CredentialCache`] (which says when to
//! fetch fresh ones, a request like any other), sends through the [`Transport`], parses, and on
//! failure asks the core's retry policy whether and when to go again. Reads go through the core's
//! [`ResumableRead`], so a body that breaks off is continued, not restarted. Nothing here
//! knows a provider's protocol: that is all behind the `Provider`'s builders and parsers.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::store::{Capabilities, DeleteFailure, GetResult, Store, path_like};
use crate::core::auth::{
    Authorizer, CredentialCache, CredentialFetch, CredentialStep, Credentials, Expiring, FetchStep, Presigned, Scheme,
};
use crate::core::error::{Error, ErrorKind, Result};
use crate::core::http::Method;
use crate::core::provider::{Call, Provider};
use crate::core::read::ResumableRead;
use crate::core::retry::{self, Decision, RetryPolicy};
use crate::core::types::{BucketInfo, ByteRange, ChunkAck, Copied, ListPage, ListRequest, ObjectMeta, PutOptions};

/// Calls one server-side copy may take (a GCS rewrite continues with its token).
const MAX_COPY_CALLS: usize = 10_000;
/// The pause before asking again about a copy the service is doing on its own, doubled after
/// every answer that it is still pending, up to the longest.
const COPY_POLL_FIRST: Duration = Duration::from_millis(200);
const COPY_POLL_LONGEST: Duration = Duration::from_secs(10);
use crate::transport::{BodyStream, Clock, Random, Transport, XorShift};

/// Requests sent and retries taken, shared by the clones of a store.
#[derive(Debug, Default)]
pub struct CallStats {
    pub attempts: AtomicU64,
    pub retries: AtomicU64,
    /// Reads continued from the byte where a broken-off body stopped.
    pub resumes: AtomicU64,
    /// Credentials fetched (token requests sent).
    pub credential_fetches: AtomicU64,
}

struct Inner<P, T> {
    provider: P,
    auth: Authorizer,
    credentials: CredentialCache,
    transport: T,
    clock: Arc<dyn Clock>,
}

/// A [`Store`] over HTTP provider `P` and transport `T`. Cheap to clone.
pub struct HttpStore<P, T> {
    inner: Arc<Inner<P, T>>,
    caps: Capabilities,
    retry: RetryPolicy,
    random: Arc<dyn Random>,
    stats: Arc<CallStats>,
}

impl<P, T> Clone for HttpStore<P, T> {
    fn clone(&self) -> Self {
        HttpStore {
            inner: self.inner.clone(),
            caps: self.caps,
            retry: self.retry,
            random: self.random.clone(),
            stats: self.stats.clone(),
        }
    }
}

impl<P: std::fmt::Debug, T> std::fmt::Debug for HttpStore<P, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpStore").field("provider", &self.inner.provider).finish_non_exhaustive()
    }
}

impl<P: Provider, T: Transport> HttpStore<P, T> {
    /// A store of `provider`, its requests authorized by `auth` with `credentials`, sent
    /// through `transport`.
    pub fn from_parts(provider: P, auth: Authorizer, credentials: CredentialCache, transport: T, clock: Arc<dyn Clock>) -> Self {
        let mut caps = provider.capabilities();
        caps.presign &= can_presign(&auth, &credentials, clock.now());
        // Jitter only needs to differ between clients: seed it from the clock.
        let seed = clock.now().timestamp_nanos_opt().unwrap_or_default() as u64;
        HttpStore {
            inner: Arc::new(Inner { provider, auth, credentials, transport, clock }),
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

    /// Declare what a compatible server cannot do (the provider's own service does all of
    /// it), so generic code adapts instead of failing: e.g. a file-backed server cannot hold `a//b`.
    pub fn with_capabilities(mut self, caps: Capabilities) -> Self {
        self.caps = caps;
        self
    }

    pub fn provider(&self) -> &P {
        &self.inner.provider
    }

    /// Attempts and retries so far, across clones.
    pub fn stats(&self) -> &CallStats {
        &self.stats
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

    fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    /// Credentials for the next attempt: the cache's, or fetched when it says so. A failed
    /// fetch still yields the old credential while that is valid (the cache decides).
    async fn credentials(&self) -> Result<Arc<Credentials>> {
        let cache = &self.inner.credentials;
        match cache.step(self.now())? {
            CredentialStep::Ready(c) => Ok(c),
            CredentialStep::Fetch(mut fetch) => {
                self.stats.credential_fetches.fetch_add(1, Ordering::Relaxed);
                let outcome = self.run_fetch(&mut *fetch).await;
                cache.finish(outcome, self.now())
            }
        }
    }

    /// Drive one credential fetch (it may take several requests) to its end.
    async fn run_fetch(&self, fetch: &mut (dyn CredentialFetch + '_)) -> Result<Expiring> {
        let mut answer = None;
        loop {
            let (request, timeout) = match fetch.next(answer.take(), self.now())? {
                FetchStep::Done(e) => return Ok(e),
                FetchStep::Send { request, timeout } => (request, timeout),
            };
            let what = request.redacted_url();
            let send = std::pin::pin!(self.inner.transport.send(request));
            let sent = match timeout {
                None => send.await,
                Some(t) => match futures::future::select(send, std::pin::pin!(self.inner.transport.sleep(t))).await {
                    futures::future::Either::Left((resp, _)) => resp,
                    futures::future::Either::Right(_) => {
                        Err(Error::new(ErrorKind::Timeout, format!("no answer from {what} within {t:?}")).retryable(true))
                    }
                },
            };
            answer = match sent {
                Ok(resp) => Some(resp),
                Err(e) => {
                    let now = self.now();
                    return match fetch.fallback(&e, now) {
                        Some(instead) => Ok(instead),
                        None => Err(fetch.failed(e, now)),
                    };
                }
            };
        }
    }

    /// The credentials the next request will be signed with (fetched if need be): to show
    /// where they came from (`access_key_id` prints, secrets do not).
    pub async fn current_credentials(&self) -> Result<Arc<Credentials>> {
        self.credentials().await
    }

    /// After `err`: whether it says the credentials expired and fresh ones may help (only once
    /// per call, and only where they can be refreshed). Then the cache forgets them.
    fn refresh_after(&self, err: &Error, refreshed: &mut bool) -> bool {
        if *refreshed || !self.inner.credentials.is_refreshing() || !self.inner.provider.credentials_expired(err) {
            return false;
        }
        *refreshed = true;
        self.inner.credentials.invalidate();
        true
    }

    /// Send `call` until it succeeds or the retry policy gives up. A non-2xx answer becomes
    /// the provider's typed error; a parser's retryable error (an `<Error>` inside a 200) is
    /// retried like one. An error that may hide a carried-out request says so
    /// (`outcome_unknown`), whatever the last attempt's failure was.
    pub async fn call<R>(&self, call: Call<R>) -> Result<R> {
        let inner = &self.inner;
        let idempotent = call.repeatable || call.request.method.is_idempotent();
        let policy = if call.retry { self.retry } else { RetryPolicy::none() };
        let start = self.now();
        let mut attempts = 0;
        let mut maybe_applied = false;
        let mut refreshed = false;
        loop {
            attempts += 1;
            let err = match self.credentials().await {
                Err(e) => e,
                Ok(creds) => {
                    let mut attempt = call.request.clone();
                    if let Some(parts) = &call.parts {
                        let mut signed = parts.requests.clone();
                        for r in &mut signed {
                            inner.auth.authorize(r, &creds, self.now())?;
                        }
                        (parts.assemble)(&mut attempt, &signed);
                    }
                    inner.auth.authorize(&mut attempt, &creds, self.now())?;
                    self.stats.attempts.fetch_add(1, Ordering::Relaxed);
                    match inner.transport.send(attempt).await {
                        Ok(resp) if call.accepts(&resp) => match (call.parse)(&resp) {
                            Ok(v) => return Ok(v),
                            Err(e) => e,
                        },
                        Ok(resp) => inner.provider.parse_error(&resp),
                        Err(e) => e,
                    }
                }
            };
            maybe_applied |= err.outcome_unknown;
            if self.refresh_after(&err, &mut refreshed) {
                continue;
            }
            if let Err(mut err) = self.backoff(&policy, attempts, start, err, idempotent).await {
                err.outcome_unknown |= maybe_applied;
                return Err(err);
            }
        }
    }

    /// After a failed attempt: wait as the retry policy says, or give the error back.
    async fn backoff(
        &self,
        policy: &RetryPolicy,
        attempts: u32,
        started: DateTime<Utc>,
        err: Error,
        idempotent: bool,
    ) -> Result<()> {
        let elapsed = (self.now() - started).to_std().unwrap_or_default();
        match retry::decide(policy, attempts, elapsed, &err, idempotent, self.random.next_f64()) {
            Decision::RetryAfter(d) => {
                self.stats.retries.fetch_add(1, Ordering::Relaxed);
                self.inner.transport.sleep(d).await;
                Ok(())
            }
            Decision::GiveUp => Err(err),
        }
    }

    /// A read driven by the core's [`ResumableRead`]: the driver only moves the bytes.
    async fn get_resumable(&self, bucket: &str, key: &str, range: Option<ByteRange>) -> Result<(ObjectMeta, Bytes)> {
        let inner = &self.inner;
        let started = self.now();
        let mut read = ResumableRead::new(range);
        let mut attempts = 0;
        let mut refreshed = false;
        loop {
            attempts += 1;
            // Credentials first: a failed fetch must not count as a resumed read.
            let creds = match self.credentials().await {
                Ok(c) => c,
                Err(e) => {
                    self.backoff(&self.retry, attempts, started, e, true).await?;
                    continue;
                }
            };
            let before = read.resumes();
            let ask = read.next_request();
            if read.resumes() > before {
                self.stats.resumes.fetch_add(1, Ordering::Relaxed);
            }
            let mut req = inner.provider.get(bucket, key, ask.range, ask.if_match.as_deref())?;
            inner.auth.authorize(&mut req, &creds, self.now())?;
            self.stats.attempts.fetch_add(1, Ordering::Relaxed);
            let err = match inner.transport.send_streaming(req).await {
                Err(e) => e,
                Ok((mut head, mut body)) if !head.is_success() => {
                    let mut all = bytes::BytesMut::new();
                    while let Ok(Some(c)) = body.chunk().await {
                        all.extend_from_slice(&c);
                    }
                    head.body = all.freeze();
                    // A replaced object while resuming is final: the retry policy gives it up.
                    read.on_refused(inner.provider.parse_error(&head))
                }
                Ok((head, mut body)) => match read.on_head(head) {
                    Err(e) => e,
                    Ok(()) => loop {
                        match body.chunk().await {
                            Ok(Some(c)) => read.on_chunk(&c),
                            Ok(None) => match read.finish().and_then(|full| inner.provider.parse_get(key, &full)) {
                                Ok(v) => return Ok(v),
                                Err(e) => break e,
                            },
                            Err(e) => break e,
                        }
                    },
                },
            };
            if self.refresh_after(&err, &mut refreshed) {
                continue;
            }
            self.backoff(&self.retry, attempts, started, err, true).await?;
        }
    }

    /// HEAD, with the declared workaround for servers that fail it on "directory" keys: the
    /// listing is authoritative about existence (the key itself sorts first among the keys it
    /// prefixes).
    async fn head_object(&self, bucket: &str, key: &str) -> Result<ObjectMeta> {
        let err = match self.call(self.inner.provider.head(bucket, key)?).await {
            Err(e) if e.kind == ErrorKind::Service && self.inner.provider.quirks().head_fails_on_prefixes => e,
            r => return r,
        };
        let req = ListRequest { prefix: key.to_string(), max_keys: Some(1), ..ListRequest::default() };
        match self.call(self.inner.provider.list_page(bucket, &req)?).await {
            Ok(page) if page.objects.first().is_none_or(|o| o.key != key) => Err(Error::not_found("no such key")),
            _ => Err(err),
        }
    }

    async fn read(&self, bucket: &str, key: &str, range: Option<ByteRange>) -> Result<GetResult> {
        let range = match range {
            // An empty range needs no transfer, but the object must still exist.
            Some(r) if r.to_header().is_none() => {
                return Ok(GetResult { meta: self.head_object(bucket, key).await?, data: Bytes::new() });
            }
            // Declared for servers that fail suffix ranges: the same bytes as an absolute range.
            Some(ByteRange::Suffix(n)) if self.inner.provider.quirks().no_suffix_ranges => {
                let meta = self.head_object(bucket, key).await?;
                let (start, end) = ByteRange::Suffix(n).resolve(meta.size);
                if start == end {
                    return Ok(GetResult { meta, data: Bytes::new() });
                }
                Some(ByteRange::From { start, end: Some(end) })
            }
            r => r,
        };
        let (meta, data) = self.get_resumable(bucket, key, range).await?;
        Ok(GetResult { meta, data })
    }

    async fn write(&self, bucket: &str, key: &str, data: Bytes, opts: &PutOptions) -> Result<ObjectMeta> {
        self.check_key(key)?;
        match self.call(self.inner.provider.put(bucket, key, data.clone(), opts)?).await {
            // A conditional PUT retried after a lost answer is refused by its own first
            // attempt: if the object now holds exactly these bytes, that attempt succeeded.
            Err(e) if e.kind == ErrorKind::PreconditionFailed && e.outcome_unknown => {
                match self.inner.provider.confirm_write(bucket, key, &data) {
                    Some(call) => match self.call(call?).await {
                        Ok(Some(m)) => Ok(m),
                        _ => Err(e),
                    },
                    None => match self.head_object(bucket, key).await {
                        Ok(m) if self.inner.provider.holds(&m, &data) => Ok(m),
                        _ => Err(e),
                    },
                }
            }
            r => r,
        }
    }

    /// What someone without credentials sends to do `method` on one object until `expires`
    /// from now: the method, the URL and the headers that were signed.
    async fn presigned(&self, method: Method, bucket: &str, key: &str, expires: Duration) -> Result<Presigned> {
        if !self.caps.presign {
            return Err(Error::not_supported("presigning needs credentials that can sign a URL"));
        }
        let req = self.inner.provider.presign_request(method, bucket, key)?;
        let creds = self.credentials().await?;
        let mut p = self.inner.auth.presign(req, &creds, self.now(), expires)?;
        // A URL signed with temporary credentials stops working when they expire.
        if let Some(until) = self.inner.credentials.expiry_of(&creds) {
            p.expires = p.expires.min(until);
        }
        Ok(p)
    }
}

/// Whether `auth` can presign with these credentials. Refreshing credentials are assumed to
/// (they are not fetched here); fixed ones are asked.
fn can_presign(auth: &Authorizer, credentials: &CredentialCache, now: DateTime<Utc>) -> bool {
    if *auth.scheme() == Scheme::None {
        return false;
    }
    if credentials.is_refreshing() {
        return true;
    }
    match credentials.step(now) {
        Ok(CredentialStep::Ready(c)) => !matches!(*c, Credentials::Anonymous | Credentials::Bearer(_)),
        _ => false,
    }
}

impl<P: Provider, T: Transport> Store for HttpStore<P, T> {
    fn protocol(&self) -> &'static str {
        self.inner.provider.protocol()
    }

    fn capabilities(&self) -> Capabilities {
        self.caps
    }

    async fn list_buckets(&self) -> Result<Vec<BucketInfo>> {
        let (mut all, mut token, mut seen) = (Vec::new(), None::<String>, std::collections::HashSet::new());
        loop {
            let (page, next) = self.call(self.inner.provider.list_buckets_page(token.as_deref())?).await?;
            all.extend(page);
            match next {
                None => return Ok(all),
                // A server repeating a token would page forever.
                Some(t) if !seen.insert(t.clone()) => {
                    return Err(Error::invalid_response(format!("the bucket listing repeated page token {t:?}")));
                }
                Some(t) => token = Some(t),
            }
        }
    }

    async fn create_bucket(&self, bucket: &str) -> Result<()> {
        async { self.call(self.inner.provider.create_bucket(bucket)?).await }.await.map_err(|e| e.at(bucket, ""))
    }

    async fn delete_bucket(&self, bucket: &str) -> Result<()> {
        async { self.call(self.inner.provider.delete_bucket(bucket)?).await }.await.map_err(|e| e.at(bucket, ""))
    }

    async fn bucket_exists(&self, bucket: &str) -> Result<bool> {
        match async { self.call(self.inner.provider.head_bucket(bucket)?).await }.await {
            Ok(()) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e.at(bucket, "")),
        }
    }

    async fn list_page(&self, bucket: &str, req: &ListRequest) -> Result<ListPage> {
        async { self.call(self.inner.provider.list_page(bucket, req)?).await }.await.map_err(|e| e.at(bucket, ""))
    }

    async fn head(&self, bucket: &str, key: &str) -> Result<ObjectMeta> {
        self.head_object(bucket, key).await.map_err(|e| e.at(bucket, key))
    }

    async fn get(&self, bucket: &str, key: &str, range: Option<ByteRange>) -> Result<GetResult> {
        self.read(bucket, key, range).await.map_err(|e| e.at(bucket, key))
    }

    async fn put(&self, bucket: &str, key: &str, data: Bytes, opts: &PutOptions) -> Result<ObjectMeta> {
        self.write(bucket, key, data, opts).await.map_err(|e| e.at(bucket, key))
    }

    async fn copy(&self, src_bucket: &str, src_key: &str, dst_bucket: &str, dst_key: &str) -> Result<()> {
        let copy = async {
            self.check_key(dst_key)?;
            let p = &self.inner.provider;
            let mut token = None;
            let mut pause = COPY_POLL_FIRST;
            // GCS rewrites about 1 GiB a call; this many calls is far beyond any object.
            for _ in 0..MAX_COPY_CALLS {
                match self.call(p.copy(src_bucket, src_key, dst_bucket, dst_key, token.as_deref())?).await? {
                    Copied::Done => return Ok(()),
                    Copied::Again(t) => token = Some(t),
                    Copied::Pending(t) => {
                        self.inner.transport.sleep(pause).await;
                        pause = (pause * 2).min(COPY_POLL_LONGEST);
                        token = Some(t);
                    }
                }
            }
            Err(Error::invalid_response(format!("the copy was not finished after {MAX_COPY_CALLS} calls")))
        };
        copy.await.map_err(|e| e.at(dst_bucket, dst_key).context(format!("copying {src_bucket}/{src_key}")))
    }

    async fn delete_batch(&self, bucket: &str, keys: &[String]) -> Result<Vec<DeleteFailure>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        async { self.call(self.inner.provider.delete_batch(bucket, keys)?).await }.await.map_err(|e| e.at(bucket, ""))
    }

    async fn create_multipart(&self, bucket: &str, key: &str, opts: &PutOptions) -> Result<String> {
        let create = async {
            self.check_key(key)?;
            self.call(self.inner.provider.create_multipart(bucket, key, opts)?).await
        };
        create.await.map_err(|e| e.at(bucket, key))
    }

    async fn upload_part(&self, bucket: &str, key: &str, upload_id: &str, part_number: u32, data: Bytes) -> Result<String> {
        let part = async { self.call(self.inner.provider.upload_part(bucket, key, upload_id, part_number, data)?).await };
        part.await.map_err(|e| e.at(bucket, key))
    }

    async fn complete_multipart(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[(u32, String)],
        opts: &PutOptions,
    ) -> Result<ObjectMeta> {
        let complete = async { self.call(self.inner.provider.complete_multipart(bucket, key, upload_id, parts, opts)?).await };
        complete.await.map_err(|e| e.at(bucket, key))
    }

    async fn abort_multipart(&self, bucket: &str, key: &str, upload_id: &str) -> Result<()> {
        match async { self.call(self.inner.provider.abort_multipart(bucket, key, upload_id)?).await }.await {
            // Already gone: the goal (no upload left behind) holds.
            Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
            r => r.map_err(|e| e.at(bucket, key)),
        }
    }

    async fn upload_block(&self, bucket: &str, key: &str, block_id: &str, data: Bytes) -> Result<()> {
        async { self.call(self.inner.provider.upload_block(bucket, key, block_id, data)?).await }
            .await
            .map_err(|e| e.at(bucket, key))
    }

    async fn commit_blocks(&self, bucket: &str, key: &str, block_ids: &[String], opts: &PutOptions) -> Result<ObjectMeta> {
        let commit = async { self.call(self.inner.provider.commit_blocks(bucket, key, block_ids, opts)?).await };
        commit.await.map_err(|e| e.at(bucket, key))
    }

    async fn upload_chunk(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        offset: u64,
        data: Bytes,
        last: Option<u32>,
    ) -> Result<ChunkAck> {
        let chunk =
            async { self.call(self.inner.provider.upload_chunk(bucket, key, upload_id, offset, data, last)?.once()).await };
        chunk.await.map_err(|e| e.at(bucket, key))
    }

    async fn query_offset(&self, bucket: &str, key: &str, upload_id: &str) -> Result<ChunkAck> {
        async { self.call(self.inner.provider.query_offset(bucket, key, upload_id)?).await }.await.map_err(|e| e.at(bucket, key))
    }

    async fn presign(&self, method: Method, bucket: &str, key: &str, expires: Duration) -> Result<Presigned> {
        self.presigned(method, bucket, key, expires).await.map_err(|e| e.at(bucket, key))
    }
}
