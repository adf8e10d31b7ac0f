//! Lowercase hexadecimal, the text form of every hash prescan prints or
//! reads.
//!
//! [`to_hex`] writes two lowercase digits per byte, most significant nibble
//! first. [`from_hex`] reads either case but refuses anything else: an odd
//! number of digits, a sign, a `0x` prefix, whitespace or any other
//! character.

/// `bytes` as lowercase hex, two digits per byte.
pub fn to_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(digit(b >> 4));
        out.push(digit(b & 0x0f));
    }
    out
}

/// The bytes spelled by `s`, or `None` when `s` is not an even number of hex
/// digits (either case).
pub fn from_hex(s: &str) -> Option<Vec<u8>> {
    let (pairs, rest) = s.as_bytes().as_chunks::<2>();
    if !rest.is_empty() {
        return None;
    }
    // A loop into a sized vector, not a collect into Option<Vec>: the
    // collect grows its vector a byte at a time, which was a fifth of a
    // list import's time.
    let mut out = Vec::with_capacity(pairs.len());
    for &[hi, lo] in pairs {
        out.push(nibble(hi)? << 4 | nibble(lo)?);
    }
    Some(out)
}

/// The lowercase hex digit of `n`, which is below 16.
fn digit(n: u8) -> char {
    match n {
        0..=9 => char::from(b'0' + n),
        _ => char::from(b'a' + (n & 0x0f) - 10),
    }
}

/// The value of one hex digit, either case.
fn nibble(digit: u8) -> Option<u8> {
    match NIBBLES.get(usize::from(digit)).copied().unwrap_or(INVALID) {
        INVALID => None,
        n => Some(n),
    }
}

/// [`NIBBLES`]' mark of a byte that is not a hex digit.
const INVALID: u8 = 0xff;

/// The value of each byte as a hex digit, [`INVALID`] for the rest. A table
/// rather than a `match` on ranges: random hashes mix digits and letters,
/// so the ranges' branches were mispredicted about one digit in three,
/// most of the time of reading a list of hashes.
// Built at compile time: an index out of range would fail the build, not
// a run.
#[allow(clippy::indexing_slicing)]
const NIBBLES: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_byte() {
        let all: Vec<u8> = (0..=255).collect();
        let hex = to_hex(&all);
        assert_eq!(hex.len(), 512);
        assert!(hex.starts_with("000102"));
        assert!(hex.ends_with("fdfeff"));
        assert_eq!(from_hex(&hex), Some(all.clone()));
        assert_eq!(from_hex(&hex.to_uppercase()), Some(all));
    }

    #[test]
    fn empty_is_empty() {
        assert_eq!(to_hex(&[]), "");
        assert_eq!(from_hex(""), Some(Vec::new()));
    }

    #[test]
    fn refuses_non_hex() {
        for bad in ["0", "abc", "0x00", "gg", " 00", "00 ", "+0", "é0"] {
            assert_eq!(from_hex(bad), None, "{bad:?}");
        }
    }
}
