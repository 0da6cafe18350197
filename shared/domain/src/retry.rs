//! The one retry curve: exponential backoff with equal jitter. Retry `n` (1 = the first retry)
//! waits between half and all of `base · 2^(n-1)`, capped at `cap`, the half above the floor
//! spread by a random `unit` in `0.0..1.0` so that many callers failing together do not retry
//! together. A platform's `Retry-After` is a floor on top of that.
//!
//! The domain stays free of I/O and randomness: callers pass `unit` (`rand::random()`), tests a
//! fixed one.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Backoff {
    pub const fn new(base: Duration, cap: Duration) -> Self {
        Self { base, cap }
    }

    /// The full (unjittered) backoff of retry `attempt`: `base · 2^(attempt-1)`, at most `cap`.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let doubled = self
            .base
            .saturating_mul(1_u32 << attempt.saturating_sub(1).min(20));
        doubled.min(self.cap)
    }

    /// How long to wait before retry `attempt`, with `unit` in `0.0..1.0` choosing where in the
    /// upper half of the ceiling.
    pub fn delay(&self, attempt: u32, unit: f64) -> Duration {
        let ceiling = self.ceiling(attempt);
        let half = ceiling / 2;
        half + half.mul_f64(unit.clamp(0.0, 1.0))
    }

    /// [`Backoff::delay`], but never shorter than what the service asked for.
    pub fn delay_at_least(
        &self,
        attempt: u32,
        unit: f64,
        retry_after: Option<Duration>,
    ) -> Duration {
        self.delay(attempt, unit)
            .max(retry_after.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_from_base_to_cap_with_equal_jitter() {
        let b = Backoff::new(Duration::from_millis(100), Duration::from_secs(1));
        assert_eq!(b.ceiling(1), Duration::from_millis(100));
        assert_eq!(b.ceiling(2), Duration::from_millis(200));
        assert_eq!(b.ceiling(4), Duration::from_millis(800));
        assert_eq!(b.ceiling(5), Duration::from_secs(1));
        assert_eq!(b.ceiling(64), Duration::from_secs(1));
        assert_eq!(b.delay(2, 0.0), Duration::from_millis(100));
        assert_eq!(b.delay(2, 1.0), Duration::from_millis(200));
        assert_eq!(b.delay(2, 0.5), Duration::from_millis(150));
        assert_eq!(
            b.delay(2, 7.0),
            Duration::from_millis(200),
            "unit is clamped"
        );
        assert_eq!(
            b.delay_at_least(1, 0.0, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(b.delay_at_least(1, 0.0, None), Duration::from_millis(50));
    }
}
