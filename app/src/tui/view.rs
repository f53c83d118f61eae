//! Lays the screen out and hands each part to its widget.

use std::time::Instant;

use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState, Paragraph, Tabs};
use ratatui::Frame;

use netstate::inventory::NsStatus;
use widgets::detail;
use widgets::table::{self, TableView};
use widgets::Tab;

use super::state::{App, Focus};

pub const KEYS: &str = "q quit · ? help · / filter · Tab/1-5 tabs · h/l focus · J/K netns · j/k g/G PgUp/PgDn move · Enter detail · s/S sort · c capture · a actions";

const HELP: &[(&str, &str)] = &[
    ("q, Ctrl-C", "quit (the terminal is restored)"),
    ("?", "this help; any key closes it"),
    (
        "Tab / Shift-Tab, [ ], 1-5",
        "switch tab: Links, Addresses, Routes, Neighbours, FDB",
    ),
    ("h / l, ← / →", "focus the namespace sidebar / the table"),
    ("J / K", "next / previous namespace (from anywhere)"),
    ("j / k, ↓ / ↑, mouse wheel", "move the selection"),
    ("g / G, Home / End", "first / last row"),
    ("PgDn / PgUp, Space, Ctrl-f/b", "one page down / up"),
    ("Ctrl-d / Ctrl-u", "half a page down / up"),
    ("/", "filter rows (Enter keeps it, Esc clears it)"),
    ("s / S", "sort by the next column / reverse the order"),
    ("Enter", "open or close the detail pane of the selected row"),
    (
        "c (Links tab)",
        "capture packets on the selected link (q closes the capture)",
    ),
    ("Esc", "close the detail pane, then clear the filter"),
];

/// Draws the whole screen.
pub fn render(f: &mut Frame, app: &mut App, now: Instant) {
    let area = f.area();
    let [main, status] = Layout::vertical([Constraint::Min(3), Constraint::Length(2)]).areas(area);
    let side_w = 24.min(main.width / 3);
    let [side, right] =
        Layout::horizontal([Constraint::Length(side_w), Constraint::Min(10)]).areas(main);
    render_sidebar(f, side, app);
    let [tabs, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(right);
    render_tabs(f, tabs, app);
    if app.form.is_some() {
        render_form(f, body, app);
        render_status(f, status, app);
        return;
    }
    if app.capture.is_some() {
        render_capture(f, body, app);
        render_status(f, status, app);
        if app.help {
            render_help(f, area);
        }
        return;
    }
    let (tbl, det) = if app.detail {
        let [a, b] = Layout::new(
            Direction::Vertical,
            [Constraint::Percentage(55), Constraint::Percentage(45)],
        )
        .areas(body);
        (a, Some(b))
    } else {
        (body, None)
    };
    app.page = table::visible_rows(tbl).max(1);
    app.refresh_rows();
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
    let recent = |r: &widgets::Row| app.is_recent(r, now);
    table::render(
        f,
        tbl,
        &TableView {
            title,
            headers: app.tab.headers(),
            widths: app.tab.widths(),
            rows: &app.rows,
            selected: app.selected,
            offset: app.offset,
            sort_col: app.sort_col,
            sort_desc: app.sort_desc,
            focused: app.focus == Focus::Table,
            recent: &recent,
            empty_message: empty.as_deref(),
        },
    );
    if let Some(d) = det {
        render_detail(f, d, app);
    }
    render_status(f, status, app);
    if app.help {
        render_help(f, area);
    }
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

fn render_sidebar(f: &mut Frame, area: Rect, app: &App) {
    let items: Vec<ListItem> = app
        .inv
        .namespaces
        .iter()
        .map(|n| {
            let (mark, style) = match &n.status {
                NsStatus::Live => ("●", Style::default().fg(Color::Green)),
                NsStatus::Loading | NsStatus::Resyncing => {
                    ("◌", Style::default().fg(Color::Yellow))
                }
                NsStatus::Failed(_) => ("✗", Style::default().fg(Color::Red)),
            };
            ListItem::new(Line::from(vec![
                Span::styled(format!("{mark} "), style),
                Span::raw(n.info.label()),
            ]))
        })
        .collect();
    let sel = app.current().and_then(|c| {
        app.inv
            .namespaces
            .iter()
            .position(|n| n.info.id == c.info.id)
    });
    let border = if app.focus == Focus::Sidebar {
        Style::default().fg(Color::Cyan)
    } else {
        Style::default()
    };
    let mut title = format!(" Namespaces ({}) ", app.inv.namespaces.len());
    if !app.inv.problems.is_empty() {
        title.push_str("⚠ ");
    }
    let list = List::new(items)
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(border)
                .title(title),
        )
        .highlight_style(Style::default().add_modifier(Modifier::REVERSED));
    let mut st = ListState::default().with_selected(sel);
    f.render_stateful_widget(list, area, &mut st);
}

fn render_tabs(f: &mut Frame, area: Rect, app: &App) {
    let titles: Vec<String> = Tab::ALL
        .iter()
        .enumerate()
        .map(|(i, t)| format!("{} {}", i + 1, t.title()))
        .collect();
    let sel = Tab::ALL.iter().position(|t| *t == app.tab).unwrap_or(0);
    let tabs = Tabs::new(titles).select(sel).highlight_style(
        Style::default()
            .fg(Color::Cyan)
            .add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
    );
    f.render_widget(tabs, area);
}

fn render_detail(f: &mut Frame, area: Rect, app: &mut App) {
    // The first column of the Links tab is the ifindex.
    let selected_link = if app.tab == Tab::Links {
        app.rows
            .get(app.selected)
            .and_then(|r| r.cell(0).parse::<u32>().ok())
    } else {
        None
    };
    let Some(entry) = app.current() else { return };
    let Some(row) = app.rows.get(app.selected) else {
        detail::render(f, area, " Detail ", vec![Line::from("(no row selected)")]);
        return;
    };
    let lines = match selected_link.and_then(|i| entry.state.links.get(&i)) {
        Some(l) => detail::link_lines(l, &entry.state, Some((&app.inv, entry.info.id))),
        None => detail::row_lines(app.tab.headers(), row),
    };
    detail::render(f, area, " Detail ", lines);
}

fn render_capture(f: &mut Frame, area: Rect, app: &mut App) {
    use widgets::packets;
    let Some(p) = app.capture.as_mut() else {
        return;
    };
    let [prompt, rest] = Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(area);
    let prompt_line = if p.editing_filter {
        let mut spans = vec![
            Span::styled("filter> ", Style::default().fg(Color::Cyan)),
            Span::raw(format!("{}▏", p.filter_input)),
        ];
        if let Some(e) = &p.filter_error {
            spans.push(Span::styled(
                format!("  ✗ {e}"),
                Style::default().fg(Color::Red),
            ));
        }
        Line::from(spans)
    } else {
        Line::from(Span::styled(
            format!(
                "filter: {}",
                if p.filter.is_empty() {
                    "(none)"
                } else {
                    &p.filter
                }
            ),
            Style::default().fg(Color::DarkGray),
        ))
    };
    f.render_widget(Paragraph::new(prompt_line), prompt);
    let (list_area, det) = if p.detail {
        let [a, b] =
            Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(rest);
        (a, Some(b))
    } else {
        (rest, None)
    };
    p.page = packets::visible(list_area).max(1);
    if p.follow {
        p.offset = p.lines.len().saturating_sub(p.page);
    }
    let lines: Vec<String> = p
        .lines
        .iter()
        .skip(p.offset)
        .take(p.page)
        .cloned()
        .collect();
    let sel = p
        .selected
        .and_then(|s| s.checked_sub(p.offset))
        .filter(|&s| s < p.page);
    let title = format!(
        " Capture · {} in {} · {} ",
        p.iface,
        p.netns.name,
        p.counters_line()
    );
    packets::render_list(f, list_area, &title, &lines, sel);
    if let (Some(d), Some(c)) = (det, p.current()) {
        let [tree, hex] =
            Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(d);
        let layer = p.layer.min(c.decoded.layers.len().saturating_sub(1));
        let hl = c
            .decoded
            .layers
            .get(layer)
            .map_or(0..0, |l| l.range.clone());
        packets::render_lines(
            f,
            tree,
            " Layers (Tab: next) ",
            packets::tree_lines(&c.decoded, layer),
            0,
        );
        packets::render_lines(f, hex, " Bytes ", packets::hex_lines(&c.data, &hl), 0);
    }
}

fn render_form(f: &mut Frame, area: Rect, app: &App) {
    use widgets::form::{self, Preview};
    let Some(fm) = &app.form else { return };
    let plan = app.form_plan();
    let commands: Vec<String> = plan
        .as_ref()
        .map(actions::Plan::commands)
        .unwrap_or_default();
    let preview = match &plan {
        Ok(_) => Preview::Commands(&commands),
        Err(e) => Preview::Invalid(e),
    };
    let title = format!(
        " {} · in {} (PgUp/PgDn: other actions) ",
        fm.kind.title(),
        fm.netns.name
    );
    form::render(
        f,
        area,
        &title,
        &fm.fields(),
        fm.focused,
        &preview,
        fm.status.as_deref(),
    );
}

fn render_status(f: &mut Frame, area: Rect, app: &App) {
    if app.form.is_some() {
        let keys = "Tab/↑↓ field · type to edit · Enter apply (asks y/n) · PgUp/PgDn other action · Esc close";
        let para = Paragraph::new(vec![
            Line::from(app.ns_status()),
            Line::from(Span::styled(keys, Style::default().fg(Color::DarkGray))),
        ]);
        f.render_widget(para, area);
        return;
    }
    if let Some(p) = &app.capture {
        let keys = if p.editing_filter {
            "type a BPF filter · Enter apply (errors show inline) · Esc cancel"
        } else {
            "q/Esc close · / filter · p pause · P promisc · f follow · j/k move · Enter layers+hex · Tab next layer · w save pcap · ? help"
        };
        let para = Paragraph::new(vec![
            Line::from(p.status()),
            Line::from(Span::styled(keys, Style::default().fg(Color::DarkGray))),
        ]);
        f.render_widget(para, area);
        return;
    }
    let mut first = app.ns_status();
    if let Some(p) = app.inv.problems.first() {
        first.push_str(" · ⚠ ");
        first.push_str(p);
    }
    let style = match app.current().map(|c| &c.status) {
        Some(NsStatus::Failed(_)) => Style::default().fg(Color::Red),
        Some(NsStatus::Resyncing) => Style::default().fg(Color::Yellow),
        _ => Style::default(),
    };
    let keys = if app.editing_filter {
        "type to filter · Enter keep · Esc clear"
    } else {
        KEYS
    };
    let p = Paragraph::new(vec![
        Line::from(Span::styled(first, style)),
        Line::from(Span::styled(keys, Style::default().fg(Color::DarkGray))),
    ]);
    f.render_widget(p, area);
}

fn render_help(f: &mut Frame, area: Rect) {
    let w = 72.min(area.width);
    let h = (u16::try_from(HELP.len()).unwrap_or(20) + 4).min(area.height);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    let mut lines: Vec<Line> = HELP
        .iter()
        .map(|(k, v)| {
            Line::from(vec![
                Span::styled(format!("{k:>28}  "), Style::default().fg(Color::Yellow)),
                Span::raw(*v),
            ])
        })
        .collect();
    lines.push(Line::from(""));
    lines.push(Line::from("Rows flash green when the kernel changes them."));
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(" netlens help "),
        ),
        r,
    );
}
