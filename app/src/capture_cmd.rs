//! `netlens capture`: tcpdump-like capture from an interface in any namespace, or a file.

use std::io::{BufWriter, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use capture::decode::{decode, DecodeOptions};
use capture::source::{Captured, FileSource, Live, LiveOptions, PcapWriter};
use capture::summary::{summary, Timestamp};

use crate::cli::CaptureArgs;

fn decode_options(a: &CaptureArgs) -> DecodeOptions {
    let mut o = DecodeOptions::default();
    for p in &a.vxlan_ports {
        if !o.vxlan_ports.contains(p) {
            o.vxlan_ports.push(*p);
        }
    }
    o
}

fn print(out: &mut impl Write, a: &CaptureArgs, c: &Captured) -> std::io::Result<()> {
    if a.quiet {
        return Ok(());
    }
    if a.json {
        serde_json::to_writer(&mut *out, c)?;
        writeln!(out)
    } else {
        writeln!(out, "{}", summary(&c.decoded, Some(c.ts), a.link_level))
    }
}

pub async fn run(netns: Option<&str>, a: CaptureArgs) -> Result<()> {
    let opts = decode_options(&a);
    if let Some(path) = a.read.clone() {
        return tokio::task::spawn_blocking(move || read_file(&path, &a, &opts)).await?;
    }
    let iface = a
        .interface
        .clone()
        .context("-i IFACE or -r FILE is needed")?;
    let ns = match netns {
        Some(n) => Some(netstate::netns::find(n)?),
        None => None,
    };
    let live = Live::start(LiveOptions {
        iface,
        netns: ns,
        filter: a.filter.clone(),
        snaplen: a.snaplen,
        promisc: !a.no_promisc,
        channel: 65_536,
        decode: opts,
        count: a.count,
        write: a.write.clone(),
    })?;
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        s.store(true, Ordering::Relaxed);
    });
    let link = live.linktype;
    eprintln!(
        "netlens: listening, link-type {link:?}, snapshot length {} bytes",
        a.snaplen
    );
    tokio::task::spawn_blocking(move || follow(live, &a, &stop)).await?
}

fn follow(mut live: Live, a: &CaptureArgs, stop: &AtomicBool) -> Result<()> {
    let stdout = std::io::stdout();
    let tty = stdout.is_terminal();
    let mut out = BufWriter::new(stdout.lock());
    let mut seen = 0u64;
    while !stop.load(Ordering::Relaxed) {
        match live.rx.recv_timeout(Duration::from_millis(100)) {
            Ok(c) => {
                print(&mut out, a, &c)?;
                seen += 1;
                if tty {
                    out.flush()?;
                }
                if a.count.is_some_and(|n| seen >= n) {
                    break;
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                out.flush()?;
                if live.finished() && live.rx.try_recv().is_err() {
                    break;
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    out.flush()?;
    let result = live.stop();
    // What is still queued was captured: print it rather than lose it.
    while let Ok(c) = live.rx.try_recv() {
        if a.count.is_some_and(|n| seen >= n) {
            break;
        }
        print(&mut out, a, &c)?;
        seen += 1;
    }
    out.flush()?;
    let v = live.counters.values();
    eprintln!("{} packets captured", v.packets);
    eprintln!("{} packets dropped by kernel", v.kernel_dropped);
    eprintln!("{} packets dropped by interface", v.if_dropped);
    eprintln!(
        "{} packets dropped by netlens (output too slow)",
        v.our_dropped
    );
    result.map_err(Into::into)
}

fn read_file(path: &std::path::Path, a: &CaptureArgs, opts: &DecodeOptions) -> Result<()> {
    let mut src = FileSource::open(path, &a.filter)?;
    let mut writer = match &a.write {
        Some(w) => Some(PcapWriter::create(w, src.link_number())?),
        None => None,
    };
    let link = src.linktype;
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut n = 0u64;
    let mut err = None;
    src.for_each(|ts: Timestamp, data: &[u8], wire_len: u32| {
        n += 1;
        if let Some(w) = writer.as_mut() {
            w.write(ts, data, wire_len);
        }
        if !a.quiet {
            let decoded = decode(link, data, wire_len, opts);
            let r = if a.json {
                let c = Captured {
                    number: n,
                    ts,
                    wire_len,
                    data: Vec::new(),
                    decoded,
                };
                serde_json::to_writer(&mut out, &c)
                    .map_err(std::io::Error::from)
                    .and_then(|()| writeln!(out))
            } else {
                writeln!(out, "{}", summary(&decoded, Some(ts), a.link_level))
            };
            if let Err(e) = r {
                err = Some(e);
                return false;
            }
        }
        a.count.is_none_or(|c| n < c)
    })?;
    if let Some(e) = err {
        return Err(e.into());
    }
    out.flush()?;
    if let Some(w) = writer {
        w.finish()?;
    }
    Ok(())
}
