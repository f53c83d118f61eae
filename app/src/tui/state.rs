//! The UI state and how input and inventory updates change it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers, MouseEventKind};
use netstate::inventory::{Inventory, NsStatus, Update};
use netstate::Applied;
use netstate::NsId;
use widgets::rows::{cmp_cells, entry_key};
use widgets::{Row, Tab};

/// Least time between two rebuilds of the rows caused by kernel changes alone.
pub const REBUILD_EVERY: Duration = Duration::from_millis(250);

/// How long a changed row stays highlighted.
pub const HIGHLIGHT: Duration = Duration::from_millis(1500);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Sidebar,
    Table,
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
    pub sort_col: usize,
    pub sort_desc: bool,
    pub selected: usize,
    pub offset: usize,
    pub detail: bool,
    pub help: bool,
    pub quit: bool,
    /// Rows of the current tab after filter and sort, rebuilt only when something changed.
    pub rows: Vec<Row>,
    rows_dirty: bool,
    /// The kernel changed the namespace on screen: rows are rebuilt at most every
    /// [`REBUILD_EVERY`], so a busy host does not rebuild 100k rows per event batch.
    data_dirty: bool,
    last_rebuild: Option<Instant>,
    /// Row keys changed recently, per namespace.
    recent: HashMap<NsId, HashMap<u64, Instant>>,
    /// Visible table height, from the last render.
    pub page: usize,
    /// Namespace to open on once discovered.
    pub want_ns: Option<NsId>,
    /// The capture pane, when open.
    pub capture: Option<super::capture_pane::CapturePane>,
    /// Packets kept by a capture pane.
    pub ring: usize,
    /// The guided-action form, when open.
    pub form: Option<super::action_form::ActionForm>,
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
            sort_col: 0,
            sort_desc: false,
            selected: 0,
            offset: 0,
            detail: false,
            help: false,
            quit: false,
            rows: Vec::new(),
            rows_dirty: true,
            data_dirty: false,
            last_rebuild: None,
            recent: HashMap::new(),
            page: 20,
            want_ns,
            capture: None,
            ring: super::capture_pane::DEFAULT_RING,
            form: None,
        }
    }

    /// The entry of the namespace on screen.
    pub fn current(&self) -> Option<&netstate::inventory::NsEntry> {
        self.ns.and_then(|id| self.inv.get(id))
    }

    fn ns_index(&self) -> Option<usize> {
        self.ns
            .and_then(|id| self.inv.namespaces.iter().position(|n| n.info.id == id))
    }

    /// Applies an inventory update. Returns whether the screen needs redrawing.
    pub fn on_update(&mut self, u: Update, now: Instant) -> bool {
        let is_ns_list = matches!(u, Update::Namespaces(_));
        // Only the keys of what changed are kept (to highlight rows): no change is cloned.
        let recent = &mut self.recent;
        let touched = self.inv.apply_each(u, |info, a, _| {
            let (Applied::New(e) | Applied::Del(e)) = a;
            recent.entry(info.id).or_default().insert(entry_key(e), now);
        });
        if is_ns_list {
            if let Some(w) = self.want_ns {
                if self.inv.get(w).is_some() {
                    self.ns = Some(w);
                    self.want_ns = None;
                }
            }
            if self.ns.is_none_or(|id| self.inv.get(id).is_none()) && self.want_ns.is_none() {
                self.ns = self.inv.namespaces.first().map(|n| n.info.id);
            }
            self.rows_dirty = true;
            return true;
        }
        if touched.is_some() && touched == self.ns {
            self.data_dirty = true;
        }
        true
    }

    /// Whether kernel changes wait for the next row rebuild (the tick redraws for them).
    pub fn rows_pending(&self) -> bool {
        self.data_dirty
    }

    /// Whether the row changed within [`HIGHLIGHT`].
    pub fn is_recent(&self, row: &Row, now: Instant) -> bool {
        self.ns
            .and_then(|id| self.recent.get(&id))
            .and_then(|m| m.get(&row.key))
            .is_some_and(|t| now.duration_since(*t) < HIGHLIGHT)
    }

    /// Forgets expired highlights; returns whether any expired (the screen needs a redraw).
    pub fn expire(&mut self, now: Instant) -> bool {
        let mut any = false;
        for m in self.recent.values_mut() {
            let before = m.len();
            m.retain(|_, t| now.duration_since(*t) < HIGHLIGHT);
            any |= m.len() != before;
        }
        any
    }

    /// Rebuilds the visible rows if the data, tab, filter or sort changed, keeping the
    /// selection on the same object when it is still there.
    pub fn refresh_rows(&mut self) {
        let data_due = self.data_dirty
            && self
                .last_rebuild
                .is_none_or(|t| t.elapsed() >= REBUILD_EVERY);
        if !self.rows_dirty && !data_due {
            return;
        }
        self.rows_dirty = false;
        self.data_dirty = false;
        self.last_rebuild = Some(Instant::now());
        let keep = self.rows.get(self.selected).map(|r| r.key);
        let Some(entry) = self.current() else {
            self.rows.clear();
            return;
        };
        let needle = self.filter.to_lowercase();
        let mut rows: Vec<Row> = self
            .tab
            .rows(&entry.state, Some(&self.inv))
            .into_iter()
            .filter(|r| r.matches(&needle))
            .collect();
        let col = self.sort_col;
        if col > 0 || self.sort_desc {
            rows.sort_by(|a, b| {
                let o = cmp_cells(a.cell(col), b.cell(col));
                if self.sort_desc {
                    o.reverse()
                } else {
                    o
                }
            });
        }
        self.rows = rows;
        if let Some(k) = keep {
            if let Some(i) = self.rows.iter().position(|r| r.key == k) {
                self.selected = i;
            }
        }
        self.clamp();
    }

    fn clamp(&mut self) {
        let n = self.rows.len();
        if n == 0 {
            self.selected = 0;
            self.offset = 0;
            return;
        }
        self.selected = self.selected.min(n - 1);
        let page = self.page.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + page {
            self.offset = self.selected + 1 - page;
        }
        self.offset = self.offset.min(n.saturating_sub(1));
    }

    fn move_sel(&mut self, delta: isize) {
        let n = self.rows.len();
        if n == 0 {
            return;
        }
        self.selected = self.selected.saturating_add_signed(delta).min(n - 1);
        self.clamp();
    }

    fn set_tab(&mut self, t: Tab) {
        if t != self.tab {
            self.tab = t;
            self.selected = 0;
            self.offset = 0;
            self.sort_col = 0;
            self.sort_desc = false;
            self.rows.clear();
            self.rows_dirty = true;
        }
    }

    fn move_ns(&mut self, delta: isize) {
        let n = self.inv.namespaces.len();
        if n == 0 {
            return;
        }
        let i = self
            .ns_index()
            .unwrap_or(0)
            .saturating_add_signed(delta)
            .min(n - 1);
        let id = self.inv.namespaces[i].info.id;
        if Some(id) != self.ns {
            self.ns = Some(id);
            self.selected = 0;
            self.offset = 0;
            self.rows.clear();
            self.rows_dirty = true;
        }
    }

    /// Handles a terminal event. Returns whether the screen needs redrawing.
    pub fn on_event(&mut self, ev: &Event) -> bool {
        // Moves act on the rows as they are now, even if nothing was drawn since the change.
        self.refresh_rows();
        match ev {
            Event::Key(k) if k.kind != crossterm::event::KeyEventKind::Release => self.on_key(*k),
            Event::Mouse(m) => match m.kind {
                MouseEventKind::ScrollDown => {
                    self.move_sel(3);
                    true
                }
                MouseEventKind::ScrollUp => {
                    self.move_sel(-3);
                    true
                }
                _ => false,
            },
            Event::Resize(..) => true,
            _ => false,
        }
    }

    fn on_key(&mut self, k: KeyEvent) -> bool {
        if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c') {
            self.quit = true;
            return true;
        }
        if self.editing_filter {
            match k.code {
                KeyCode::Enter => self.editing_filter = false,
                KeyCode::Esc => {
                    self.editing_filter = false;
                    self.filter.clear();
                }
                KeyCode::Backspace => {
                    self.filter.pop();
                }
                KeyCode::Char('u') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                    self.filter.clear();
                }
                KeyCode::Char(_) if k.modifiers.contains(KeyModifiers::CONTROL) => return false,
                KeyCode::Char(c) => self.filter.push(c),
                _ => return false,
            }
            self.selected = 0;
            self.offset = 0;
            self.rows_dirty = true;
            return true;
        }
        if self.help {
            self.help = false;
            return true;
        }
        if self.form.is_some() {
            let plan = self.form_plan();
            if let Some(f) = self.form.as_mut() {
                let changed = f.on_key(k, plan);
                if f.closed {
                    self.form = None;
                }
                return changed;
            }
        }
        if let Some(p) = self.capture.as_mut() {
            if k.code == KeyCode::Char('?') && !p.editing_filter {
                self.help = true;
                return true;
            }
            let changed = p.on_key(k, capture::source::check_filter);
            if p.closed {
                self.capture = None;
            }
            return changed;
        }
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        let half = isize::try_from(self.page / 2).unwrap_or(10).max(1);
        let page = isize::try_from(self.page).unwrap_or(20).max(1);
        match k.code {
            KeyCode::Char('q') => self.quit = true,
            KeyCode::Char('?') => self.help = true,
            KeyCode::Esc => {
                if self.detail {
                    self.detail = false;
                } else if !self.filter.is_empty() {
                    self.filter.clear();
                    self.rows_dirty = true;
                }
            }
            KeyCode::Char('/') => {
                self.editing_filter = true;
                self.focus = Focus::Table;
            }
            KeyCode::Tab | KeyCode::Char(']') => {
                let i = Tab::ALL.iter().position(|t| *t == self.tab).unwrap_or(0);
                self.set_tab(Tab::ALL[(i + 1) % Tab::ALL.len()]);
            }
            KeyCode::BackTab | KeyCode::Char('[') => {
                let i = Tab::ALL.iter().position(|t| *t == self.tab).unwrap_or(0);
                self.set_tab(Tab::ALL[(i + Tab::ALL.len() - 1) % Tab::ALL.len()]);
            }
            KeyCode::Char(c @ '1'..='5') => {
                let i = usize::from(c as u8 - b'1');
                self.set_tab(Tab::ALL[i]);
            }
            KeyCode::Left | KeyCode::Char('h') => self.focus = Focus::Sidebar,
            KeyCode::Right | KeyCode::Char('l') => self.focus = Focus::Table,
            KeyCode::Char('J') => self.move_ns(1),
            KeyCode::Char('K') => self.move_ns(-1),
            KeyCode::Down | KeyCode::Char('j') if self.focus == Focus::Sidebar => self.move_ns(1),
            KeyCode::Up | KeyCode::Char('k') if self.focus == Focus::Sidebar => self.move_ns(-1),
            KeyCode::Down | KeyCode::Char('j') => self.move_sel(1),
            KeyCode::Up | KeyCode::Char('k') => self.move_sel(-1),
            KeyCode::Char('d') if ctrl => self.move_sel(half),
            KeyCode::Char('u') if ctrl => self.move_sel(-half),
            KeyCode::Char('f') if ctrl => self.move_sel(page),
            KeyCode::Char('b') if ctrl => self.move_sel(-page),
            KeyCode::PageDown | KeyCode::Char(' ') => self.move_sel(page),
            KeyCode::PageUp => self.move_sel(-page),
            KeyCode::Home | KeyCode::Char('g') => self.move_sel(isize::MIN / 2),
            KeyCode::End | KeyCode::Char('G') => self.move_sel(isize::MAX / 2),
            KeyCode::Enter => {
                if self.focus == Focus::Sidebar {
                    self.focus = Focus::Table;
                } else {
                    self.detail = !self.detail;
                }
            }
            KeyCode::Char('c') if self.tab == Tab::Links => self.open_capture(),
            KeyCode::Char('a') => self.open_form(),
            KeyCode::Char('s') => {
                self.sort_col = (self.sort_col + 1) % self.tab.headers().len();
                self.rows_dirty = true;
            }
            KeyCode::Char('S') => {
                self.sort_desc = !self.sort_desc;
                self.rows_dirty = true;
            }
            _ => return false,
        }
        true
    }

    /// Opens the capture pane on the selected link.
    fn open_capture(&mut self) {
        let Some(row) = self.rows.get(self.selected) else {
            return;
        };
        let iface = row.cell(1).to_owned();
        let Some(info) = self.current().map(|e| e.info.clone()) else {
            return;
        };
        self.capture = Some(super::capture_pane::CapturePane::start(
            &iface, &info, self.ring,
        ));
    }

    /// Opens the guided-action form, with the selected link as parent.
    fn open_form(&mut self) {
        let Some(info) = self.current().map(|e| e.info.clone()) else {
            return;
        };
        let parent = if self.tab == Tab::Links {
            self.rows
                .get(self.selected)
                .map(|r| r.cell(1).to_owned())
                .unwrap_or_default()
        } else {
            String::new()
        };
        self.form = Some(super::action_form::ActionForm::new(
            super::action_form::Kind::Shim,
            &info,
            &parent,
        ));
    }

    /// The form's plan against the live state of its namespace (and of attach's target).
    pub fn form_plan(&self) -> Result<actions::Plan, String> {
        let Some(f) = &self.form else {
            return Err("no form".into());
        };
        let Some(entry) = self.inv.get(f.netns.id) else {
            return Err("namespace gone".into());
        };
        let target = match f.kind {
            super::action_form::Kind::Attach => {
                let t = f.values.get(1).map_or("", |s| s.trim());
                self.inv
                    .namespaces
                    .iter()
                    .find(|n| n.info.name == t)
                    .map(|n| &n.state)
            }
            _ => None,
        };
        f.plan(&entry.state, target)
    }

    /// Polls the form's apply and confirm timer; returns whether the screen changed.
    pub fn poll_form(&mut self) -> bool {
        self.form
            .as_mut()
            .is_some_and(super::action_form::ActionForm::poll)
    }

    /// Moves captured packets into the pane; returns whether the screen changed.
    pub fn drain_capture(&mut self) -> bool {
        self.capture
            .as_mut()
            .is_some_and(super::capture_pane::CapturePane::drain)
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
}
