//! The generic table: renders only the visible window, so 100k rows cost what 50 do.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row as TRow, Table};
use ratatui::Frame;

use crate::rows::Row;

/// What the table shows.
pub struct TableView<'a> {
    pub title: String,
    pub headers: &'a [&'a str],
    pub widths: &'a [u16],
    /// All rows after filter and sort; only `offset..offset+height` are drawn.
    pub rows: &'a [Row],
    pub selected: usize,
    pub offset: usize,
    pub sort_col: usize,
    pub sort_desc: bool,
    pub focused: bool,
    /// Whether a row changed recently and is drawn highlighted.
    pub recent: &'a dyn Fn(&Row) -> bool,
    /// Shown instead of rows when there are none (e.g. why a namespace is unreadable).
    pub empty_message: Option<&'a str>,
}

/// Number of data rows that fit in `area` (border and header excluded).
pub fn visible_rows(area: Rect) -> usize {
    usize::from(area.height.saturating_sub(3))
}

/// Renders the table into `area`.
pub fn render(f: &mut Frame, area: Rect, v: &TableView) {
    let border = if v.focused {
        Style::default().fg(Color::Cyan)
    } else {
        Style::default()
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(border)
        .title(v.title.clone());
    if v.rows.is_empty() {
        let msg = v.empty_message.unwrap_or("(nothing here)");
        f.render_widget(
            Paragraph::new(Line::from(msg.to_owned())).block(block),
            area,
        );
        return;
    }
    let header = TRow::new(v.headers.iter().enumerate().map(|(i, h)| {
        let mut s = (*h).to_owned();
        if i == v.sort_col {
            s.push_str(if v.sort_desc { "▼" } else { "▲" });
        }
        Cell::from(s)
    }))
    .style(
        Style::default()
            .add_modifier(Modifier::BOLD)
            .fg(Color::Yellow),
    );
    let height = visible_rows(area);
    let end = (v.offset + height).min(v.rows.len());
    let start = v.offset.min(end);
    let rows = v.rows[start..end].iter().enumerate().map(|(i, r)| {
        let mut style = Style::default();
        if (v.recent)(r) {
            style = style.fg(Color::Black).bg(Color::Green);
        }
        if start + i == v.selected {
            style = style.add_modifier(Modifier::REVERSED);
        }
        TRow::new(r.cells().map(Cell::from)).style(style)
    });
    let widths: Vec<Constraint> = v.widths.iter().map(|w| Constraint::Fill(*w)).collect();
    let t = Table::new(rows, widths)
        .header(header)
        .block(block.title_bottom(format!(
            " {}/{} ",
            if v.rows.is_empty() { 0 } else { v.selected + 1 },
            v.rows.len()
        )));
    f.render_widget(t, area);
}
