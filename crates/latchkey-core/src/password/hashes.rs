//! The password hashes Latchkey can verify, each stored as one self-describing string: its own
//! Argon2id (PHC), and the schemes users arrive with from other systems — bcrypt, Argon2i/d/id,
//! PBKDF2, scrypt and Firebase's modified scrypt. An imported hash is replaced by the current
//! Argon2id hash at the user's first successful sign-in.
//!
//! Stored forms (salt and hash in PHC base64: standard alphabet, padding optional):
//! - `$argon2id$v=19$m=..,t=..,p=..$salt$hash` (and `argon2i`, `argon2d`)
//! - `$2a$..` / `$2b$..` / `$2y$..` (bcrypt modular crypt)
//! - `$pbkdf2-sha1$i=..,l=..$salt$hash` (and `sha256`, `sha512`)
//! - `$scrypt$ln=..,r=..,p=..$salt$hash`
//! - `$firebase-scrypt$ln=..,r=..$salt$separator$signer_key$hash`

use std::cell::RefCell;
use std::num::NonZeroU32;

use argon2::Argon2;
use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use aws_lc_rs::cipher::{AES_256, EncryptingKey, EncryptionContext, UnboundCipherKey};
use aws_lc_rs::iv::FixedLength;
use aws_lc_rs::pbkdf2;
use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use subtle::ConstantTimeEq;

/// Limits on what a stored hash may ask for: an imported hash must not be able to make one
/// sign-in burn seconds of CPU or gigabytes of memory.
const MAX_ARGON2_MEMORY_KIB: u32 = 256 * 1024;
const MAX_ARGON2_PASSES: u32 = 16;
const MAX_BCRYPT_COST: u32 = 16;
const MAX_PBKDF2_ITERATIONS: u32 = 2_000_000;
const MAX_SCRYPT_MEMORY: u64 = 256 * 1024 * 1024;
const MAX_SCRYPT_PARALLELISM: u32 = 16;

/// PHC base64: standard alphabet; accept hashes written with or without padding.
const PHC_B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_encode_padding(false).with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

pub(crate) fn phc_b64(bytes: &[u8]) -> String {
    PHC_B64.encode(bytes)
}

fn phc_b64_decode(field: &str, text: &str) -> Result<Vec<u8>, String> {
    PHC_B64.decode(text).map_err(|_| format!("the {field} is not valid base64"))
}

/// A parsed stored hash, ready to verify a password.
pub(crate) enum StoredHash {
    Argon2(String),
    Bcrypt(String),
    Pbkdf2 { digest: pbkdf2::Algorithm, iterations: NonZeroU32, salt: Vec<u8>, hash: Vec<u8> },
    Scrypt { params: scrypt::Params, salt: Vec<u8>, hash: Vec<u8> },
    FirebaseScrypt { params: scrypt::Params, salt: Vec<u8>, signer_key: Vec<u8>, hash: Vec<u8> },
}

impl StoredHash {
    /// Parses and bounds a stored hash; the error says what is wrong with it, for import reports.
    pub(crate) fn parse(stored: &str) -> Result<StoredHash, String> {
        let parts: Vec<&str> = stored.split('$').collect();
        let scheme = parts.get(1).copied().unwrap_or_default();
        match scheme {
            "argon2id" | "argon2i" | "argon2d" => parse_argon2(stored),
            "2a" | "2b" | "2y" => parse_bcrypt(stored),
            "pbkdf2-sha1" | "pbkdf2-sha256" | "pbkdf2-sha512" => {
                let [_, _, params, salt, hash] = parts[..] else {
                    return Err("a pbkdf2 hash has the form $pbkdf2-<digest>$i=<n>,l=<n>$<salt>$<hash>".into());
                };
                let params = Params::parse(params)?;
                let iterations = params.number("i")?;
                if iterations > MAX_PBKDF2_ITERATIONS {
                    return Err(format!("pbkdf2 iterations above {MAX_PBKDF2_ITERATIONS} are not accepted"));
                }
                let hash = phc_b64_decode("hash", hash)?;
                if params.optional("l")?.is_some_and(|l| l as usize != hash.len()) {
                    return Err("the pbkdf2 length 'l' does not match the hash".into());
                }
                let digest = match scheme {
                    "pbkdf2-sha1" => pbkdf2::PBKDF2_HMAC_SHA1,
                    "pbkdf2-sha256" => pbkdf2::PBKDF2_HMAC_SHA256,
                    _ => pbkdf2::PBKDF2_HMAC_SHA512,
                };
                let iterations = NonZeroU32::new(iterations).ok_or("pbkdf2 iterations must be positive")?;
                Ok(StoredHash::Pbkdf2 {
                    digest,
                    iterations,
                    salt: phc_b64_decode("salt", salt)?,
                    hash: non_empty(hash)?,
                })
            }
            "scrypt" => {
                let [_, _, params, salt, hash] = parts[..] else {
                    return Err("a scrypt hash has the form $scrypt$ln=<n>,r=<n>,p=<n>$<salt>$<hash>".into());
                };
                let params = Params::parse(params)?;
                let params = scrypt_params(params.number("ln")?, params.number("r")?, params.number("p")?)?;
                let hash = non_empty(phc_b64_decode("hash", hash)?)?;
                Ok(StoredHash::Scrypt { params, salt: phc_b64_decode("salt", salt)?, hash })
            }
            "firebase-scrypt" => {
                let [_, _, params, salt, separator, signer_key, hash] = parts[..] else {
                    return Err("a firebase-scrypt hash has the form \
                                $firebase-scrypt$ln=<n>,r=<n>$<salt>$<separator>$<signer key>$<hash>"
                        .into());
                };
                let params = Params::parse(params)?;
                let params = scrypt_params(params.number("ln")?, params.number("r")?, 1)?;
                // Firebase salts the key derivation with the user's salt followed by the project's separator.
                let mut salt = phc_b64_decode("salt", salt)?;
                salt.extend(phc_b64_decode("salt separator", separator)?);
                let signer_key = non_empty(phc_b64_decode("signer key", signer_key)?)?;
                let hash = phc_b64_decode("hash", hash)?;
                if hash.len() != signer_key.len() {
                    return Err("a firebase-scrypt hash is as long as its signer key".into());
                }
                Ok(StoredHash::FirebaseScrypt { params, salt, signer_key, hash })
            }
            _ => Err("unsupported password hash: use bcrypt, argon2, pbkdf2, scrypt or firebase-scrypt".into()),
        }
    }

    /// Whether `password` matches, comparing digests in constant time. Deliberately slow: call it
    /// on the blocking pool.
    pub(crate) fn verify(&self, password: &[u8]) -> bool {
        match self {
            StoredHash::Argon2(phc) => verify_argon2(phc, password).unwrap_or(false),
            StoredHash::Bcrypt(crypt) => bcrypt::verify(password, crypt).unwrap_or(false),
            StoredHash::Pbkdf2 { digest, iterations, salt, hash } => {
                pbkdf2::verify(*digest, *iterations, salt, password, hash).is_ok()
            }
            StoredHash::Scrypt { params, salt, hash } => {
                let mut derived = vec![0u8; hash.len()];
                scrypt::scrypt(password, salt, params, &mut derived).is_ok() && bool::from(derived.ct_eq(hash))
            }
            StoredHash::FirebaseScrypt { params, salt, signer_key, hash } => {
                let mut key = [0u8; 32];
                if scrypt::scrypt(password, salt, params, &mut key).is_err() {
                    return false;
                }
                let mut signed = signer_key.clone();
                let cipher = UnboundCipherKey::new(&AES_256, &key).and_then(EncryptingKey::ctr);
                let zero_iv = EncryptionContext::Iv128(FixedLength::from([0u8; 16]));
                match cipher.and_then(|c| c.less_safe_encrypt(&mut signed, zero_iv)) {
                    Ok(_) => bool::from(signed.ct_eq(hash)),
                    Err(_) => false,
                }
            }
        }
    }

    /// Whether this is the scheme and cost Latchkey hashes new passwords with; anything else is
    /// replaced at the next successful sign-in.
    pub(crate) fn is_current(&self) -> bool {
        let StoredHash::Argon2(phc) = self else { return false };
        let Ok(hash) = PasswordHash::new(phc) else { return false };
        let current = argon2::Params::default();
        hash.algorithm.as_str() == "argon2id"
            && argon2::Params::try_from(&hash).is_ok_and(|p| {
                (p.m_cost(), p.t_cost(), p.p_cost()) == (current.m_cost(), current.t_cost(), current.p_cost())
            })
    }
}

/// Argon2 into memory blocks this thread keeps. Allocating and freeing 19 MiB per hash makes
/// glibc's allocator raise its mmap threshold and keep the freed memory (seen: 200 MiB of RSS
/// after 20 sequential sign-ins); the few hashing threads each reuse one buffer instead.
fn argon2_into(argon: &Argon2, password: &[u8], salt: &[u8], out: &mut [u8]) -> bool {
    thread_local!(static BLOCKS: RefCell<Vec<argon2::Block>> = const { RefCell::new(Vec::new()) });
    let usual = argon2::Params::default().block_count();
    BLOCKS.with_borrow_mut(|blocks| {
        let need = argon.params().block_count();
        if blocks.len() < need {
            blocks.resize(need, argon2::Block::default());
        }
        let ok = argon.hash_password_into_with_memory(password, salt, out, &mut blocks[..need]).is_ok();
        if blocks.len() > usual {
            // An imported hash with a larger memory cost: do not keep that much around.
            blocks.truncate(usual);
            blocks.shrink_to_fit();
        }
        ok
    })
}

/// A new Argon2id hash at Latchkey's parameters, as a PHC string.
pub(crate) fn hash_argon2id(password: &[u8]) -> Result<String, String> {
    let argon = Argon2::default();
    let salt = latchkey_jose::random_bytes::<16>();
    let mut out = [0u8; 32];
    if !argon2_into(&argon, password, &salt, &mut out) {
        return Err("argon2 hashing failed".into());
    }
    let phc = PasswordHash {
        algorithm: argon2::ARGON2ID_IDENT,
        version: Some(argon2::Version::V0x13.into()),
        params: ParamsString::try_from(argon.params()).map_err(|e| e.to_string())?,
        salt: Some(Salt::new(&salt).map_err(|e| e.to_string())?),
        hash: Some(Output::new(&out).map_err(|e| e.to_string())?),
    };
    Ok(phc.to_string())
}

fn verify_argon2(phc: &str, password: &[u8]) -> Option<bool> {
    let hash = PasswordHash::new(phc).ok()?;
    let algorithm = argon2::Algorithm::new(hash.algorithm.as_str()).ok()?;
    let version = argon2::Version::try_from(hash.version.unwrap_or(0x13)).ok()?;
    let params = argon2::Params::try_from(&hash).ok()?;
    let (salt, expected) = (hash.salt?, hash.hash?);
    let mut out = vec![0u8; expected.len()];
    let ok = argon2_into(&Argon2::new(algorithm, version, params), password, &salt, &mut out);
    Some(ok && bool::from(out.ct_eq(expected.as_bytes())))
}

fn parse_argon2(stored: &str) -> Result<StoredHash, String> {
    let hash = PasswordHash::new(stored).map_err(|e| format!("not a valid argon2 PHC string: {e}"))?;
    let params = argon2::Params::try_from(&hash).map_err(|e| format!("invalid argon2 parameters: {e}"))?;
    if hash.salt.is_none() || hash.hash.is_none() {
        return Err("an argon2 hash needs a salt and a hash".into());
    }
    if params.m_cost() > MAX_ARGON2_MEMORY_KIB || params.t_cost() > MAX_ARGON2_PASSES {
        return Err(format!("argon2 costs above m={MAX_ARGON2_MEMORY_KIB}, t={MAX_ARGON2_PASSES} are not accepted"));
    }
    Ok(StoredHash::Argon2(stored.to_string()))
}

fn parse_bcrypt(stored: &str) -> Result<StoredHash, String> {
    let parts: bcrypt::HashParts = stored.parse().map_err(|e| format!("not a valid bcrypt hash: {e}"))?;
    if parts.get_cost() > MAX_BCRYPT_COST {
        return Err(format!("bcrypt costs above {MAX_BCRYPT_COST} are not accepted"));
    }
    Ok(StoredHash::Bcrypt(stored.to_string()))
}

fn scrypt_params(log_n: u32, r: u32, p: u32) -> Result<scrypt::Params, String> {
    let memory = 128u64.saturating_mul(r as u64).checked_shl(log_n).unwrap_or(u64::MAX);
    if log_n == 0 || log_n >= 32 || memory > MAX_SCRYPT_MEMORY || p > MAX_SCRYPT_PARALLELISM {
        return Err(format!("scrypt costs above {} MiB of memory are not accepted", MAX_SCRYPT_MEMORY >> 20));
    }
    scrypt::Params::new(log_n as u8, r, p).map_err(|_| "invalid scrypt parameters".to_string())
}

fn non_empty(bytes: Vec<u8>) -> Result<Vec<u8>, String> {
    if bytes.is_empty() { Err("the hash is empty".into()) } else { Ok(bytes) }
}

/// The `k=v,k=v` parameter segment of a PHC string.
struct Params<'a>(Vec<(&'a str, &'a str)>);

impl<'a> Params<'a> {
    fn parse(segment: &'a str) -> Result<Params<'a>, String> {
        let pairs = segment.split(',').map(|pair| pair.split_once('=').ok_or(format!("bad parameter '{pair}'")));
        Ok(Params(pairs.collect::<Result<_, _>>()?))
    }

    fn optional(&self, name: &str) -> Result<Option<u32>, String> {
        match self.0.iter().find(|(key, _)| *key == name) {
            Some((_, value)) => value.parse().map(Some).map_err(|_| format!("parameter '{name}' is not a number")),
            None => Ok(None),
        }
    }

    fn number(&self, name: &str) -> Result<u32, String> {
        self.optional(name)?.ok_or(format!("parameter '{name}' is missing"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn firebase_published_example_verifies() {
        // The example in github.com/firebase/scrypt's README.
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.decode(s).unwrap();
        let stored = format!(
            "$firebase-scrypt$ln=14,r=8${}${}${}${}",
            phc_b64(&b64("42xEC+ixf3L2lw==")),
            phc_b64(&b64("Bw==")),
            phc_b64(&b64("jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==")),
            phc_b64(&b64("lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==")),
        );
        let hash = StoredHash::parse(&stored).unwrap();
        assert!(hash.verify(b"user1password"));
        assert!(!hash.verify(b"user1passwore"));
        assert!(!hash.is_current());
    }

    #[test]
    fn pbkdf2_rfc6070_vector_verifies() {
        // RFC 6070: P="password", S="salt", c=4096, dkLen=20.
        let hash = hex("4b007901b765489abead49d926f721d065a429c1");
        let stored = format!("$pbkdf2-sha1$i=4096,l=20${}${}", phc_b64(b"salt"), phc_b64(&hash));
        let parsed = StoredHash::parse(&stored).unwrap();
        assert!(parsed.verify(b"password") && !parsed.verify(b"passwore"));
    }

    #[test]
    fn scrypt_rfc7914_vector_verifies() {
        // RFC 7914 section 12: P="password", S="NaCl", N=1024, r=8, p=16, dkLen=64.
        let hash = hex(
            "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb9\
             4a83ee6d8360cbdfa2cc0640",
        );
        let stored = format!("$scrypt$ln=10,r=8,p=16${}${}", phc_b64(b"NaCl"), phc_b64(&hash));
        let parsed = StoredHash::parse(&stored).unwrap();
        assert!(parsed.verify(b"password") && !parsed.verify(b"Password"));
    }

    #[test]
    fn current_argon2id_is_current_and_others_are_not() {
        let salt = latchkey_jose::random_bytes::<16>();
        let phc = hash_argon2id(b"pw").unwrap();
        let parsed = StoredHash::parse(&phc).unwrap();
        assert!(parsed.verify(b"pw") && !parsed.verify(b"pv") && parsed.is_current());
        // The same as the argon2 crate's own hasher would write (and verify).
        let theirs = argon2::PasswordHasher::hash_password_with_salt(&Argon2::default(), b"pw", &salt).unwrap();
        assert!(StoredHash::parse(&theirs.to_string()).unwrap().verify(b"pw"));
        assert!(argon2::PasswordVerifier::verify_password(&Argon2::default(), b"pw", phc.as_str()).is_ok());
        let cheaper = argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            argon2::Params::new(8192, 2, 1, None).unwrap(),
        );
        let old = argon2::PasswordHasher::hash_password_with_salt(&cheaper, b"pw", &salt).unwrap().to_string();
        let parsed = StoredHash::parse(&old).unwrap();
        assert!(parsed.verify(b"pw") && !parsed.is_current());
    }

    #[test]
    fn costly_or_broken_hashes_are_refused_at_parse() {
        for (stored, why) in [
            ("$md5$rounds=1000$salt$hash", "unsupported"),
            ("$scrypt$ln=24,r=8,p=1$c2FsdA$aGFzaA", "MiB"),
            ("$pbkdf2-sha256$i=99999999,l=4$c2FsdA$aGFzaA", "iterations"),
            ("$pbkdf2-sha256$i=1000,l=9$c2FsdA$aGFzaA", "length"),
            ("$argon2id$v=19$m=8192,t=2,p=1$%%%$%%%", "argon2"),
            ("$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo", "costs"),
            ("$2b$31$abcdefghijklmnopqrstuu5QUSv5y1bpz0FuoYLdp0Uq5WNTRtEw6", "cost"),
            ("not-a-bcrypt-hash", "unsupported"),
        ] {
            let err = StoredHash::parse(stored).err().unwrap_or_else(|| panic!("{stored} parsed"));
            assert!(err.contains(why), "{stored}: {err}");
        }
    }

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
    }
}
