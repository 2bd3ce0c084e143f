//! PING and ECHO as engine commands, so that the batch path runs them in
//! clients' pipelines (batch.rs) as it runs the data-type commands:
//! redis-benchmark's PING_MBULK and PING_INLINE are the first figures its users
//! see, and clients check their connections with either. Their TypeScript
//! handlers (src/commands/connection.ts) call these; PING's answers itself
//! only for RESP2 subscribers, whose PONG is an array (those clients never
//! take the batch path).
use crate::command::Cmd;
use crate::keyspace::Keyspace;
use crate::reply::{code, Out};

fn ping(_ks: &mut Keyspace, _db: usize, argv: &[&[u8]], out: &mut Out) -> i64 {
    match argv.len() {
        1 => out.simple(b"PONG"),
        2 => out.bulk(argv[1]),
        _ => return out.error("ERR wrong number of arguments for 'ping' command"),
    }
    code::WRITTEN
}

pub const COMMANDS: &[Cmd] = &[
    Cmd { name: "ping", f: ping },
    Cmd {
        name: "echo",
        f: |_ks, _db, argv, out| {
            out.bulk(argv[1]);
            code::WRITTEN
        },
    },
];

#[cfg(test)]
mod tests {
    use crate::keyspace::Keyspace;
    use crate::reply::{code, Out};

    fn run(which: usize, argv: &[&str]) -> String {
        let mut k = Keyspace::new(1);
        let args: Vec<&[u8]> = argv.iter().map(|a| a.as_bytes()).collect();
        let mut buf = vec![0u8; 256];
        let mut o = Out::new(&mut buf, 0);
        assert_eq!((super::COMMANDS[which].f)(&mut k, 0, &args, &mut o), code::WRITTEN);
        let end = o.finish() as usize;
        String::from_utf8_lossy(&buf[..end]).into_owned()
    }

    fn ping(argv: &[&str]) -> String {
        run(0, argv)
    }

    #[test]
    fn echo_answers_its_argument() {
        assert_eq!(run(1, &["echo", "hi there"]), "$8\r\nhi there\r\n");
        assert_eq!(run(1, &["ECHO", ""]), "$0\r\n\r\n");
    }

    #[test]
    fn ping_answers_as_redis_does() {
        assert_eq!(ping(&["ping"]), "+PONG\r\n");
        assert_eq!(ping(&["PING", "hello world"]), "$11\r\nhello world\r\n");
        assert_eq!(ping(&["ping", ""]), "$0\r\n\r\n");
        assert_eq!(ping(&["ping", "a", "b"]), "-ERR wrong number of arguments for 'ping' command\r\n");
    }
}
