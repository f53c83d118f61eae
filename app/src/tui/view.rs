//! Draws the state: `render(&App, &mut Frame)` reads the state and draws it. No I/O, no
//! change to the state: what it needs (peer namespaces, kernel support, the form's
//! preview) was fetched by an effect and kept in the state.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState, Paragraph, Tabs};
use ratatui::Frame;

use netstate::inventory::NsStatus;
use widgets::detail;
use widgets::table::{self, TableView};
use widgets::Tab;

use super::state::{App, Focus, HelpFor};

/// The keys of the tables, for the help box: (keys, what they do).
pub const HELP_TABLES: &[(&str, &str)] = &[
    ("q, Ctrl-C", "quit (the terminal is restored)"),
    ("Ctrl-Z", "suspend to the shell (fg comes back)"),
    ("?", "this help (j/k scroll; any other key closes)"),
    (
        "Tab, Shift-Tab, [ ], 1-5",
        "Links, Addresses, Routes, Neighbours, FDB",
    ),
    ("j/k, ↓/↑, mouse wheel", "move the selection"),
    ("g/G, Home/End", "first / last row"),
    ("PgDn/PgUp, Space, Ctrl-f/b", "a page down / up"),
    ("Ctrl-d / Ctrl-u", "half a page down / up"),
    ("< / >", "scroll sideways to columns that do not fit"),
    ("Enter", "open / close the detail pane of the selected row"),
    ("/", "filter rows (Enter keeps it, Esc clears it)"),
    ("s / S", "sort by the next column (then none) / reverse"),
    ("n or :", "switch namespace: type part of its name, Enter"),
    ("J / K", "next / previous namespace"),
    ("h / l, ← / →", "focus the namespace sidebar / the table"),
    ("c", "capture packets on the selected link (Links tab)"),
    ("a", "guided actions: shim, vlan, vxlan, attach…"),
    ("P", "applied plans: preview and undo them"),
    ("D / T", "the doctor's findings / the L2 topology"),
    ("t", "trace: can this namespace reach an address? (type it)"),
    ("Esc", "close the detail pane, then clear the filter"),
];

const HELP_TABLES_NOTES: &[&str] = &[
    "Rows flash when the kernel changes them. STATE: green UP,",
    "grey DOWN (set down), yellow NO-CARRIER / LOWERLAYERDOWN.",
];

pub const HELP_CAPTURE: &[(&str, &str)] = &[
    ("q / Esc", "close the capture (Esc closes the layers first)"),
    ("/", "BPF capture filter (restarts the capture)"),
    (
        "d",
        "display filter on what was captured: ip.addr==X, vxlan.vni==N, arp, dns…",
    ),
    (
        "p",
        "pause / resume (paused packets are counted as dropped)",
    ),
    ("P", "promiscuous mode on / off (restarts the capture)"),
    ("f, G, End", "follow the newest packet"),
    ("j/k, ↓/↑", "select a packet (stops following)"),
    ("PgDn/PgUp, Space", "a page down / up"),
    ("g, Home", "the oldest packet kept"),
    ("Enter", "layers and bytes of the selected packet"),
    ("Tab / Shift-Tab, ] [", "next / previous layer"),
    (
        "w",
        "save the packets shown to a pcap (asks where; empty: netlens-IFACE-TIME.pcap here)",
    ),
];

pub const HELP_FORM: &[(&str, &str)] = &[
    ("Tab/Shift-Tab, ↓/↑", "next / previous field"),
    (
        "type, Backspace, Ctrl-u",
        "edit the field (Ctrl-u clears it)",
    ),
    ("PgDn / PgUp", "the next / previous action"),
    ("Enter", "apply the previewed plan (asks y/n first)"),
    ("y", "keep a plan applied under a confirm timer"),
    ("Esc", "close the form (nothing is applied)"),
    ("F1", "this help"),
];

pub const HELP_PLANS: &[(&str, &str)] = &[
    ("j/k, ↓/↑", "select a plan"),
    ("Enter", "preview its undo (checks what changed since)"),
    ("u, then y", "undo it, as `netlens plan undo ID --apply`"),
    ("r", "read the plan store again"),
    ("q / Esc", "close the Plans view"),
];

pub const HELP_REPORT: &[(&str, &str)] = &[
    (
        "j/k, ↓/↑, PgDn/PgUp",
        "move (long findings wrap; the pane scrolls)",
    ),
    (
        "Enter",
        "go to the link the item is about (Topology: fold a namespace)",
    ),
    (
        "a",
        "open the item's fix in the action form (preview, then y/n)",
    ),
    (
        "/",
        "filter by namespace or text (Enter keeps it, Esc clears it)",
    ),
    ("r", "run it again on the live model"),
    ("q / Esc", "close"),
];

pub const HELP_WALK: &[(&str, &str)] = &[
    ("n / p", "next / previous step (the tables follow it)"),
    (
        "Enter",
        "the step's plan in the action form: preview, then y/n",
    ),
    ("r", "run the step's checks again"),
    (
        "e",
        "export the step's plan: netlens-NAME-stepN.sh and its .undo, here",
    ),
    (
        "q",
        "leave: asks whether to remove the lab (y/n, Esc stays)",
    ),
    (":", "switch namespace (n steps here)"),
];

const HELP_WALK_NOTES: &[&str] = &[
    "The tables' keys work as usual beside the panel.",
    "✓ a check met its expectation, ✗ it did not, … it runs.",
    "A step with a capture check opens the capture pane on",
    "its interface (q closes the pane, then q leaves).",
];

pub const HELP_SWITCHER: &[(&str, &str)] = &[
    ("type", "narrow the namespaces (letters in order match)"),
    ("↓/↑, Tab", "move in the list"),
    ("Enter", "show the namespace"),
    ("Esc", "close"),
];

/// The short key line under the status, per context.
fn keys_line(app: &App) -> &'static str {
    if app.trace_input.is_some() {
        "type an address · Enter trace from the namespace on screen · Esc cancel"
    } else if app.switcher.is_some() {
        "type to narrow · ↓/↑ move · Enter show · Esc close"
    } else if app.editing_filter {
        "type to filter · Enter keep · Esc clear"
    } else if app.report.is_some() {
        "j/k move · Enter go to · a fix · / filter · r again · q close · ? help"
    } else if app.plans.is_some() {
        "j/k select · Enter preview undo · u undo · r reload · q close · ? help"
    } else if app.form.is_some() {
        "Tab/↑↓ field · type · Enter apply · PgUp/PgDn action · Esc close · F1 help"
    } else if let Some(p) = &app.capture {
        if p.editing_filter {
            "type a BPF filter · Enter apply (errors show inline) · Esc cancel"
        } else if app.walk.is_some() {
            "n/p step · ⏎ plan · e export · r check again · q close capture · / BPF · ? help"
        } else {
            "q close · / BPF · d display filter · p pause · Enter layers · w save · ? help"
        }
    } else if app.walk.is_some() {
        "n/p step · ⏎ plan · e export · r check again · q leave · ? help · : netns"
    } else {
        "q quit · ? help · 1-5 tabs · n netns · / filter · ⏎ detail · c capture · a act"
    }
}

/// Draws the whole screen.
pub fn render(app: &App, f: &mut Frame) {
    let a = app.layout();
    if let Some(side) = a.side {
        render_sidebar(f, side, app);
    }
    render_tabs(f, a.tabs, app);
    if let Some(r) = &app.report {
        render_report(f, a.body, app, r);
    } else if let Some(p) = &app.plans {
        render_plans(f, a.body, app, p);
    } else if app.form.is_some() {
        render_form(f, a.body, app);
    } else if app.capture.is_some() {
        render_capture(f, app);
    } else {
        render_table(f, a.table, app);
        if let Some(d) = a.detail {
            render_detail(f, d, app);
        }
    }
    if let (Some(area), Some(w)) = (a.walk, &app.walk) {
        render_walk(f, area, app, w);
    }
    render_status(f, a.status, app);
    if let Some(sw) = &app.switcher {
        render_switcher(f, a.area, app, sw);
    }
    if let Some((what, scroll)) = app.help {
        render_help(f, a.area, app, what, scroll);
    }
}

/// Rows a line takes when wrapped at word boundaries to `width` columns, as the
/// paragraph wraps it.
fn rows_of(l: &Line, width: usize) -> usize {
    let width = width.max(1);
    let (mut rows, mut col) = (1, 0);
    for word in l.to_string().split(' ') {
        let n = word.chars().count();
        let need = if col == 0 { n } else { col + 1 + n };
        if need <= width {
            col = need;
        } else if n <= width {
            rows += 1;
            col = n;
        } else {
            // A word longer than the row is broken across rows.
            rows += (col + 1 + n).div_ceil(width) - 1;
            col = (col + 1 + n) % width;
        }
    }
    rows
}

/// The walkthrough panel: a question (when it asks one), the step, its explanation, its
/// plan and its checks. When it does not fit, the checks' "why" lines go first, then the
/// explanation is cut: the checks always show.
fn render_walk(f: &mut Frame, area: Rect, app: &App, w: &super::walk_pane::WalkPane) {
    use super::walk_pane::{Ask, CheckState};
    use ratatui::widgets::Wrap;
    let t = &app.theme;
    let mut head: Vec<Line> = Vec::new();
    match w.ask {
        Some(Ask::Leave) => head.push(Line::from(Span::styled(
            format!(
                "Leave: remove lab {} (lab down)? y remove · n keep it · Esc stay",
                w.lab
            ),
            t.warn.add_modifier(Modifier::BOLD),
        ))),
        Some(Ask::Removing) => head.push(Line::from(Span::styled(
            format!("removing lab {}…", w.lab),
            t.warn,
        ))),
        None => {}
    }
    let mut explain: Vec<Line> = Vec::new();
    // (line, what may be done to it when room is short: 0 nothing, 1 left out (a check's
    // "why"), 2 cut to one row (a check and what it saw))
    let mut tail: Vec<(Line, u8)> = Vec::new();
    if let Some(s) = w.current() {
        head.push(Line::from(Span::styled(s.title.clone(), t.header)));
        for para in s.explain.trim().split("\n\n") {
            explain.push(Line::from(
                para.split_whitespace().collect::<Vec<_>>().join(" "),
            ));
        }
        if let (Some(plan), Some(node)) = (&s.plan, &s.node) {
            tail.push((Line::from(""), 0));
            let done = w.applied.get(w.step).copied().unwrap_or(false);
            tail.push((
                Line::from(vec![
                    Span::styled("Plan ", t.key),
                    Span::styled(
                        if done { "(applied) " } else { "(Enter) " },
                        if done { t.ok } else { t.dim },
                    ),
                    Span::raw(format!("in {node}: {plan}")),
                ]),
                0,
            ));
        }
        if !s.checks.is_empty() {
            tail.push((Line::from(""), 0));
            let (met, n) = w.tally();
            tail.push((
                Line::from(Span::styled(
                    format!("Checks ({met}/{n} as expected)"),
                    t.key,
                )),
                0,
            ));
        }
        // Before its plan is applied, a step's fix-dependent checks fail: not a surprise.
        let pending = s.plan.is_some() && !w.applied.get(w.step).copied().unwrap_or(false);
        for (c, r) in s.checks.iter().zip(&w.results) {
            let expect = match c.expect {
                crate::walkthrough::Expect::Pass => "should pass",
                crate::walkthrough::Expect::Fail => "should fail",
            };
            let (mark, style, saw) = match r {
                CheckState::Running => ("…", t.dim, "running".to_owned()),
                CheckState::Error(e) => ("!", t.error, e.clone()),
                CheckState::Done(o) => {
                    let verdict = if o.passed { "passes" } else { "fails" };
                    if r.met(c) == Some(true) {
                        ("✓", t.ok, format!("{verdict}: {}", o.saw))
                    } else if pending {
                        (
                            "·",
                            t.dim,
                            format!("{verdict} for now (Enter applies the plan): {}", o.saw),
                        )
                    } else {
                        (
                            "✗",
                            t.error,
                            format!("{verdict}, NOT as expected: {}", o.saw),
                        )
                    }
                }
            };
            tail.push((
                Line::from(vec![
                    Span::styled(format!("{mark} "), style),
                    Span::raw(format!("{} ({expect})", c.describe())),
                ]),
                2,
            ));
            tail.push((Line::from(Span::styled(format!("  {saw}"), t.dim)), 2));
            if !c.why.is_empty() && r.met(c).is_some() {
                tail.push((Line::from(Span::styled(format!("  {}", c.why), t.dim)), 1));
            }
        }
    }
    let width = usize::from(area.width.saturating_sub(2));
    let room = usize::from(area.height.saturating_sub(2));
    let height = |ls: &[Line]| ls.iter().map(|l| rows_of(l, width)).sum::<usize>();
    let fixed = height(&head) + 1;
    let tail_rows =
        |tail: &[(Line, u8)]| tail.iter().map(|(l, _)| rows_of(l, width)).sum::<usize>();
    if fixed + height(&explain) + tail_rows(&tail) > room {
        tail.retain(|(_, k)| *k != 1);
    }
    if fixed + 2 + tail_rows(&tail) > room {
        // Still too tall: each check and what it saw on one row.
        for (l, k) in &mut tail {
            if *k == 2 && l.width() > width {
                let text: String = l
                    .to_string()
                    .chars()
                    .take(width.saturating_sub(1))
                    .collect();
                let style = l.spans.last().map(|s| s.style).unwrap_or_default();
                *l = Line::from(Span::styled(format!("{text}…"), style));
            }
        }
    }
    let tail: Vec<Line> = tail.into_iter().map(|(l, _)| l).collect();
    let left = room.saturating_sub(fixed + height(&tail)).max(2);
    if height(&explain) > left {
        // Keep what fits of the explanation, by words, and say it was cut.
        let text = explain
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ");
        let mut cut = String::new();
        for word in text.split_whitespace() {
            let candidate = if cut.is_empty() {
                format!("{word} …")
            } else {
                format!("{cut} {word} …")
            };
            if rows_of(&Line::from(candidate), width) > left {
                break;
            }
            if !cut.is_empty() {
                cut.push(' ');
            }
            cut.push_str(word);
        }
        cut.push_str(" …");
        explain = vec![Line::from(cut)];
    }
    let mut lines = head;
    lines.push(Line::from(""));
    lines.extend(explain);
    lines.extend(tail);
    let title = format!(" {} · step {}/{} ", w.w.name, w.step + 1, w.w.steps.len());
    f.render_widget(Clear, area);
    f.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(t.focus_border)
                .title(title),
        ),
        area,
    );
}

fn render_table(f: &mut Frame, area: Rect, app: &App) {
    let empty = empty_message(app);
    let title = if app.filter.is_empty() && !app.editing_filter {
        format!(" {} ", app.tab.title())
    } else {
        format!(
            " {} · filter: {}{} ",
            app.tab.title(),
            app.filter,
            if app.editing_filter { "▏" } else { "" }
        )
    };
    let now = app.now;
    let recent = |r: &widgets::Row| app.is_recent(r, now);
    table::render(
        f,
        area,
        &TableView {
            title,
            cols: app.tab.columns(),
            natural: &app.widths,
            rows: &app.rows,
            selected: app.selected,
            offset: app.offset,
            sort: app.sort,
            focused: app.focus == Focus::Table,
            hscroll: app.hscroll,
            tone_col: (app.tab == Tab::Links)
                .then_some(3)
                .or((app.tab == Tab::Neighbours).then_some(3)),
            recent: &recent,
            empty_message: empty.as_deref(),
            theme: &app.theme,
        },
    );
}

fn empty_message(app: &App) -> Option<String> {
    let e = app.current()?;
    match &e.status {
        NsStatus::Failed(m) => Some(format!("Cannot read this namespace: {m}")),
        NsStatus::Loading => Some("Loading…".into()),
        _ if !app.filter.is_empty() => Some(format!(
            "No row matches the filter \"{}\" (Esc clears it)",
            app.filter
        )),
        _ => None,
    }
}

fn status_mark(s: &NsStatus, app: &App) -> (&'static str, Style) {
    match s {
        NsStatus::Live => ("●", app.theme.ok),
        NsStatus::Loading | NsStatus::Resyncing => ("◌", app.theme.warn),
        NsStatus::Failed(_) => ("✗", app.theme.error),
    }
}

fn render_sidebar(f: &mut Frame, area: Rect, app: &App) {
    let items: Vec<ListItem> = app
        .inv
        .namespaces
        .iter()
        .map(|n| {
            let (mark, style) = status_mark(&n.status, app);
            ListItem::new(Line::from(vec![
                Span::styled(format!("{mark} "), style),
                Span::raw(n.info.label()),
            ]))
        })
        .collect();
    let border = if app.focus == Focus::Sidebar {
        app.theme.focus_border
    } else {
        Style::default()
    };
    let mut title = format!(" Namespaces ({}) ", app.inv.namespaces.len());
    if !app.inv.problems.is_empty() {
        title = format!(
            " Namespaces ({}) ⚠ {} hidden ",
            app.inv.namespaces.len(),
            app.inv.problems.len()
        );
    }
    let list = List::new(items)
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(border)
                .title(title),
        )
        .highlight_style(app.theme.selected);
    let mut st = ListState::default().with_selected(app.ns_index());
    f.render_stateful_widget(list, area, &mut st);
}

fn render_tabs(f: &mut Frame, area: Rect, app: &App) {
    let titles: Vec<String> = Tab::ALL
        .iter()
        .enumerate()
        .map(|(i, t)| format!("{} {}", i + 1, t.title()))
        .collect();
    let sel = Tab::ALL.iter().position(|t| *t == app.tab).unwrap_or(0);
    let tabs = Tabs::new(titles)
        .select(sel)
        .padding("", " ")
        .divider("")
        .highlight_style(
            app.theme
                .focus_border
                .add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        );
    f.render_widget(tabs, area);
}

fn render_detail(f: &mut Frame, area: Rect, app: &App) {
    let Some(entry) = app.current() else { return };
    let Some(row) = app.rows.get(app.selected) else {
        detail::render(f, area, " Detail ", vec![Line::from("(no row selected)")]);
        return;
    };
    let lines = if let Some(l) = row.id.link().and_then(|i| entry.state.links.get(&i)) {
        detail::link_lines(l, &entry.state, Some((&app.inv, entry.info.id)))
    } else {
        let headers: Vec<&str> = app.tab.columns().iter().map(|c| c.title).collect();
        detail::row_lines(&headers, row)
    };
    detail::render(f, area, " Detail ", lines);
}

fn render_capture(f: &mut Frame, app: &App) {
    use widgets::packets;
    let Some(p) = app.capture.as_ref() else {
        return;
    };
    let a = app.layout();
    let [prompt, _] = Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(a.body);
    let prompt_line = if let Some(which) = p.prompt {
        let label = match which {
            super::capture_pane::Prompt::Display => "display filter> ",
            super::capture_pane::Prompt::Save => "save to (empty: netlens-IFACE-TIME.pcap)> ",
        };
        let mut spans = vec![
            Span::styled(label, app.theme.focus_border),
            Span::raw(format!("{}▏", p.prompt_input)),
        ];
        if let Some(e) = &p.prompt_error {
            spans.push(Span::styled(format!("  ✗ {e}"), app.theme.error));
        }
        Line::from(spans)
    } else if p.editing_filter {
        let mut spans = vec![
            Span::styled("BPF filter> ", app.theme.focus_border),
            Span::raw(format!("{}▏", p.filter_input)),
        ];
        if let Some(e) = &p.filter_error {
            spans.push(Span::styled(format!("  ✗ {e}"), app.theme.error));
        }
        Line::from(spans)
    } else {
        Line::from(Span::styled(
            format!(
                "BPF filter (what is captured): {} · display filter (what is shown): {}",
                if p.filter.is_empty() {
                    "(none)"
                } else {
                    &p.filter
                },
                p.display.as_ref().map_or("(none)", |f| f.text())
            ),
            app.theme.dim,
        ))
    };
    f.render_widget(Paragraph::new(prompt_line), prompt);
    let page = packets::visible(a.packets).max(1);
    let offset = p.view_offset(page);
    let lines: Vec<String> = (offset..offset + page)
        .filter_map(|pos| p.packet_at(pos))
        .filter_map(|i| p.line(i))
        .collect();
    let sel = p
        .selected
        .and_then(|s| s.checked_sub(offset))
        .filter(|&s| s < page);
    let title = format!(
        " Capture · {} in {} · {} ",
        p.iface,
        p.netns.name,
        p.counters_line()
    );
    packets::render_list(f, a.packets, &title, &lines, sel);
    if let (Some(d), Some(c)) = (a.layers, p.current()) {
        let decoded = p.decoded(c);
        // Side by side when the hex dump fits beside the tree, else one above the other.
        let [tree, hex] = if d.width >= 120 {
            Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(d)
        } else {
            Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(d)
        };
        let layer = p.layer.min(decoded.layers.len().saturating_sub(1));
        let hl = decoded.layers.get(layer).map_or(0..0, |l| l.range.clone());
        packets::render_lines(
            f,
            tree,
            " Layers (Tab: next) ",
            packets::tree_lines(&decoded, layer),
            0,
        );
        packets::render_lines(f, hex, " Bytes ", packets::hex_lines(&c.data, &hl), 0);
    }
}

fn render_report(f: &mut Frame, area: Rect, app: &App, r: &super::report_pane::ReportPane) {
    use super::report_pane::Tone;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.focus_border)
        .title(r.title());
    let inner = block.inner(area);
    f.render_widget(block, area);
    let shown = r.shown();
    let mut lines: Vec<Line> = Vec::new();
    if shown.is_empty() {
        lines.push(Line::from(Span::styled(
            format!("nothing matches /{} (Esc clears the filter)", r.filter),
            app.theme.dim,
        )));
    }
    for (i, wrapped) in r.layout(usize::from(inner.width), usize::from(inner.height)) {
        let tone = shown
            .get(i)
            .and_then(|n| r.items.get(*n))
            .map_or(Tone::Plain, |it| it.tone);
        let style = if i == r.selected {
            app.theme.selected
        } else {
            match tone {
                Tone::Error => app.theme.error,
                Tone::Warning => app.theme.warn,
                Tone::Heading => app.theme.header,
                Tone::Plain => Style::default(),
            }
        };
        lines.extend(
            wrapped
                .into_iter()
                .map(|t| Line::from(Span::styled(t, style))),
        );
    }
    f.render_widget(Paragraph::new(lines), inner);
}

fn render_plans(f: &mut Frame, area: Rect, app: &App, p: &super::plans_pane::PlansPane) {
    let [list, preview] =
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
    let items: Vec<ListItem> = if p.rows.is_empty() {
        vec![ListItem::new(match p.phase {
            super::plans_pane::Phase::Loading => "reading the plan store…",
            _ => "(no plan recorded: plans applied with netlens show here)",
        })]
    } else {
        p.rows
            .iter()
            .map(|r| {
                ListItem::new(Line::from(vec![
                    Span::styled(format!("{:<9} ", r.status), app.theme.key),
                    Span::raw(format!(
                        "{}  {}  {}  {}  {}",
                        r.id, r.netns, r.user, r.applied, r.title
                    )),
                ]))
            })
            .collect()
    };
    let mut st = ListState::default().with_selected((!p.rows.is_empty()).then_some(p.selected));
    f.render_stateful_widget(
        List::new(items)
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(app.theme.focus_border)
                    .title(" Plans (newest first) · Enter preview undo · u undo "),
            )
            .highlight_style(app.theme.selected),
        list,
        &mut st,
    );
    let mut lines: Vec<Line> = Vec::new();
    if let Some(m) = &p.message {
        lines.push(Line::from(Span::styled(m.clone(), app.theme.warn)));
    }
    if let Some(Ok(pv)) = &p.preview {
        for d in &pv.drift {
            lines.push(Line::from(Span::styled(
                format!("changed: {d}"),
                app.theme.error,
            )));
        }
        lines.push(Line::from(Span::styled(
            format!("# {}", pv.undo.title),
            app.theme.dim,
        )));
        lines.extend(pv.undo.commands().into_iter().map(Line::from));
    }
    f.render_widget(
        Paragraph::new(lines)
            .wrap(ratatui::widgets::Wrap { trim: false })
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(" Undo preview "),
            ),
        preview,
    );
}

fn render_form(f: &mut Frame, area: Rect, app: &App) {
    use widgets::form::{self, Preview};
    let Some(fm) = &app.form else { return };
    let commands: Vec<String> = fm
        .preview
        .as_ref()
        .map(actions::Plan::commands)
        .unwrap_or_default();
    let preview = match &fm.preview {
        Ok(_) => Preview::Commands(&commands),
        Err(e) => Preview::Invalid(e),
    };
    let (name, about) = fm
        .def()
        .map_or(("", ""), |d| (d.name.as_str(), d.about.as_str()));
    let title = if fm.is_fixed() {
        format!(" a fix · in {} · Enter: y/n to apply ", fm.netns.name)
    } else {
        format!(" {name} · in {} · PgUp/PgDn: other actions ", fm.netns.name)
    };
    let fields = fm.fields();
    form::render(
        f,
        area,
        &form::FormView {
            title: &title,
            about,
            fields: &fields,
            focused: fm.focused,
            preview: &preview,
            status: fm.status.as_deref(),
        },
    );
}

fn render_status(f: &mut Frame, area: Rect, app: &App) {
    let first = if let Some(t) = &app.trace_input {
        Line::from(vec![
            Span::styled("trace to> ", app.theme.key),
            Span::raw(format!("{t}▏")),
        ])
    } else if let Some(p) = &app.capture {
        Line::from(p.status())
    } else {
        let style = match app.current().map(|c| &c.status) {
            Some(NsStatus::Failed(_)) => app.theme.error,
            Some(NsStatus::Resyncing) => app.theme.warn,
            _ => Style::default(),
        };
        Line::from(Span::styled(app.ns_status(), style))
    };
    // A message takes the place of the key line until it expires.
    let second = match &app.message {
        Some((m, _)) => Line::from(Span::styled(m.clone(), app.theme.warn)),
        None => Line::from(Span::styled(keys_line(app), app.theme.dim)),
    };
    f.render_widget(Paragraph::new(vec![first, second]), area);
}

/// A box of `w`x`h` centred in `area` (clipped to it).
fn centred(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

fn render_switcher(f: &mut Frame, area: Rect, app: &App, sw: &super::state::Switcher) {
    let matches = app.switcher_matches(&sw.input);
    let w = matches
        .iter()
        .map(|(_, l)| l.chars().count())
        .max()
        .unwrap_or(20)
        .max(sw.input.chars().count() + 12)
        .max(30)
        + 6;
    let h = matches.len() + 4;
    let r = centred(
        area,
        u16::try_from(w).unwrap_or(u16::MAX),
        u16::try_from(h).unwrap_or(u16::MAX),
    );
    let [input, list] = Layout::vertical([Constraint::Length(2), Constraint::Min(1)]).areas(r);
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled("namespace> ", app.theme.key),
            Span::raw(format!("{}▏", sw.input)),
        ]))
        .block(
            Block::default()
                .borders(Borders::TOP | Borders::LEFT | Borders::RIGHT)
                .title(" Switch namespace (Esc closes) "),
        ),
        input,
    );
    let items: Vec<ListItem> = matches
        .iter()
        .map(|(i, l)| {
            let (mark, style) = app
                .inv
                .namespaces
                .get(*i)
                .map_or(("?", Style::default()), |n| status_mark(&n.status, app));
            ListItem::new(Line::from(vec![
                Span::styled(format!("{mark} "), style),
                Span::raw(l.clone()),
            ]))
        })
        .collect();
    let empty = items.is_empty();
    let mut st = ListState::default().with_selected((!empty).then_some(sw.selected));
    let list_widget = if empty {
        List::new(vec![ListItem::new("(no namespace matches)")])
    } else {
        List::new(items)
    };
    f.render_stateful_widget(
        list_widget
            .block(Block::default().borders(Borders::BOTTOM | Borders::LEFT | Borders::RIGHT))
            .highlight_style(app.theme.selected),
        list,
        &mut st,
    );
}

fn render_help(f: &mut Frame, area: Rect, app: &App, what: HelpFor, scroll: usize) {
    let (title, keys, notes): (&str, &[(&str, &str)], &[&str]) = match what {
        HelpFor::Tables => (" netlens: keys ", HELP_TABLES, HELP_TABLES_NOTES),
        HelpFor::Capture => (" capture pane: keys ", HELP_CAPTURE, &[]),
        HelpFor::Form => (" guided actions: keys ", HELP_FORM, &[]),
        HelpFor::Switcher => (" namespace switcher: keys ", HELP_SWITCHER, &[]),
        HelpFor::Plans => (" plans: keys ", HELP_PLANS, &[]),
        HelpFor::Report => (" doctor / topology: keys ", HELP_REPORT, &[]),
        HelpFor::Walk => (" walkthrough: keys ", HELP_WALK, HELP_WALK_NOTES),
    };
    let kw = keys
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let mut lines: Vec<Line> = keys
        .iter()
        .map(|(k, v)| {
            Line::from(vec![
                Span::styled(format!("{k:>kw$}  "), app.theme.key),
                Span::raw(*v),
            ])
        })
        .collect();
    if !notes.is_empty() {
        lines.push(Line::from(""));
        lines.extend(notes.iter().map(|n| Line::from(*n)));
    }
    let content_w = lines.iter().map(Line::width).max().unwrap_or(20);
    let w = u16::try_from(content_w + 4).unwrap_or(u16::MAX);
    let h = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let r = centred(area, w, h);
    let visible = usize::from(r.height.saturating_sub(2));
    let max_scroll = lines.len().saturating_sub(visible);
    let scroll = scroll.min(max_scroll);
    let title = if max_scroll > 0 {
        format!("{title}(j/k: {} more) ", max_scroll - scroll)
    } else {
        title.to_owned()
    };
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines)
            .block(Block::default().borders(Borders::ALL).title(title))
            .scroll((u16::try_from(scroll).unwrap_or(0), 0)),
        r,
    );
}
