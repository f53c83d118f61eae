//! The UI's state, and the pure functions that read it (layout, status lines). Only
//! [`super::update::update`] changes it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use netstate::inventory::{Inventory, NsEntry, NsStatus};
use netstate::NsId;
use ratatui::layout::{Constraint, Layout, Rect};
use widgets::{Row, RowId, Tab, Theme};

use super::action_form::ActionForm;
use super::capture_pane::CapturePane;

/// Least time between two rebuilds of the rows caused by kernel changes alone.
pub const REBUILD_EVERY: Duration = Duration::from_millis(250);

/// How long a changed row stays highlighted.
pub const HIGHLIGHT: Duration = Duration::from_millis(1500);

/// How long a message stays on the status line.
pub const MESSAGE_FOR: Duration = Duration::from_secs(6);

/// Below this width the namespace sidebar folds away unless it has the focus.
pub const SIDEBAR_FOLD_BELOW: u16 = 110;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Sidebar,
    Table,
}

/// Which help the `?` box shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelpFor {
    Tables,
    Capture,
    Form,
    Switcher,
    Plans,
    Report,
    Walk,
}

/// The namespace switcher: type to narrow, Enter to go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Switcher {
    pub input: String,
    pub selected: usize,
}

/// What the UI shows and where the cursor is.
#[allow(clippy::struct_excessive_bools, reason = "independent UI toggles")]
pub struct App {
    pub inv: Inventory,
    /// The namespace on screen, by identity (indices move as namespaces come and go).
    pub ns: Option<NsId>,
    pub tab: Tab,
    pub focus: Focus,
    pub filter: String,
    pub editing_filter: bool,
    /// The column sorted on and whether descending; `None`: the kernel's order.
    pub sort: Option<(usize, bool)>,
    pub selected: usize,
    pub offset: usize,
    /// Columns scrolled past sideways.
    pub hscroll: usize,
    pub detail: bool,
    /// The help box, and the line it is scrolled to.
    pub help: Option<(HelpFor, usize)>,
    pub switcher: Option<Switcher>,
    pub quit: bool,
    /// Rows of the current tab after filter and sort, rebuilt only when something changed.
    pub rows: Vec<Row>,
    /// Column widths of `rows`, from their content.
    pub widths: Vec<u16>,
    pub rows_dirty: bool,
    /// The kernel changed the namespace on screen: rows are rebuilt at most every
    /// [`REBUILD_EVERY`], so a busy host does not rebuild 100k rows per event batch.
    pub data_dirty: bool,
    pub last_rebuild: Option<Instant>,
    /// Rows changed recently, per namespace.
    pub recent: HashMap<NsId, HashMap<RowId, Instant>>,
    /// The terminal's size.
    pub size: (u16, u16),
    /// The time of the latest event: what highlights and timers are measured against.
    pub now: Instant,
    /// Namespace to open on once discovered.
    pub want_ns: Option<NsId>,
    /// The capture pane, when open.
    pub capture: Option<CapturePane>,
    /// The generation of the latest capture started (older captures' packets are ignored).
    pub capture_gen: u64,
    /// Packets kept by a capture pane.
    pub ring: usize,
    /// `--vxlan-port`: more UDP ports the capture pane decodes as VXLAN.
    pub vxlan_ports: Vec<u16>,
    /// The guided-action form, when open.
    pub form: Option<ActionForm>,
    /// The Plans view, when open.
    pub plans: Option<super::plans_pane::PlansPane>,
    /// The Doctor, Topology or Trace pane, when open.
    pub report: Option<super::report_pane::ReportPane>,
    /// The "trace to:" prompt, while typed.
    pub trace_input: Option<String>,
    /// What the kernel supports, once probed.
    pub kernel: Option<actions::KernelSupport>,
    /// A message for the status line, until it expires.
    pub message: Option<(String, Instant)>,
    /// How many discovery problems were already reported (each is said once).
    pub problems_told: usize,
    pub theme: Theme,
    /// The walkthrough side panel, when one runs.
    pub walk: Option<super::walk_pane::WalkPane>,
    /// How long a plan that moves the host's address waits for `y` (settings).
    pub confirm_secs: u64,
    /// Keys the settings bind: the key pressed → the built-in key it stands for.
    pub keymap: HashMap<char, char>,
    /// Bumped by every change: the loop redraws when it moved.
    pub version: u64,
}

impl App {
    pub fn new(want_ns: Option<NsId>) -> Self {
        App {
            inv: Inventory::default(),
            ns: None,
            tab: Tab::Links,
            focus: Focus::Table,
            filter: String::new(),
            editing_filter: false,
            sort: None,
            selected: 0,
            offset: 0,
            hscroll: 0,
            detail: false,
            help: None,
            switcher: None,
            quit: false,
            rows: Vec::new(),
            widths: Vec::new(),
            rows_dirty: true,
            data_dirty: false,
            last_rebuild: None,
            recent: HashMap::new(),
            size: (80, 24),
            now: Instant::now(),
            want_ns,
            capture: None,
            capture_gen: 0,
            ring: super::capture_pane::DEFAULT_RING,
            vxlan_ports: Vec::new(),
            form: None,
            plans: None,
            report: None,
            trace_input: None,
            kernel: None,
            message: None,
            problems_told: 0,
            theme: Theme::from_env(),
            walk: None,
            confirm_secs: super::action_form::CONFIRM_SECS,
            keymap: HashMap::new(),
            version: 0,
        }
    }

    /// The UI as the command line sets it up: the capture ring and the extra VXLAN ports.
    pub fn with_options(want_ns: Option<NsId>, ring: usize, vxlan_ports: Vec<u16>) -> Self {
        App {
            ring: ring.max(1),
            vxlan_ports,
            ..App::new(want_ns)
        }
    }

    /// The entry of the namespace on screen.
    pub fn current(&self) -> Option<&NsEntry> {
        self.ns.and_then(|id| self.inv.get(id))
    }

    pub fn ns_index(&self) -> Option<usize> {
        self.ns
            .and_then(|id| self.inv.namespaces.iter().position(|n| n.info.id == id))
    }

    /// Whether the row changed within [`HIGHLIGHT`] of `now`.
    pub fn is_recent(&self, row: &Row, now: Instant) -> bool {
        self.ns
            .and_then(|id| self.recent.get(&id))
            .and_then(|m| m.get(&row.id))
            .is_some_and(|t| now.saturating_duration_since(*t) < HIGHLIGHT)
    }

    /// The link of the selected row, on the Links tab.
    pub fn selected_link(&self) -> Option<&netstate::model::Link> {
        let i = self.rows.get(self.selected)?.id.link()?;
        self.current()?.state.links.get(&i)
    }

    /// Where each part of the screen goes.
    pub fn layout(&self) -> Areas {
        let area = Rect::new(0, 0, self.size.0, self.size.1);
        let [main, status] =
            Layout::vertical([Constraint::Min(3), Constraint::Length(2)]).areas(area);
        // The walkthrough panel takes the right two fifths (30 to 64 columns).
        let (main, walk) = if self.walk.is_some() {
            let w = (main.width * 2 / 5).clamp(30, 64).min(main.width / 2);
            let [m, p] =
                Layout::horizontal([Constraint::Min(10), Constraint::Length(w)]).areas(main);
            (m, Some(p))
        } else {
            (main, None)
        };
        let side_w = self.sidebar_width(main.width);
        let [side, right] =
            Layout::horizontal([Constraint::Length(side_w), Constraint::Min(10)]).areas(main);
        let [tabs, body] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(right);
        let (table, detail) = if self.detail {
            let [a, b] = Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)])
                .areas(body);
            (a, Some(b))
        } else {
            (body, None)
        };
        let capture_detail = self.capture.as_ref().is_some_and(|p| p.detail);
        let [_, cap_rest] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(body);
        let (packets, layers) = if capture_detail {
            let [a, b] = Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)])
                .areas(cap_rest);
            (a, Some(b))
        } else {
            (cap_rest, None)
        };
        Areas {
            area,
            side: (side_w > 0).then_some(side),
            tabs,
            body,
            table,
            detail,
            packets,
            layers,
            status,
            walk,
        }
    }

    /// The sidebar's width: as wide as the longest namespace name (within bounds), folded
    /// away on a narrow terminal unless it has the focus.
    fn sidebar_width(&self, width: u16) -> u16 {
        if width < SIDEBAR_FOLD_BELOW && self.focus != Focus::Sidebar {
            return 0;
        }
        let longest = self
            .inv
            .namespaces
            .iter()
            .map(|n| n.info.label().chars().count())
            .max()
            .unwrap_or(10);
        let w = u16::try_from(longest + 4).unwrap_or(u16::MAX).clamp(16, 32);
        w.min(width / 3)
    }

    /// Table rows that fit on screen.
    pub fn page(&self) -> usize {
        widgets::table::visible_rows(self.layout().table).max(1)
    }

    /// Packet lines that fit in the capture pane.
    pub fn capture_page(&self) -> usize {
        widgets::packets::visible(self.layout().packets).max(1)
    }

    /// A one-line status for the namespace on screen.
    pub fn ns_status(&self) -> String {
        match self.current() {
            None => "discovering namespaces…".into(),
            Some(e) => {
                let st = match &e.status {
                    NsStatus::Loading => "loading".to_owned(),
                    NsStatus::Live => "live".to_owned(),
                    NsStatus::Resyncing => "events lost: re-dumping".to_owned(),
                    NsStatus::Failed(m) => format!("NOT LIVE: {m}"),
                };
                let over = if e.overruns > 0 {
                    format!(" · {} overruns recovered", e.overruns)
                } else {
                    String::new()
                };
                format!("{} · {st}{over}", e.info.label())
            }
        }
    }

    /// The namespaces the switcher lists for its input, best match first: (index, label).
    pub fn switcher_matches(&self, input: &str) -> Vec<(usize, String)> {
        let mut v: Vec<(usize, usize, String)> = self
            .inv
            .namespaces
            .iter()
            .enumerate()
            .filter_map(|(i, n)| {
                let label = n.info.label();
                fuzzy(input, &label).map(|score| (score, i, label))
            })
            .collect();
        v.sort_by_key(|(score, i, _)| (*score, *i));
        v.into_iter().map(|(_, i, l)| (i, l)).collect()
    }
}

/// Whether every character of `needle` appears in `hay` in order (case-insensitive), and
/// how good the match is (lower is better: a substring beats a scattered match, an early
/// one a late one). `None` when it does not match.
pub fn fuzzy(needle: &str, hay: &str) -> Option<usize> {
    let n = needle.to_lowercase();
    let h = hay.to_lowercase();
    if n.is_empty() {
        return Some(0);
    }
    if let Some(p) = h.find(&n) {
        return Some(p);
    }
    let mut it = h.char_indices();
    let mut first = None;
    let mut last = 0;
    for c in n.chars() {
        let (p, _) = it.by_ref().find(|(_, x)| *x == c)?;
        first.get_or_insert(p);
        last = p;
    }
    Some(1000 + last - first.unwrap_or(0))
}

/// The screen's parts.
#[derive(Debug, Clone, Copy)]
pub struct Areas {
    pub area: Rect,
    pub side: Option<Rect>,
    pub tabs: Rect,
    pub body: Rect,
    pub table: Rect,
    pub detail: Option<Rect>,
    /// The capture pane's packet list and its layers/bytes panel.
    pub packets: Rect,
    pub layers: Option<Rect>,
    pub status: Rect,
    /// The walkthrough panel.
    pub walk: Option<Rect>,
}
