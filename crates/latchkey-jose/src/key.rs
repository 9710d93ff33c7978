use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{self, KeyPair as _};
use aws_lc_rs::{rand::SystemRandom, rsa};
use serde::{Deserialize, Serialize};

use crate::b64url;

/// A JWS signing algorithm Latchkey can sign with. RS256 is the default: every SDK accepts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Algorithm {
    RS256,
    ES256,
    EdDSA,
}

impl Algorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::RS256 => "RS256",
            Algorithm::ES256 => "ES256",
            Algorithm::EdDSA => "EdDSA",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "RS256" => Some(Algorithm::RS256),
            "ES256" => Some(Algorithm::ES256),
            "EdDSA" => Some(Algorithm::EdDSA),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key generation failed")]
    Generate,
    #[error("stored key is not a valid {0:?} PKCS#8 key")]
    Rejected(Algorithm),
    #[error("JWK is not a usable public key")]
    BadJwk,
}

/// A public key in JWK form, as published in the JWKS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    pub kid: String,
    pub alg: String,
    #[serde(rename = "use")]
    pub use_: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
}

enum Pair {
    Rsa(rsa::KeyPair),
    Ec(signature::EcdsaKeyPair),
    Ed(signature::Ed25519KeyPair),
}

/// A private signing key, parsed once, with its key id.
pub struct SigningKey {
    kid: String,
    alg: Algorithm,
    pair: Pair,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.kid).field("alg", &self.alg).finish_non_exhaustive()
    }
}

impl SigningKey {
    pub fn generate(alg: Algorithm) -> Result<Self, KeyError> {
        let pair = match alg {
            Algorithm::RS256 => {
                Pair::Rsa(rsa::KeyPair::generate(rsa::KeySize::Rsa2048).map_err(|_| KeyError::Generate)?)
            }
            Algorithm::ES256 => Pair::Ec(
                signature::EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING)
                    .map_err(|_| KeyError::Generate)?,
            ),
            Algorithm::EdDSA => Pair::Ed(signature::Ed25519KeyPair::generate().map_err(|_| KeyError::Generate)?),
        };
        let kid = format!("K{}", b64url(&crate::random_bytes::<15>()));
        Ok(SigningKey { kid, alg, pair })
    }

    /// Loads a key from its PKCS#8 DER, as [`SigningKey::to_pkcs8`] wrote it.
    pub fn from_pkcs8(kid: String, alg: Algorithm, der: &[u8]) -> Result<Self, KeyError> {
        let rejected = |_| KeyError::Rejected(alg);
        let pair = match alg {
            Algorithm::RS256 => Pair::Rsa(rsa::KeyPair::from_pkcs8(der).map_err(rejected)?),
            Algorithm::ES256 => Pair::Ec(
                signature::EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, der)
                    .map_err(rejected)?,
            ),
            Algorithm::EdDSA => Pair::Ed(signature::Ed25519KeyPair::from_pkcs8(der).map_err(rejected)?),
        };
        Ok(SigningKey { kid, alg, pair })
    }

    pub fn to_pkcs8(&self) -> Vec<u8> {
        match &self.pair {
            Pair::Rsa(k) => k.as_der().expect("rsa pkcs8").as_ref().to_vec(),
            Pair::Ec(k) => k.to_pkcs8v1().expect("ec pkcs8").as_ref().to_vec(),
            Pair::Ed(k) => k.to_pkcs8v1().expect("ed pkcs8").as_ref().to_vec(),
        }
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    pub(crate) fn sign_bytes(&self, message: &[u8]) -> Vec<u8> {
        match &self.pair {
            Pair::Rsa(k) => {
                let mut sig = vec![0u8; k.public_modulus_len()];
                k.sign(&signature::RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut sig).expect("rsa signing");
                sig
            }
            Pair::Ec(k) => k.sign(&SystemRandom::new(), message).expect("ecdsa signing").as_ref().to_vec(),
            Pair::Ed(k) => k.sign(message).as_ref().to_vec(),
        }
    }

    /// The public half, as published in the JWKS.
    pub fn public_jwk(&self) -> Jwk {
        let mut jwk = Jwk {
            kty: String::new(),
            kid: self.kid.clone(),
            alg: self.alg.as_str().to_string(),
            use_: "sig".to_string(),
            n: None,
            e: None,
            crv: None,
            x: None,
            y: None,
        };
        match &self.pair {
            Pair::Rsa(k) => {
                let public = k.public_key();
                jwk.kty = "RSA".into();
                jwk.n = Some(b64url(public.modulus().big_endian_without_leading_zero()));
                jwk.e = Some(b64url(public.exponent().big_endian_without_leading_zero()));
            }
            Pair::Ec(k) => {
                // Uncompressed SEC1 point: 0x04 || x || y.
                let point = k.public_key().as_ref();
                jwk.kty = "EC".into();
                jwk.crv = Some("P-256".into());
                jwk.x = Some(b64url(&point[1..33]));
                jwk.y = Some(b64url(&point[33..65]));
            }
            Pair::Ed(k) => {
                jwk.kty = "OKP".into();
                jwk.crv = Some("Ed25519".into());
                jwk.x = Some(b64url(k.public_key().as_ref()));
            }
        }
        jwk
    }

    pub fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey::from_jwk(&self.public_jwk()).expect("own key is a valid JWK")
    }
}

/// A parsed public key that verifies signatures of exactly one algorithm.
pub struct VerifyingKey {
    kid: String,
    alg: Algorithm,
    key: signature::ParsedPublicKey,
}

impl VerifyingKey {
    pub fn from_jwk(jwk: &Jwk) -> Result<Self, KeyError> {
        let alg = Algorithm::parse(&jwk.alg).ok_or(KeyError::BadJwk)?;
        let field = |v: &Option<String>| v.as_deref().and_then(crate::b64url_decode).ok_or(KeyError::BadJwk);
        let key = match (alg, jwk.kty.as_str()) {
            (Algorithm::RS256, "RSA") => rsa::PublicKeyComponents { n: field(&jwk.n)?, e: field(&jwk.e)? }
                .to_parsed_public_key(&signature::RSA_PKCS1_2048_8192_SHA256)
                .map_err(|_| KeyError::BadJwk)?,
            (Algorithm::ES256, "EC") if jwk.crv.as_deref() == Some("P-256") => {
                let mut point = vec![4u8];
                point.extend(field(&jwk.x)?);
                point.extend(field(&jwk.y)?);
                signature::ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                    .map_err(|_| KeyError::BadJwk)?
            }
            (Algorithm::EdDSA, "OKP") if jwk.crv.as_deref() == Some("Ed25519") => {
                signature::ParsedPublicKey::new(&signature::ED25519, field(&jwk.x)?).map_err(|_| KeyError::BadJwk)?
            }
            _ => return Err(KeyError::BadJwk),
        };
        Ok(VerifyingKey { kid: jwk.kid.clone(), alg, key })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    pub(crate) fn verify_bytes(&self, message: &[u8], sig: &[u8]) -> bool {
        self.key.verify_sig(message, sig).is_ok()
    }
}
