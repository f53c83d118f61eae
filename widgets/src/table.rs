//! The generic table: renders only the visible window, so 100k rows cost what 50 do.
//! Column widths come from the content: every column as wide as its widest cell, and
//! on a narrow screen the columns of least priority give way first (an elidable column is
//! cut, then whole columns are hidden and reached by scrolling sideways). Addresses and
//! prefixes are never cut.

use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row as TRow, Table};
use ratatui::Frame;

use crate::rows::{Col, Row};
use crate::theme::Theme;

/// The narrowest an elidable column is cut to.
const ELIDE_MIN: u16 = 8;
/// Space between columns.
const GAP: u16 = 1;

/// The width of every column: its widest cell or its header (with room for a sort arrow).
pub fn natural_widths(cols: &[Col], rows: &[Row]) -> Vec<u16> {
    let mut w: Vec<usize> = cols.iter().map(|c| c.title.chars().count() + 1).collect();
    for r in rows {
        for (i, c) in r.cells().enumerate() {
            if let Some(x) = w.get_mut(i) {
                *x = (*x).max(c.chars().count());
            }
        }
    }
    w.into_iter()
        .map(|x| u16::try_from(x).unwrap_or(u16::MAX))
        .collect()
}

/// Which columns are drawn, and how wide, in `width` cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fit {
    /// (column index, width), in column order.
    pub shown: Vec<(usize, u16)>,
    /// Columns hidden for lack of room (scroll sideways to see them).
    pub hidden: usize,
    /// Columns skipped by the sideways scroll.
    pub scrolled: usize,
}

/// Fits the columns into `width`: the leading columns of priority 0 (the row's identity:
/// a link's index and name, a route's destination) always; the others from `hscroll` on
/// (counted among the columns after those); an elidable column shrinks first, then the
/// columns of highest `prio` (last first) are hidden.
pub fn fit(cols: &[Col], natural: &[u16], width: u16, hscroll: usize) -> Fit {
    let n = cols.len().min(natural.len());
    if n == 0 {
        return Fit {
            shown: Vec::new(),
            hidden: 0,
            scrolled: 0,
        };
    }
    let pinned = cols
        .iter()
        .take(n)
        .take_while(|c| c.prio == 0)
        .count()
        .max(1);
    let scrolled = hscroll.min(n.saturating_sub(pinned + 1));
    let mut shown: Vec<(usize, u16)> = (0..pinned)
        .chain((pinned + scrolled)..n)
        .map(|i| (i, natural[i]))
        .collect();
    let total = |s: &[(usize, u16)]| -> u32 {
        s.iter().map(|(_, w)| u32::from(*w)).sum::<u32>()
            + u32::from(GAP) * u32::try_from(s.len().saturating_sub(1)).unwrap_or(0)
    };
    let width32 = u32::from(width);
    // Cut elidable columns first.
    let mut over = total(&shown).saturating_sub(width32);
    for (i, w) in &mut shown {
        if over == 0 {
            break;
        }
        if cols[*i].elide && *w > ELIDE_MIN {
            let cut = u16::try_from(over.min(u32::from(*w - ELIDE_MIN))).unwrap_or(0);
            *w -= cut;
            over -= u32::from(cut);
        }
    }
    // Then hide whole columns, least important (and rightmost) first; the pinned stay.
    while total(&shown) > width32 && shown.len() > pinned {
        let Some(pos) = shown
            .iter()
            .enumerate()
            .skip(pinned)
            .max_by_key(|(p, (i, _))| (cols[*i].prio, *p))
            .map(|(p, _)| p)
        else {
            break;
        };
        shown.remove(pos);
    }
    let hidden = n - scrolled - shown.len();
    Fit {
        shown,
        hidden,
        scrolled,
    }
}

/// What the table shows.
pub struct TableView<'a> {
    pub title: String,
    pub cols: &'a [Col],
    /// Column widths from the content ([`natural_widths`]).
    pub natural: &'a [u16],
    /// All rows after filter and sort; only `offset..offset+height` are drawn.
    pub rows: &'a [Row],
    pub selected: usize,
    pub offset: usize,
    /// The column sorted on and whether descending; `None` when in the kernel's order.
    pub sort: Option<(usize, bool)>,
    pub focused: bool,
    /// Columns scrolled past (sideways).
    pub hscroll: usize,
    /// The column drawn in the row's tone (a link's state).
    pub tone_col: Option<usize>,
    /// Whether a row changed recently and is drawn highlighted.
    pub recent: &'a dyn Fn(&Row) -> bool,
    /// Shown instead of rows when there are none (e.g. why a namespace is unreadable).
    pub empty_message: Option<&'a str>,
    pub theme: &'a Theme,
}

/// Number of data rows that fit in `area` (border and header excluded).
pub fn visible_rows(area: Rect) -> usize {
    usize::from(area.height.saturating_sub(3))
}

/// Cuts `s` to `w` characters, marking the cut with `…`.
fn elide(s: &str, w: u16) -> String {
    let w = usize::from(w);
    if s.chars().count() <= w {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(w.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Renders the table into `area`.
pub fn render(f: &mut Frame, area: Rect, v: &TableView) {
    let t = v.theme;
    let border = if v.focused {
        t.focus_border
    } else {
        ratatui::style::Style::new()
    };
    let inner_w = area.width.saturating_sub(2);
    let fitted = fit(v.cols, v.natural, inner_w, v.hscroll);
    let mut title = v.title.clone();
    if fitted.hidden > 0 || fitted.scrolled > 0 {
        let mut more = Vec::new();
        if fitted.scrolled > 0 {
            more.push(format!("‹{}", fitted.scrolled));
        }
        if fitted.hidden > 0 {
            more.push(format!("{}›", fitted.hidden));
        }
        title = format!("{title}· columns {} (< >) ", more.join(" "));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(border)
        .title(title);
    if v.rows.is_empty() {
        let msg = v.empty_message.unwrap_or("(nothing here)");
        f.render_widget(
            Paragraph::new(Line::from(msg.to_owned())).block(block),
            area,
        );
        return;
    }
    let header = TRow::new(fitted.shown.iter().map(|(i, _)| {
        let mut s = v.cols[*i].title.to_owned();
        if let Some((c, desc)) = v.sort {
            if c == *i {
                s.push_str(if desc { "▼" } else { "▲" });
            }
        }
        Cell::from(s)
    }))
    .style(t.header);
    let height = visible_rows(area);
    let end = (v.offset + height).min(v.rows.len());
    let start = v.offset.min(end);
    let rows = v.rows[start..end].iter().enumerate().map(|(i, r)| {
        let mut style = ratatui::style::Style::new();
        let changed = (v.recent)(r);
        if changed {
            style = style.patch(t.changed);
        }
        if start + i == v.selected {
            style = style.patch(t.selected);
        }
        let cells: Vec<&str> = r.cells().collect();
        TRow::new(fitted.shown.iter().map(|(c, w)| {
            let text = elide(cells.get(*c).copied().unwrap_or(""), *w);
            if Some(*c) == v.tone_col && !changed {
                Cell::from(text).style(t.tone(r.tone))
            } else {
                Cell::from(text)
            }
        }))
        .style(style)
    });
    let widths: Vec<Constraint> = fitted
        .shown
        .iter()
        .map(|(_, w)| Constraint::Length(*w))
        .collect();
    let table = Table::new(rows, widths)
        .column_spacing(GAP)
        .header(header)
        .block(block.title_bottom(format!(
            " {}/{} ",
            if v.rows.is_empty() { 0 } else { v.selected + 1 },
            v.rows.len()
        )));
    f.render_widget(table, area);
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLS: &[Col] = &[
        Col {
            title: "A",
            prio: 0,
            elide: false,
        },
        Col {
            title: "B",
            prio: 2,
            elide: false,
        },
        Col {
            title: "C",
            prio: 1,
            elide: false,
        },
        Col {
            title: "D",
            prio: 3,
            elide: true,
        },
    ];

    #[test]
    fn no_widths_yet_fits_nothing() {
        assert_eq!(fit(COLS, &[], 80, 0).shown, vec![]);
    }

    #[test]
    fn everything_fits_when_there_is_room() {
        let f = fit(COLS, &[10, 10, 10, 30], 200, 0);
        assert_eq!(f.shown, vec![(0, 10), (1, 10), (2, 10), (3, 30)]);
        assert_eq!(f.hidden, 0);
    }

    #[test]
    fn the_elidable_column_is_cut_before_any_is_hidden() {
        let f = fit(COLS, &[10, 10, 10, 30], 50, 0);
        assert_eq!(f.shown, vec![(0, 10), (1, 10), (2, 10), (3, 17)]);
    }

    #[test]
    fn columns_of_least_priority_are_hidden_first_and_scroll_back() {
        let f = fit(COLS, &[10, 10, 10, 30], 21, 0);
        assert_eq!(f.shown, vec![(0, 10), (2, 10)]);
        assert_eq!(f.hidden, 2);
        let f = fit(COLS, &[10, 10, 10, 30], 21, 2);
        assert_eq!(f.shown, vec![(0, 10), (3, 10)]);
        assert_eq!(f.scrolled, 2);
    }
}
