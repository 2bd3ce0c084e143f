//! Lazy freeing (Redis's bio lazyfree job): one background thread drops what
//! the main thread detached (a flushed db, later big values), so a large free
//! never stalls the event loop. Only data reachable from nowhere else is sent.
use std::sync::mpsc::{channel, Sender};
use std::sync::Mutex;

/// Something detached from the keyspace, to be dropped on the lazyfree thread.
#[allow(dead_code)] // held only to be dropped
struct Detached(Box<dyn std::any::Any>);
// SAFETY: a detached value is owned by nothing else: no other thread sees it
// while it is dropped (Rc-like sharing never crosses the keyspace boundary).
unsafe impl Send for Detached {}

static QUEUE: Mutex<Option<Sender<Detached>>> = Mutex::new(None);

/// Queues `value` to be dropped on the lazyfree thread (started on first use).
pub fn free_later<T: 'static>(value: Box<T>) {
    let mut q = QUEUE.lock().unwrap_or_else(|e| e.into_inner());
    let tx = q.get_or_insert_with(|| {
        let (tx, rx) = channel::<Detached>();
        std::thread::Builder::new()
            .name("nodis-lazyfree".into())
            .spawn(move || {
                for d in rx {
                    drop(d);
                }
            })
            .expect("spawn the lazyfree thread");
        tx
    });
    // If the thread is gone the value comes back in the error and is dropped here.
    let _ = tx.send(Detached(value));
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
            super::free_later(Box::new(Counted(n.clone())));
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while n.load(Ordering::SeqCst) < 100 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert_eq!(n.load(Ordering::SeqCst), 100);
    }
}
