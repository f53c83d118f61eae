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
/// Namespaces `dump --all --json` reads at once before printing them.
const DUMP_CHUNK: usize = 64;

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
    // The host (often the biggest) with its three parts read at once; the others a chunk at a
    // time on a bounded pool of threads that enter them in turn (memory stays a chunk's).
    let (host, rest): (Vec<_>, Vec<_>) = d
        .namespaces
        .into_iter()
        .partition(|n| n.kind == netns::NsKind::Host);
    let mut batch: Vec<(String, netstate::Result<netstate::dump::RawDump>)> = host
        .iter()
        .map(|info| (info.name.clone(), netstate::dump::raw_dump(info, stats)))
        .collect();
    let mut chunks = rest.chunks(DUMP_CHUNK);
    loop {
        for (name, r) in batch.drain(..) {
            match r {
                Ok(d) => {
                    if read > 0 {
                        out.write_all(b",")?;
                    }
                    read += 1;
                    let bad = d.write_json(&mut out)?;
                    warn(&name, &bad);
                }
                Err(e) => eprintln!("netlens: {e}"),
            }
        }
        let Some(chunk) = chunks.next() else { break };
        let read_chunk = netns::for_each_in(chunk, netns::workers(), |_, info| {
            netstate::dump::raw_dump_here(info, stats)
        });
        batch = chunk
            .iter()
            .map(|n| n.name.clone())
            .zip(read_chunk)
            .collect();
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
    let sup = tokio::spawn(inventory::supervise(
        scope,
        tx,
        WatchOptions {
            rcvbuf,
            first: None,
        },
    ));
    let mut inv = Inventory::default();
    let mut known = std::collections::HashSet::new();
    let mut said: std::collections::HashSet<String> = std::collections::HashSet::new();
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
            // Each problem once: the list comes again whenever a namespace comes or goes.
            for p in &d.problems {
                if said.insert(p.clone()) {
                    eprintln!("netlens: {p}");
                }
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
