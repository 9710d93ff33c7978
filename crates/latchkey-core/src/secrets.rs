//! Random identifiers and secrets, and how secrets are kept: hashed, compared in constant time.

use aws_lc_rs::{digest, hmac};
use latchkey_jose::{MasterKey, random_bytes};
use subtle::ConstantTimeEq;

use crate::{Error, Result};

pub(crate) struct Secrets {
    pub master: MasterKey,
    /// Keys the hashes of low-entropy secrets (OTP codes), so a leaked table cannot be brute-forced offline.
    pepper: hmac::Key,
}

impl Secrets {
    pub fn new(master_key: &[u8]) -> Result<Self> {
        let master = MasterKey::from_bytes(master_key).map_err(Error::internal)?;
        let derive = hmac::Key::new(hmac::HMAC_SHA256, master_key);
        let pepper = hmac::Key::new(hmac::HMAC_SHA256, hmac::sign(&derive, b"latchkey one-time-code pepper").as_ref());
        Ok(Secrets { master, pepper })
    }

    /// Keyed hash of a one-time secret, scoped by `purpose` so hashes never match across uses.
    pub fn code_hash(&self, purpose: &str, secret: &str) -> String {
        let mut ctx = hmac::Context::with_key(&self.pepper);
        ctx.update(purpose.as_bytes());
        ctx.update(&[0]);
        ctx.update(secret.as_bytes());
        hex(ctx.sign().as_ref())
    }
}

/// SHA-256 of a high-entropy secret (management keys, access keys), for lookup by hash.
pub(crate) fn key_hash(secret: &str) -> String {
    hex(digest::digest(&digest::SHA256, secret.as_bytes()).as_ref())
}

pub(crate) fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

const ALPHANUMERIC: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `prefix` followed by `len` uniformly random alphanumeric characters.
pub(crate) fn random_id(prefix: &str, len: usize) -> String {
    let mut out = String::from(prefix);
    while out.len() < prefix.len() + len {
        for byte in random_bytes::<32>() {
            // 248 = 4 * 62: rejecting larger bytes keeps every character equally likely.
            if byte < 248 && out.len() < prefix.len() + len {
                out.push(ALPHANUMERIC[(byte % 62) as usize] as char);
            }
        }
    }
    out
}

/// A numeric one-time code of `digits` digits, uniformly random.
pub(crate) fn random_digits(digits: usize) -> String {
    let mut out = String::new();
    while out.len() < digits {
        for byte in random_bytes::<16>() {
            if byte < 250 && out.len() < digits {
                out.push(char::from(b'0' + byte % 10));
            }
        }
    }
    out
}

/// A time-ordered unique id for rows (sessions, codes, messages, events).
pub(crate) fn row_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_codes_have_the_promised_shape_and_differ() {
        let a = random_id("P", 27);
        assert_eq!(a.len(), 28);
        assert!(a[1..].chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, random_id("P", 27));
        let code = random_digits(6);
        assert_eq!(code.len(), 6);
        assert!(code.chars().all(|c| c.is_ascii_digit()));
    }

    #[test]
    fn code_hashes_depend_on_purpose_and_master_key() {
        let s = Secrets::new(&[1u8; 32]).unwrap();
        assert_eq!(s.code_hash("otp", "123456"), s.code_hash("otp", "123456"));
        assert_ne!(s.code_hash("otp", "123456"), s.code_hash("link", "123456"));
        assert_ne!(s.code_hash("otp", "123456"), Secrets::new(&[2u8; 32]).unwrap().code_hash("otp", "123456"));
    }
}
