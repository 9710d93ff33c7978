//! Private keys are stored sealed with AES-256-GCM under the server's master key.

use aws_lc_rs::aead::{AES_256_GCM, Aad, NONCE_LEN, Nonce, RandomizedNonceKey};

pub struct MasterKey(RandomizedNonceKey);

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("the master key must be 32 bytes")]
    KeyLength,
    #[error("sealed data could not be opened: wrong master key or corrupted data")]
    Open,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<hidden>)")
    }
}

impl MasterKey {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SealError> {
        if bytes.len() != 32 {
            return Err(SealError::KeyLength);
        }
        Ok(MasterKey(RandomizedNonceKey::new(&AES_256_GCM, bytes).map_err(|_| SealError::KeyLength)?))
    }

    /// Encrypts `plaintext`; `context` is bound as associated data (e.g. the key id), so a sealed
    /// value cannot be swapped onto another row.
    pub fn seal(&self, context: &str, plaintext: &[u8]) -> Vec<u8> {
        let mut data = plaintext.to_vec();
        let nonce = self.0.seal_in_place_append_tag(Aad::from(context.as_bytes()), &mut data).expect("aes-gcm seal");
        let mut out = nonce.as_ref().to_vec();
        out.extend(data);
        out
    }

    pub fn open(&self, context: &str, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        if sealed.len() < NONCE_LEN {
            return Err(SealError::Open);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::Open)?;
        let mut data = body.to_vec();
        let plain =
            self.0.open_in_place(nonce, Aad::from(context.as_bytes()), &mut data).map_err(|_| SealError::Open)?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_data_opens_only_with_the_same_key_and_context() {
        let key = MasterKey::from_bytes(&[7u8; 32]).unwrap();
        let sealed = key.seal("kid-1", b"secret");
        assert_eq!(key.open("kid-1", &sealed).unwrap(), b"secret");
        assert!(key.open("kid-2", &sealed).is_err());
        assert!(MasterKey::from_bytes(&[8u8; 32]).unwrap().open("kid-1", &sealed).is_err());
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(key.open("kid-1", &tampered).is_err());
    }
}
