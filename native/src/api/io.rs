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

/// TCP keepalive on socket `fd` as Redis's anetKeepAlive sets it: the first
/// probe after `interval` seconds idle, the next ones every interval / 3 (at
/// least 1), the peer given up after three unanswered, so a dead peer is
/// noticed after about twice `interval`. Node's setKeepAlive probes every
/// second, ten times. False when the socket refused an option (a Unix socket).
#[napi_derive::napi]
pub fn socket_keep_alive(fd: u32, interval: u32) -> bool {
    let interval = interval.min(i32::MAX as u32) as i32;
    let set = |level: libc::c_int, name: libc::c_int, value: libc::c_int| {
        unsafe { libc::setsockopt(fd as libc::c_int, level, name, &value as *const libc::c_int as *const libc::c_void, std::mem::size_of::<libc::c_int>() as libc::socklen_t) == 0 }
    };
    set(libc::SOL_SOCKET, libc::SO_KEEPALIVE, 1) && set(libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, interval) && set(libc::IPPROTO_TCP, libc::TCP_KEEPINTVL, (interval / 3).max(1)) && set(libc::IPPROTO_TCP, libc::TCP_KEEPCNT, 3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    fn get(fd: libc::c_int, level: libc::c_int, name: libc::c_int) -> libc::c_int {
        let mut value: libc::c_int = -1;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        assert_eq!(unsafe { libc::getsockopt(fd, level, name, &mut value as *mut libc::c_int as *mut libc::c_void, &mut len) }, 0);
        value
    }

    #[test]
    fn keep_alive_probes_as_redis_sets_them() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let _client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        let fd = accepted.as_raw_fd();
        assert!(socket_keep_alive(fd as u32, 300));
        assert_eq!(get(fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE), 1);
        assert_eq!(get(fd, libc::IPPROTO_TCP, libc::TCP_KEEPIDLE), 300);
        assert_eq!(get(fd, libc::IPPROTO_TCP, libc::TCP_KEEPINTVL), 100);
        assert_eq!(get(fd, libc::IPPROTO_TCP, libc::TCP_KEEPCNT), 3);
        // A short interval still probes every second.
        assert!(socket_keep_alive(fd as u32, 2));
        assert_eq!(get(fd, libc::IPPROTO_TCP, libc::TCP_KEEPINTVL), 1);
        // A Unix socket has no TCP options.
        let (unix, _peer) = std::os::unix::net::UnixStream::pair().unwrap();
        assert!(!socket_keep_alive(unix.as_raw_fd() as u32, 300));
    }
}
