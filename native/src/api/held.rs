//! A big last argument received by the read loop (reads.rs) straight into a
//! buffer of its own size, as Redis reads a big argument into a query buffer
//! sized for it and makes that buffer the argument: when the command runs on
//! the batch path (batch::run_held), the string value it makes takes the
//! buffer as it is (t_string::encode), so the argument's bytes are copied once,
//! by the kernel. Without it a 100 KB SET was read into the read arena (or a
//! JavaScript Buffer) and copied again into the value.
//!
//! Only what the loop's batch path would run is held: a registered command of
//! a client it runs, whose arguments but the last are all in the read and
//! whose last is batch::HELD_MIN to HELD_MAX bytes and not all there. The
//! command's head (its bytes before that argument's data) is kept beside it.
//! When it is whole and the loop may not run it then (the server's state
//! changed meanwhile), JavaScript takes its bytes (reads_take_held) and runs
//! it the usual way.
use std::os::raw::{c_int, c_void};

pub struct Held {
    /// The command's bytes up to its last argument's data (that argument's header included).
    pub head: Vec<u8>,
    /// The last argument's bytes and CRLF so far (its capacity: all of them).
    big: Vec<u8>,
    pub bulk: usize,
    /// The other arguments' length (CLIENT LIST's argv-mem).
    pub argv: usize,
}

impl Held {
    /// Holds the command `input` starts with, when it is one to hold (see the module's comment).
    pub fn start(input: &[u8]) -> Option<Box<Held>> {
        let (head, bulk, argv) = crate::batch::held_head(input)?;
        let mut big = Vec::with_capacity(bulk + 2);
        big.extend_from_slice(&input[head..]);
        Some(Box::new(Held { head: input[..head].to_vec(), big, bulk, argv }))
    }

    /// How much of the argument (and its CRLF) has come.
    pub fn have(&self) -> usize {
        self.big.len()
    }

    /// Whether all of the argument and its CRLF have come.
    pub fn whole(&self) -> bool {
        self.big.len() == self.bulk + 2
    }

    /// Reads what is left of the argument from `fd` (no more: what follows is the arena's): read(2)'s result.
    pub fn read(&mut self, fd: c_int) -> isize {
        let (len, want) = (self.big.len(), self.bulk + 2 - self.big.len());
        if want == 0 {
            return 0;
        }
        let got = unsafe { libc::read(fd, self.big.as_mut_ptr().add(len) as *mut c_void, want) };
        if got > 0 {
            unsafe { self.big.set_len(len + got as usize) };
        }
        got
    }

    /// The command's length in bytes.
    pub fn command_len(&self) -> usize {
        self.head.len() + self.bulk + 2
    }

    /// The argument (whole), its CRLF off and its allocation made its exact
    /// size, for the value to take; None when its last two bytes are not a
    /// CRLF (the usual way answers that).
    pub fn take_arg(&mut self) -> Option<Vec<u8>> {
        if !self.whole() || &self.big[self.bulk..] != b"\r\n" {
            return None;
        }
        let mut arg = std::mem::take(&mut self.big);
        arg.truncate(self.bulk);
        // jemalloc shrinks a large block by two bytes in place (the same size class).
        arg.shrink_to_fit();
        Some(arg)
    }

    /// The argument given back (the command did not keep it, or did not run).
    pub fn put_back(&mut self, mut arg: Vec<u8>) {
        arg.extend_from_slice(b"\r\n");
        self.big = arg;
    }

    /// The whole command's bytes (for JavaScript to run it the usual way).
    pub fn into_bytes(self) -> Vec<u8> {
        let mut v = self.head;
        v.extend_from_slice(&self.big);
        v
    }
}
