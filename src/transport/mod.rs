//! Transports move [`Request`]s and bring back [`Response`]s. This is the only layer that
//! touches the network or the clock; everything it needs to know about a request is in the
//! request itself. A transport never retries or interprets status codes: that is the core's job.

use chrono::{DateTime, Utc};

use crate::core::error::Result;
use crate::core::http::{Request, Response};

#[cfg(feature = "native")]
pub mod native;

/// Sends one request and reads the whole response.
#[allow(async_fn_in_trait)]
pub trait Transport {
    async fn send(&self, req: Request) -> Result<Response>;
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
