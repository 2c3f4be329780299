//! The contact intake's per-client rate limit: governor's GCRA (a token bucket
//! without timers), keyed by client network.
//!
//! Per instance, on purpose: the limit is spam control, not accounting. With N
//! instances behind a balancer a client can get at most N bursts, and the store
//! (idempotency and the double-submit window) is what keeps data right.
//!
//! Keys: an IPv4 address, or an IPv6 /64 — one household or host gets a whole
//! /64 from its provider and can pick any address inside it, so keying by the
//! full address would give it 2^64 buckets.

use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter as Governor};

/// Who a bucket belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientKey {
    V4(Ipv4Addr),
    /// The upper 64 bits of an IPv6 address.
    V6Net(u64),
}

impl From<IpAddr> for ClientKey {
    fn from(ip: IpAddr) -> ClientKey {
        match ip {
            IpAddr::V4(v4) => ClientKey::V4(v4),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientKey::V4(v4),
                None => ClientKey::V6Net((v6.to_bits() >> 64) as u64),
            },
        }
    }
}

/// Buckets are swept when the map grows past this; a swept bucket is one that
/// has been full again for a refill period, so forgetting it changes nothing.
const SWEEP_ABOVE: usize = 10_000;

pub struct RateLimiter<C: Clock = DefaultClock> {
    limiter: Governor<ClientKey, DefaultKeyedStateStore<ClientKey>, C, NoOpMiddleware<C::Instant>>,
    clock: C,
}

impl RateLimiter {
    pub fn new(burst: u32, refill_seconds: u64) -> RateLimiter {
        RateLimiter::with_clock(burst, refill_seconds, DefaultClock::default())
    }

    /// `n` a minute per client, all of them at once if it likes.
    pub fn per_minute(n: u32) -> RateLimiter {
        let n = NonZeroU32::new(n.max(1)).expect("at least 1");
        let clock = DefaultClock::default();
        RateLimiter {
            limiter: Governor::new(
                Quota::per_minute(n),
                DefaultKeyedStateStore::default(),
                clock.clone(),
            ),
            clock,
        }
    }
}

/// One limit for the whole instance, whoever asks.
pub struct InstanceLimit {
    limiter: Governor<
        governor::state::NotKeyed,
        governor::state::InMemoryState,
        DefaultClock,
        NoOpMiddleware,
    >,
    clock: DefaultClock,
}

impl InstanceLimit {
    pub fn per_minute(n: u32) -> InstanceLimit {
        let n = NonZeroU32::new(n.max(1)).expect("at least 1");
        let clock = DefaultClock::default();
        InstanceLimit {
            limiter: Governor::direct_with_clock(Quota::per_minute(n), clock.clone()),
            clock,
        }
    }

    /// Take one; `Err(seconds)` until the next is allowed.
    pub fn check(&self) -> Result<(), u64> {
        self.limiter.check().map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            wait.as_secs_f64().ceil().max(1.0) as u64
        })
    }
}

impl<C: Clock + Clone> RateLimiter<C> {
    pub fn with_clock(burst: u32, refill_seconds: u64, clock: C) -> RateLimiter<C> {
        let period = Duration::from_secs(refill_seconds.max(1));
        let quota = Quota::with_period(period)
            .expect("period is at least a second")
            .allow_burst(NonZeroU32::new(burst.max(1)).expect("at least 1"));
        RateLimiter {
            limiter: Governor::new(quota, DefaultKeyedStateStore::default(), clock.clone()),
            clock,
        }
    }

    /// Take one submission for `client`; `Err(seconds)` says when the next one
    /// is allowed (the `Retry-After` value).
    pub fn check(&self, client: IpAddr) -> Result<(), u64> {
        self.limiter
            .check_key(&ClientKey::from(client))
            .map_err(|not_until| {
                let wait = not_until.wait_time_from(self.clock.now());
                wait.as_secs_f64().ceil().max(1.0) as u64
            })
    }

    /// Forget the buckets that are full again. Cheap to call often: it only
    /// sweeps when the map is large. Called by a timer, never per request.
    pub fn sweep(&self) {
        if self.limiter.len() > SWEEP_ABOVE {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
    }

    pub fn clients(&self) -> usize {
        self.limiter.len()
    }
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn burst_then_refill() {
        let clock = FakeRelativeClock::default();
        let rl = RateLimiter::with_clock(2, 10, clock.clone());
        assert!(rl.check(ip("192.0.2.1")).is_ok());
        assert!(rl.check(ip("192.0.2.1")).is_ok());
        assert_eq!(rl.check(ip("192.0.2.1")), Err(10));
        assert!(
            rl.check(ip("192.0.2.2")).is_ok(),
            "other clients are separate"
        );
        clock.advance(Duration::from_secs(4));
        assert_eq!(rl.check(ip("192.0.2.1")), Err(6), "Retry-After counts down");
        clock.advance(Duration::from_secs(6));
        assert!(rl.check(ip("192.0.2.1")).is_ok());
    }

    #[test]
    fn an_ipv6_client_cannot_hop_addresses_inside_its_64() {
        let rl = RateLimiter::with_clock(2, 60, FakeRelativeClock::default());
        assert!(rl.check(ip("2001:db8:1:2::1")).is_ok());
        assert!(rl.check(ip("2001:db8:1:2:ffff::9")).is_ok());
        assert!(
            rl.check(ip("2001:db8:1:2:abcd:1234:5678:9abc")).is_err(),
            "same /64, same bucket"
        );
        assert!(
            rl.check(ip("2001:db8:1:3::1")).is_ok(),
            "the next /64 is another client"
        );
    }

    #[test]
    fn ipv4_mapped_addresses_share_the_ipv4_bucket() {
        let rl = RateLimiter::with_clock(1, 60, FakeRelativeClock::default());
        assert!(rl.check(ip("192.0.2.7")).is_ok());
        assert!(rl.check(ip("::ffff:192.0.2.7")).is_err());
    }

    #[test]
    fn sweeping_forgets_only_refilled_buckets() {
        let clock = FakeRelativeClock::default();
        let rl = RateLimiter::with_clock(1, 60, clock.clone());
        for i in 0..=(SWEEP_ABOVE as u32) {
            rl.check(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i)))
                .unwrap();
        }
        // governor forgets a key one refill period after its bucket is full again.
        clock.advance(Duration::from_secs(121));
        rl.check(ip("192.0.2.9")).unwrap(); // fresh, not refilled yet
        rl.sweep();
        assert_eq!(rl.clients(), 1, "only the recent bucket is kept");
        assert!(rl.check(ip("192.0.2.9")).is_err(), "and it still counts");
    }
}
