//! The proof of work the server asks of a contact request
//! (`keel_model::challenge`, ALTCHA's protocol): fetched and solved in the
//! background once the visitor starts typing, so it is ready by the time
//! they send. Without it (no script, a failed fetch) the request is still
//! stored, marked for review.
//!
//! It is solved on the page's thread in slices of at most `SLICE_MS`, each
//! followed by a yield to the browser (which then handles input and paints),
//! not in a worker: a worker must come from the page's own origin, which an
//! inline widget on a partner's page is not, and one way for every mode
//! keeps one code path. The figures are in tests/browser/challenge.test.mjs.

use std::cell::RefCell;
use std::rc::Rc;

use keel_model::challenge::{Challenge, Solution};
use sha2::{Digest, Sha256};

/// The longest the solver holds the page's thread before it yields.
const SLICE_MS: f64 = 8.0;
/// Hashes between two looks at the clock.
const BATCH: u64 = 512;

#[derive(Clone, Default)]
enum State {
    #[default]
    Idle,
    Solving,
    Solved(String),
    Failed,
}

/// The form's proof of work, shared by its handlers.
#[derive(Clone, Default)]
pub struct Proof(Rc<RefCell<State>>);

impl PartialEq for Proof {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl Proof {
    /// Fetch the challenge at `url` and solve it, once.
    pub fn start(&self, url: String) {
        if !matches!(*self.0.borrow(), State::Idle) {
            return;
        }
        *self.0.borrow_mut() = State::Solving;
        let state = self.0.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let done = match solve(&url).await {
                Some(header) => State::Solved(header),
                None => State::Failed,
            };
            *state.borrow_mut() = done;
        });
    }

    /// The `Keel-Challenge` header's value: at once when solved, after up to
    /// two seconds when a solve is under way, else none. A proof is sent
    /// once: a second send (after a failure) asks for a new one.
    pub async fn take(&self, url: String) -> Option<String> {
        self.start(url.clone());
        for _ in 0..40 {
            let now = self.0.borrow().clone();
            match now {
                State::Solved(header) => {
                    *self.0.borrow_mut() = State::Idle;
                    self.start(url);
                    return Some(header);
                }
                State::Solving => crate::dom::sleep_ms(50).await,
                State::Idle | State::Failed => return None,
            }
        }
        None
    }
}

/// The challenge at `url`, solved: the header's value.
async fn solve(url: &str) -> Option<String> {
    let c: Challenge = crate::net::get_text(url)
        .await
        .ok()
        .and_then(|t| crate::net::decode(&t).ok())?;
    if c.algorithm != keel_model::challenge::ALGORITHM {
        return None;
    }
    let target: Vec<u8> = (0..c.challenge.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(c.challenge.get(i..i + 2)?, 16).ok())
        .collect::<Option<_>>()?;
    let started = crate::dom::now_ms();
    let salted = Sha256::new_with_prefix(c.salt.as_bytes());
    let mut digits = [0u8; 20];
    let (mut n, mut slice) = (0, started);
    while n <= c.maxnumber {
        let end = (n + BATCH).min(c.maxnumber + 1);
        for i in n..end {
            let d = decimal(i, &mut digits);
            if salted.clone().chain_update(d).finalize().as_slice() == target {
                let took = (crate::dom::now_ms() - started) as u64;
                let json = crate::json::write(&Solution::of(&c, i, took));
                return web_sys::window()?.btoa(&json).ok();
            }
        }
        n = end;
        if crate::dom::now_ms() - slice > SLICE_MS {
            crate::dom::sleep_ms(0).await;
            slice = crate::dom::now_ms();
        }
    }
    None
}

/// `n` in decimal, in the end of `buf`.
fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_as_the_server_reads_them() {
        let mut buf = [0u8; 20];
        for n in [0, 7, 10, 99_999, 100_000, u64::MAX] {
            assert_eq!(decimal(n, &mut buf), n.to_string().as_bytes());
        }
    }
}
