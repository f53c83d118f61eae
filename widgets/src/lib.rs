//! ratatui widgets for netlens: pure rendering of the data they are given, no I/O.

pub mod detail;
pub mod form;
pub mod packets;
pub mod rows;
pub mod table;
pub mod theme;

pub use rows::{Col, Row, RowId, Tab, Tone};
pub use theme::Theme;
