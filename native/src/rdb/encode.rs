//! The RDB writer's primitives (rdbSaveLen, rdbSaveRawString with its integer
//! and LZF forms, binary doubles, millisecond times): everything goes into a
//! buffer that is checksummed and handed to a file in big blocks, or kept
//! whole (DUMP).
use super::crc64;
use super::{ENC_INT16, ENC_INT32, ENC_INT8, ENC_LZF};
use std::io::Write;

/// Bytes buffered before a write to the file.
const FLUSH_AT: usize = 1 << 20;

pub struct Writer<'a> {
    buf: Vec<u8>,
    file: Option<&'a mut dyn Write>,
    crc: u64,
    /// Bytes handed to the file so far.
    flushed: u64,
    /// rdbcompression: strings over 20 bytes are LZF-compressed when that saves 4 bytes or more.
    pub compress: bool,
    /// rdbchecksum: the trailer holds the CRC-64 (else 0).
    pub checksum: bool,
}

impl<'a> Writer<'a> {
    /// A writer that keeps everything in memory (DUMP, tests).
    pub fn memory(compress: bool) -> Writer<'static> {
        Writer { buf: Vec::new(), file: None, crc: 0, flushed: 0, compress, checksum: true }
    }

    /// A writer into `file` (buffered here: pass the file itself).
    pub fn to_file(file: &'a mut dyn Write, compress: bool, checksum: bool) -> Writer<'a> {
        Writer { buf: Vec::with_capacity(FLUSH_AT + 4096), file: Some(file), crc: 0, flushed: 0, compress, checksum }
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.flushed + self.buf.len() as u64
    }

    fn flush_if_full(&mut self) -> std::io::Result<()> {
        if self.buf.len() >= FLUSH_AT {
            self.flush()?;
        }
        Ok(())
    }

    /// Checksums and writes out what is buffered (a memory writer keeps it).
    pub fn flush(&mut self) -> std::io::Result<()> {
        if let Some(f) = self.file.as_mut() {
            if self.checksum {
                self.crc = crc64::update(self.crc, &self.buf);
            }
            f.write_all(&self.buf)?;
            self.flushed += self.buf.len() as u64;
            self.buf.clear();
        }
        Ok(())
    }

    /// The CRC-64 of everything written (0 with rdbchecksum off), then the
    /// whole output for a memory writer.
    pub fn finish_checksum(&mut self) -> std::io::Result<u64> {
        if self.file.is_some() {
            self.flush()?;
            return Ok(if self.checksum { self.crc } else { 0 });
        }
        Ok(if self.checksum { crc64::crc64(&self.buf) } else { 0 })
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    #[inline]
    pub fn raw(&mut self, b: &[u8]) -> std::io::Result<()> {
        if b.len() >= FLUSH_AT && self.file.is_some() {
            self.flush()?;
            // A big blob goes out as it is (checksummed in passing).
            if self.checksum {
                self.crc = crc64::update(self.crc, b);
            }
            self.file.as_mut().unwrap().write_all(b)?;
            self.flushed += b.len() as u64;
            return Ok(());
        }
        self.buf.extend_from_slice(b);
        self.flush_if_full()
    }

    #[inline]
    pub fn byte(&mut self, b: u8) -> std::io::Result<()> {
        self.buf.push(b);
        self.flush_if_full()
    }

    /// rdbSaveLen: 6, 14, 32 or 64 bits.
    pub fn len_(&mut self, n: u64) -> std::io::Result<()> {
        if n < 1 << 6 {
            self.byte(n as u8)
        } else if n < 1 << 14 {
            self.raw(&[0x40 | (n >> 8) as u8, n as u8])
        } else if n <= u32::MAX as u64 {
            self.byte(super::LEN_32BIT)?;
            self.raw(&(n as u32).to_be_bytes())
        } else {
            self.byte(super::LEN_64BIT)?;
            self.raw(&n.to_be_bytes())
        }
    }

    /// rdbEncodeInteger: `v` as 8, 16 or 32 bits if it fits; false otherwise.
    fn encoded_int(&mut self, v: i64) -> std::io::Result<bool> {
        if (-(1 << 7)..(1 << 7)).contains(&v) {
            self.raw(&[0xC0 | ENC_INT8, v as u8])?;
        } else if (-(1 << 15)..(1 << 15)).contains(&v) {
            self.byte(0xC0 | ENC_INT16)?;
            self.raw(&(v as i16).to_le_bytes())?;
        } else if (-(1i64 << 31)..(1i64 << 31)).contains(&v) {
            self.byte(0xC0 | ENC_INT32)?;
            self.raw(&(v as i32).to_le_bytes())?;
        } else {
            return Ok(false);
        }
        Ok(true)
    }

    /// rdbSaveRawString: an integer encoding when the string is one (11 bytes
    /// at most, in canonical form), LZF for strings over 20 bytes when it
    /// saves 4 bytes or more (rdbcompression), else the length and bytes.
    pub fn string(&mut self, s: &[u8]) -> std::io::Result<()> {
        if s.len() <= 11 && !s.is_empty() {
            if let Some(v) = crate::util::parse_i64(s) {
                // parse_i64 is string2ll: only canonical forms convert.
                if self.encoded_int(v)? {
                    return Ok(());
                }
            }
        }
        if self.compress && s.len() > 20 {
            if let Some(c) = crate::lzf::compress(s, s.len() - 4) {
                return self.lzf_blob(&c, s.len());
            }
        }
        self.len_(s.len() as u64)?;
        self.raw(s)
    }

    /// rdbSaveLongLongAsStringObject: an int-encoded string.
    pub fn int_string(&mut self, v: i64) -> std::io::Result<()> {
        if self.encoded_int(v)? {
            return Ok(());
        }
        let mut b = [0u8; 20];
        let n = crate::util::fmt_i64(v, &mut b);
        self.len_(n as u64)?;
        self.raw(&b[..n])
    }

    /// rdbSaveLzfBlob: compressed bytes of a `raw_len`-byte string.
    pub fn lzf_blob(&mut self, compressed: &[u8], raw_len: usize) -> std::io::Result<()> {
        self.byte(0xC0 | ENC_LZF)?;
        self.len_(compressed.len() as u64)?;
        self.len_(raw_len as u64)?;
        self.raw(compressed)
    }

    /// rdbSaveBinaryDoubleValue.
    pub fn double(&mut self, v: f64) -> std::io::Result<()> {
        self.raw(&v.to_le_bytes())
    }

    /// rdbSaveMillisecondTime.
    pub fn ms(&mut self, v: i64) -> std::io::Result<()> {
        self.raw(&v.to_le_bytes())
    }
}
