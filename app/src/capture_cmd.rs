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
    // The ports this namespace's vxlan devices use are decoded as VXLAN with no flag
    // given (a dump of its links; no matter if it cannot be read).
    let mut opts = opts;
    let info = match &ns {
        Some(i) => Some(i.clone()),
        None => netstate::netns::own().ok(),
    };
    if let Some(info) = info {
        if let Ok(st) = netstate::live::snapshot(&info).await {
            for p in st.vxlan_ports() {
                if !opts.vxlan_ports.contains(&p) {
                    opts.vxlan_ports.push(p);
                }
            }
        }
    }
    let live = Live::start(LiveOptions {
        iface,
        netns: ns,
        filter: a.filter.clone(),
        snaplen: a.snaplen,
        buffer_bytes: a.buffer_mib.saturating_mul(1 << 20),
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

/// Packets handed to a worker at once.
const BATCH: usize = 4096;

/// Frames read from a file, copied into one buffer.
#[derive(Default)]
struct Batch {
    first: u64,
    ts: Vec<Timestamp>,
    wire: Vec<u32>,
    spans: Vec<std::ops::Range<usize>>,
    bytes: Vec<u8>,
}

/// Decodes and formats a batch into the text to print.
fn format_batch(
    b: &Batch,
    a: &CaptureArgs,
    opts: &DecodeOptions,
    link: capture::decode::LinkType,
) -> String {
    let mut out = String::with_capacity(b.ts.len() * 96);
    for (i, span) in b.spans.iter().enumerate() {
        let data = b.bytes.get(span.clone()).unwrap_or_default();
        let decoded = decode(link, data, b.wire[i], opts);
        if a.json {
            let c = Captured {
                number: b.first + i as u64,
                ts: b.ts[i],
                wire_len: b.wire[i],
                data: Vec::new(),
                decoded,
            };
            if let Ok(j) = serde_json::to_string(&c) {
                out.push_str(&j);
            }
        } else {
            capture::summary::summary_into(&mut out, &decoded, Some(b.ts[i]), a.link_level);
        }
        out.push('\n');
    }
    out
}

/// Reads a file and prints it: one thread reads, one per core decodes and formats batches,
/// and this thread writes them in order.
fn read_file(path: &std::path::Path, a: &CaptureArgs, opts: &DecodeOptions) -> Result<()> {
    use std::sync::mpsc::sync_channel;
    let mut src = FileSource::open(path, &a.filter)?;
    let mut writer = match &a.write {
        Some(w) => Some(PcapWriter::create(w, src.link_number())?),
        None => None,
    };
    let link = src.linktype;
    let workers = std::thread::available_parallelism()
        .map_or(2, std::num::NonZero::get)
        .clamp(1, 8);
    std::thread::scope(|scope| -> Result<()> {
        let mut to_workers = Vec::new();
        let mut from_workers = Vec::new();
        for _ in 0..workers {
            let (btx, brx) = sync_channel::<Batch>(2);
            let (otx, orx) = sync_channel::<String>(2);
            to_workers.push(btx);
            from_workers.push(orx);
            scope.spawn(move || {
                for b in brx {
                    if otx.send(format_batch(&b, a, opts, link)).is_err() {
                        break;
                    }
                }
            });
        }
        let quiet = a.quiet;
        let reader = scope.spawn(move || -> Result<u64> {
            let mut n = 0u64;
            let mut batch = Batch {
                first: 1,
                ..Batch::default()
            };
            let mut sent = 0usize;
            let send = |b: Batch, sent: &mut usize| -> bool {
                let ok = to_workers[*sent % to_workers.len()].send(b).is_ok();
                *sent += 1;
                ok
            };
            let mut stopped = false;
            // A damaged or truncated file ends the loop with an error: what was read before
            // it is still printed (and written with -w), then the error is reported.
            let read = src.for_each(|ts: Timestamp, data: &[u8], wire_len: u32| {
                n += 1;
                if let Some(w) = writer.as_mut() {
                    w.write(ts, data, wire_len);
                }
                if !quiet {
                    let start = batch.bytes.len();
                    batch.bytes.extend_from_slice(data);
                    batch.spans.push(start..batch.bytes.len());
                    batch.ts.push(ts);
                    batch.wire.push(wire_len);
                    if batch.ts.len() >= BATCH {
                        let next = Batch {
                            first: n + 1,
                            ..Batch::default()
                        };
                        if !send(std::mem::replace(&mut batch, next), &mut sent) {
                            stopped = true;
                            return false;
                        }
                    }
                }
                a.count.is_none_or(|c| n < c)
            });
            if !stopped && !batch.ts.is_empty() {
                send(batch, &mut sent);
            }
            drop(to_workers);
            let finished = writer.map(PcapWriter::finish).transpose();
            read.with_context(|| format!("after {n} packets"))?;
            finished.context("finishing the -w file")?;
            Ok(n)
        });
        let stdout = std::io::stdout();
        let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
        // Batches come back from the workers in the order they were dealt out.
        let mut i = 0usize;
        let mut write_err = None;
        while let Ok(text) = from_workers[i % from_workers.len()].recv() {
            if let Err(e) = out.write_all(text.as_bytes()) {
                write_err = Some(e);
                break;
            }
            i += 1;
        }
        drop(from_workers);
        let read = reader
            .join()
            .map_err(|_| anyhow::anyhow!("the file reader panicked"))?;
        if let Some(e) = write_err {
            return Err(e.into());
        }
        read?;
        out.flush()?;
        Ok(())
    })
}
