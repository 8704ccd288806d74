//! Transports move [`Request`]s and bring back [`Response`]s. This is the only layer that
//! touches the network or the clock; everything it needs to know about a request is in the
//! request itself. A transport never retries or interprets status codes: that is the core's job.
//!
//! Futures are `Send` on native, so a tokio user can spawn them onto a multi-threaded runtime,
//! and unbounded on wasm32, whose JavaScript values (fetch bodies, promises) are not `Send`:
//! [`MaybeSend`] and [`MaybeSync`] are those bounds chosen by target.

use std::future::Future;

use chrono::{DateTime, Utc};

use crate::core::error::Result;
use crate::core::http::{Request, Response};

#[cfg(feature = "native")]
pub mod native;

#[cfg(target_arch = "wasm32")]
pub mod fetch;

#[cfg(test)]
pub(crate) mod script;

/// The transport a platform uses unless told otherwise: reqwest on native, fetch on wasm32.
#[cfg(feature = "native")]
pub type DefaultTransport = native::ReqwestTransport;
/// The transport a platform uses unless told otherwise: reqwest on native, fetch on wasm32.
#[cfg(all(target_arch = "wasm32", not(feature = "native")))]
pub type DefaultTransport = fetch::FetchTransport;
/// No transport is built in (neither `native` nor wasm32): bring your own.
#[cfg(not(any(feature = "native", target_arch = "wasm32")))]
pub type DefaultTransport = NoTransport;

/// The transport of a build without one: every request fails with `NotSupported`.
#[cfg(not(any(feature = "native", target_arch = "wasm32")))]
#[derive(Clone, Copy, Debug, Default)]
pub struct NoTransport;

#[cfg(not(any(feature = "native", target_arch = "wasm32")))]
impl Transport for NoTransport {
    type Body = NoBody;
    async fn send_streaming(&self, _: Request) -> Result<(Response, NoBody)> {
        Err(crate::core::error::Error::not_supported("this build has no transport (enable the `native` feature)"))
    }
    async fn sleep(&self, _: std::time::Duration) {}
}

/// The body of [`NoTransport`]'s (never) answers.
#[cfg(not(any(feature = "native", target_arch = "wasm32")))]
#[derive(Debug)]
pub struct NoBody;

#[cfg(not(any(feature = "native", target_arch = "wasm32")))]
impl BodyStream for NoBody {
    async fn chunk(&mut self) -> Result<Option<bytes::Bytes>> {
        Ok(None)
    }
}

/// `Send` on native targets, no bound on wasm32.
#[cfg(not(target_arch = "wasm32"))]
pub trait MaybeSend: Send {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Send + ?Sized> MaybeSend for T {}
/// `Send` on native targets, no bound on wasm32.
#[cfg(target_arch = "wasm32")]
pub trait MaybeSend {}
#[cfg(target_arch = "wasm32")]
impl<T: ?Sized> MaybeSend for T {}

/// `Sync` on native targets, no bound on wasm32.
#[cfg(not(target_arch = "wasm32"))]
pub trait MaybeSync: Sync {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Sync + ?Sized> MaybeSync for T {}
/// `Sync` on native targets, no bound on wasm32.
#[cfg(target_arch = "wasm32")]
pub trait MaybeSync {}
#[cfg(target_arch = "wasm32")]
impl<T: ?Sized> MaybeSync for T {}

/// A boxed future that is `Send` where [`MaybeSend`] is.
#[cfg(not(target_arch = "wasm32"))]
pub type BoxFuture<'a, T> = futures::future::BoxFuture<'a, T>;
/// A boxed future that is `Send` where [`MaybeSend`] is.
#[cfg(target_arch = "wasm32")]
pub type BoxFuture<'a, T> = futures::future::LocalBoxFuture<'a, T>;

/// Box a future as a [`BoxFuture`].
pub fn boxed<'a, F: Future + MaybeSend + 'a>(f: F) -> BoxFuture<'a, F::Output> {
    Box::pin(f)
}

/// Sends requests. `send` reads the whole response; `send_streaming` returns the status and
/// headers as soon as they arrive and the body as a stream of chunks (large downloads, and
/// resuming a read that broke off).
pub trait Transport: MaybeSend + MaybeSync {
    type Body: BodyStream + MaybeSend;

    /// Send and read the whole body.
    fn send(&self, req: Request) -> impl Future<Output = Result<Response>> + MaybeSend {
        async move {
            let (mut head, mut body) = self.send_streaming(req).await?;
            let mut all = bytes::BytesMut::new();
            while let Some(chunk) = body.chunk().await? {
                all.extend_from_slice(&chunk);
            }
            head.body = all.freeze();
            Ok(head)
        }
    }

    /// The response head (its `body` empty) and the body still to be read.
    fn send_streaming(&self, req: Request) -> impl Future<Output = Result<(Response, Self::Body)>> + MaybeSend;

    /// Wait (between retries): tokio's timer on native, `setTimeout` on wasm.
    fn sleep(&self, d: std::time::Duration) -> impl Future<Output = ()> + MaybeSend;
}

/// A response body read chunk by chunk.
pub trait BodyStream {
    /// The next chunk, or `None` at the end. An error mid-body leaves what came before valid.
    fn chunk(&mut self) -> impl Future<Output = Result<Option<bytes::Bytes>>> + MaybeSend;
}

/// Where randomness comes from (retry jitter): seeded per process on native, fixed in tests.
pub trait Random: Send + Sync {
    /// Uniform in `[0, 1)`.
    fn next_f64(&self) -> f64;
}

/// A small xorshift generator: jitter needs spread, not cryptographic strength.
#[derive(Debug)]
pub struct XorShift(std::sync::atomic::AtomicU64);

impl XorShift {
    pub fn new(seed: u64) -> Self {
        XorShift(std::sync::atomic::AtomicU64::new(seed | 1))
    }
}

impl Random for XorShift {
    fn next_f64(&self) -> f64 {
        use std::sync::atomic::Ordering;
        let mut x = self.0.load(Ordering::Relaxed);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0.store(x, Ordering::Relaxed);
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Where "now" comes from: the system clock on native, `Date.now()` on wasm, a fixed value
/// in tests.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// A clock that always answers the same instant (tests, reproducible signing).
#[derive(Clone, Copy, Debug)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}
