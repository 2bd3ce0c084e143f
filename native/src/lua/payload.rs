//! FUNCTION DUMP / RESTORE payloads in Redis's format: per library the RDB
//! opcode FUNCTION2 (245) and its code as an RDB string (LZF-compressed when
//! that saves 4 bytes or more, as rdbSaveRawString does with rdbcompression
//! on), then the RDB version (11, little endian) and a CRC-64 (Jones,
//! reflected, little endian) of everything before it.
//! The CRC-64 is the RDB codec's (native/src/rdb/crc64.rs).

const OPCODE_FUNCTION2: u8 = 245;
const OPCODE_FUNCTION_PRE_GA: u8 = 246;
pub const RDB_VERSION: u16 = 11;

use crate::rdb::crc64::crc64;

fn save_len(out: &mut Vec<u8>, n: usize) {
    if n < 64 {
        out.push(n as u8);
    } else if n < 16384 {
        out.extend_from_slice(&[0x40 | (n >> 8) as u8, n as u8]);
    } else if n <= u32::MAX as usize {
        out.push(0x80);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&(n as u64).to_be_bytes());
    }
}

fn save_string(out: &mut Vec<u8>, s: &[u8], compress: bool) {
    if compress && s.len() > 20 {
        if let Some(c) = crate::lzf::compress(s, s.len() - 4) {
            out.push(0xc3);
            save_len(out, c.len());
            save_len(out, s.len());
            out.extend_from_slice(&c);
            return;
        }
    }
    save_len(out, s.len());
    out.extend_from_slice(s);
}

/// The payload of FUNCTION DUMP for libraries with these codes.
pub fn dump(codes: &[&[u8]], compress: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for c in codes {
        out.push(OPCODE_FUNCTION2);
        save_string(&mut out, c, compress);
    }
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Redis's verifyDumpPayload: a known version and the right checksum.
pub fn verify(p: &[u8]) -> bool {
    if p.len() < 10 {
        return false;
    }
    let f = &p[p.len() - 10..];
    let ver = u16::from_le_bytes([f[0], f[1]]);
    ver <= RDB_VERSION && crc64(&p[..p.len() - 8]).to_le_bytes() == f[2..]
}

struct Reader<'a> {
    p: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.p.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let s = self.p.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(s)
    }
    /// A length, or (true, encoding) for the special string encodings.
    fn len(&mut self) -> Option<(bool, u64)> {
        let b = self.byte()?;
        Some(match b >> 6 {
            0 => (false, (b & 0x3f) as u64),
            1 => (false, (((b & 0x3f) as u64) << 8) | self.byte()? as u64),
            3 => (true, (b & 0x3f) as u64),
            _ if b == 0x80 => (false, u32::from_be_bytes(self.take(4)?.try_into().ok()?) as u64),
            _ if b == 0x81 => (false, u64::from_be_bytes(self.take(8)?.try_into().ok()?)),
            _ => return None,
        })
    }
    fn string(&mut self) -> Option<Vec<u8>> {
        let (enc, n) = self.len()?;
        if !enc {
            return Some(self.take(usize::try_from(n).ok()?)?.to_vec());
        }
        match n {
            0 => Some((self.byte()? as i8).to_string().into_bytes()),
            1 => Some(i16::from_le_bytes(self.take(2)?.try_into().ok()?).to_string().into_bytes()),
            2 => Some(i32::from_le_bytes(self.take(4)?.try_into().ok()?).to_string().into_bytes()),
            3 => {
                let (e1, clen) = self.len()?;
                let (e2, len) = self.len()?;
                if e1 || e2 {
                    return None;
                }
                let c = self.take(usize::try_from(clen).ok()?)?;
                let out = crate::lzf::decompress(c, usize::try_from(len).ok()?)?;
                (out.len() as u64 == len).then_some(out)
            }
            _ => None,
        }
    }
}

/// The library codes of a verified payload, or Redis's error text.
pub fn parse(p: &[u8]) -> Result<Vec<Vec<u8>>, &'static str> {
    let mut r = Reader { p: &p[..p.len() - 10], pos: 0 };
    let mut codes = Vec::new();
    while r.pos < r.p.len() {
        match r.byte() {
            Some(OPCODE_FUNCTION2) => {}
            Some(OPCODE_FUNCTION_PRE_GA) => return Err("Pre-GA function format not supported"),
            Some(_) => return Err("given type is not a function"),
            None => return Err("can not read data type"),
        }
        codes.push(r.string().ok_or("Failed loading library payload")?);
    }
    Ok(codes)
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trip() {
        let codes: Vec<&[u8]> = vec![b"#!lua name=a\nredis.register_function('f', function() return 1 end)", b"#!lua name=b\n"];
        let p = super::dump(&codes, true);
        assert!(super::verify(&p));
        assert_eq!(super::parse(&p).unwrap(), codes.iter().map(|c| c.to_vec()).collect::<Vec<_>>());
    }
}
