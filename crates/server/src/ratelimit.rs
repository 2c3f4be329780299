//! A per-client token bucket for the contact intake. In memory and per
//! instance: behind several instances each allows its own burst, which is
//! acceptable for spam control (the store, not this, is the source of truth).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct RateLimiter {
    burst: f64,
    refill: Duration,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl RateLimiter {
    pub fn new(burst: u32, refill_seconds: u64) -> RateLimiter {
        RateLimiter {
            burst: f64::from(burst),
            refill: Duration::from_secs(refill_seconds.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Take one token for `client`; `Err(seconds)` says when the next one comes.
    pub fn check(&self, client: IpAddr, now: Instant) -> Result<(), u64> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        // Forget idle clients so the map cannot grow without bound.
        if buckets.len() > 10_000 {
            let full_after = self.refill.mul_f64(self.burst);
            buckets.retain(|_, (_, at)| now.duration_since(*at) < full_after);
        }
        let (tokens, at) = buckets.entry(client).or_insert((self.burst, now));
        let earned = now.duration_since(*at).as_secs_f64() / self.refill.as_secs_f64();
        *tokens = (*tokens + earned).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - *tokens) * self.refill.as_secs_f64();
            Err(wait.ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refill() {
        let rl = RateLimiter::new(2, 10);
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let t0 = Instant::now();
        assert!(rl.check(ip, t0).is_ok());
        assert!(rl.check(ip, t0).is_ok());
        assert_eq!(rl.check(ip, t0), Err(10));
        assert!(rl.check("::1".parse().unwrap(), t0).is_ok(), "other clients are separate");
        assert!(rl.check(ip, t0 + Duration::from_secs(10)).is_ok());
    }
}
