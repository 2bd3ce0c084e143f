//! The RDB reader's primitives over bytes in memory (rdbLoadLen,
//! rdbGenericLoadStringObject with its integer and LZF forms, doubles, times):
//! every read is bounds-checked and a bad encoding is an error.
use super::{Error, Result, ENC_INT16, ENC_INT32, ENC_INT8, ENC_LZF, LEN_32BIT, LEN_64BIT};
use std::borrow::Cow;

pub struct Reader<'a> {
    pub data: &'a [u8],
    pub pos: usize,
}

/// A length or an encoded-string marker (rdbLoadLenByRef's isencoded).
pub enum Len {
    Plain(u64),
    Encoded(u8),
}

/// Largest single allocation a length may ask for before its bytes are seen
/// (a corrupt length must not make the loader reserve gigabytes).
const MAX_PREALLOC: u64 = 1 << 16;

/// A capacity hint for `n` elements, bounded.
pub fn cap(n: u64) -> usize {
    n.min(MAX_PREALLOC) as usize
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data, pos: 0 }
    }

    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(Error::new("Unexpected EOF reading RDB file"));
        }
        let b = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(b)
    }

    pub fn byte(&mut self) -> Result<u8> {
        Ok(self.bytes(1)?[0])
    }

    pub fn len_or_enc(&mut self) -> Result<Len> {
        let b = self.byte()?;
        Ok(match b >> 6 {
            0 => Len::Plain((b & 0x3F) as u64),
            1 => Len::Plain((((b & 0x3F) as u64) << 8) | self.byte()? as u64),
            3 => Len::Encoded(b & 0x3F),
            _ => match b {
                LEN_32BIT => Len::Plain(u32::from_be_bytes(self.bytes(4)?.try_into().unwrap()) as u64),
                LEN_64BIT => Len::Plain(u64::from_be_bytes(self.bytes(8)?.try_into().unwrap())),
                _ => return Err(Error::new(format!("Unknown length encoding {b} in rdbLoadLen()"))),
            },
        })
    }

    /// rdbLoadLen: a plain length.
    pub fn len(&mut self) -> Result<u64> {
        match self.len_or_enc()? {
            Len::Plain(n) => Ok(n),
            Len::Encoded(_) => Err(Error::new("Unexpected encoded length")),
        }
    }

    /// A length used as a count of things still to read: each takes at least a byte.
    pub fn count(&mut self) -> Result<u64> {
        let n = self.len()?;
        if n > self.remaining() as u64 {
            return Err(Error::new("Length larger than the rest of the RDB"));
        }
        Ok(n)
    }

    /// rdbGenericLoadStringObject: a string, decoded from its integer or LZF form.
    pub fn string(&mut self) -> Result<Cow<'a, [u8]>> {
        match self.len_or_enc()? {
            Len::Plain(n) => {
                if n > self.remaining() as u64 {
                    return Err(Error::new("Unexpected EOF reading RDB file"));
                }
                Ok(Cow::Borrowed(self.bytes(n as usize)?))
            }
            Len::Encoded(e) => match e {
                ENC_INT8 | ENC_INT16 | ENC_INT32 => Ok(Cow::Owned(self.encoded_int(e)?.to_string().into_bytes())),
                ENC_LZF => {
                    let clen = self.len()?;
                    let len = self.len()?;
                    if clen > self.remaining() as u64 {
                        return Err(Error::new("Unexpected EOF reading RDB file"));
                    }
                    let c = self.bytes(clen as usize)?;
                    if len == 0 || len > (1u64 << 32) * 4 {
                        return Err(Error::new("Invalid LZF compressed string"));
                    }
                    match crate::lzf::decompress(c, len as usize) {
                        Some(v) if v.len() == len as usize => Ok(Cow::Owned(v)),
                        _ => Err(Error::new("Invalid LZF compressed string")),
                    }
                }
                _ => Err(Error::new(format!("Unknown RDB string encoding type {e}"))),
            },
        }
    }

    /// A string's integer form, if it was saved as one (else its bytes, as a Vec).
    pub fn string_or_int(&mut self) -> Result<std::result::Result<i64, Cow<'a, [u8]>>> {
        let save = self.pos;
        if let Len::Encoded(e) = self.len_or_enc()? {
            if e <= ENC_INT32 {
                return Ok(Ok(self.encoded_int(e)?));
            }
        }
        self.pos = save;
        Ok(Err(self.string()?))
    }

    fn encoded_int(&mut self, e: u8) -> Result<i64> {
        Ok(match e {
            ENC_INT8 => self.byte()? as i8 as i64,
            ENC_INT16 => i16::from_le_bytes(self.bytes(2)?.try_into().unwrap()) as i64,
            _ => i32::from_le_bytes(self.bytes(4)?.try_into().unwrap()) as i64,
        })
    }

    /// rdbLoadMillisecondTime (little endian, as every RDB since version 9).
    pub fn ms(&mut self) -> Result<i64> {
        Ok(i64::from_le_bytes(self.bytes(8)?.try_into().unwrap()))
    }

    /// rdbLoadTime: an old seconds expire.
    pub fn secs(&mut self) -> Result<i32> {
        Ok(i32::from_le_bytes(self.bytes(4)?.try_into().unwrap()))
    }

    /// rdbLoadBinaryDoubleValue.
    pub fn double(&mut self) -> Result<f64> {
        Ok(f64::from_le_bytes(self.bytes(8)?.try_into().unwrap()))
    }

    /// rdbLoadDoubleValue: the old text form (RDB_TYPE_ZSET): 253 nan, 254 +inf, 255 -inf.
    pub fn text_double(&mut self) -> Result<f64> {
        let n = self.byte()?;
        match n {
            253 => Ok(f64::NAN),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            _ => {
                let b = self.bytes(n as usize)?;
                std::str::from_utf8(b)
                    .ok()
                    .and_then(|s| s.trim().parse::<f64>().ok())
                    .ok_or_else(|| Error::new("Bad double value"))
            }
        }
    }
}
