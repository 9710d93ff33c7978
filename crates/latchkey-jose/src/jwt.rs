use serde_json::{Map, Value};

use crate::{SigningKey, VerifyingKey, b64url, b64url_decode};

pub type Claims = Map<String, Value>;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("token is not a compact JWS")]
    Malformed,
    #[error("token is signed with an unknown key")]
    UnknownKey,
    #[error("token algorithm does not match its key")]
    WrongAlgorithm,
    #[error("token signature is invalid")]
    BadSignature,
    #[error("token has expired")]
    Expired,
    #[error("token is not valid yet")]
    NotYetValid,
}

/// Signs `claims` as a compact JWS with `key` (header: alg, kid, typ).
pub fn sign(key: &SigningKey, claims: &Claims) -> String {
    let header = serde_json::json!({"alg": key.alg().as_str(), "kid": key.kid(), "typ": "JWT"});
    let mut token = b64url(header.to_string().as_bytes());
    token.push('.');
    token.push_str(&b64url(&serde_json::to_vec(claims).expect("claims serialize")));
    let signature = key.sign_bytes(token.as_bytes());
    token.push('.');
    token.push_str(&b64url(&signature));
    token
}

/// Verifies a token against the key its `kid` names and checks its time claims.
///
/// `exp` is required; `iat` and `nbf` may not lie in the future beyond `leeway` seconds.
pub fn verify<'k>(
    token: &str,
    key_for_kid: impl FnOnce(&str) -> Option<&'k VerifyingKey>,
    now: i64,
    leeway: i64,
) -> Result<Claims, JwtError> {
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(sig_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let header: Map<String, Value> =
        b64url_decode(header_b64).and_then(|h| serde_json::from_slice(&h).ok()).ok_or(JwtError::Malformed)?;
    let kid = header.get("kid").and_then(Value::as_str).ok_or(JwtError::UnknownKey)?;
    let key = key_for_kid(kid).ok_or(JwtError::UnknownKey)?;
    if header.get("alg").and_then(Value::as_str) != Some(key.alg().as_str()) {
        return Err(JwtError::WrongAlgorithm);
    }
    let signature = b64url_decode(sig_b64).ok_or(JwtError::Malformed)?;
    let signed_len = header_b64.len() + 1 + payload_b64.len();
    if !key.verify_bytes(&token.as_bytes()[..signed_len], &signature) {
        return Err(JwtError::BadSignature);
    }
    let claims: Claims =
        b64url_decode(payload_b64).and_then(|p| serde_json::from_slice(&p).ok()).ok_or(JwtError::Malformed)?;
    let time = |name: &str| claims.get(name).map(|v| v.as_i64().ok_or(JwtError::Malformed)).transpose();
    match time("exp")? {
        Some(exp) if exp > now - leeway => {}
        Some(_) => return Err(JwtError::Expired),
        None => return Err(JwtError::Malformed),
    }
    for name in ["iat", "nbf"] {
        if time(name)?.is_some_and(|t| t > now + leeway) {
            return Err(JwtError::NotYetValid);
        }
    }
    Ok(claims)
}

/// Reads a token's claims without checking anything: only for routing a request before the
/// real verification (e.g. finding the project a token claims to belong to).
pub fn decode_unverified_claims(token: &str) -> Option<Claims> {
    let payload = token.split('.').nth(1)?;
    serde_json::from_slice(&b64url_decode(payload)?).ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::Algorithm;

    const NOW: i64 = 1_800_000_000;

    fn claims(exp: i64) -> Claims {
        json!({"sub": "U1", "iat": NOW, "exp": exp}).as_object().unwrap().clone()
    }

    fn check(token: &str, key: &VerifyingKey) -> Result<Claims, JwtError> {
        verify(token, |kid| (kid == key.kid()).then_some(key), NOW, 5)
    }

    #[test]
    fn every_algorithm_round_trips_and_rejects_tampering() {
        for alg in [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA] {
            let key = SigningKey::generate(alg).unwrap();
            let reloaded = SigningKey::from_pkcs8(key.kid().into(), alg, &key.to_pkcs8()).unwrap();
            let token = sign(&reloaded, &claims(NOW + 60));
            assert_eq!(check(&token, &key.verifying_key()).unwrap()["sub"], "U1");

            let mut parts: Vec<String> = token.split('.').map(String::from).collect();
            parts[1] = b64url(br#"{"sub":"admin","iat":1800000000,"exp":1800000060}"#);
            assert_eq!(check(&parts.join("."), &key.verifying_key()), Err(JwtError::BadSignature));
        }
    }

    #[test]
    fn refuses_alg_none_and_algorithm_swaps() {
        let key = SigningKey::generate(Algorithm::RS256).unwrap();
        let body = b64url(&serde_json::to_vec(&claims(NOW + 60)).unwrap());
        for alg in ["none", "HS256", "ES256"] {
            let header = b64url(json!({"alg": alg, "kid": key.kid()}).to_string().as_bytes());
            let forged = format!("{header}.{body}.");
            assert_eq!(check(&forged, &key.verifying_key()), Err(JwtError::WrongAlgorithm));
        }
    }

    #[test]
    fn refuses_other_keys_expired_and_future_tokens() {
        let key = SigningKey::generate(Algorithm::ES256).unwrap();
        let other = SigningKey::generate(Algorithm::ES256).unwrap();
        let token = sign(&other, &claims(NOW + 60));
        assert_eq!(check(&token, &key.verifying_key()), Err(JwtError::UnknownKey));
        assert_eq!(check(&sign(&key, &claims(NOW - 10)), &key.verifying_key()), Err(JwtError::Expired));
        let mut future = claims(NOW + 600);
        future.insert("iat".into(), json!(NOW + 60));
        assert_eq!(check(&sign(&key, &future), &key.verifying_key()), Err(JwtError::NotYetValid));
        let mut no_exp = claims(0);
        no_exp.remove("exp");
        assert_eq!(check(&sign(&key, &no_exp), &key.verifying_key()), Err(JwtError::Malformed));
    }
}
