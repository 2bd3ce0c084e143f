//! Lazy freeing (Redis's lazyfree.c and its bio job): one background thread
//! drops what the main thread detached (a flushed db, a big value deleted by
//! UNLINK or overwritten under lazyfree-lazy-server-del), so a large free never
//! stalls the event loop. Only data reachable from nowhere else is sent.
use crate::object::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::Mutex;

/// Values whose freeing takes more work than this go to the thread (Redis's LAZYFREE_THRESHOLD).
pub const LAZYFREE_THRESHOLD: usize = 64;

/// Something detached from the keyspace, to be dropped on the lazyfree thread, and the objects it counts for.
#[allow(dead_code)] // held only to be dropped
struct Detached(Box<dyn std::any::Any>, usize);
// SAFETY: a detached value is owned by nothing else: no other thread sees it
// while it is dropped (Rc-like sharing never crosses the keyspace boundary).
unsafe impl Send for Detached {}

static QUEUE: Mutex<Option<Sender<Detached>>> = Mutex::new(None);
/// Objects queued and not yet freed (INFO lazyfree_pending_objects).
static PENDING: AtomicUsize = AtomicUsize::new(0);
/// Objects freed by the thread since the last CONFIG RESETSTAT (INFO lazyfreed_objects).
static FREED: AtomicUsize = AtomicUsize::new(0);

/// Queues `value` to be dropped on the lazyfree thread (started on first use);
/// it counts as `objects` objects (a db: its keys).
pub fn free_later<T: 'static>(value: Box<T>, objects: usize) {
    let mut q = QUEUE.lock().unwrap_or_else(|e| e.into_inner());
    let tx = q.get_or_insert_with(|| {
        let (tx, rx) = channel::<Detached>();
        std::thread::Builder::new()
            .name("nodis-lazyfree".into())
            .spawn(move || {
                for d in rx {
                    let n = d.1;
                    drop(d);
                    PENDING.fetch_sub(n, Ordering::Relaxed);
                    FREED.fetch_add(n, Ordering::Relaxed);
                }
            })
            .expect("spawn the lazyfree thread");
        tx
    });
    PENDING.fetch_add(objects, Ordering::Relaxed);
    // If the thread is gone the value comes back in the error and is dropped here.
    if tx.send(Detached(value, objects)).is_err() {
        PENDING.fetch_sub(objects, Ordering::Relaxed);
    }
}

/// Drops a value detached from the keyspace (Redis's freeObjAsync): with
/// `lazy`, one that is costly to free goes to the lazyfree thread.
pub fn discard(value: Value, lazy: bool) {
    if lazy && value.free_effort() > LAZYFREE_THRESHOLD {
        free_later(Box::new(value), 1);
    }
}

pub fn pending() -> usize {
    PENDING.load(Ordering::Relaxed)
}
pub fn freed() -> usize {
    FREED.load(Ordering::Relaxed)
}
pub fn reset_freed() {
    FREED.store(0, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn frees_on_one_background_thread() {
        let n = Arc::new(AtomicUsize::new(0));
        for _ in 0..100 {
            super::free_later(Box::new(Counted(n.clone())), 1);
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while n.load(Ordering::SeqCst) < 100 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert_eq!(n.load(Ordering::SeqCst), 100);
        while super::pending() > 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert!(super::freed() >= 100);
    }
}
