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
    pairs.iter().map(|&[hi, lo]| Some(nibble(hi)? << 4 | nibble(lo)?)).collect()
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
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

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
