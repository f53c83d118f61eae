//! A guided-action form: labelled fields and a live preview of the commands it would run.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

/// One field of a form.
pub struct Field<'a> {
    pub label: &'a str,
    pub value: &'a str,
    pub help: &'a str,
    /// Drawn with a `*`: the action cannot be built without it.
    pub required: bool,
}

/// What the preview shows: the commands, or why the input is refused.
pub enum Preview<'a> {
    Commands(&'a [String]),
    Invalid(&'a str),
}

/// What the form shows.
pub struct FormView<'a> {
    pub title: &'a str,
    /// What the action does, in a sentence.
    pub about: &'a str,
    pub fields: &'a [Field<'a>],
    pub focused: usize,
    pub preview: &'a Preview<'a>,
    pub status: Option<&'a str>,
}

/// Renders the form (left) and the preview (right; below the form on a narrow screen).
pub fn render(f: &mut Frame, area: Rect, v: &FormView) {
    let FormView {
        title,
        about,
        fields,
        focused,
        preview,
        status,
    } = *v;
    let [left, right] = if area.width >= 100 {
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area)
    } else {
        Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area)
    };
    let mut lines: Vec<Line> = Vec::new();
    if !about.is_empty() {
        lines.push(Line::from(Span::styled(
            about.to_owned(),
            Style::default().add_modifier(Modifier::ITALIC),
        )));
    }
    for (i, fl) in fields.iter().enumerate() {
        let style = if i == focused {
            Style::default().fg(Color::Black).bg(Color::Cyan)
        } else {
            Style::default()
        };
        lines.push(Line::from(vec![
            Span::styled(
                format!("{:>12}{} ", fl.label, if fl.required { "*" } else { ":" }),
                Style::default().fg(Color::Yellow),
            ),
            Span::styled(
                format!("{}{}", fl.value, if i == focused { "▏" } else { "" }),
                style,
            ),
        ]));
        if i == focused && !fl.help.is_empty() {
            lines.push(Line::from(Span::styled(
                format!("{:>14}{}", "", fl.help),
                Style::default().fg(Color::DarkGray),
            )));
        }
    }
    if let Some(s) = status {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(
            s.to_owned(),
            Style::default().add_modifier(Modifier::BOLD),
        )));
    }
    f.render_widget(
        Paragraph::new(lines)
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(title.to_owned()),
            )
            .wrap(Wrap { trim: false }),
        left,
    );
    let (title, body): (&str, Vec<Line>) = match *preview {
        Preview::Commands(c) => (
            " Preview: the commands this runs ",
            c.iter().map(|l| Line::from(l.clone())).collect(),
        ),
        Preview::Invalid(e) => (
            " Preview: refused, nothing would change ",
            vec![Line::from(Span::styled(
                (*e).to_owned(),
                Style::default().fg(Color::Red),
            ))],
        ),
    };
    f.render_widget(
        Paragraph::new(body)
            .block(Block::default().borders(Borders::ALL).title(title))
            .wrap(Wrap { trim: false }),
        right,
    );
}
