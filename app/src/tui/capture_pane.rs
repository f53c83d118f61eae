//! The capture pane's state: the packets of a capture on one link in a bounded ring, a
//! filter prompt with inline BPF errors, pause/follow, a layer tree and hex dump. The
//! capture itself runs in the loop (an effect); its packets arrive as events.

use std::collections::VecDeque;

use capture::source::{Captured, CounterValues};
use capture::summary::summary;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use netstate::NetnsInfo;

use super::event::{Effect, PaneKey as Key};

/// Packets kept for scrolling back; older ones are dropped from the ring (and counted).
pub const DEFAULT_RING: usize = 10_000;
/// The kernel ring a pane's capture starts with, in MiB, and the most it grows to.
pub const RING_MIB_START: u32 = 4;
pub const RING_MIB_MAX: u32 = 64;

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
    /// The capture's generation: packets of an older capture (before a restart) are ignored.
    pub gen: u64,
    /// Whether the capture is running (its start was reported).
    pub running: bool,
    pub link_number: i32,
    pub packets: VecDeque<Captured>,
    /// One display line per packet in `packets`.
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
    /// Promiscuous mode of the capture (`P` toggles it and restarts the capture).
    pub promisc: bool,
    /// Packets that arrived while paused (not kept, counted with netlens's drops).
    pub paused_dropped: u64,
    /// How the capture decodes (its VXLAN ports).
    pub decode: capture::decode::DecodeOptions,
    /// The kernel ring in MiB: small at first (a pane on an idle link costs little),
    /// doubled up to [`RING_MIB_MAX`] when the kernel reports drops.
    pub buffer_mib: u32,
    /// The display filter (on decoded fields; what is shown of what was captured).
    pub display: Option<capture::display::DisplayFilter>,
    /// With a display filter: the sequence numbers (`ring_evicted` + index at arrival) of
    /// the packets it lets through, oldest first.
    shown: VecDeque<u64>,
    /// The prompt being typed: `Some(Prompt::Display)` or `Some(Prompt::Save)`.
    pub prompt: Option<Prompt>,
    pub prompt_input: String,
    pub prompt_error: Option<String>,
}

/// What the pane's second prompt asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    /// A display filter.
    Display,
    /// Where to save the packets shown (empty: netlens-IFACE-TIME.pcap here).
    Save,
}

impl CapturePane {
    /// A pane for a capture on `iface` in `netns` that is about to start as `gen`.
    pub fn new(iface: &str, netns: &NetnsInfo, ring_capacity: usize, gen: u64) -> CapturePane {
        let mut p = CapturePane::from_packets(iface, netns, Vec::new());
        p.ring_capacity = ring_capacity.max(1);
        p.gen = gen;
        p.message = Some("starting the capture…".into());
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
            gen: 0,
            running: false,
            link_number: 1,
            packets: VecDeque::new(),

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
            promisc: true,
            paused_dropped: 0,
            decode: capture::decode::DecodeOptions::default(),
            buffer_mib: RING_MIB_START,
            display: None,
            shown: VecDeque::new(),
            prompt: None,
            prompt_input: String::new(),
            prompt_error: None,
        };
        for c in packets {
            p.counters.packets += 1;
            p.counters.bytes += u64::from(c.wire_len);
            p.push(c);
        }
        p
    }

    /// What starts this pane's capture again (new filter or promiscuity) as `gen`.
    pub fn restart(&mut self, gen: u64) -> Effect {
        self.gen = gen;
        self.running = false;
        self.message = Some("restarting the capture…".into());
        Effect::StartCapture {
            gen,
            iface: self.iface.clone(),
            netns: self.netns.clone(),
            filter: self.filter.clone(),
            promisc: self.promisc,
            decode: self.decode.clone(),
            buffer_mib: self.buffer_mib,
        }
    }

    /// Takes a batch of packets from the capture. Paused, the packets are counted as
    /// dropped by netlens, never thrown away silently.
    pub fn take(&mut self, packets: Vec<Captured>, counters: CounterValues) {
        self.counters = counters;
        if self.paused {
            self.paused_dropped += packets.len() as u64;
            return;
        }
        for c in packets {
            self.push(c);
        }
    }

    pub(crate) fn push(&mut self, mut c: Captured) {
        let seq = self.ring_evicted + self.packets.len() as u64;
        if self.display.as_ref().is_some_and(|f| f.matches(&c.decoded)) {
            self.shown.push_back(seq);
        }
        // The ring keeps the bytes only: summaries and layers are decoded again for what
        // is on screen (a few dozen packets), so a packet costs its bytes and a small
        // record, not its layers and text.
        c.decoded = capture::decode::Decoded::default();
        c.data.shrink_to_fit();
        self.ring_bytes += c.data.len();
        self.packets.push_back(c);
        while self.packets.len() > self.ring_capacity
            || (self.ring_bytes > RING_BYTES && self.packets.len() > 1)
        {
            if let Some(old) = self.packets.pop_front() {
                self.ring_bytes -= old.data.len();
                self.ring_evicted += 1;
                // Positions are in the view: they move when a shown packet leaves.
                let left_view = if self.display.is_none() {
                    true
                } else {
                    let gone = self.shown.front().is_some_and(|s| *s < self.ring_evicted);
                    if gone {
                        self.shown.pop_front();
                    }
                    gone
                };
                if left_view {
                    self.selected = self.selected.and_then(|s| s.checked_sub(1));
                    self.offset = self.offset.saturating_sub(1);
                }
            }
        }
        if self.follow {
            self.selected = self.view_len().checked_sub(1);
        }
    }

    /// How many packets the view shows (all, or those the display filter lets through).
    pub fn view_len(&self) -> usize {
        match self.display {
            None => self.packets.len(),
            Some(_) => self.shown.len(),
        }
    }

    /// The ring index of the packet at view position `pos`.
    pub fn packet_at(&self, pos: usize) -> Option<usize> {
        match self.display {
            None => (pos < self.packets.len()).then_some(pos),
            Some(_) => self
                .shown
                .get(pos)
                .and_then(|s| usize::try_from(s.checked_sub(self.ring_evicted)?).ok()),
        }
    }

    /// Sets (or clears) the display filter and rebuilds the view from the ring.
    pub fn set_display(&mut self, f: Option<capture::display::DisplayFilter>) {
        self.display = f;
        self.shown.clear();
        if let Some(f) = &self.display {
            for (i, c) in self.packets.iter().enumerate() {
                if f.matches(&self.decoded(c)) {
                    self.shown.push_back(self.ring_evicted + i as u64);
                }
            }
        }
        self.follow = true;
        self.offset = 0;
        self.selected = self.view_len().checked_sub(1);
        self.layer = 0;
    }

    fn move_sel(&mut self, delta: isize, page: usize) {
        let n = self.view_len();
        if n == 0 {
            return;
        }
        self.offset = self.view_offset(page);
        self.follow = false;
        let s = self
            .selected
            .unwrap_or(n - 1)
            .saturating_add_signed(delta)
            .min(n - 1);
        self.selected = Some(s);
        if s < self.offset {
            self.offset = s;
        } else if s >= self.offset + page.max(1) {
            self.offset = s + 1 - page.max(1);
        }
        self.layer = 0;
    }

    /// What saves the packets shown (the whole ring without a display filter) to `path`,
    /// or to `netlens-IFACE-TIME.pcap` in the working directory.
    fn save(&mut self, path: Option<std::path::PathBuf>) -> Effect {
        let packets: Vec<Captured> = (0..self.view_len())
            .filter_map(|p| self.packet_at(p))
            .filter_map(|i| self.packets.get(i).cloned())
            .collect();
        self.message = Some(format!("saving {} packets…", packets.len()));
        Effect::SavePcap {
            iface: self.iface.clone(),
            path,
            link: self.link_number,
            packets,
        }
    }

    /// Handles a key (`page`: list lines on screen; `next_gen`: the generation a restarted
    /// capture takes).
    pub fn on_key(
        &mut self,
        k: KeyEvent,
        page: usize,
        next_gen: u64,
        check: impl Fn(i32, &str) -> Result<(), String>,
    ) -> Key {
        if self.prompt.is_some() {
            return self.on_prompt_key(k);
        }
        if self.editing_filter {
            match k.code {
                KeyCode::Enter => match check(self.link_number, &self.filter_input) {
                    Ok(()) => {
                        self.editing_filter = false;
                        self.filter_error = None;
                        self.filter = self.filter_input.clone();
                        return Key::Effect(Box::new(self.restart(next_gen)));
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
                KeyCode::Char(_) if k.modifiers.contains(KeyModifiers::CONTROL) => {
                    return Key::Unused
                }
                KeyCode::Char(c) => {
                    self.filter_input.push(c);
                    self.filter_error = None;
                }
                _ => return Key::Unused,
            }
            return Key::Changed;
        }
        let rows = page;
        let page = isize::try_from(page).unwrap_or(20).max(1);
        match k.code {
            KeyCode::Char('q') | KeyCode::Esc if !self.detail => return Key::Close,
            KeyCode::Esc => self.detail = false,
            KeyCode::Char('/') => {
                self.editing_filter = true;
                self.filter_input = self.filter.clone();
            }
            KeyCode::Char('p') => self.paused = !self.paused,
            KeyCode::Char('P') => {
                self.promisc = !self.promisc;
                return Key::Effect(Box::new(self.restart(next_gen)));
            }
            KeyCode::Char('f' | 'G') | KeyCode::End => {
                self.follow = true;
                self.selected = self.view_len().checked_sub(1);
            }
            KeyCode::Char('d') => {
                self.prompt = Some(Prompt::Display);
                self.prompt_input = self
                    .display
                    .as_ref()
                    .map(|f| f.text().to_owned())
                    .unwrap_or_default();
                self.prompt_error = None;
            }
            KeyCode::Char('j') | KeyCode::Down => self.move_sel(1, rows),
            KeyCode::Char('k') | KeyCode::Up => self.move_sel(-1, rows),
            KeyCode::PageDown | KeyCode::Char(' ') => self.move_sel(page, rows),
            KeyCode::PageUp => self.move_sel(-page, rows),
            KeyCode::Char('g') | KeyCode::Home => self.move_sel(isize::MIN / 2, rows),
            KeyCode::Enter => self.detail = !self.detail,
            KeyCode::Tab | KeyCode::Char(']') => {
                let n = self.current().map_or(0, |c| self.decoded(c).layers.len());
                if n > 0 {
                    self.layer = (self.layer + 1) % n;
                }
            }
            KeyCode::BackTab | KeyCode::Char('[') => {
                let n = self.current().map_or(0, |c| self.decoded(c).layers.len());
                if n > 0 {
                    self.layer = (self.layer + n - 1) % n;
                }
            }
            KeyCode::Char('w') => {
                self.prompt = Some(Prompt::Save);
                self.prompt_input.clear();
                self.prompt_error = None;
            }
            _ => return Key::Unused,
        }
        Key::Changed
    }

    /// The first view position shown in a list `page` lines high.
    pub fn view_offset(&self, page: usize) -> usize {
        if self.follow {
            self.view_len().saturating_sub(page)
        } else {
            self.offset
        }
    }

    /// The packet's layers, decoded again from its bytes (the ring keeps bytes only).
    pub fn decoded(&self, c: &Captured) -> capture::decode::Decoded {
        capture::decode::decode(
            capture::decode::LinkType::from_linktype(self.link_number),
            &c.data,
            c.wire_len,
            &self.decode,
        )
    }

    /// The summary line of ring packet `i`, as the list shows it.
    pub fn line(&self, i: usize) -> Option<String> {
        let c = self.packets.get(i)?;
        Some(summary(&self.decoded(c), Some(c.ts), false).replace('\n', "  ▸ "))
    }

    pub fn current(&self) -> Option<&Captured> {
        self.selected
            .and_then(|s| self.packet_at(s))
            .and_then(|i| self.packets.get(i))
    }

    /// The keys of the second prompt (display filter, save path).
    fn on_prompt_key(&mut self, k: KeyEvent) -> Key {
        match k.code {
            KeyCode::Esc => {
                self.prompt = None;
                self.prompt_error = None;
            }
            KeyCode::Backspace => {
                self.prompt_input.pop();
                self.prompt_error = None;
            }
            KeyCode::Char('u') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                self.prompt_input.clear();
            }
            KeyCode::Char(_) if k.modifiers.contains(KeyModifiers::CONTROL) => return Key::Unused,
            KeyCode::Char(c) => {
                self.prompt_input.push(c);
                self.prompt_error = None;
            }
            KeyCode::Enter => match self.prompt {
                Some(Prompt::Display) => {
                    let text = self.prompt_input.trim().to_owned();
                    if text.is_empty() {
                        self.set_display(None);
                        self.prompt = None;
                        self.message = Some("display filter cleared: every packet shown".into());
                    } else {
                        match capture::display::DisplayFilter::parse(&text) {
                            Ok(f) => {
                                self.set_display(Some(f));
                                self.prompt = None;
                                self.message = Some(format!(
                                    "display filter {text}: {} of {} packets kept",
                                    self.view_len(),
                                    self.packets.len()
                                ));
                            }
                            Err(e) => self.prompt_error = Some(e),
                        }
                    }
                }
                Some(Prompt::Save) => {
                    let path = self.prompt_input.trim().to_owned();
                    self.prompt = None;
                    return Key::Effect(Box::new(
                        self.save((!path.is_empty()).then(|| path.into())),
                    ));
                }
                None => {}
            },
            _ => return Key::Unused,
        }
        Key::Changed
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
            c.our_dropped + self.paused_dropped,
            self.packets.len(),
            self.ring_capacity
        );
        if self.display.is_some() {
            s = format!("{s} · shown {}", self.view_len());
        }
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
