//! What a namespace's ids for other namespaces (`IFLA_LINK_NETNSID`) stand for: each
//! namespace numbers the others it links to on its own, so an id means something only in
//! the namespace that gave it. The kernel says which id a namespace gives another when asked
//! with an open file of the other (`RTM_GETNSID`, as `ip netns list-id` does); it never
//! tells the way back, so the candidates are the namespaces discovery finds.

use std::collections::BTreeMap;
use std::os::fd::AsRawFd;

use netlink_packet_core::{NetlinkMessage, NetlinkPayload, NLM_F_REQUEST};
use netlink_packet_route::nsid::{NsidAttribute, NsidMessage};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::{protocols::NETLINK_ROUTE, Socket};

use crate::model::{NsRef, NsState};
use crate::netns::{self, NetnsInfo, NsId};
use crate::{Error, Result};

fn err(ns: &str, reason: String) -> Error {
    Error::Netlink {
        name: ns.to_owned(),
        reason,
    }
}

/// How many namespace-id questions this process asked the kernel (for tests and
/// benchmarks: resolution must stay linear in namespaces).
pub static QUESTIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The id `sock`'s namespace gives the namespace open as `target`, if it gave it one.
fn ask(sock: &Socket, target: &std::fs::File, buf: &mut Vec<u8>) -> std::io::Result<Option<i32>> {
    let mut msg = NsidMessage::default();
    msg.attributes.push(NsidAttribute::Fd(
        u32::try_from(target.as_raw_fd()).unwrap_or(u32::MAX),
    ));
    QUESTIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut req = NetlinkMessage::from(RouteNetlinkMessage::GetNsId(msg));
    req.header.flags = NLM_F_REQUEST;
    req.header.sequence_number = 1;
    req.finalize();
    let mut out = vec![0u8; req.buffer_len()];
    req.serialize(&mut out);
    sock.send(&out, 0)?;
    buf.clear();
    let n = sock.recv(buf, 0)?;
    let reply =
        NetlinkMessage::<RouteNetlinkMessage>::deserialize(buf.get(..n).unwrap_or_default())
            .map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(match reply.payload {
        NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewNsId(m)) => {
            m.attributes.iter().find_map(|a| match a {
                NsidAttribute::Id(i) if *i >= 0 => Some(*i),
                _ => None,
            })
        }
        _ => None,
    })
}

/// Asks, in `from`, which id it gives each candidate, in the order given, until every id
/// in `wanted` is found (all of them: `None`) or the candidates run out: the ids found, with
/// the namespace each stands for. Only reads: asking does not make the kernel assign an id.
fn ask_until(
    from: &NetnsInfo,
    wanted: Option<Vec<i32>>,
    candidates: Candidates,
) -> Result<BTreeMap<i32, NsRef>> {
    let name = from.name.clone();
    netns::run_in(from, move || ask_here(&name, wanted, &candidates))
}

/// [`ask_until`] from the namespace the calling thread is in (`name` names it in errors).
fn ask_here(
    name: &str,
    wanted: Option<Vec<i32>>,
    candidates: &Candidates,
) -> Result<BTreeMap<i32, NsRef>> {
    let fail = |e: std::io::Error| err(name, format!("namespace ids: {e}"));
    let mut sock = Socket::new(NETLINK_ROUTE).map_err(fail)?;
    sock.bind_auto().map_err(fail)?;
    let mut buf = Vec::with_capacity(4096);
    let mut out = BTreeMap::new();
    let every = wanted.is_none();
    let mut left: std::collections::BTreeSet<i32> = wanted.into_iter().flatten().collect();
    for c in candidates.iter() {
        if !every && left.is_empty() {
            break;
        }
        // A namespace that went away since discovery is simply not a candidate, nor is
        // whatever its path names now (a pid reused).
        let Ok(f) = std::fs::File::open(&c.path) else {
            continue;
        };
        let opened = f.metadata().map(|m| crate::netns::NsId {
            dev: std::os::unix::fs::MetadataExt::dev(&m),
            ino: std::os::unix::fs::MetadataExt::ino(&m),
        });
        if opened.ok() != Some(c.id) {
            continue;
        }
        if let Some(id) = ask(&sock, &f, &mut buf).map_err(fail)? {
            left.remove(&id);
            out.insert(
                id,
                NsRef {
                    id: c.id,
                    name: c.name.clone(),
                },
            );
        }
    }
    Ok(out)
}

/// The ids `from` gives to each of `candidates` that it numbered, with the namespace each
/// stands for (every candidate is asked).
pub fn ids(from: &NetnsInfo, candidates: &[NetnsInfo]) -> Result<BTreeMap<i32, NsRef>> {
    let c = Candidates {
        popular: Vec::new(),
        all: std::sync::Arc::new(candidates.to_vec()),
        skip: from.id,
    };
    ask_until(from, None, c)
}

/// The id namespace `from` gives namespace `target` (`None` if none, or unreadable).
pub fn nsid_of(from: &NetnsInfo, target: &NetnsInfo) -> Option<i32> {
    ids(from, std::slice::from_ref(target))
        .ok()?
        .into_iter()
        .find(|(_, r)| r.id == target.id)
        .map(|(i, _)| i)
}

/// How long an id no namespace answered for is not asked for again.
const UNKNOWN_FOR: std::time::Duration = std::time::Duration::from_secs(30);

/// Discoveries made to find a namespace's id are this far apart at least.
const NEW_ENOUGH: std::time::Duration = std::time::Duration::from_millis(250);

/// The namespaces links most often point at (the host, for every pod), with how often:
/// asked first, so a namespace's ids resolve with one question each, not one per namespace
/// of the host.
static POPULAR: std::sync::Mutex<Vec<(NetnsInfo, u64)>> = std::sync::Mutex::new(Vec::new());

/// How many namespaces [`POPULAR`] keeps.
const POPULAR_KEEP: usize = 8;

fn note_answers(found: &BTreeMap<i32, NsRef>, asked: &Candidates) {
    // A namespace with links into many others (a bridge's host, with a veth to each pod)
    // says nothing of where most links point: only a few answers count.
    if found.len() > 4 {
        return;
    }
    let Ok(mut p) = POPULAR.lock() else { return };
    for r in found.values() {
        match p.iter_mut().find(|(n, _)| n.id == r.id && n.name == r.name) {
            Some((_, n)) => *n += 1,
            None => {
                if let Some(info) = asked.find(r) {
                    // First among equals: a new answer is not dropped for older ones.
                    p.insert(0, (info, 1));
                }
            }
        }
    }
    p.sort_by_key(|x| std::cmp::Reverse(x.1));
    p.truncate(POPULAR_KEEP);
}

/// The namespaces to ask about, in order: the popular ones first, then the rest of the
/// last discovery's (walked only as far as needed, never copied).
struct Candidates {
    popular: Vec<NetnsInfo>,
    all: std::sync::Arc<Vec<NetnsInfo>>,
    skip: NsId,
}

/// How many of the newest namespaces are asked with the likely ones.
const NEWEST_FIRST: usize = 4;

/// The first namespaces asked: hints, the popular ones, the newest few of the last
/// discovery (`all_known`, kept to ask the rest later).
struct Likely {
    first: Vec<NetnsInfo>,
    all_known: std::sync::Arc<Vec<NetnsInfo>>,
    skip: NsId,
}

impl Likely {
    fn iter(&self) -> impl Iterator<Item = &NetnsInfo> {
        self.first.iter()
    }

    fn into_candidates(self) -> Candidates {
        Candidates::only(self.first, self.skip)
    }
}

impl Candidates {
    fn likely(from: &NetnsInfo, hints: &[NetnsInfo]) -> Likely {
        let all = netns::recent();
        let mut first: Vec<NetnsInfo> = hints.to_vec();
        if let Ok(p) = POPULAR.lock() {
            first.extend(p.iter().map(|(n, _)| n.clone()));
        }
        first.extend(all.iter().rev().take(NEWEST_FIRST).cloned());
        let mut seen = std::collections::HashSet::new();
        first.retain(|n| n.id != from.id && seen.insert((n.id, n.path.clone())));
        Likely {
            first,
            all_known: all,
            skip: from.id,
        }
    }

    /// Exactly these, in this order.
    fn only(mut list: Vec<NetnsInfo>, skip: NsId) -> Candidates {
        // `iter` walks `all` from its end (the newest last in a discovery's list).
        list.reverse();
        Candidates {
            popular: Vec::new(),
            all: std::sync::Arc::new(list),
            skip,
        }
    }

    /// The popular ones, then the others newest first.
    fn iter(&self) -> impl Iterator<Item = &NetnsInfo> {
        let skip = self.skip;
        let popular = &self.popular;
        popular
            .iter()
            .filter(move |n| n.id != skip)
            .chain(self.all.iter().rev().filter(move |n| {
                n.id != skip && !popular.iter().any(|p| p.id == n.id && p.path == n.path)
            }))
    }

    fn find(&self, r: &NsRef) -> Option<NetnsInfo> {
        self.iter()
            .find(|n| n.id == r.id && n.name == r.name)
            .cloned()
    }
}

/// Names of the namespaces a namespace's ids stand for, found once and kept; asked again
/// when an id is unknown, or after the kernel announced that ids changed.
#[derive(Debug, Default)]
pub struct Resolver {
    known: BTreeMap<i32, NsRef>,
    /// Ids asked for and not found among the namespaces discovery finds, with when: not
    /// asked again for [`UNKNOWN_FOR`], or until the kernel announces a change of the id
    /// (a namespace held only by a process that starts later becomes findable).
    unknown: BTreeMap<i32, std::time::Instant>,
    /// Waits for [`NEW_ENOUGH`] since the last discovery before discovering again (a
    /// watcher under churn); a one-shot read discovers again at once.
    patient: bool,
}

impl Resolver {
    /// A resolver for a watcher: its discoveries are spaced across watchers.
    pub fn patient() -> Resolver {
        Resolver {
            patient: true,
            ..Resolver::default()
        }
    }

    /// Forgets what was found (the kernel assigned or dropped an id).
    pub fn forget(&mut self) {
        self.known.clear();
        self.unknown.clear();
    }

    /// Forgets what an announcement of a new or deleted id changes: that id (the others
    /// still stand for what they did), or everything if it names none.
    pub fn forget_ids(&mut self, m: &NsidMessage) {
        let mut named = false;
        for a in &m.attributes {
            if let NsidAttribute::Id(i) = a {
                named = true;
                self.known.remove(i);
                self.unknown.remove(i);
            }
        }
        if !named {
            self.forget();
        }
    }

    /// Takes the ids a dumped state's links resolved.
    pub fn learn(&mut self, st: &NsState) {
        for l in st.links.values() {
            if let (Some(n), Some(r)) = (l.link_netnsid, &l.link_netns) {
                self.known.insert(n, r.clone());
            }
        }
    }

    /// Fills in `link_netns` of the links that carry an id, asking the kernel (and
    /// discovering namespaces) only if an id is not known yet.
    pub fn resolve(&mut self, ns: &NetnsInfo, links: Vec<&mut crate::model::Link>) {
        self.resolve_with(ns, links, &[], |c, wanted| {
            let name = ns.name.clone();
            netns::spawn_in(ns, move || {
                ask_here(&name, Some(wanted), &c).map(|m| (m, c))
            })
            .map_err(|e| err(&ns.name, e.to_string()))?
            .join()
            .map_err(|_| err(&ns.name, "the namespace-id thread panicked".into()))?
        });
    }

    /// [`Resolver::resolve`] from the namespace the calling thread is in (a pool worker
    /// that entered `ns`): no thread of its own.
    pub fn resolve_here(&mut self, ns: &NetnsInfo, links: Vec<&mut crate::model::Link>) {
        self.resolve_with(ns, links, &[], |c, wanted| {
            ask_here(&ns.name, Some(wanted), &c).map(|m| (m, c))
        });
    }

    /// [`Resolver::resolve_here`], asking `hints` first (the namespaces a link's other end
    /// is likely in: a veth whose own peer is that link).
    pub fn resolve_here_hinted(
        &mut self,
        ns: &NetnsInfo,
        links: Vec<&mut crate::model::Link>,
        hints: &[NetnsInfo],
    ) {
        self.resolve_with(ns, links, hints, |c, wanted| {
            ask_here(&ns.name, Some(wanted), &c).map(|m| (m, c))
        });
    }

    /// Asks (with `ask`, given the candidates and the ids wanted) only for the ids not known
    /// yet, then fills in the links. The questions go, in turn, to the likely namespaces
    /// (`hints`, the popular ones and the newest few), to the namespaces made since the
    /// last discovery (discovering again), and only then to the rest: an id in a busy
    /// host most often names a namespace that has just appeared, and walking every
    /// namespace for it would cost a question per namespace of the host.
    fn resolve_with(
        &mut self,
        ns: &NetnsInfo,
        links: Vec<&mut crate::model::Link>,
        hints: &[NetnsInfo],
        ask: impl Fn(Candidates, Vec<i32>) -> Result<(BTreeMap<i32, NsRef>, Candidates)>,
    ) {
        let wanted: Vec<i32> = links
            .iter()
            .filter_map(|l| l.link_netnsid)
            .filter(|n| {
                !self.known.contains_key(n)
                    && self
                        .unknown
                        .get(n)
                        .is_none_or(|t| t.elapsed() >= UNKNOWN_FOR)
            })
            .collect();
        if !wanted.is_empty() {
            let mut left = wanted.clone();
            let mut run = |c: Candidates, left: &mut Vec<i32>| -> bool {
                match ask(c, left.clone()) {
                    Ok((m, asked)) => {
                        note_answers(&m, &asked);
                        self.known.extend(m);
                        left.retain(|n| !self.known.contains_key(n));
                        true
                    }
                    Err(e) => {
                        tracing::warn!(netns = %ns.name, "cannot resolve namespace ids: {e}");
                        false
                    }
                }
            };
            let likely = Candidates::likely(ns, hints);
            let all = std::sync::Arc::clone(&likely.all_known);
            let asked: std::collections::HashSet<(NsId, std::path::PathBuf)> =
                likely.iter().map(|n| (n.id, n.path.clone())).collect();
            let mut ok = run(likely.into_candidates(), &mut left);
            if ok && !left.is_empty() {
                // Namespaces made since the last discovery: discover again (not more often
                // than every NEW_ENOUGH, across watchers). New by identity and path: a
                // namespace's inode is reused soon after it is deleted.
                let wait = NEW_ENOUGH.saturating_sub(netns::recent_age());
                if self.patient && !wait.is_zero() {
                    std::thread::sleep(wait);
                }
                let old: std::collections::HashSet<(NsId, &std::path::Path)> =
                    all.iter().map(|n| (n.id, n.path.as_path())).collect();
                let fresh: Vec<NetnsInfo> = netns::discover()
                    .namespaces
                    .into_iter()
                    .rev()
                    .filter(|n| !old.contains(&(n.id, n.path.as_path())))
                    .collect();
                if !fresh.is_empty() {
                    ok = run(Candidates::only(fresh, ns.id), &mut left);
                }
            }
            if ok && !left.is_empty() {
                // An older namespace given an id only now (a link moved into it).
                let rest: Vec<NetnsInfo> = all
                    .iter()
                    .rev()
                    .filter(|n| !asked.contains(&(n.id, n.path.clone())))
                    .cloned()
                    .collect();
                ok = run(Candidates::only(rest, ns.id), &mut left);
            }
            // An id left after a failure was not looked for everywhere: asked again next time.
            if ok {
                let now = std::time::Instant::now();
                self.unknown.extend(left.into_iter().map(|n| (n, now)));
            }
        }
        for l in links {
            l.link_netns = l.link_netnsid.and_then(|n| self.known.get(&n).cloned());
        }
    }
}

/// Fills in `link_netns` of every link of a dumped state.
pub fn resolve_state(ns: &NetnsInfo, st: &mut NsState) {
    Resolver::default().resolve(ns, st.links.values_mut().collect());
}
