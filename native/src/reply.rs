//! RESP writing into a buffer that JavaScript owns (the connection batch's
//! reply arena). If a reply does not fit, the whole reply of this call moves to
//! a native overflow area and the call returns `NOSPACE`; JavaScript grows its
//! buffer and copies it in with `takePending`. No Buffer is created in native code.
use crate::util::{fmt_i64, fmt_i64_before};
use std::cell::RefCell;

/// Status codes returned instead of a position (all negative): only the
/// outcomes TypeScript acts on. Errors are not codes: the semantics write
/// Redis's text into the reply (`Out::error`). TypeScript reads these values
/// from the addon (`CODE_*` in api/server.rs), so they are defined only here.
pub mod code {
    /// The reply is written (semantic functions return it; the binding then
    /// returns the new position instead).
    pub const WRITTEN: i64 = 0;
    /// Nothing written: the answer is a null (RESP2 or RESP3 form, TypeScript's).
    pub const NIL: i64 = -1;
    /// The reply did not fit the caller's buffer: it waits in the overflow area.
    pub const NOSPACE: i64 = -3;
    /// Nothing written: the answer is +OK (or 1 for SETNX).
    pub const OK: i64 = -4;
    /// Nothing written: the checks that come first in Redis passed, and the
    /// caller's own pending answer stands (LCS's option errors).
    pub const CALLER: i64 = -13;
    /// Nothing written: a blocking command found nothing to serve and would
    /// block (TypeScript blocks the client, or answers a null array inside
    /// MULTI and scripts). The command changed nothing.
    pub const BLOCK: i64 = -14;
    /// Nothing written: the answer is a null array (`*-1` in RESP2, `_` in RESP3).
    pub const NIL_ARRAY: i64 = -15;
}

/// Redis's error texts that more than one command family writes.
pub mod err {
    pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
    pub const NOT_INT: &str = "ERR value is not an integer or out of range";
    pub const SYNTAX: &str = "ERR syntax error";
    pub const NO_KEY: &str = "ERR no such key";
    pub const OVERFLOW: &str = "ERR increment or decrement would overflow";
    pub const NOT_FLOAT: &str = "ERR value is not a valid float";
    pub const TOO_BIG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
}

/// `prefix`, `n` in decimal and CRLF, at the end of `tmp`: returns where it starts.
/// Built right to left, so a reply header is copied out once.
#[inline]
fn header_into(tmp: &mut [u8; 24], prefix: u8, n: i64) -> usize {
    tmp[22] = b'\r';
    tmp[23] = b'\n';
    let at = fmt_i64_before(n, tmp, 22) - 1;
    tmp[at] = prefix;
    at
}

thread_local! {
    static PENDING: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

pub struct Out<'a> {
    buf: &'a mut [u8],
    start: usize,
    pos: usize,
    spilled: Option<Vec<u8>>,
    pub resp3: bool,
}

impl<'a> Out<'a> {
    pub fn new(buf: &'a mut [u8], pos: usize) -> Out<'a> {
        Out { buf, start: pos, pos, spilled: None, resp3: crate::state::resp3() }
    }

    #[inline]
    pub fn raw(&mut self, bytes: &[u8]) {
        if let Some(v) = self.spilled.as_mut() {
            v.extend_from_slice(bytes);
            return;
        }
        let end = self.pos + bytes.len();
        if end <= self.buf.len() {
            crate::util::copy::copy_bytes(&mut self.buf[self.pos..end], bytes);
            self.pos = end;
        } else {
            let mut v = Vec::with_capacity((self.pos - self.start) + bytes.len() + 64);
            v.extend_from_slice(&self.buf[self.start..self.pos]);
            v.extend_from_slice(bytes);
            self.spilled = Some(v);
        }
    }

    fn header(&mut self, prefix: u8, n: i64) {
        let mut tmp = [0u8; 24];
        let at = header_into(&mut tmp, prefix, n);
        self.raw(&tmp[at..]);
    }

    #[inline]
    pub fn bulk(&mut self, s: &[u8]) {
        let mut tmp = [0u8; 24];
        let at = header_into(&mut tmp, b'$', s.len() as i64);
        let head = &tmp[at..];
        let (p, end) = (self.pos, self.pos + head.len() + s.len() + 2);
        // The usual case, whole in the buffer: one bounds check for the three parts.
        if self.spilled.is_none() && end <= self.buf.len() {
            self.buf[p..p + head.len()].copy_from_slice(head);
            crate::util::copy::copy_bytes(&mut self.buf[p + head.len()..end - 2], s);
            self.buf[end - 2] = b'\r';
            self.buf[end - 1] = b'\n';
            self.pos = end;
        } else {
            self.raw(head);
            self.raw(s);
            self.raw(b"\r\n");
        }
    }
    pub fn int(&mut self, v: i64) {
        self.header(b':', v);
    }
    pub fn array(&mut self, n: usize) {
        self.header(b'*', n as i64);
    }
    /// A map header of `n` pairs: `%n` in RESP3, an array of 2n in RESP2.
    pub fn map(&mut self, n: usize) {
        if self.resp3 {
            self.header(b'%', n as i64)
        } else {
            self.header(b'*', 2 * n as i64)
        }
    }
    /// A set header: `~n` in RESP3, an array in RESP2.
    pub fn set(&mut self, n: usize) {
        self.header(if self.resp3 { b'~' } else { b'*' }, n as i64)
    }
    /// A null array: `*-1` in RESP2, `_` in RESP3.
    pub fn null_array(&mut self) {
        self.raw(if self.resp3 { b"_\r\n" } else { b"*-1\r\n" });
    }
    /// A double: `,` in RESP3, a bulk in RESP2, in Redis's shortest form
    /// (`util::fmt_double`: inf, -inf, nan as Redis prints them).
    pub fn double(&mut self, v: f64) {
        let mut b = [0u8; 32];
        let n = crate::util::fmt_double(v, &mut b);
        if self.resp3 {
            self.raw(b",");
            self.raw(&b[..n]);
            self.raw(b"\r\n");
        } else {
            self.bulk(&b[..n]);
        }
    }
    /// Whether this reply grew past state::REPLY_CAP: the client is about to be
    /// closed for its output limit, so a command replying in a loop stops (its
    /// reply is never sent).
    pub fn past_cap(&self) -> bool {
        let cap = crate::state::reply_cap();
        cap != 0 && self.written() > cap
    }

    /// Bytes written by this call so far.
    pub fn written(&self) -> usize {
        match &self.spilled {
            Some(v) => v.len(),
            None => self.pos - self.start,
        }
    }
    pub fn null(&mut self) {
        self.raw(if self.resp3 { b"_\r\n" } else { b"$-1\r\n" });
    }
    pub fn simple(&mut self, s: &[u8]) {
        self.raw(b"+");
        self.raw(s);
        self.raw(b"\r\n");
    }
    /// The bulk of an integer value, formatted without allocating.
    pub fn bulk_i64(&mut self, v: i64) {
        let mut digits = [0u8; 20];
        let len = fmt_i64(v, &mut digits);
        self.bulk(&digits[..len]);
    }

    /// Writes an error reply (`text` is Redis's, prefix included, without
    /// CRLF) in place of anything this call wrote, and returns `code::WRITTEN`:
    /// `return out.error(err::WRONGTYPE)`.
    #[cold]
    pub fn error(&mut self, text: &str) -> i64 {
        self.error_bytes(text.as_bytes())
    }

    /// An error reply of raw bytes (a client's binary argument quoted as it sent
    /// it); CR and LF become spaces, as Redis's addReplyErrorFormat makes them,
    /// so an argument can never end the line early and desync the protocol.
    pub fn error_bytes(&mut self, text: &[u8]) -> i64 {
        self.spilled = None;
        self.pos = self.start;
        self.raw(b"-");
        if text.iter().any(|&b| b == b'\r' || b == b'\n') {
            let clean: Vec<u8> = text.iter().map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }).collect();
            self.raw(&clean);
        } else {
            self.raw(text);
        }
        self.raw(b"\r\n");
        code::WRITTEN
    }

    /// Redis's addReplyErrorFormat over `parts` (a client's arguments among
    /// them, as sent): CR and LF at the very end trimmed, the others spaces.
    pub fn error_format(&mut self, parts: &[&[u8]]) -> i64 {
        let mut text = parts.concat();
        while text.last().is_some_and(|&b| b == b'\r' || b == b'\n') {
            text.pop();
        }
        self.error_bytes(&text)
    }

    /// Ends the call: the new position, or NOSPACE with the reply in the overflow area.
    pub fn finish(self) -> i64 {
        match self.spilled {
            None => self.pos as i64,
            Some(v) => {
                PENDING.with(|p| *p.borrow_mut() = v);
                code::NOSPACE
            }
        }
    }
}

/// Takes the reply waiting in the overflow area (the batch path gathers a transaction's replies).
pub fn take_pending_vec() -> Vec<u8> {
    PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()))
}

/// Puts a reply in the overflow area, as a call that returns NOSPACE leaves it.
pub fn set_pending(v: Vec<u8>) {
    PENDING.with(|p| *p.borrow_mut() = v);
}

/// Size of the reply waiting in the overflow area.
pub fn pending_len() -> usize {
    PENDING.with(|p| p.borrow().len())
}

/// Copies the waiting reply into `buf` at `pos`; returns the new position.
pub fn take_pending(buf: &mut [u8], pos: usize) -> i64 {
    PENDING.with(|p| {
        let v = std::mem::take(&mut *p.borrow_mut());
        buf[pos..pos + v.len()].copy_from_slice(&v);
        (pos + v.len()) as i64
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn spills_whole_reply_when_full() {
        let mut buf = [0u8; 8];
        let mut o = Out::new(&mut buf, 2);
        o.bulk(b"hello world");
        assert_eq!(o.finish(), code::NOSPACE);
        let mut big = [0u8; 64];
        let end = take_pending(&mut big, 2) as usize;
        assert_eq!(&big[2..end], b"$11\r\nhello world\r\n");
        let mut o = Out::new(&mut big, 0);
        o.int(-42);
        assert_eq!(o.finish(), 6);
        assert_eq!(&big[..6], b":-42\r\n");
    }

    #[test]
    fn an_error_replaces_what_the_call_wrote() {
        let mut buf = [0u8; 64];
        buf[0] = b'x';
        let mut o = Out::new(&mut buf, 1);
        o.bulk(b"partial");
        assert_eq!(o.error(err::NO_KEY), code::WRITTEN);
        let end = o.finish() as usize;
        assert_eq!(&buf[..end], b"x-ERR no such key\r\n");
        // Also after the reply had spilled to the overflow area.
        let mut small = [0u8; 8];
        let mut o = Out::new(&mut small, 0);
        o.bulk(&[b'v'; 32]);
        o.error("ERR x");
        assert_eq!(o.finish(), 8);
        assert_eq!(&small[..8], b"-ERR x\r\n");
    }
}
