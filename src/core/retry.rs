//! Whether and when to repeat a failed request. The core decides; the driver loop (native or
//! wasm) sleeps and repeats. Randomness comes in as a value, so a decision is reproducible.

use std::time::Duration;

use super::error::Error;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = never retry).
    pub max_attempts: u32,
    /// Backoff before the first retry; doubles each time (before jitter).
    pub base_delay: Duration,
    /// Cap on one backoff (and on a server's Retry-After).
    pub max_delay: Duration,
    /// No retry starts after this much time since the first attempt.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            base_delay: Duration::from_millis(50),
            max_delay: Duration::from_secs(20),
            max_elapsed: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        RetryPolicy { max_attempts: 1, ..Self::default() }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Wait this long, then send the request again.
    RetryAfter(Duration),
    GiveUp,
}

/// After `attempts` attempts (≥ 1) that took `elapsed`, the last failing with `err`:
/// retry or not. `jitter` is uniform in `[0, 1)`: backoff is "full jitter"
/// (`jitter × min(max_delay, base × 2^(attempts-1))`), which spreads clients apart.
pub fn decide(policy: &RetryPolicy, attempts: u32, elapsed: Duration, err: &Error, idempotent: bool, jitter: f64) -> Decision {
    if !err.retryable || attempts >= policy.max_attempts {
        return Decision::GiveUp;
    }
    // Reset or timeout after sending: a non-idempotent request may already have taken effect.
    if err.status.is_none() && err.outcome_unknown && !idempotent {
        return Decision::GiveUp;
    }
    let exp = policy.base_delay.saturating_mul(1u32 << (attempts - 1).min(20)).min(policy.max_delay);
    let mut delay = exp.mul_f64(jitter.clamp(0.0, 1.0));
    if let Some(asked) = err.retry_after {
        delay = delay.max(asked.min(policy.max_delay));
    }
    if elapsed + delay > policy.max_elapsed {
        return Decision::GiveUp;
    }
    Decision::RetryAfter(delay)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error::ErrorKind;

    fn err(status: Option<u16>, retryable: bool) -> Error {
        let mut e = Error::new(ErrorKind::Service, "x").retryable(retryable);
        e.status = status;
        e
    }

    #[test]
    fn backoff_grows_with_full_jitter_and_is_bounded() {
        let p = RetryPolicy::default();
        let e = err(Some(503), true);
        assert_eq!(
            decide(&p, 1, Duration::ZERO, &e, true, 0.999),
            Decision::RetryAfter(Duration::from_millis(50).mul_f64(0.999))
        );
        assert_eq!(decide(&p, 3, Duration::ZERO, &e, true, 0.5), Decision::RetryAfter(Duration::from_millis(100)));
        assert_eq!(decide(&p, 30, Duration::ZERO, &e, true, 0.5), Decision::GiveUp, "attempts bounded");
        assert_eq!(decide(&p, 7, Duration::ZERO, &e, true, 1.0), Decision::RetryAfter(Duration::from_millis(3200)));
        assert_eq!(decide(&p, 2, Duration::from_secs(120), &e, true, 0.5), Decision::GiveUp, "time bounded");
        assert_eq!(decide(&p, 1, Duration::ZERO, &err(Some(404), false), true, 0.5), Decision::GiveUp);
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let p = RetryPolicy::default();
        let mut e = err(Some(503), true);
        e.retry_after = Some(Duration::from_secs(3));
        assert_eq!(decide(&p, 1, Duration::ZERO, &e, true, 0.1), Decision::RetryAfter(Duration::from_secs(3)));
        e.retry_after = Some(Duration::from_secs(3600));
        assert_eq!(decide(&p, 1, Duration::ZERO, &e, true, 0.1), Decision::RetryAfter(p.max_delay));
    }

    #[test]
    fn unknown_outcomes_of_non_idempotent_requests_are_not_repeated() {
        let p = RetryPolicy::default();
        let mut reset = err(None, true);
        reset.outcome_unknown = true;
        assert_eq!(decide(&p, 1, Duration::ZERO, &reset, false, 0.5), Decision::GiveUp);
        assert!(matches!(decide(&p, 1, Duration::ZERO, &reset, true, 0.5), Decision::RetryAfter(_)));
        // Refused before sending (connect failure), or answered with a 5xx: safe either way.
        reset.outcome_unknown = false;
        assert!(matches!(decide(&p, 1, Duration::ZERO, &reset, false, 0.5), Decision::RetryAfter(_)));
        assert!(matches!(decide(&p, 1, Duration::ZERO, &err(Some(500), true), false, 0.5), Decision::RetryAfter(_)));
        assert_eq!(decide(&RetryPolicy::none(), 1, Duration::ZERO, &err(Some(500), true), true, 0.5), Decision::GiveUp);
    }
}
