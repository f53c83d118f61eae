//! A few long-lived threads that enter namespaces on demand: every short job in another
//! namespace (a dump, a socket to open, a route lookup, a sysctl) runs on one of them,
//! which enters the namespace first. No thread is made per job, so a host whose namespaces
//! come and go does not make (and spread memory over) a thread per namespace.

use std::cell::Cell;
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender};
use std::sync::{Arc, Mutex, OnceLock};

use super::{enter, NetnsInfo};
use crate::{Error, Result};

type Job = Box<dyn FnOnce() + Send>;

thread_local! {
    /// This thread is one of the pool's.
    static IN_POOL: Cell<bool> = const { Cell::new(false) };
}

/// How many threads serve the jobs.
const THREADS: usize = 4;

fn pool() -> &'static Mutex<Sender<Job>> {
    static POOL: OnceLock<Mutex<Sender<Job>>> = OnceLock::new();
    POOL.get_or_init(|| {
        let (tx, rx) = channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..THREADS {
            let rx: Arc<Mutex<Receiver<Job>>> = rx.clone();
            let _ = std::thread::Builder::new()
                .name(format!("netns-pool-{i}"))
                .spawn(move || {
                    IN_POOL.with(|c| c.set(true));
                    loop {
                        let job = match rx.lock() {
                            Ok(r) => r.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                });
        }
        Mutex::new(tx)
    })
}

/// Runs `f` in `ns` on a pool thread and waits for its result; from a pool thread itself
/// (a job that runs another), on a fresh thread, so that jobs never wait on each other.
pub(super) fn run<T: Send + 'static>(
    ns: &NetnsInfo,
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    let name = ns.name.clone();
    if IN_POOL.with(Cell::get) {
        return super::fresh_thread(ns, f);
    }
    let (tx, rx) = sync_channel::<Result<T>>(1);
    let ns = ns.clone();
    let job: Job = Box::new(move || {
        let who = ns.name.clone();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            enter(&ns).and_then(|()| f())
        }))
        .unwrap_or_else(|_| {
            Err(Error::Netns {
                name: who,
                reason: "a namespace job panicked".into(),
            })
        });
        let _ = tx.send(r);
    });
    let sent = pool().lock().is_ok_and(|p| p.send(job).is_ok());
    if !sent {
        return Err(Error::Netns {
            name,
            reason: "the namespace threads are gone".into(),
        });
    }
    rx.recv().map_err(|_| Error::Netns {
        name,
        reason: "the namespace thread stopped".into(),
    })?
}
