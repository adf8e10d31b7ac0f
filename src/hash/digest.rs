//! Cryptographic digests of the file bytes: MD5, SHA-1 and SHA-256.
//!
//! These identify one exact file, byte for byte, the way hash lists of known
//! files do. They are computed over the bytes as given, before and
//! independently of any decoding, so they exist even for files that do not
//! decode. They refuse nothing: every byte string, the empty one included,
//! has a digest.
//!
//! MD5 and SHA-1 are broken for collision resistance; they are here only
//! because lists still carry them. Match on SHA-256 where a list has it.

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::hex::to_hex;

/// Bytes fed to the three hashers at a time: large enough to amortise the
/// calls, small enough to stay in cache while all three read it.
const CHUNK: usize = 64 * 1024;

/// The MD5, SHA-1 and SHA-256 digests of one byte string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileDigests {
    /// MD5 (RFC 1321).
    pub md5: [u8; 16],
    /// SHA-1 (FIPS 180-4).
    pub sha1: [u8; 20],
    /// SHA-256 (FIPS 180-4).
    pub sha256: [u8; 32],
}

/// The three digests of bytes that arrive in pieces (a video read as a
/// stream): [`Digester::update`] each piece in order, then
/// [`Digester::finish`]; the same digests as [`FileDigests::of`] of the
/// pieces joined.
#[derive(Debug, Clone, Default)]
pub struct Digester {
    md5: Md5,
    sha1: Sha1,
    sha256: Sha256,
}

impl Digester {
    /// Adds the next piece of the bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(CHUNK) {
            self.md5.update(chunk);
            self.sha1.update(chunk);
            self.sha256.update(chunk);
        }
    }

    /// The digests of every piece added.
    pub fn finish(self) -> FileDigests {
        FileDigests {
            md5: self.md5.finalize().into(),
            sha1: self.sha1.finalize().into(),
            sha256: self.sha256.finalize().into(),
        }
    }
}

impl FileDigests {
    /// Digests `bytes` with all three algorithms in one pass.
    pub fn of(bytes: &[u8]) -> FileDigests {
        let mut d = Digester::default();
        d.update(bytes);
        d.finish()
    }

    /// MD5 as 32 lowercase hex digits.
    pub fn md5_hex(&self) -> String {
        to_hex(&self.md5)
    }

    /// SHA-1 as 40 lowercase hex digits.
    pub fn sha1_hex(&self) -> String {
        to_hex(&self.sha1)
    }

    /// SHA-256 as 64 lowercase hex digits.
    pub fn sha256_hex(&self) -> String {
        to_hex(&self.sha256)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks one input against its MD5, SHA-1 and SHA-256 in hex.
    fn check(input: &[u8], md5: &str, sha1: &str, sha256: &str) {
        let d = FileDigests::of(input);
        assert_eq!(d.md5_hex(), md5);
        assert_eq!(d.sha1_hex(), sha1);
        assert_eq!(d.sha256_hex(), sha256);
    }

    #[test]
    fn empty() {
        check(
            b"",
            "d41d8cd98f00b204e9800998ecf8427e",
            "da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        );
    }

    #[test]
    fn abc() {
        check(
            b"abc",
            "900150983cd24fb0d6963f7d28e17f72",
            "a9993e364706816aba3e25717850c26c9cd0d89d",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        );
    }

    #[test]
    fn four_hundred_forty_eight_bits() {
        check(
            b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "8215ef0796a20bcaaae116d3876c664a",
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
        );
    }

    #[test]
    fn one_million_a() {
        // Longer than CHUNK, so the chunked loop is exercised too.
        check(
            &vec![b'a'; 1_000_000],
            "7707d6ae4e027c70eea2a935c2296f21",
            "34aa973cd4c4daa4f61eeb2bdbad27316534016f",
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
        );
    }
}
