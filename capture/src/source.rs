//! Packet sources: a live pcap handle on an interface inside any namespace (opened from a
//! thread that entered it), and pcap/pcapng files. Live capture runs on its own thread,
//! decodes there, and hands packets over a bounded channel: when the consumer is slow,
//! packets are dropped and counted, never queued without bound, and the UI never blocks.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use netstate::NetnsInfo;
use pcap::{Active, Capture, Linktype, Offline, Packet, PacketHeader, Precision};

use crate::decode::{decode, DecodeOptions, Decoded, LinkType};
use crate::summary::Timestamp;
use crate::{Error, Result};

/// One captured frame with what decoding made of it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Captured {
    /// Position in the capture, from 1.
    pub number: u64,
    pub ts: Timestamp,
    /// Length on the wire; `data` may be shorter (snaplen).
    pub wire_len: u32,
    #[serde(skip)]
    pub data: Vec<u8>,
    pub decoded: Decoded,
}

/// Counters of one capture, readable while it runs.
#[derive(Debug, Default)]
pub struct Counters {
    pub packets: AtomicU64,
    pub bytes: AtomicU64,
    /// Dropped by the kernel (socket buffer full), as libpcap reports.
    pub kernel_dropped: AtomicU64,
    /// Dropped by the interface or its driver.
    pub if_dropped: AtomicU64,
    /// Dropped by netlens: the consumer did not keep up with the channel.
    pub our_dropped: AtomicU64,
}

/// A copy of [`Counters`] at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct CounterValues {
    pub packets: u64,
    pub bytes: u64,
    pub kernel_dropped: u64,
    pub if_dropped: u64,
    pub our_dropped: u64,
}

impl Counters {
    pub fn values(&self) -> CounterValues {
        CounterValues {
            packets: self.packets.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            kernel_dropped: self.kernel_dropped.load(Ordering::Relaxed),
            if_dropped: self.if_dropped.load(Ordering::Relaxed),
            our_dropped: self.our_dropped.load(Ordering::Relaxed),
        }
    }
}

/// What to capture, and how.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    pub iface: String,
    /// The namespace the interface lives in; `None`: the one netlens runs in.
    pub netns: Option<NetnsInfo>,
    /// A BPF filter in tcpdump's syntax; empty for everything.
    pub filter: String,
    pub snaplen: i32,
    /// Kernel ring size in bytes (with the default snaplen, 64 MiB holds ~1000 frames).
    pub buffer_bytes: i32,
    pub promisc: bool,
    /// Capacity of the channel to the consumer, in packets.
    pub channel: usize,
    pub decode: DecodeOptions,
    /// Stop after this many packets.
    pub count: Option<u64>,
    /// Also write every packet (before any drop of ours) to this pcap file.
    pub write: Option<PathBuf>,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            iface: String::new(),
            netns: None,
            filter: String::new(),
            snaplen: 65_535,
            buffer_bytes: 64 << 20,
            promisc: true,
            channel: 4096,
            decode: DecodeOptions::default(),
            count: None,
            write: None,
        }
    }
}

/// A running live capture. Dropping it stops the capture thread.
pub struct Live {
    pub rx: Receiver<Captured>,
    pub counters: Arc<Counters>,
    pub linktype: LinkType,
    /// The pcap link-type number, for writing files of the same type.
    pub link_number: i32,
    stop: Arc<AtomicBool>,
    /// Wakes the capture thread out of a blocking read: libpcap's timeout does not fire
    /// while no packet arrives in immediate mode.
    breaker: pcap::BreakLoop,
    thread: Option<JoinHandle<Result<()>>>,
}

fn where_(opts: &LiveOptions) -> String {
    match &opts.netns {
        Some(ns) => format!("{} in namespace {}", opts.iface, ns.name),
        None => opts.iface.clone(),
    }
}

fn open_error(opts: &LiveOptions, e: &pcap::Error) -> Error {
    let msg = e.to_string();
    let target = where_(opts);
    if msg.contains("No such device") || msg.contains("doesn't exist") {
        Error::NoSuchInterface { target }
    } else if msg.contains("ermission") || msg.contains("not permitted") {
        Error::Permission { target, reason: format!("{msg} (capturing needs CAP_NET_RAW; entering another namespace needs CAP_SYS_ADMIN)") }
    } else {
        Error::Pcap {
            target,
            reason: msg,
        }
    }
}

/// How long the kernel holds a partly filled block before handing it over.
const BLOCK_TIMEOUT_MS: i32 = 10;

fn open_active(opts: &LiveOptions) -> Result<Capture<Active>> {
    if let Some(ns) = &opts.netns {
        netstate::netns::enter(ns)?;
    }
    let cap = Capture::from_device(opts.iface.as_str())
        .map_err(|e| open_error(opts, &e))?
        .promisc(opts.promisc)
        .snaplen(opts.snaplen)
        .buffer_size(opts.buffer_bytes)
        // Not immediate: libpcap uses TPACKET_V3, whose ring packs frames of any size into
        // blocks the kernel hands over full or after the timeout — far more small frames fit
        // than in immediate mode's one snaplen-sized slot per frame (TPACKET_V2), and one
        // wake-up brings a block. The short timeout keeps the view live; a capture that
        // stops waits for it so the last block is not lost.
        .immediate_mode(false)
        .timeout(BLOCK_TIMEOUT_MS)
        .precision(Precision::Nano)
        .open()
        .map_err(|e| open_error(opts, &e))?;
    let mut cap = cap;
    if !opts.filter.trim().is_empty() {
        cap.filter(&opts.filter, true).map_err(|e| Error::Filter {
            filter: opts.filter.clone(),
            reason: e.to_string(),
        })?;
    }
    Ok(cap)
}

impl Live {
    /// Opens the interface (inside its namespace) and starts capturing on a new thread.
    /// Errors opening the interface or compiling the filter are returned here.
    pub fn start(opts: LiveOptions) -> Result<Live> {
        let (tx, rx) = sync_channel(opts.channel.max(1));
        let (ready_tx, ready_rx) = sync_channel::<Result<(i32, pcap::BreakLoop)>>(1);
        let counters = Arc::new(Counters::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (c, s) = (counters.clone(), stop.clone());
        let name = format!("capture-{}", opts.iface);
        let thread = std::thread::Builder::new()
            .name(name)
            .spawn(move || {
                let mut cap = match open_active(&opts) {
                    Ok(cap) => cap,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return Ok(());
                    }
                };
                let number = cap.get_datalink().0;
                let link = LinkType::from_linktype(number);
                let mut save = opts
                    .write
                    .as_ref()
                    .map(|p| {
                        cap.savefile(p).map_err(|e| Error::File {
                            path: p.clone(),
                            reason: e.to_string(),
                        })
                    })
                    .transpose();
                let save = match save.as_mut() {
                    Ok(s) => s,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.clone()));
                        return Ok(());
                    }
                };
                let _ = ready_tx.send(Ok((number, cap.breakloop_handle())));
                run_live(&mut cap, link, &opts, &tx, &c, &s, save.as_mut())
            })
            .map_err(|e| Error::Pcap {
                target: "capture thread".into(),
                reason: e.to_string(),
            })?;
        let (link_number, breaker) = ready_rx.recv().map_err(|_| Error::Pcap {
            target: "capture thread".into(),
            reason: "stopped before opening the interface".into(),
        })??;
        Ok(Live {
            rx,
            counters,
            linktype: LinkType::from_linktype(link_number),
            link_number,
            stop,
            breaker,
            thread: Some(thread),
        })
    }

    /// Asks the capture to stop and waits for its thread; returns its error, if any.
    pub fn stop(&mut self) -> Result<()> {
        if self.thread.as_ref().is_some_and(|t| !t.is_finished()) {
            // The kernel hands over a partly filled block after the block timeout: let the
            // last one come before stopping.
            std::thread::sleep(Duration::from_millis(2 * BLOCK_TIMEOUT_MS as u64 + 10));
        }
        self.stop.store(true, Ordering::SeqCst);
        self.breaker.breakloop();
        match self.thread.take() {
            Some(t) => t.join().map_err(|_| Error::Pcap {
                target: "capture thread".into(),
                reason: "panicked".into(),
            })?,
            None => Ok(()),
        }
    }

    /// Whether the capture thread has ended (count reached, error, or stopped).
    pub fn finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

fn ts_of(h: &PacketHeader, nanos: bool) -> Timestamp {
    let frac = u32::try_from(h.ts.tv_usec).unwrap_or(0);
    Timestamp {
        secs: h.ts.tv_sec,
        nanos: if nanos {
            frac
        } else {
            frac.saturating_mul(1000)
        },
    }
}

fn update_stats(cap: &mut Capture<Active>, c: &Counters) {
    if let Ok(st) = cap.stats() {
        c.kernel_dropped
            .store(u64::from(st.dropped), Ordering::Relaxed);
        c.if_dropped
            .store(u64::from(st.if_dropped), Ordering::Relaxed);
    }
}

#[allow(clippy::too_many_arguments)]
fn run_live(
    cap: &mut Capture<Active>,
    link: LinkType,
    opts: &LiveOptions,
    tx: &std::sync::mpsc::SyncSender<Captured>,
    c: &Counters,
    stop: &AtomicBool,
    mut save: Option<&mut pcap::Savefile>,
) -> Result<()> {
    let mut number = 0u64;
    let mut last_stats = Instant::now();
    let mut failed = None;
    while !stop.load(Ordering::Relaxed) {
        if last_stats.elapsed() > Duration::from_millis(500) {
            update_stats(cap, c);
            last_stats = Instant::now();
        }
        match cap.next_packet() {
            Ok(p) => {
                number += 1;
                c.packets.fetch_add(1, Ordering::Relaxed);
                c.bytes
                    .fetch_add(u64::from(p.header.len), Ordering::Relaxed);
                if let Some(s) = save.as_deref_mut() {
                    s.write(&p);
                }
                let decoded = decode(link, p.data, p.header.len, &opts.decode);
                let item = Captured {
                    number,
                    ts: ts_of(p.header, true),
                    wire_len: p.header.len,
                    data: p.data.to_vec(),
                    decoded,
                };
                match tx.try_send(item) {
                    Ok(()) => {}
                    Err(TrySendError::Full(_)) => {
                        c.our_dropped.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(TrySendError::Disconnected(_)) => break,
                }
                if opts.count.is_some_and(|n| number >= n) {
                    break;
                }
            }
            Err(pcap::Error::TimeoutExpired) => {}
            // On a live handle, "no more packets" only comes from pcap_breakloop().
            Err(pcap::Error::NoMorePackets) => break,
            Err(_) if stop.load(Ordering::SeqCst) => break,
            Err(e) => {
                // The -w file is still finished below, on this path too.
                failed = Some(Error::Pcap {
                    target: where_(opts),
                    reason: e.to_string(),
                });
                break;
            }
        }
    }
    update_stats(cap, c);
    // The -w file is complete only once flushed: a failure to flush is an error.
    if let Some(s) = save {
        s.flush().map_err(|e| Error::File {
            path: opts.write.clone().unwrap_or_default(),
            reason: format!("flushing the capture file: {e}"),
        })?;
    }
    failed.map_or(Ok(()), Err)
}

/// A pcap or pcapng file being read.
pub struct FileSource {
    cap: Capture<Offline>,
    pub linktype: LinkType,
    path: PathBuf,
}

impl FileSource {
    /// Opens a pcap or pcapng file, with an optional BPF filter.
    pub fn open(path: &Path, filter: &str) -> Result<FileSource> {
        let mut cap =
            Capture::from_file_with_precision(path, Precision::Nano).map_err(|e| Error::File {
                path: path.to_owned(),
                reason: e.to_string(),
            })?;
        if !filter.trim().is_empty() {
            cap.filter(filter, true).map_err(|e| Error::Filter {
                filter: filter.to_owned(),
                reason: e.to_string(),
            })?;
        }
        let linktype = LinkType::from_linktype(cap.get_datalink().0);
        Ok(FileSource {
            cap,
            linktype,
            path: path.to_owned(),
        })
    }

    /// The file's link-type number (for writing a file of the same type).
    pub fn link_number(&self) -> i32 {
        self.cap.get_datalink().0
    }

    /// Calls `f(ts, data, wire_len)` for each record, without copying it.
    pub fn for_each(&mut self, mut f: impl FnMut(Timestamp, &[u8], u32) -> bool) -> Result<()> {
        loop {
            match self.cap.next_packet() {
                Ok(p) => {
                    if !f(ts_of(p.header, true), p.data, p.header.len) {
                        return Ok(());
                    }
                }
                Err(pcap::Error::NoMorePackets) => return Ok(()),
                Err(e) => {
                    return Err(Error::File {
                        path: self.path.clone(),
                        reason: e.to_string(),
                    })
                }
            }
        }
    }
}

/// Writes frames to a pcap file readable by tcpdump and Wireshark.
pub struct PcapWriter {
    save: pcap::Savefile,
    path: PathBuf,
}

impl PcapWriter {
    pub fn create(path: &Path, link: i32) -> Result<PcapWriter> {
        let err = |e: pcap::Error| Error::File {
            path: path.to_owned(),
            reason: e.to_string(),
        };
        let dead = Capture::dead_with_precision(Linktype(link), Precision::Nano).map_err(err)?;
        let save = dead.savefile(path).map_err(err)?;
        Ok(PcapWriter {
            save,
            path: path.to_owned(),
        })
    }

    pub fn write(&mut self, ts: Timestamp, data: &[u8], wire_len: u32) {
        let header = PacketHeader {
            ts: libc_timeval(ts),
            caplen: u32::try_from(data.len()).unwrap_or(u32::MAX),
            len: wire_len,
        };
        self.save.write(&Packet::new(&header, data));
    }

    pub fn finish(mut self) -> Result<()> {
        self.save.flush().map_err(|e| Error::File {
            path: self.path.clone(),
            reason: e.to_string(),
        })
    }
}

/// The header's timeval: with nanosecond precision its second field holds nanoseconds.
fn libc_timeval(ts: Timestamp) -> libc::timeval {
    libc::timeval {
        tv_sec: ts.secs,
        tv_usec: i64::from(ts.nanos),
    }
}

/// Compiles a filter for a link type without capturing: the TUI shows errors inline.
pub fn check_filter(link: i32, filter: &str) -> std::result::Result<(), String> {
    if filter.trim().is_empty() {
        return Ok(());
    }
    let dead = Capture::dead(Linktype(link)).map_err(|e| e.to_string())?;
    dead.compile(filter, true)
        .map(|_| ())
        .map_err(|e| e.to_string())
}
