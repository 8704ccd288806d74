//! Transports move [`Request`]s and bring back [`Response`]s. This is the only layer that
//! touches the network or the clock; everything it needs to know about a request is in the
//! request itself. A transport never retries or interprets status codes: that is the core's job.

use chrono::{DateTime, Utc};

use crate::core::error::Result;
use crate::core::http::{Request, Response};

#[cfg(feature = "native")]
pub mod native;

#[cfg(target_arch = "wasm32")]
pub mod fetch;

/// Sends requests. `send` reads the whole response; `send_streaming` returns the status and
/// headers as soon as they arrive and the body as a stream of chunks (large downloads, and
/// resuming a read that broke off).
#[allow(async_fn_in_trait)]
pub trait Transport {
    type Body: BodyStream;

    /// Send and read the whole body.
    async fn send(&self, req: Request) -> Result<Response> {
        let (mut head, mut body) = self.send_streaming(req).await?;
        let mut all = bytes::BytesMut::new();
        while let Some(chunk) = body.chunk().await? {
            all.extend_from_slice(&chunk);
        }
        head.body = all.freeze();
        Ok(head)
    }

    /// The response head (its `body` empty) and the body still to be read.
    async fn send_streaming(&self, req: Request) -> Result<(Response, Self::Body)>;

    /// Wait (between retries): tokio's timer on native, `setTimeout` on wasm.
    async fn sleep(&self, d: std::time::Duration);
}

/// A response body read chunk by chunk.
#[allow(async_fn_in_trait)]
pub trait BodyStream {
    /// The next chunk, or `None` at the end. An error mid-body leaves what came before valid.
    async fn chunk(&mut self) -> Result<Option<bytes::Bytes>>;
}

/// Where randomness comes from (retry jitter): seeded per process on native, fixed in tests.
pub trait Random {
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
pub trait Clock {
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
