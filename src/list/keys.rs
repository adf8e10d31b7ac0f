//! Ed25519 keys for signing and verifying hash lists.
//!
//! A list's issuer holds a [`SecretKey`]; a host page or operator trusts one
//! or more [`PublicKey`]s. A key is named in a list by its [`KeyId`], the
//! first 8 bytes of the SHA-256 of the public key, so that a loader can say
//! which key signed a list it does not trust.
//!
//! Text forms: a public key is 64 hex digits; a secret key file is one line,
//! `prescan-ed25519-secret-v1 <64 hex digits of the seed>`. This module
//! never generates randomness: [`SecretKey::from_seed`] takes 32 random
//! bytes from the caller (the CLI reads them from the operating system).
//! It refuses text that is not exactly these forms and public keys that are
//! not valid curve points or are weak (small order).

use std::fmt;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::error::{Cause, Error, Result};
use crate::hex;

/// The prefix of a secret key file's line.
const SECRET_PREFIX: &str = "prescan-ed25519-secret-v1";

/// Length of an Ed25519 signature, in bytes.
pub const SIGNATURE_LEN: usize = 64;

/// The id of a public key: the first 8 bytes of its SHA-256.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub [u8; 8]);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::to_hex(&self.0))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// A public key that verifies lists.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey {
    key: VerifyingKey,
}

impl PublicKey {
    /// The key from its 32 bytes.
    ///
    /// # Errors
    /// [`Error::Key`] when the bytes are not a valid, non-weak Ed25519 key.
    pub fn from_bytes(bytes: [u8; 32]) -> Result<Self> {
        let key = VerifyingKey::from_bytes(&bytes)
            .map_err(|e| Error::Key(Cause::new("not an Ed25519 public key").with_source(e)))?;
        if key.is_weak() {
            return Err(Error::Key("weak (small-order) Ed25519 public key".into()));
        }
        Ok(PublicKey { key })
    }

    /// The key from 64 hex digits (surrounding white space ignored).
    ///
    /// # Errors
    /// [`Error::Key`] when the text is not 64 hex digits of a valid key.
    pub fn from_hex(text: &str) -> Result<Self> {
        let bytes = hex::from_hex(text.trim()).ok_or_else(|| Error::Key("public key is not hex".into()))?;
        let bytes: [u8; 32] =
            bytes.try_into().map_err(|_| Error::Key("public key must be 64 hex digits (32 bytes)".into()))?;
        PublicKey::from_bytes(bytes)
    }

    /// The 32 bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex::to_hex(self.key.as_bytes())
    }

    /// The key's id, as lists name it.
    pub fn id(&self) -> KeyId {
        let digest = Sha256::digest(self.key.as_bytes());
        let mut id = [0u8; 8];
        for (d, s) in id.iter_mut().zip(digest.iter()) {
            *d = *s;
        }
        KeyId(id)
    }

    /// Whether `signature` is this key's signature of `message` (strict
    /// verification: no malleable or small-order signatures).
    pub fn verifies(&self, message: &[u8], signature: &[u8; SIGNATURE_LEN]) -> bool {
        let signature = Signature::from_bytes(signature);
        self.key.verify_strict(message, &signature).is_ok()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_hex())
    }
}

/// A secret key that signs lists. Its bytes are zeroed when dropped.
pub struct SecretKey {
    key: SigningKey,
}

impl SecretKey {
    /// The key whose seed is `seed`: 32 bytes from a cryptographically
    /// secure random source.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        SecretKey { key: SigningKey::from_bytes(&seed) }
    }

    /// The key from its file text, `prescan-ed25519-secret-v1 <hex>`.
    ///
    /// # Errors
    /// [`Error::Key`] when the text is not in that form.
    pub fn from_text(text: &str) -> Result<Self> {
        let bad = || Error::Key(format!("a secret key file holds one line: {SECRET_PREFIX} <64 hex digits>").into());
        let rest = text.trim().strip_prefix(SECRET_PREFIX).ok_or_else(bad)?;
        let seed: [u8; 32] = hex::from_hex(rest.trim()).ok_or_else(bad)?.try_into().map_err(|_| bad())?;
        Ok(SecretKey::from_seed(seed))
    }

    /// The key's file text, one line ending in a newline.
    pub fn to_text(&self) -> String {
        format!("{SECRET_PREFIX} {}\n", hex::to_hex(self.key.as_bytes()))
    }

    /// The matching public key.
    pub fn public(&self) -> PublicKey {
        PublicKey { key: self.key.verifying_key() }
    }

    /// The Ed25519 signature of `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; SIGNATURE_LEN] {
        self.key.sign(message).to_bytes()
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey(public {})", self.public().to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_and_text_round_trip() {
        let secret = SecretKey::from_seed([7; 32]);
        let text = secret.to_text();
        let again = SecretKey::from_text(&text).unwrap();
        assert_eq!(again.public(), secret.public());
        let sig = secret.sign(b"list bytes");
        assert!(secret.public().verifies(b"list bytes", &sig));
        assert!(!secret.public().verifies(b"list bytez", &sig));
        let public = PublicKey::from_hex(&secret.public().to_hex()).unwrap();
        assert_eq!(public.id(), secret.public().id());
        assert!(SecretKey::from_text("nonsense").is_err());
        assert!(PublicKey::from_hex("abcd").is_err());
        assert!(PublicKey::from_hex(&"00".repeat(32)).is_err(), "identity point is weak");
    }
}
