//! Random sequences of `ip`/`bridge` operations over every object kind, in `nlt-`
//! namespaces; after each batch the live model equals a fresh dump and the replayed
//! `watch --json` stream equals the model.
//!
//! `NETLENS_FUZZ_STEPS` sets the number of operations (300 by default), `NETLENS_FUZZ_SEED`
//! the seed (a number, or `random`); a failure prints the seed and the operations so the
//! run can be replayed.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use netstate::NsState;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use testns::Netns;

use crate::harness::Watched;

/// The namespaces of one run: `a` is where most things happen, `b` where links move to.
struct World {
    a: Netns,
    b: Netns,
}

const VETHS: [&str; 6] = ["v0", "v1", "v2", "v3", "v4", "v5"];
const BRIDGES: [&str; 2] = ["br0", "br1"];
const MACVLANS: [&str; 3] = ["mv0", "mv1", "mv2"];
const VXLANS: [&str; 2] = ["vx0", "vx1"];

impl World {
    fn new() -> World {
        let a = Netns::new("fza");
        let b = Netns::new("fzb");
        // No duplicate address detection: the model follows DAD like any change (the named
        // cases keep it), but waiting a second or two for it after every batch would make
        // long runs crawl.
        for ns in [&a, &b] {
            for conf in ["all", "default"] {
                let key = format!("net.ipv6.conf.{conf}.accept_dad=0");
                let out = ns.exec(&["sysctl", "-qw", &key]);
                assert!(out.status.success(), "sysctl {key} in {}", ns.name);
            }
        }
        // Three veth pairs inside a (v0-w0 ...), one with its peer in b (v3-w3), addresses,
        // a bridge with a port, a vxlan over v0.
        for i in 0..3 {
            a.ip(&[
                "link",
                "add",
                &format!("v{i}"),
                "type",
                "veth",
                "peer",
                "name",
                &format!("w{i}"),
            ]);
            a.ip(&["link", "set", &format!("v{i}"), "up"]);
            a.ip(&["link", "set", &format!("w{i}"), "up"]);
            a.ip(&[
                "addr",
                "add",
                &format!("10.{i}.0.1/24"),
                "dev",
                &format!("v{i}"),
            ]);
            a.ip(&[
                "addr",
                "add",
                &format!("fd0{i}::1/64"),
                "dev",
                &format!("v{i}"),
                "nodad",
            ]);
        }
        a.ip(&[
            "link", "add", "v3", "type", "veth", "peer", "name", "w3", "netns", &b.name,
        ]);
        a.ipw("link set v3 up");
        b.ipw("link set w3 up");
        a.ipw("link add br0 type bridge");
        a.ipw("link set w1 master br0");
        a.ipw("link set br0 up");
        a.ipw("link add vx0 type vxlan id 42 dstport 4789 local 10.0.0.1 dev v0 nolearning");
        World { a, b }
    }
}

/// Brings back what random deletes and moves took away (the links most operations use),
/// so the run keeps testing something: missing veths, their addresses, the bridge, vxlan.
fn restore(n: &mut Names) -> Vec<String> {
    let mut out = Vec::new();
    let present = n.a.clone();
    let has = |x: &str| present.iter().any(|l| l == x);
    for i in 0..3 {
        let (v, w) = (format!("v{i}"), format!("w{i}"));
        if !has(&v) {
            if has(&w) {
                out.push(format!("link del {w}"));
            }
            out.push(format!("link add {v} type veth peer name {w}"));
            out.push(format!("addr add 10.{i}.0.1/24 dev {v}"));
            out.push(format!("addr add fd0{i}::1/64 dev {v} nodad"));
        }
        out.push(format!("link set {v} up"));
        out.push(format!("link set {w} up"));
    }
    if !has("br0") {
        out.push("link add br0 type bridge".into());
    }
    out.push("link set br0 up".into());
    if n.enslavable.iter().any(|l| l == "w1") {
        n.enslaved("w1");
        out.push("link set w1 master br0".into());
    }
    if !has("vx0") {
        out.push(
            "link add vx0 type vxlan id 42 dstport 4789 local 10.0.0.1 dev v0 nolearning".into(),
        );
    }
    out
}

fn pick<'a>(r: &mut StdRng, from: &[&'a str]) -> &'a str {
    from.choose(r).copied().unwrap_or("v0")
}

fn mac(r: &mut StdRng) -> String {
    format!(
        "02:00:00:00:{:02x}:{:02x}",
        r.gen_range(0..2),
        r.gen_range(1..6)
    )
}

/// The links that exist, so most operations name something real.
#[derive(Default)]
struct Names {
    a: Vec<String>,
    b: Vec<String>,
    ports: Vec<String>,
    vxlans: Vec<String>,
    /// Links that can join a bridge without making a loop (a veth whose other end is on a
    /// bridge would: frames would circle, and the bridge's FDB change without end).
    enslavable: Vec<String>,
    /// Each link's veth peer here, by name.
    peers: Vec<(String, String)>,
}

impl Names {
    fn of(a: &NsState, b: &NsState) -> Names {
        let names = |st: &NsState| -> Vec<String> {
            st.links
                .values()
                .filter(|l| l.name != "lo")
                .map(|l| l.name.clone())
                .collect()
        };
        Names {
            a: names(a),
            b: names(b),
            ports: a
                .links
                .values()
                .filter(|l| l.master.is_some())
                .map(|l| l.name.clone())
                .collect(),
            vxlans: a
                .links
                .values()
                .filter(|l| l.kind.as_deref() == Some("vxlan"))
                .map(|l| l.name.clone())
                .collect(),
            enslavable: a
                .links
                .values()
                // Only the w end of a pair joins a bridge: two ends of one veth on bridges
                // would make a loop (frames circling, the FDB changing without end).
                .filter(|l| {
                    l.name.starts_with('w') || l.name.starts_with("mv") || l.name.starts_with("vx")
                })
                .filter(|l| {
                    l.link_netnsid.is_some()
                        || l.parent
                            .and_then(|p| a.links.get(&p))
                            .is_none_or(|p| p.master.is_none())
                })
                .map(|l| l.name.clone())
                .collect(),
            peers: a
                .links
                .values()
                .filter(|l| l.kind.as_deref() == Some("veth") && l.link_netnsid.is_none())
                .filter_map(|l| Some((l.name.clone(), a.link_name(l.parent?)?.to_owned())))
                .collect(),
        }
    }

    /// `l` joins a bridge in this batch: its peer may not (the model does not know yet).
    fn enslaved(&mut self, l: &str) {
        for (x, p) in &self.peers {
            if x == l {
                self.enslavable.retain(|e| e != p);
            }
        }
    }
}

fn one_of(r: &mut StdRng, names: &[String], or: &str) -> String {
    if r.gen_bool(0.9) {
        if let Some(n) = names.choose(r) {
            return n.clone();
        }
    }
    or.to_owned()
}

fn any_link(r: &mut StdRng, n: &Names) -> String {
    let fallback = match r.gen_range(0..5) {
        0 => pick(r, &VETHS),
        1 => pick(r, &BRIDGES),
        2 => pick(r, &MACVLANS),
        3 => pick(r, &VXLANS),
        _ => "eth9",
    };
    one_of(r, &n.a, fallback)
}

fn gw4(r: &mut StdRng) -> String {
    format!("10.{}.0.{}", r.gen_range(0..3), r.gen_range(2..5))
}

fn gw6(r: &mut StdRng) -> (String, String) {
    let i = r.gen_range(0..3);
    (format!("fd0{i}::{}", r.gen_range(2..5)), format!("v{i}"))
}

/// One random operation: `(tool, namespace, args)`.
fn op(r: &mut StdRng, w: &World, n: &mut Names) -> (&'static str, String, String) {
    let a = w.a.name.clone();
    let (tool, ns, args): (&str, String, String) = match r.gen_range(0..32) {
        // Links: add, delete, rename, mtu, up/down, master, netns moves.
        0 => {
            let i = r.gen_range(3..6);
            ("ip", a, format!("link add v{i} type veth peer name w{i}"))
        }
        1 => (
            "ip",
            a,
            format!("link add {} type bridge", pick(r, &BRIDGES)),
        ),
        2 => {
            let mode = pick(r, &["bridge", "private", "vepa", "passthru"]);
            let parent = pick(r, &["v0", "v1", "v2", "w0", "w2"]);
            let kind = pick(r, &["macvlan", "macvtap"]);
            let name = pick(r, &MACVLANS);
            (
                "ip",
                a,
                format!("link add {name} link {parent} type {kind} mode {mode}"),
            )
        }
        3 => {
            let (name, id) = (pick(r, &VXLANS), r.gen_range(1..4));
            let learn = pick(r, &["learning", "nolearning"]);
            (
                "ip",
                a,
                format!(
                    "link add {name} type vxlan id {id} dstport 4789 local 10.0.0.1 dev v0 {learn}"
                ),
            )
        }
        4 => ("ip", a, format!("link del {}", any_link(r, n))),
        5 => {
            // Renames keep a veth end's letter (v ends never join a bridge, w ends may).
            let l = any_link(r, n);
            let to = match l.chars().next() {
                Some(c @ ('v' | 'w')) if l.len() == 2 => format!("{c}9"),
                Some(c @ ('v' | 'w')) if l.ends_with('9') => format!("{c}{}", r.gen_range(0..6)),
                _ if l == "eth9" => pick(r, &MACVLANS).to_owned(),
                _ => "eth9".to_owned(),
            };
            ("ip", a, format!("link set {l} name {to}"))
        }
        6 => (
            "ip",
            a,
            format!(
                "link set {} mtu {}",
                any_link(r, n),
                1280 + 20 * r.gen_range(0..12)
            ),
        ),
        7 | 8 => {
            let updown = pick(r, &["up", "down"]);
            ("ip", a, format!("link set {} {updown}", any_link(r, n)))
        }
        9 => {
            if r.gen_bool(0.6) {
                let l = one_of(r, &n.enslavable, "vx0");
                n.enslaved(&l);
                let to = pick(r, &BRIDGES);
                ("ip", a, format!("link set {l} master {to}"))
            } else {
                ("ip", a, format!("link set {} nomaster", any_link(r, n)))
            }
        }
        10 => {
            if r.gen_bool(0.5) {
                (
                    "ip",
                    a,
                    format!("link set {} netns {}", any_link(r, n), w.b.name),
                )
            } else {
                let l = one_of(r, &n.b, "w3");
                ("ip", w.b.name.clone(), format!("link set {l} netns {a}"))
            }
        }
        // Bridge-port attributes.
        11 => {
            let attr = match r.gen_range(0..6) {
                0 => format!("cost {}", r.gen_range(1..200)),
                1 => format!("priority {}", r.gen_range(0..63)),
                2 => format!("hairpin {}", pick(r, &["on", "off"])),
                3 => format!("learning {}", pick(r, &["on", "off"])),
                4 => format!("flood {}", pick(r, &["on", "off"])),
                _ => format!("isolated {}", pick(r, &["on", "off"])),
            };
            (
                "bridge",
                a,
                format!("link set dev {} {attr}", one_of(r, &n.ports, "w1")),
            )
        }
        // Addresses, peers, lifetimes, flush.
        12 | 13 => {
            let verb = pick(r, &["add", "del", "replace"]);
            let l = any_link(r, n);
            let addr = match r.gen_range(0..5) {
                0 => format!("10.{}.0.{}/24", r.gen_range(0..3), r.gen_range(1..6)),
                1 => format!("10.7.0.1 peer 10.7.0.{}", r.gen_range(2..5)),
                2 => format!("fd0{}::{:x}/64 nodad", r.gen_range(0..3), r.gen_range(1..6)),
                3 => format!(
                    "10.6.0.{}/24 valid_lft {} preferred_lft {}",
                    r.gen_range(1..4),
                    pick(r, &["300", "forever"]),
                    pick(r, &["200", "0"])
                ),
                _ => format!("10.{}.0.9/16", r.gen_range(0..3)),
            };
            ("ip", a, format!("addr {verb} {addr} dev {l}"))
        }
        14 => ("ip", a, format!("addr flush dev {}", any_link(r, n))),
        // IPv4 routes: add, replace, append, prepend, delete, multipath, tables, types.
        15..=17 => {
            let verb = pick(r, &["add", "replace", "append", "prepend", "del", "change"]);
            let dst = format!("10.5{}.0.0/16", r.gen_range(0..4));
            let tail = match r.gen_range(0..5) {
                0 => format!("via {}", gw4(r)),
                1 => format!("dev {}", pick(r, &VETHS)),
                2 => format!("nexthop via {} nexthop via {}", gw4(r), gw4(r)),
                3 => format!("via {} metric {}", gw4(r), r.gen_range(0..3) * 10),
                _ => format!("via {} table {}", gw4(r), pick(r, &["100", "main"])),
            };
            let ty = if r.gen_bool(0.1) { "blackhole " } else { "" };
            let tail = if ty.is_empty() { tail } else { String::new() };
            ("ip", a, format!("route {verb} {ty}{dst} {tail}"))
        }
        // IPv6 routes, incl. multipath through append.
        18..=20 => {
            let verb = pick(r, &["add", "replace", "append", "prepend", "del"]);
            let dst = format!("fd5{}::/64", r.gen_range(0..3));
            let (g, d) = gw6(r);
            let tail = match r.gen_range(0..4) {
                0 => format!("dev {}", pick(r, &VETHS)),
                1 => format!("via {g} dev {d} metric {}", 1024 * r.gen_range(1..3)),
                _ => format!("via {g} dev {d}"),
            };
            ("ip", a, format!("-6 route {verb} {dst} {tail}"))
        }
        21 => (
            "ip",
            a,
            format!("route flush table {}", pick(r, &["100", "main"])),
        ),
        // Neighbours: states, lladdr changes, deletes, flush.
        22 | 23 => {
            let i = r.gen_range(0..3);
            let dst = if r.gen_bool(0.7) {
                format!("10.{i}.0.{}", r.gen_range(20..25))
            } else {
                format!("fd0{i}::{}", r.gen_range(20..25))
            };
            if r.gen_bool(0.25) {
                ("ip", a, format!("neigh del {dst} dev v{i}"))
            } else {
                let nud = pick(
                    r,
                    &["permanent", "reachable", "stale", "noarp", "permanent"],
                );
                (
                    "ip",
                    a,
                    format!("neigh replace {dst} lladdr {} dev v{i} nud {nud}", mac(r)),
                )
            }
        }
        24 => ("ip", a, format!("neigh flush dev {}", pick(r, &VETHS))),
        // Bridge FDB: add, replace (moves), del; vxlan FDB: add, append, replace, del.
        25 | 26 => {
            let verb = pick(r, &["add", "replace", "del"]);
            let state = pick(r, &["static", "dynamic", ""]);
            let port = one_of(r, &n.ports, "w1");
            (
                "bridge",
                a,
                format!("fdb {verb} {} dev {port} master {state}", mac(r)),
            )
        }
        27 | 28 => {
            let verb = pick(r, &["add", "append", "replace", "del"]);
            let m = if r.gen_bool(0.4) {
                "00:00:00:00:00:00".to_owned()
            } else {
                mac(r)
            };
            let dst = format!("10.0.0.{}", r.gen_range(7..10));
            (
                "bridge",
                a,
                format!(
                    "fdb {verb} {m} dev {} dst {dst}",
                    one_of(r, &n.vxlans, "vx0")
                ),
            )
        }
        29 => {
            let verb = pick(r, &["add", "del"]);
            let m = pick(
                r,
                &[
                    "01:00:5e:00:00:09",
                    "33:33:00:00:00:09",
                    "02:00:00:00:00:55",
                ],
            );
            (
                "bridge",
                a,
                format!("fdb {verb} {m} dev {} self permanent", pick(r, &VETHS)),
            )
        }
        30 => (
            "ip",
            a,
            format!("link set {} address {}", any_link(r, n), mac(r)),
        ),
        _ => (
            "ip",
            a,
            format!(
                "neigh {} proxy 10.0.0.{} dev v0",
                pick(r, &["add", "del"]),
                r.gen_range(90..93)
            ),
        ),
    };
    (tool, ns, args)
}

fn seed() -> u64 {
    match std::env::var("NETLENS_FUZZ_SEED").ok().as_deref() {
        None | Some("") => 0x006e_6574_6c65_6e73,
        Some("random") => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64),
        Some(s) => s
            .parse()
            .expect("NETLENS_FUZZ_SEED is a number or `random`"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_operations_keep_the_model_equal_to_the_kernel() {
    if !testns::require_root() {
        return;
    }
    let steps: usize = std::env::var("NETLENS_FUZZ_STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let seed = seed();
    eprintln!(
        "differential test: seed {seed}, {steps} operations (NETLENS_FUZZ_SEED={seed} replays)"
    );
    let mut r = StdRng::seed_from_u64(seed);
    let world = World::new();
    let mut w = Watched::start_all(&[&world.a.name, &world.b.name]).await;
    let (ida, idb) = (w.infos[0].id, w.infos[1].id);
    let started = Instant::now();
    let (mut done, mut ok, mut batches) = (0usize, 0usize, 0usize);
    let mut history: Vec<String> = Vec::new();
    let mut settle_max = Duration::ZERO;
    let mut settle_total = Duration::ZERO;
    while done < steps {
        let n = r.gen_range(1..=8).min(steps - done);
        let mut batch = Vec::new();
        let mut names = Names::of(w.state_of(ida), w.state_of(idb));
        if r.gen_bool(0.15) {
            for args in restore(&mut names) {
                let mut argv = vec!["ip", "-n", world.a.name.as_str()];
                argv.extend(args.split_whitespace());
                let _ = testns::output(&argv);
                batch.push(format!("ip -n a {args}"));
            }
        }
        for _ in 0..n {
            let (tool, ns, args) = op(&mut r, &world, &mut names);
            let mut argv = vec![tool, "-n", ns.as_str()];
            argv.extend(args.split_whitespace());
            let out = testns::output(&argv);
            if std::env::var_os("NETLENS_FUZZ_TRACE").is_some() {
                eprintln!("op {tool} {args} -> {}", out.status.success());
            }
            if out.status.success() {
                ok += 1;
            } else if std::env::var_os("NETLENS_FUZZ_VERBOSE").is_some() {
                eprintln!(
                    "refused: {tool} {args}: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
            }
            let short = if ns == world.a.name { "a" } else { "b" };
            batch.push(format!("{tool} -n {short} {args}"));
        }
        if done / 5000 != (done + n) / 5000 {
            eprintln!(
                "differential test: seed {seed}: {} operations so far, model == dump after every batch ({:.0} s)",
                done + n,
                started.elapsed().as_secs_f64()
            );
        }
        done += n;
        batches += 1;
        history.extend(batch.iter().cloned());
        match w.settle().await {
            Ok(t) => {
                settle_max = settle_max.max(t);
                settle_total += t;
            }
            Err(e) => {
                let mut msg = format!(
                    "seed {seed} (NETLENS_FUZZ_SEED={seed} replays), after operation {done} of {steps}:\n{e}\nlast operations:\n"
                );
                for h in history.iter().rev().take(24).rev() {
                    let _ = writeln!(msg, "  {h}");
                }
                panic!("{msg}");
            }
        }
    }
    eprintln!(
        "differential test: seed {seed}: {done} operations ({ok} accepted by the kernel) in {batches} batches, \
         {} stream lines, model == dump and replay == model after every batch; \
         {:.1} s, settling took {:.0} ms on average, {settle_max:?} at most",
        w.lines,
        started.elapsed().as_secs_f64(),
        settle_total.as_secs_f64() * 1000.0 / batches.max(1) as f64
    );
    assert!(
        ok * 4 > done,
        "too few operations succeeded ({ok} of {done}): the test tests little"
    );
}
