//! The contact form's proof of work (`keel_model::challenge`, ALTCHA's
//! protocol): challenges signed with the server's key (`challenge_secret`,
//! or one made at first start and kept in the store, so that every instance
//! shares it), each good for `TTL_SECONDS`, each solution accepted once
//! (its use is recorded in the store, across instances).

use base64::Engine;
use hmac::{Hmac, Mac};
use keel_model::challenge::{ALGORITHM, Challenge, Solution};
use sha2::{Digest, Sha256};

use crate::hex;

/// The largest number a challenge hides: a browser tries half as many
/// hashes on average. Measured (tests/browser/challenge.test.mjs, Chromium
/// on the 2-core test machine, three runs): 0.76 to 0.83 µs a hash, so about
/// 60 ms on average and 125 ms at worst; at a 4× slower CPU 3.5 to 3.9 µs,
/// about 290 ms and 590 ms. At 200,000 the worst case here was 156 ms, over
/// the 150 ms the issue set.
pub const MAX_NUMBER: u64 = 150_000;

/// How long a challenge may be solved and sent.
pub const TTL_SECONDS: u64 = 20 * 60;

fn signature(key: &[u8], challenge: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(challenge.as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// The hash a number is tried against: SHA-256 of the salt and the number.
pub fn hash(salt: &str, number: u64) -> String {
    hex(&Sha256::digest(format!("{salt}{number}").as_bytes()))
}

/// A new challenge, signed with `key`, expiring `TTL_SECONDS` after `now_s`.
pub fn issue(key: &[u8], now_s: u64) -> Challenge {
    let salt = format!(
        "{}?expires={}",
        hex(&rand::random::<[u8; 12]>()),
        now_s + TTL_SECONDS
    );
    let number = rand::random_range(0..=MAX_NUMBER);
    let challenge = hash(&salt, number);
    Challenge {
        algorithm: ALGORITHM.into(),
        signature: signature(key, &challenge),
        challenge,
        maxnumber: MAX_NUMBER,
        salt,
    }
}

/// A solution that checks out: what to record as used, and until when.
#[derive(Debug, PartialEq, Eq)]
pub struct Solved {
    pub challenge: String,
    pub expires_s: u64,
}

/// Check the `Keel-Challenge` header's value; why not, in words staff read.
pub fn verify(key: &[u8], header: &str, now_s: u64) -> Result<Solved, &'static str> {
    let json = base64::engine::general_purpose::STANDARD
        .decode(header.trim())
        .map_err(|_| "the proof of work was not base64")?;
    let s: Solution =
        serde_json::from_slice(&json).map_err(|_| "the proof of work was not a solution")?;
    if s.algorithm != ALGORITHM {
        return Err("the proof of work used another algorithm");
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(s.challenge.as_bytes());
    let signed = (0..s.signature.len())
        .step_by(2)
        .map(|i| {
            s.signature
                .get(i..i + 2)
                .and_then(|b| u8::from_str_radix(b, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .is_some_and(|sig| mac.verify_slice(&sig).is_ok());
    if !signed {
        return Err("the proof of work was not one of ours");
    }
    let expires_s = s
        .salt
        .split_once("?expires=")
        .and_then(|(_, e)| e.split('&').next()?.parse::<u64>().ok())
        .ok_or("the proof of work had no expiry")?;
    if expires_s < now_s {
        return Err("the proof of work had expired");
    }
    if s.number > MAX_NUMBER || hash(&s.salt, s.number) != s.challenge {
        return Err("the proof of work was wrong");
    }
    Ok(Solved {
        challenge: s.challenge,
        expires_s,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"a test key, long enough to be a key";

    fn solve(c: &Challenge) -> String {
        let number = (0..=c.maxnumber)
            .find(|n| hash(&c.salt, *n) == c.challenge)
            .unwrap();
        let json = serde_json::to_vec(&Solution::of(c, number, 1)).unwrap();
        base64::engine::general_purpose::STANDARD.encode(json)
    }

    #[test]
    fn a_solved_challenge_checks_out_until_it_expires() {
        let c = issue(KEY, 1_000);
        assert!(
            c.salt
                .ends_with(&format!("?expires={}", 1_000 + TTL_SECONDS))
        );
        let header = solve(&c);
        let ok = verify(KEY, &header, 1_000).unwrap();
        assert_eq!(
            ok,
            Solved {
                challenge: c.challenge.clone(),
                expires_s: 1_000 + TTL_SECONDS
            }
        );
        assert_eq!(
            verify(KEY, &header, 1_000 + TTL_SECONDS + 1),
            Err("the proof of work had expired")
        );
        assert_eq!(
            verify(b"another key", &header, 1_000),
            Err("the proof of work was not one of ours")
        );
    }

    #[test]
    fn forged_and_malformed_solutions_are_refused_with_a_reason() {
        let c = issue(KEY, 1_000);
        let encode = |s: &Solution| {
            base64::engine::general_purpose::STANDARD.encode(serde_json::to_vec(s).unwrap())
        };
        let right = (0..=c.maxnumber)
            .find(|n| hash(&c.salt, *n) == c.challenge)
            .unwrap();
        let wrong = Solution::of(&c, (right + 1) % (MAX_NUMBER + 1), 1);
        assert_eq!(
            verify(KEY, &encode(&wrong), 1_000),
            Err("the proof of work was wrong")
        );
        // A salt with a later expiry is another challenge: its hash differs.
        let stretched = Solution {
            salt: c.salt.replace("?expires=", "?expires=9"),
            ..Solution::of(&c, right, 1)
        };
        assert_eq!(
            verify(KEY, &encode(&stretched), 1_000),
            Err("the proof of work was wrong")
        );
        // A challenge of one's own making is not signed by us.
        let own = Solution {
            challenge: hash(&c.salt, 0),
            number: 0,
            ..Solution::of(&c, 0, 1)
        };
        assert_eq!(
            verify(KEY, &encode(&own), 1_000),
            Err("the proof of work was not one of ours")
        );
        assert_eq!(
            verify(KEY, "%%%", 1_000),
            Err("the proof of work was not base64")
        );
        assert_eq!(
            verify(KEY, "e30=", 1_000),
            Err("the proof of work was not a solution")
        );
    }
}
