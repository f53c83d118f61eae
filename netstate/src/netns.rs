//! Network namespace discovery (host, `/run/netns`, containers' `/proc/*/ns/net`) and entry.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use nix::sched::{setns, CloneFlags};

use crate::{Error, Result};

mod pool;

/// Where named namespaces are bind-mounted by `ip netns add`.
pub const NETNS_RUN_DIR: &str = "/run/netns";

/// A namespace's identity: the nsfs inode (and device) of its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct NsId {
    pub dev: u64,
    pub ino: u64,
}

/// How a namespace was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NsKind {
    /// The namespace of PID 1 (or ours, if PID 1's is not readable).
    Host,
    /// A name under `/run/netns`.
    Named,
    /// Found only through a process: a container's namespace.
    Process { pid: u32, comm: String },
}

/// A namespace netlens can show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetnsInfo {
    pub id: NsId,
    /// `host`, the `/run/netns` name, or `pid:PID` for a container's namespace.
    pub name: String,
    pub kind: NsKind,
    /// The file to `setns()` on.
    pub path: PathBuf,
}

impl NetnsInfo {
    /// A label for lists: the name, plus the owning command for containers.
    pub fn label(&self) -> String {
        match &self.kind {
            NsKind::Process { comm, .. } => format!("{} ({comm})", self.name),
            _ => self.name.clone(),
        }
    }
}

/// What a scan found, with what it could not read and why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Discovery {
    pub namespaces: Vec<NetnsInfo>,
    pub problems: Vec<String>,
}

fn ns_id(path: &Path) -> std::io::Result<NsId> {
    let m = fs::metadata(path)?;
    Ok(NsId {
        dev: m.dev(),
        ino: m.ino(),
    })
}

/// The namespace the calling thread is in.
pub fn current() -> Result<NsId> {
    ns_id(Path::new("/proc/thread-self/ns/net")).map_err(|e| Error::Netns {
        name: "current".into(),
        reason: format!("cannot read /proc/thread-self/ns/net: {e}"),
    })
}

fn host() -> NetnsInfo {
    let (path, id) = if let Ok(id) = ns_id(Path::new("/proc/1/ns/net")) {
        (PathBuf::from("/proc/1/ns/net"), id)
    } else {
        let p = PathBuf::from("/proc/self/ns/net");
        let id = ns_id(&p).unwrap_or(NsId { dev: 0, ino: 0 });
        (p, id)
    };
    NetnsInfo {
        id,
        name: "host".into(),
        kind: NsKind::Host,
        path,
    }
}

/// The last discovery's namespaces, kept for what needs candidates often (resolving
/// namespace ids): each discovery replaces them.
static RECENT: std::sync::Mutex<Option<(std::time::Instant, std::sync::Arc<Vec<NetnsInfo>>)>> =
    std::sync::Mutex::new(None);

/// How old the last discovery may be for [`recent`] to use it instead of scanning again.
const RECENT_FOR: std::time::Duration = std::time::Duration::from_secs(2);

/// The namespaces of the last discovery if it is recent, else of a new one: one scan of
/// `/proc` serves every namespace that asks meanwhile, not one scan each.
pub fn recent() -> std::sync::Arc<Vec<NetnsInfo>> {
    let kept = || {
        RECENT.lock().ok().and_then(|g| {
            g.as_ref()
                .filter(|(at, _)| at.elapsed() < RECENT_FOR)
                .map(|(_, list)| list.clone())
        })
    };
    if let Some(list) = kept() {
        return list;
    }
    // The list in the order namespaces were first seen (the newest last), as kept by the
    // discovery, not the scan's order.
    let d = discover();
    kept().unwrap_or_else(|| std::sync::Arc::new(d.namespaces))
}

/// Scans for every namespace: the host's, the named ones, then those only processes hold,
/// deduplicated by inode (the first name found wins).
pub fn discover() -> Discovery {
    let d = scan();
    if let Ok(mut g) = RECENT.lock() {
        // Kept in the order namespaces were first seen, the newest last: a new id in a
        // namespace most likely names the namespace that just appeared.
        // By identity and path: an inode is reused soon after its namespace is gone.
        // A discovery lists each namespace once: by id, with the path it was found at.
        let now: HashMap<NsId, &Path> = d
            .namespaces
            .iter()
            .map(|n| (n.id, n.path.as_path()))
            .collect();
        let still = |n: &NetnsInfo| now.get(&n.id) == Some(&n.path.as_path());
        let old = g.as_ref().map(|(_, l)| std::sync::Arc::clone(l));
        let list = match old {
            // Nothing came or went (the usual rescan): the list is kept as it is.
            Some(l) if l.len() == now.len() && l.iter().all(still) => l,
            old => {
                let mut list: Vec<NetnsInfo> = old
                    .map(|l| l.iter().filter(|n| still(n)).cloned().collect())
                    .unwrap_or_default();
                let had: HashSet<NsId> = list.iter().map(|n| n.id).collect();
                list.extend(
                    d.namespaces
                        .iter()
                        .filter(|n| !had.contains(&n.id))
                        .cloned(),
                );
                std::sync::Arc::new(list)
            }
        };
        *g = Some((std::time::Instant::now(), list));
    }
    d
}

/// How long ago the namespaces [`recent`] returns were found.
pub fn recent_age() -> std::time::Duration {
    RECENT
        .lock()
        .ok()
        .and_then(|g| g.as_ref().map(|(at, _)| at.elapsed()))
        .unwrap_or(std::time::Duration::MAX)
}

fn scan() -> Discovery {
    let mut d = Discovery::default();
    let mut seen = HashSet::new();
    let h = host();
    seen.insert(h.id);
    d.namespaces.push(h);

    match fs::read_dir(NETNS_RUN_DIR) {
        Ok(entries) => {
            let mut named: Vec<NetnsInfo> = entries
                .filter_map(std::result::Result::ok)
                .filter_map(|e| {
                    let path = e.path();
                    let name = e.file_name().to_string_lossy().into_owned();
                    match ns_id(&path) {
                        // An unmounted leftover file has the tmpfs's device, not nsfs: skip it.
                        Ok(id) if id.ino > 0 => Some(NetnsInfo {
                            id,
                            name,
                            kind: NsKind::Named,
                            path,
                        }),
                        Ok(_) => None,
                        Err(e) => {
                            d.problems.push(format!(
                                "namespace {name}: cannot read {}: {e}",
                                path.display()
                            ));
                            None
                        }
                    }
                })
                .collect();
            named.sort_by(|a, b| a.name.cmp(&b.name));
            for n in named {
                if n.id.dev != d.namespaces[0].id.dev {
                    continue;
                }
                if seen.insert(n.id) {
                    d.namespaces.push(n);
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => d.problems.push(format!("cannot list {NETNS_RUN_DIR}: {e}")),
    }

    let mut denied = 0usize;
    let mut procs: Vec<u32> = fs::read_dir("/proc")
        .map(|rd| {
            rd.filter_map(std::result::Result::ok)
                .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse().ok()))
                .collect()
        })
        .unwrap_or_default();
    procs.sort_unstable();
    for pid in procs {
        let path = PathBuf::from(format!("/proc/{pid}/ns/net"));
        match ns_id(&path) {
            Ok(id) => {
                if seen.insert(id) {
                    let comm = fs::read_to_string(format!("/proc/{pid}/comm"))
                        .map(|s| s.trim().to_owned())
                        .unwrap_or_default();
                    d.namespaces.push(NetnsInfo {
                        id,
                        name: format!("pid:{pid}"),
                        kind: NsKind::Process { pid, comm },
                        path,
                    });
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => denied += 1,
            Err(_) => {}
        }
    }
    if denied > 0 {
        d.problems.push(if nix::unistd::geteuid().is_root() {
            format!("{denied} processes' namespaces are hidden: /proc/PID/ns/net is denied even to root (they belong to another user namespace)")
        } else {
            format!("{denied} processes' namespaces are hidden: reading another user's /proc/PID/ns/net needs CAP_SYS_PTRACE (run netlens as root)")
        });
    }
    d
}

/// Finds a namespace by what the user typed: `host`, a `/run/netns` name, `pid:PID`, or a path.
pub fn find(name: &str) -> Result<NetnsInfo> {
    let not_found = |reason: String| Error::Netns {
        name: name.to_owned(),
        reason,
    };
    if name == "host" {
        return Ok(host());
    }
    let (path, kind, label) = if let Some(pid) = name.strip_prefix("pid:") {
        let pid: u32 = pid
            .parse()
            .map_err(|_| not_found("after pid: comes a process id".into()))?;
        let comm = fs::read_to_string(format!("/proc/{pid}/comm"))
            .map(|s| s.trim().to_owned())
            .unwrap_or_default();
        (
            PathBuf::from(format!("/proc/{pid}/ns/net")),
            NsKind::Process { pid, comm },
            name.to_owned(),
        )
    } else if name.starts_with('/') {
        (PathBuf::from(name), NsKind::Named, name.to_owned())
    } else {
        if name.contains('/') || name == "." || name == ".." {
            return Err(not_found("a namespace name has no '/'".into()));
        }
        (
            Path::new(NETNS_RUN_DIR).join(name),
            NsKind::Named,
            name.to_owned(),
        )
    };
    let id = ns_id(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => not_found(format!(
            "no such namespace ({} does not exist; `ip netns list` shows the named ones)",
            path.display()
        )),
        std::io::ErrorKind::PermissionDenied => not_found(format!(
            "cannot read {}: permission denied (needs CAP_SYS_PTRACE)",
            path.display()
        )),
        _ => not_found(format!("cannot read {}: {e}", path.display())),
    })?;
    Ok(NetnsInfo {
        id,
        name: label,
        kind,
        path,
    })
}

/// Moves the calling thread into `ns` (no-op if it is already there). Only call this on a
/// thread made for it: the namespace is per thread and stays with it.
pub fn enter(ns: &NetnsInfo) -> Result<()> {
    if current()? == ns.id {
        return Ok(());
    }
    let f = fs::File::open(&ns.path).map_err(|e| Error::Netns {
        name: ns.name.clone(),
        reason: format!("cannot open {}: {e}", ns.path.display()),
    })?;
    // The path may name another namespace by now (a container restarted, a pid reused):
    // enter only the one that was found.
    let opened = f
        .metadata()
        .map(|m| NsId {
            dev: m.dev(),
            ino: m.ino(),
        })
        .ok();
    if opened != Some(ns.id) {
        return Err(Error::Netns {
            name: ns.name.clone(),
            reason: format!(
                "{} no longer refers to this namespace (it was removed or replaced)",
                ns.path.display()
            ),
        });
    }
    setns(&f, CloneFlags::CLONE_NEWNET).map_err(|e| Error::Netns {
        name: ns.name.clone(),
        reason: if e == nix::errno::Errno::EPERM {
            "entering another namespace needs CAP_SYS_ADMIN (run netlens as root, or pick the namespace netlens runs in)".into()
        } else if e == nix::errno::Errno::EINVAL {
            format!(
                "{} is not a network namespace (give a name from `ip netns list`, `pid:PID`, `host`, or a /proc/PID/ns/net path)",
                ns.path.display()
            )
        } else {
            format!("setns failed: {e}")
        },
    })
}

/// A namespace held open: it cannot vanish or be replaced under its holder (a container's
/// process exiting, a name deleted and reused). [`Pinned::info`] names it by the open file,
/// so threads started later with [`spawn_in`] enter this very namespace.
#[derive(Debug)]
pub struct Pinned {
    _file: fs::File,
    pub info: NetnsInfo,
}

/// Opens `ns` and keeps it open (see [`Pinned`]).
pub fn pin(ns: &NetnsInfo) -> Result<Pinned> {
    use std::os::fd::AsRawFd;
    let f = fs::File::open(&ns.path).map_err(|e| Error::Netns {
        name: ns.name.clone(),
        reason: format!("cannot open {}: {e}", ns.path.display()),
    })?;
    let opened = f.metadata().map(|m| NsId {
        dev: m.dev(),
        ino: m.ino(),
    });
    if opened.ok() != Some(ns.id) {
        return Err(Error::Netns {
            name: ns.name.clone(),
            reason: format!(
                "{} no longer refers to this namespace (it was removed or replaced)",
                ns.path.display()
            ),
        });
    }
    let info = NetnsInfo {
        path: PathBuf::from(format!("/proc/self/fd/{}", f.as_raw_fd())),
        ..ns.clone()
    };
    Ok(Pinned { _file: f, info })
}

/// Runs `f` in `ns` (on one of a few long-lived threads, which enters it first) and returns
/// its result. Sockets made in `f` stay bound to `ns`.
pub fn run_in<T: Send + 'static>(
    ns: &NetnsInfo,
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    pool::run(ns, f)
}

/// Runs `f` on a fresh thread that has entered `ns`, and returns its result.
fn fresh_thread<T: Send + 'static>(
    ns: &NetnsInfo,
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    let ns = ns.clone();
    let name = ns.name.clone();
    std::thread::Builder::new()
        .name(format!("netns-{name}"))
        .spawn(move || {
            enter(&ns)?;
            f()
        })
        .map_err(|e| Error::Netns {
            name: name.clone(),
            reason: format!("cannot start a thread: {e}"),
        })?
        .join()
        .map_err(|_| Error::Netns {
            name,
            reason: "the namespace thread panicked".into(),
        })?
}

/// The namespace netlens itself runs in, named as discovery names it (`host` when it is PID 1's).
pub fn own() -> Result<NetnsInfo> {
    let id = ns_id(Path::new("/proc/self/ns/net")).map_err(|e| Error::Netns {
        name: "self".into(),
        reason: format!("cannot read /proc/self/ns/net: {e}"),
    })?;
    let h = host();
    if h.id == id {
        return Ok(h);
    }
    if let Ok(rd) = fs::read_dir(NETNS_RUN_DIR) {
        for e in rd.filter_map(std::result::Result::ok) {
            if ns_id(&e.path()).is_ok_and(|n| n == id) {
                return Ok(NetnsInfo {
                    id,
                    name: e.file_name().to_string_lossy().into_owned(),
                    kind: NsKind::Named,
                    path: e.path(),
                });
            }
        }
    }
    let pid = std::process::id();
    Ok(NetnsInfo {
        id,
        name: format!("pid:{pid}"),
        kind: NsKind::Process {
            pid,
            comm: "netlens".into(),
        },
        path: PathBuf::from(format!("/proc/{pid}/ns/net")),
    })
}

/// How many threads read namespaces at once: the machine's cores, 2 to 8.
pub fn workers() -> usize {
    std::thread::available_parallelism()
        .map_or(2, std::num::NonZero::get)
        .clamp(2, 8)
}

/// Runs `f` (given the index and the namespace) in each namespace of `list`, on at most
/// `workers` threads that each enter one
/// namespace after the other (no thread per namespace; the work is bounded however many
/// namespaces there are). The results come in `list`'s order.
pub fn for_each_in<T: Send>(
    list: &[NetnsInfo],
    workers: usize,
    f: impl Fn(usize, &NetnsInfo) -> Result<T> + Sync,
) -> Vec<Result<T>> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let out: Vec<std::sync::Mutex<Option<Result<T>>>> =
        list.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..workers.clamp(1, list.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(ns) = list.get(i) else { break };
                let r = enter(ns).and_then(|()| f(i, ns));
                if let Some(Ok(mut slot)) = out.get(i).map(|m| m.lock()) {
                    *slot = Some(r);
                }
            });
        }
    });
    out.into_iter()
        .zip(list)
        .map(|(m, ns)| {
            m.into_inner().ok().flatten().unwrap_or_else(|| {
                Err(Error::Netns {
                    name: ns.name.clone(),
                    reason: "its reader thread stopped".into(),
                })
            })
        })
        .collect()
}

/// Starts `f` on a fresh thread that has entered `ns` and returns its handle (for running
/// several namespace-bound jobs at once).
pub fn spawn_in<T: Send + 'static>(
    ns: &NetnsInfo,
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> std::io::Result<std::thread::JoinHandle<Result<T>>> {
    let ns = ns.clone();
    std::thread::Builder::new()
        .name(format!("netns-{}", ns.name))
        .spawn(move || {
            enter(&ns)?;
            f()
        })
}
