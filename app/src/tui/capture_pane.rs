//! The capture pane: a live capture on one link, its packets in a bounded ring, a filter
//! prompt with inline BPF errors, pause/follow, a layer tree and hex dump, save to pcap.

use std::collections::VecDeque;
use std::path::PathBuf;

use capture::decode::DecodeOptions;
use capture::source::{Captured, CounterValues, Live, LiveOptions, PcapWriter};
use capture::summary::summary;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use netstate::NetnsInfo;

/// Packets kept for scrolling back; older ones are dropped from the ring (and counted).
pub const DEFAULT_RING: usize = 10_000;
/// Bytes of packet data kept at most, whatever the count.
pub const RING_BYTES: usize = 64 << 20;

#[allow(clippy::struct_excessive_bools, reason = "independent pane toggles")]
pub struct CapturePane {
    pub iface: String,
    pub netns: NetnsInfo,
    pub filter: String,
    pub editing_filter: bool,
    /// The filter being typed (applied on Enter if it compiles).
    pub filter_input: String,
    pub filter_error: Option<String>,
    live: Option<Live>,
    link_number: i32,
    pub packets: VecDeque<Captured>,
    /// One display line per packet in `packets`.
    pub lines: VecDeque<String>,
    ring_bytes: usize,
    pub ring_capacity: usize,
    /// Packets pushed out of the ring by newer ones.
    pub ring_evicted: u64,
    pub selected: Option<usize>,
    pub offset: usize,
    pub follow: bool,
    pub paused: bool,
    pub detail: bool,
    pub layer: usize,
    pub counters: CounterValues,
    pub message: Option<String>,
    pub page: usize,
    pub closed: bool,
    /// Promiscuous mode of the capture (`P` toggles it and restarts the capture).
    pub promisc: bool,
}

impl CapturePane {
    /// Starts capturing on `iface` in `netns`.
    pub fn start(iface: &str, netns: &NetnsInfo, ring_capacity: usize) -> CapturePane {
        let mut p = CapturePane::from_packets(iface, netns, Vec::new());
        p.ring_capacity = ring_capacity.max(1);
        p.restart();
        p
    }

    /// A pane over packets already captured, with no live capture (tests, file viewing).
    pub fn from_packets(iface: &str, netns: &NetnsInfo, packets: Vec<Captured>) -> CapturePane {
        let mut p = CapturePane {
            iface: iface.to_owned(),
            netns: netns.clone(),
            filter: String::new(),
            editing_filter: false,
            filter_input: String::new(),
            filter_error: None,
            live: None,
            link_number: 1,
            packets: VecDeque::new(),
            lines: VecDeque::new(),
            ring_bytes: 0,
            ring_capacity: DEFAULT_RING,
            ring_evicted: 0,
            selected: None,
            offset: 0,
            follow: true,
            paused: false,
            detail: false,
            layer: 0,
            counters: CounterValues::default(),
            message: None,
            page: 20,
            closed: false,
            promisc: true,
        };
        for c in packets {
            p.counters.packets += 1;
            p.counters.bytes += u64::from(c.wire_len);
            p.push(c);
        }
        p
    }

    fn restart(&mut self) {
        if let Some(mut l) = self.live.take() {
            let _ = l.stop();
        }
        match Live::start(LiveOptions {
            iface: self.iface.clone(),
            netns: Some(self.netns.clone()),
            filter: self.filter.clone(),
            promisc: self.promisc,
            channel: 8192,
            decode: DecodeOptions::default(),
            ..LiveOptions::default()
        }) {
            Ok(l) => {
                self.link_number = l.link_number;
                self.live = Some(l);
                self.message = None;
            }
            Err(e) => self.message = Some(format!("capture not running: {e}")),
        }
    }

    /// Moves packets from the capture channel into the ring. Returns whether anything changed.
    pub fn drain(&mut self) -> bool {
        let Some(live) = &self.live else { return false };
        let before = self.counters;
        self.counters = live.counters.values();
        // Bounded work per tick keeps the UI responsive during a flood; the channel is
        // bounded too, so what we cannot take is dropped and counted by the capture thread.
        // Paused: nothing is taken, so what does not fit in the channel is dropped by the
        // capture thread and counted as ours, never thrown away silently.
        if self.paused {
            return before != self.counters;
        }
        let batch: Vec<Captured> = live.rx.try_iter().take(20_000).collect();
        let got = !batch.is_empty();
        for c in batch {
            self.push(c);
        }
        got || before != self.counters
    }

    pub(crate) fn push(&mut self, c: Captured) {
        let line = summary(&c.decoded, Some(c.ts), false).replace('\n', "  ▸ ");
        self.ring_bytes += c.data.len();
        self.packets.push_back(c);
        self.lines.push_back(line);
        while self.packets.len() > self.ring_capacity
            || (self.ring_bytes > RING_BYTES && self.packets.len() > 1)
        {
            if let Some(old) = self.packets.pop_front() {
                self.ring_bytes -= old.data.len();
                self.lines.pop_front();
                self.ring_evicted += 1;
                self.selected = self.selected.and_then(|s| s.checked_sub(1));
                self.offset = self.offset.saturating_sub(1);
            }
        }
        if self.follow {
            self.selected = Some(self.packets.len() - 1);
            self.offset = self.packets.len().saturating_sub(self.page);
        }
    }

    fn move_sel(&mut self, delta: isize) {
        let n = self.packets.len();
        if n == 0 {
            return;
        }
        self.follow = false;
        let s = self
            .selected
            .unwrap_or(n - 1)
            .saturating_add_signed(delta)
            .min(n - 1);
        self.selected = Some(s);
        if s < self.offset {
            self.offset = s;
        } else if s >= self.offset + self.page {
            self.offset = s + 1 - self.page;
        }
        self.layer = 0;
    }

    /// Saves the packets in the ring to a pcap file in the current directory.
    fn save(&mut self) {
        let path = PathBuf::from(format!(
            "netlens-{}-{}.pcap",
            self.iface.replace(['/', ' '], "_"),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        ));
        let r = PcapWriter::create(&path, self.link_number).and_then(|mut w| {
            for c in &self.packets {
                w.write(c.ts, &c.data, c.wire_len);
            }
            w.finish()
        });
        self.message = Some(match r {
            Ok(()) => format!("saved {} packets to {}", self.packets.len(), path.display()),
            Err(e) => format!("save failed: {e}"),
        });
    }

    /// Handles a key; returns whether the screen changed.
    pub fn on_key(&mut self, k: KeyEvent, check: impl Fn(i32, &str) -> Result<(), String>) -> bool {
        if self.editing_filter {
            match k.code {
                KeyCode::Enter => match check(self.link_number, &self.filter_input) {
                    Ok(()) => {
                        self.editing_filter = false;
                        self.filter_error = None;
                        self.filter = self.filter_input.clone();
                        self.restart();
                    }
                    Err(e) => self.filter_error = Some(e),
                },
                KeyCode::Esc => {
                    self.editing_filter = false;
                    self.filter_error = None;
                }
                KeyCode::Backspace => {
                    self.filter_input.pop();
                    self.filter_error = None;
                }
                KeyCode::Char('u') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                    self.filter_input.clear();
                    self.filter_error = None;
                }
                KeyCode::Char(_) if k.modifiers.contains(KeyModifiers::CONTROL) => return false,
                KeyCode::Char(c) => {
                    self.filter_input.push(c);
                    self.filter_error = None;
                }
                _ => return false,
            }
            return true;
        }
        let page = isize::try_from(self.page).unwrap_or(20);
        match k.code {
            KeyCode::Char('q') | KeyCode::Esc if !self.detail => self.closed = true,
            KeyCode::Esc => self.detail = false,
            KeyCode::Char('/') => {
                self.editing_filter = true;
                self.filter_input = self.filter.clone();
            }
            KeyCode::Char('p') => self.paused = !self.paused,
            KeyCode::Char('P') => {
                self.promisc = !self.promisc;
                self.restart();
            }
            KeyCode::Char('f' | 'G') | KeyCode::End => {
                self.follow = true;
                if !self.packets.is_empty() {
                    self.selected = Some(self.packets.len() - 1);
                    self.offset = self.packets.len().saturating_sub(self.page);
                }
            }
            KeyCode::Char('j') | KeyCode::Down => self.move_sel(1),
            KeyCode::Char('k') | KeyCode::Up => self.move_sel(-1),
            KeyCode::PageDown => self.move_sel(page),
            KeyCode::PageUp => self.move_sel(-page),
            KeyCode::Char('g') | KeyCode::Home => self.move_sel(isize::MIN / 2),
            KeyCode::Enter => self.detail = !self.detail,
            KeyCode::Tab | KeyCode::Char(']') => {
                let n = self.current().map_or(0, |c| c.decoded.layers.len());
                if n > 0 {
                    self.layer = (self.layer + 1) % n;
                }
            }
            KeyCode::BackTab | KeyCode::Char('[') => {
                let n = self.current().map_or(0, |c| c.decoded.layers.len());
                if n > 0 {
                    self.layer = (self.layer + n - 1) % n;
                }
            }
            KeyCode::Char('w') => self.save(),
            _ => return false,
        }
        true
    }

    pub fn current(&self) -> Option<&Captured> {
        self.selected.and_then(|s| self.packets.get(s))
    }

    /// The counters of the pane, in a line.
    pub fn counters_line(&self) -> String {
        let c = &self.counters;
        let mut s = format!(
            "{} packets {} bytes · dropped: kernel {} interface {} netlens {} · ring {}/{}",
            c.packets,
            c.bytes,
            c.kernel_dropped,
            c.if_dropped,
            c.our_dropped,
            self.packets.len(),
            self.ring_capacity
        );
        if !self.promisc {
            s.push_str(" · not promiscuous");
        }
        if self.paused {
            s.push_str(" · PAUSED");
        } else if self.follow {
            s.push_str(" · following");
        }
        s
    }

    /// The status line: the latest message first (so a narrow terminal still shows it),
    /// then where the capture runs and its counters.
    pub fn status(&self) -> String {
        let place = format!("{} in {}", self.iface, self.netns.name);
        match &self.message {
            Some(m) => format!("{m} · {place} · {}", self.counters_line()),
            None => format!("{place} · {}", self.counters_line()),
        }
    }
}

impl Drop for CapturePane {
    fn drop(&mut self) {
        if let Some(mut l) = self.live.take() {
            let _ = l.stop();
        }
    }
}
