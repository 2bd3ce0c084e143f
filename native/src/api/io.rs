//! Socket output written by the addon: one send(2) straight from the reply
//! bytes, instead of Node's stream machinery (a Writable state update, a
//! WriteWrap object and a completion tick per write). TypeScript calls it only
//! when Node holds nothing queued for the socket, so bytes stay in order.

/// What a send that does not block gave: bytes sent, 0 when the socket is full, -errno (an interrupted one is tried again).
fn sent(mut send: impl FnMut() -> isize) -> i64 {
    loop {
        let n = send();
        if n >= 0 {
            return n as i64;
        }
        let err = std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO);
        match err {
            libc::EINTR => continue,
            libc::EAGAIN => return 0,
            e => return -(e as i64),
        }
    }
}

/// Sends `data` on socket `fd` without blocking: the number of bytes sent (all
/// of them, some, or 0 when the socket's buffer is full), or -errno on an error
/// (the caller then leaves the socket to Node, which reports the error as usual).
pub fn write_fd(fd: u32, data: &[u8]) -> i64 {
    if data.is_empty() {
        return 0;
    }
    // MSG_NOSIGNAL: a closed peer is an EPIPE here, never a SIGPIPE.
    sent(|| unsafe { libc::send(fd as i32, data.as_ptr().cast(), data.len(), libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT) })
}
