//! Colours, in one place: a dark theme by default, and no colour at all when `NO_COLOR` is
//! set (<https://no-color.org>): then only bold, reverse and underline mark things.

use ratatui::style::{Color, Modifier, Style};

use crate::rows::Tone;

/// The styles the widgets draw with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub header: Style,
    pub focus_border: Style,
    pub key: Style,
    pub dim: Style,
    pub error: Style,
    pub warn: Style,
    pub ok: Style,
    /// A row the kernel changed a moment ago.
    pub changed: Style,
    pub selected: Style,
    pub up: Style,
    pub down: Style,
    pub no_carrier: Style,
}

impl Theme {
    pub fn dark() -> Theme {
        Theme {
            header: Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            focus_border: Style::new().fg(Color::Cyan),
            key: Style::new().fg(Color::Yellow),
            dim: Style::new().fg(Color::DarkGray),
            error: Style::new().fg(Color::Red),
            warn: Style::new().fg(Color::Yellow),
            ok: Style::new().fg(Color::Green),
            changed: Style::new().fg(Color::Black).bg(Color::Green),
            selected: Style::new().add_modifier(Modifier::REVERSED),
            up: Style::new().fg(Color::Green),
            down: Style::new().fg(Color::DarkGray),
            no_carrier: Style::new().fg(Color::Yellow),
        }
    }

    /// Without colour: weights and reverse video only.
    pub fn plain() -> Theme {
        let none = Style::new();
        Theme {
            header: Style::new().add_modifier(Modifier::BOLD),
            focus_border: Style::new().add_modifier(Modifier::BOLD),
            key: Style::new().add_modifier(Modifier::BOLD),
            dim: none,
            error: Style::new().add_modifier(Modifier::BOLD),
            warn: Style::new().add_modifier(Modifier::BOLD),
            ok: none,
            changed: Style::new().add_modifier(Modifier::UNDERLINED),
            selected: Style::new().add_modifier(Modifier::REVERSED),
            up: none,
            down: Style::new().add_modifier(Modifier::DIM),
            no_carrier: Style::new().add_modifier(Modifier::BOLD),
        }
    }

    /// The theme for this environment: [`Theme::plain`] when `NO_COLOR` is set and not empty.
    pub fn from_env() -> Theme {
        match std::env::var_os("NO_COLOR") {
            Some(v) if !v.is_empty() => Theme::plain(),
            _ => Theme::dark(),
        }
    }

    /// The style of a row's state cell.
    pub fn tone(&self, t: Tone) -> Style {
        match t {
            Tone::Plain => Style::new(),
            Tone::Up => self.up,
            Tone::Down => self.down,
            Tone::NoCarrier | Tone::Bad => self.no_carrier,
        }
    }
}

impl Default for Theme {
    fn default() -> Theme {
        Theme::dark()
    }
}
