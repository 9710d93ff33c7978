//! Keys and compact JWS tokens for Latchkey: key generation, JWKS, signing and verification,
//! and sealing private keys at rest under a master key.
//!
//! Signing and verification use aws-lc-rs directly: keys are parsed once and reused, and the
//! verifier accepts exactly the algorithm of the key named by `kid` (never `none`, never a
//! symmetric algorithm), so the usual algorithm-confusion attacks have nothing to work with.

mod jwt;
mod key;
mod seal;

pub use jwt::{Claims, JwtError, decode_unverified_claims, sign, verify};
pub use key::{Algorithm, Jwk, KeyError, SigningKey, VerifyingKey};
pub use seal::{MasterKey, SealError};

/// base64url without padding, the JOSE encoding.
pub fn b64url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).ok()
}

/// Fills a fresh buffer with cryptographically secure random bytes.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    aws_lc_rs::rand::fill(&mut out).expect("system randomness");
    out
}
