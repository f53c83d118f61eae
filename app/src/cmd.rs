//! `netlens dump` and `netlens watch`.

use std::io::{BufWriter, Write};

use anyhow::{Context, Result};
use netstate::inventory::{self, Inventory, Scope, Update};
use netstate::live::WatchOptions;
use netstate::{netns, text, NetnsInfo, NsState};

/// The namespace named on the command line, or the one netlens runs in.
pub fn pick_netns(name: Option<&str>) -> Result<NetnsInfo> {
    Ok(match name {
        Some(n) => netns::find(n)?,
        None => netns::own()?,
    })
}

pub async fn dump(netns_arg: Option<&str>, all: bool, json: bool, stats: bool) -> Result<()> {
    if json {
        let netns_arg = netns_arg.map(str::to_owned);
        return tokio::task::spawn_blocking(move || dump_json(netns_arg.as_deref(), all, stats))
            .await?;
    }
    let out = std::io::stdout().lock();
    let mut out = BufWriter::with_capacity(1 << 16, out);
    if all {
        let d = tokio::task::spawn_blocking(netns::discover).await?;
        for p in &d.problems {
            eprintln!("netlens: {p}");
        }
        let mut read = 0;
        for info in d.namespaces {
            match netstate::live::snapshot_with(&info, stats).await {
                Ok(st) => {
                    read += 1;
                    write_text(&mut out, &info.label(), &st)?;
                }
                Err(e) => eprintln!("netlens: {e}"),
            }
        }
        out.flush()?;
        if read == 0 {
            anyhow::bail!("no namespace could be read");
        }
        return Ok(());
    }
    let info = pick_netns(netns_arg)?;
    let st = netstate::live::snapshot_with(&info, stats)
        .await
        .with_context(|| format!("reading namespace {}", info.name))?;
    write_text(&mut out, &info.label(), &st)?;
    out.flush()?;
    Ok(())
}

/// `dump --json`: each namespace is dumped, then streamed out (routes, neighbours and FDB
/// entries are never held as a model); `--all` prints a list and leaves out, with a message,
/// the namespaces that cannot be read.
fn dump_json(netns_arg: Option<&str>, all: bool, stats: bool) -> Result<()> {
    let out = std::io::stdout().lock();
    let mut out = BufWriter::with_capacity(1 << 16, out);
    let warn = |name: &str, bad: &netstate::dump::Unparsed| {
        if bad.count > 0 {
            eprintln!(
                "netlens: namespace {name}: {} netlink message(s) could not be parsed and are left out (first: {})",
                bad.count,
                bad.first.as_deref().unwrap_or("?")
            );
        }
    };
    if !all {
        let info = pick_netns(netns_arg)?;
        let d = netstate::dump::raw_dump(&info, stats)
            .with_context(|| format!("reading namespace {}", info.name))?;
        let bad = d.write_json(&mut out)?;
        writeln!(out)?;
        out.flush()?;
        warn(&info.name, &bad);
        return Ok(());
    }
    let d = netns::discover();
    for p in &d.problems {
        eprintln!("netlens: {p}");
    }
    let mut read = 0;
    out.write_all(b"[")?;
    for info in d.namespaces {
        match netstate::dump::raw_dump(&info, stats) {
            Ok(d) => {
                if read > 0 {
                    out.write_all(b",")?;
                }
                read += 1;
                let bad = d.write_json(&mut out)?;
                warn(&info.name, &bad);
            }
            Err(e) => eprintln!("netlens: {e}"),
        }
    }
    out.write_all(b"]\n")?;
    out.flush()?;
    if read == 0 {
        anyhow::bail!("no namespace could be read");
    }
    Ok(())
}

fn write_text(out: &mut impl Write, label: &str, st: &NsState) -> std::io::Result<()> {
    writeln!(out, "=== netns {label}")?;
    writeln!(out, "--- links")?;
    for l in st.links.values() {
        writeln!(out, "{}", text::link(l, st))?;
        if let Some(s) = text::link_stats(l) {
            writeln!(out, "{s}")?;
        }
    }
    writeln!(out, "--- addresses")?;
    for a in st.addrs.values() {
        writeln!(out, "{}", text::addr(a, st))?;
    }
    writeln!(out, "--- routes (all tables)")?;
    for r in st.routes.values() {
        writeln!(out, "{}", text::route(r, st))?;
    }
    writeln!(out, "--- neighbours")?;
    for n in st.neighs.values() {
        writeln!(out, "{}", text::neigh(n, st))?;
    }
    writeln!(out, "--- fdb")?;
    for f in st.fdb.values() {
        writeln!(out, "{}", text::fdb(f, st))?;
    }
    Ok(())
}

/// `watch`: `ip monitor`-style lines, or with `--json` the replayable stream of
/// [`netstate::stream`]: a snapshot per namespace, then one line per entry the model set or
/// removed.
pub async fn watch(netns_arg: Option<&str>, all: bool, json: bool, rcvbuf: usize) -> Result<()> {
    use netstate::inventory::NsStatus;
    use netstate::NetEventKind as K;
    let one = if all {
        None
    } else {
        Some(pick_netns(netns_arg)?)
    };
    let scope = match &one {
        None => Scope::All,
        Some(info) => Scope::One(info.clone()),
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let sup = tokio::spawn(inventory::supervise(scope, tx, WatchOptions { rcvbuf }));
    let mut inv = Inventory::default();
    let mut known = std::collections::HashSet::new();
    let stdout = std::io::stdout();
    let mut lines: Vec<String> = Vec::new();
    // A single namespace watched is looked for every second: when it is deleted (or the
    // container's process ends), watch says so and ends, rather than watch a namespace
    // nothing can reach any more.
    let mut check = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        let u = tokio::select! {
            u = rx.recv() => match u {
                Some(u) => u,
                None => break,
            },
            _ = check.tick(), if one.is_some() => {
                if let Some(info) = &one {
                    if info.name != "host" && netns::find(&info.name).ok().map(|n| n.id) != Some(info.id) {
                        sup.abort();
                        anyhow::bail!("namespace {} is gone (deleted, or its process ended): nothing left to watch", info.name);
                    }
                }
                continue;
            }
        };
        let mut out = stdout.lock();
        if let Update::Net(ev) = &u {
            let entry = inv.get(ev.ns);
            let name = entry.map(|e| e.info.name.clone()).unwrap_or_default();
            match &ev.kind {
                K::Overrun { overruns } => {
                    let msg = format!(
                        "netlink receive buffer overrun #{overruns}: events lost, re-dumping"
                    );
                    if json {
                        writeln!(
                            out,
                            "{}",
                            serde_json::json!({"event": "overrun", "netns": name, "overruns": overruns, "message": msg})
                        )?;
                    } else {
                        writeln!(out, "[OVERRUN]{name}: {msg}")?;
                    }
                }
                // Watching one namespace, a watcher that cannot go on ends the watch.
                K::Failed(e) if one.is_some() => {
                    sup.abort();
                    anyhow::bail!("{e}");
                }
                K::Failed(e) => eprintln!("netlens: {e}"),
                // The first state of a namespace is printed whole; later snapshots (after
                // an overrun) print as the exact difference, below.
                K::Snapshot { state, .. }
                    if json && entry.is_some_and(|e| e.status == NsStatus::Loading) =>
                {
                    writeln!(out, "{}", netstate::stream::snapshot(&name, state)?)?;
                }
                _ => {}
            }
        }
        if let Update::Namespaces(d) = &u {
            for p in &d.problems {
                eprintln!("netlens: {p}");
            }
            let now: std::collections::HashSet<_> = d.namespaces.iter().map(|n| n.id).collect();
            for n in &d.namespaces {
                if known.insert(n.id) && all {
                    print_ns_event(&mut out, json, &n.name, "new")?;
                }
            }
            for e in &inv.namespaces {
                if !now.contains(&e.info.id) {
                    known.remove(&e.info.id);
                    print_ns_event(&mut out, json, &e.info.name, "del")?;
                }
            }
        }
        let mut failed = None;
        inv.apply_each(u, |info, a, st| {
            let line = if json {
                netstate::stream::event(&info.name, a, st)
                    .map_err(|e| failed = Some(e))
                    .unwrap_or_default()
            } else if all {
                format!("[{}]{}", info.name, text::applied(a, st))
            } else {
                text::applied(a, st)
            };
            lines.push(line);
        });
        if let Some(e) = failed {
            return Err(e.into());
        }
        for l in lines.drain(..) {
            writeln!(out, "{l}")?;
        }
        out.flush()?;
    }
    sup.abort();
    Ok(())
}

fn print_ns_event(out: &mut impl Write, json: bool, name: &str, ev: &str) -> std::io::Result<()> {
    if json {
        writeln!(
            out,
            "{}",
            serde_json::json!({"netns": name, "event": ev, "object": "netns"})
        )
    } else {
        writeln!(
            out,
            "[NETNS]{}{name}",
            if ev == "del" { "Deleted " } else { "" }
        )
    }
}

/// Reads every namespace once into an inventory (relations across namespaces resolved).
pub async fn inventory_once() -> Result<netstate::inventory::Inventory> {
    use netstate::{NetEvent, NetEventKind};
    let d = tokio::task::spawn_blocking(netns::discover).await?;
    for p in &d.problems {
        eprintln!("netlens: {p}");
    }
    let mut inv = Inventory::default();
    let infos = d.namespaces.clone();
    inv.apply(Update::Namespaces(d));
    for info in infos {
        match netstate::live::snapshot(&info).await {
            Ok(st) => {
                inv.apply(Update::Net(NetEvent {
                    ns: info.id,
                    kind: NetEventKind::Snapshot {
                        state: Box::new(st),
                        overruns: 0,
                    },
                }));
            }
            Err(e) => eprintln!("netlens: {e}"),
        }
    }
    Ok(inv)
}

/// `topo`: the L2 graph of every namespace (or of one, with the links it names elsewhere).
pub async fn topo(netns_arg: Option<&str>, a: &crate::cli::TopoArgs) -> Result<()> {
    let inv = inventory_once().await?;
    let only = match netns_arg {
        Some(n) if !a.all => Some(vec![pick_netns(Some(n))?.id]),
        _ => None,
    };
    let mut g = netstate::topo::graph(&inv, None);
    if let Some(only) = &only {
        // The namespace's links, and whatever they link to elsewhere.
        let names: Vec<String> = inv
            .namespaces
            .iter()
            .filter(|e| only.contains(&e.info.id))
            .map(|e| e.info.label())
            .collect();
        let keep: std::collections::BTreeSet<String> = g
            .nodes
            .iter()
            .filter(|n| n.netns.as_ref().is_some_and(|ns| names.contains(ns)))
            .map(|n| n.id.clone())
            .collect();
        g.edges
            .retain(|e| keep.contains(&e.from) || keep.contains(&e.to));
        let linked: std::collections::BTreeSet<String> = g
            .edges
            .iter()
            .flat_map(|e| [e.from.clone(), e.to.clone()])
            .chain(keep)
            .collect();
        g.nodes.retain(|n| linked.contains(&n.id));
    }
    let out = std::io::stdout();
    let mut out = out.lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &g)?;
        writeln!(out)?;
    } else if a.dot {
        write!(out, "{}", g.dot())?;
    } else {
        let mut last_ns = None;
        for n in g.nodes.iter().filter(|n| n.netns.is_some()) {
            if last_ns != n.netns.as_ref() {
                writeln!(out, "{}", n.netns.as_deref().unwrap_or_default())?;
                last_ns = n.netns.as_ref();
            }
            let rel = g.relations(&n.id);
            if rel.is_empty() {
                writeln!(out, "  {} ({})", n.name, n.kind)?;
            } else {
                writeln!(out, "  {} ({}): {}", n.name, n.kind, rel.join(", "))?;
            }
        }
    }
    Ok(())
}

/// `doctor`: the findings, as text or JSON; returns the exit status (0 none, 1 warnings,
/// 2 errors).
pub async fn doctor(netns_arg: Option<&str>, a: &crate::cli::DoctorArgs) -> Result<i32> {
    use netstate::doctor::Severity;
    let inv = inventory_once().await?;
    let only = match netns_arg {
        Some(n) if !a.all => Some(vec![pick_netns(Some(n))?.id]),
        _ => None,
    };
    // rp_filter is a sysctl of each namespace, read in it.
    let rp = netstate::doctor::read_rp_filter(&inv);
    let findings = netstate::doctor::examine_with(&inv, only.as_deref(), Some(&rp));
    let out = std::io::stdout();
    let mut out = out.lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &findings)?;
        writeln!(out)?;
    } else if findings.is_empty() {
        writeln!(out, "no finding")?;
    } else {
        for f in &findings {
            let sev = match f.severity {
                Severity::Error => "ERROR",
                Severity::Warning => "WARNING",
            };
            writeln!(out, "{sev} [{}] in {}: {}", f.check, f.netns, f.message)?;
            writeln!(out, "    evidence: {}", f.evidence)?;
            if let Some(fix) = &f.fix {
                writeln!(out, "    fix: {fix}")?;
            }
        }
    }
    Ok(match findings.iter().map(|f| f.severity).max() {
        None => 0,
        Some(Severity::Warning) => 1,
        Some(Severity::Error) => 2,
    })
}

/// `trace`: the path from a namespace to an address; returns the exit status (0
/// reachable, 1 not).
pub async fn trace(a: &crate::cli::TraceArgs) -> Result<i32> {
    let from = pick_netns(Some(&a.from))?;
    let inv = inventory_once().await?;
    let proto = a.proto.map(|p| match p {
        crate::cli::Proto::Icmp if a.to.is_ipv4() => 1,
        crate::cli::Proto::Icmp => 58,
        crate::cli::Proto::Tcp => 6,
        crate::cli::Proto::Udp => 17,
    });
    let flow = (proto, a.port);
    let lookup =
        move |ns: &netstate::NetnsInfo, dst: std::net::IpAddr, src: Option<std::net::IpAddr>| {
            netstate::dump::route_get(ns, dst, src, flow)
        };
    let (to, src, probe) = (a.to, a.src, a.probe);
    let t = tokio::task::spawn_blocking(move || -> Result<netstate::trace::Trace> {
        let mut t = netstate::trace::trace(&inv, from.id, to, src, &lookup)?;
        if probe {
            // Captures on each hop's egress device while the echo runs.
            let mut lives = Vec::new();
            for h in t.hops.iter().filter(|h| h.what == "route") {
                let (Some(dev), Some(info)) = (
                    h.dev.clone(),
                    inv.namespaces.iter().find(|e| e.info.label() == h.netns).map(|e| e.info.clone()),
                ) else {
                    continue;
                };
                let opts = capture::source::LiveOptions {
                    iface: dev.clone(),
                    netns: Some(info),
                    filter: "icmp or icmp6 or arp".into(),
                    promisc: false,
                    channel: 1024,
                    ..capture::source::LiveOptions::default()
                };
                if let Ok(l) = capture::source::Live::start(opts) {
                    lives.push((h.netns.clone(), dev, l));
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(150));
            let r = netstate::probe::echo(&from, to, std::time::Duration::from_secs(1))?;
            std::thread::sleep(std::time::Duration::from_millis(150));
            for (ns, dev, mut l) in lives {
                let _ = l.stop();
                let lines: Vec<String> = l
                    .rx
                    .try_iter()
                    .map(|c| capture::summary::summary(&c.decoded, None, false))
                    .collect();
                let dst = to.to_string();
                let seen = |what: &str| lines.iter().any(|s| s.contains(what) && s.contains(&dst));
                let (req, rep) = (seen("echo request"), seen("echo reply"));
                let who_has = lines.iter().filter(|s| s.contains("who-has")).count();
                let is_at = lines.iter().any(|s| s.contains("is-at"));
                let arp = if who_has > 0 {
                    format!(
                        "ARP who-has ×{who_has} ({}), ",
                        if is_at { "answered" } else { "unanswered" }
                    )
                } else {
                    String::new()
                };
                let found = format!(
                    "on {dev}: {arp}echo request {}, echo reply {}",
                    if req { "seen" } else { "not seen" },
                    if rep { "seen" } else { "not seen" }
                );
                t.hops.push(netstate::trace::Hop {
                    netns: ns,
                    what: "capture",
                    found,
                    verdict: if req && rep { "ok" } else { "broken" },
                    dev: Some(dev),
                });
            }
            t.probe = Some(r.is_some());
            t.hops.push(netstate::trace::Hop {
                netns: from.label(),
                what: "probe",
                found: match r {
                    Some(d) => format!("echo reply from {to} in {:.1} ms", d.as_secs_f64() * 1000.0),
                    None => format!("no echo reply from {to} within 1 s"),
                },
                verdict: if r.is_some() { "ok" } else { "broken" },
                dev: None,
            });
            if r.is_some() != t.reachable {
                t.reason.push_str(if r.is_some() {
                    " — but the probe got a reply: the path works (beyond what netlens reads)"
                } else {
                    " — but the probe got no reply (beyond this host, or a firewall, or ICMP dropped)"
                });
            }
        }
        Ok(t)
    })
    .await??;
    let out = std::io::stdout();
    let mut out = out.lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &t)?;
        writeln!(out)?;
    } else {
        for (i, h) in t.hops.iter().enumerate() {
            writeln!(
                out,
                "{:>2}. [{}] {}: {} — {}",
                i + 1,
                h.netns,
                h.what,
                h.found,
                h.verdict
            )?;
        }
        writeln!(
            out,
            "{}: {}",
            if t.reachable {
                "REACHABLE"
            } else {
                "NOT REACHABLE"
            },
            t.reason
        )?;
        if let Some(f) = &t.fix {
            writeln!(out, "fix: {f}")?;
        }
    }
    Ok(i32::from(!t.reachable))
}
