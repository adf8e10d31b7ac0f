//! The one PNG builder of prescan's tests, byte by byte: chunks with their
//! CRC, and files that declare any size with almost no data (decompression
//! bombs, huge headers). Integration tests get it through `tests/common`,
//! the library's unit tests through `#[path]` in `src/decode.rs`.

/// CRC-32 (ISO-HDLC, as PNG uses), bit by bit: test data is tiny.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A PNG chunk: length, type, data, CRC.
pub fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32(&[&kind[..], data].concat()).to_be_bytes());
    out
}

/// A valid PNG whose IHDR declares `w` × `h` 8-bit RGB, then a token IDAT
/// (an empty zlib stream: a real bomb carries a little compressed data)
/// and IEND.
pub fn png_header(w: u32, h: u32) -> Vec<u8> {
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(chunk(b"IHDR", &ihdr));
    out.extend(chunk(b"IDAT", b"\x78\x9c\x03\x00\x00\x00\x00\x01"));
    out.extend(chunk(b"IEND", b""));
    out
}
