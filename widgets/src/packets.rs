//! The capture pane's widgets: packet list, layer tree and hex dump with the selected
//! layer's bytes highlighted.

use std::ops::Range;

use capture::decode::Decoded;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState, Paragraph};
use ratatui::Frame;

/// Number of list lines that fit in `area`.
pub fn visible(area: Rect) -> usize {
    usize::from(area.height.saturating_sub(2))
}

/// The packet list: the visible summary lines (one per packet, the first line of
/// multi-line summaries), `selected` counted from the first of them.
pub fn render_list(
    f: &mut Frame,
    area: Rect,
    title: &str,
    lines: &[String],
    selected: Option<usize>,
) {
    let items: Vec<ListItem> = lines
        .iter()
        .take(visible(area))
        .map(|l| ListItem::new(l.as_str()))
        .collect();
    let mut st = ListState::default().with_selected(selected);
    let list = List::new(items)
        .block(
            Block::default()
                .borders(Borders::ALL)
                .title(title.to_owned()),
        )
        .highlight_style(Style::default().add_modifier(Modifier::REVERSED));
    f.render_stateful_widget(list, area, &mut st);
}

/// The decoded layers as a tree; the selected layer is marked.
pub fn tree_lines(d: &Decoded, selected_layer: usize) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for (i, l) in d.layers.iter().enumerate() {
        let style = if i == selected_layer {
            Style::default().fg(Color::Black).bg(Color::Cyan)
        } else {
            Style::default()
                .fg(Color::Yellow)
                .add_modifier(Modifier::BOLD)
        };
        out.push(Line::from(Span::styled(
            format!("▾ {} [{}..{}]", l.name, l.range.start, l.range.end),
            style,
        )));
        for (k, v) in l.fields() {
            out.push(Line::from(format!("    {k}: {v}")));
        }
    }
    if let Some(p) = &d.problem {
        out.push(Line::from(Span::styled(
            format!("! {p}"),
            Style::default().fg(Color::Red),
        )));
    }
    out
}

/// Hex dump lines, 16 bytes a line, with `hl` highlighted.
pub fn hex_lines(data: &[u8], hl: &Range<usize>) -> Vec<Line<'static>> {
    let mark = Style::default().fg(Color::Black).bg(Color::Cyan);
    data.chunks(16)
        .enumerate()
        .map(|(row, chunk)| {
            let base = row * 16;
            let mut spans = vec![Span::styled(
                format!("{base:04x}  "),
                Style::default().fg(Color::DarkGray),
            )];
            for (i, b) in chunk.iter().enumerate() {
                let st = if hl.contains(&(base + i)) {
                    mark
                } else {
                    Style::default()
                };
                spans.push(Span::styled(format!("{b:02x}"), st));
                spans.push(Span::raw(if i == 7 { "  " } else { " " }));
            }
            for _ in chunk.len()..16 {
                spans.push(Span::raw("   "));
            }
            spans.push(Span::raw(" "));
            for (i, b) in chunk.iter().enumerate() {
                let c = if b.is_ascii_graphic() {
                    char::from(*b)
                } else {
                    '.'
                };
                let st = if hl.contains(&(base + i)) {
                    mark
                } else {
                    Style::default()
                };
                spans.push(Span::styled(c.to_string(), st));
            }
            Line::from(spans)
        })
        .collect()
}

/// Renders a titled block of lines, scrolled by `scroll` lines.
pub fn render_lines(
    f: &mut Frame,
    area: Rect,
    title: &str,
    lines: Vec<Line<'static>>,
    scroll: u16,
) {
    f.render_widget(
        Paragraph::new(lines)
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(title.to_owned()),
            )
            .scroll((scroll, 0)),
        area,
    );
}
