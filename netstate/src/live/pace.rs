//! FDB re-reads spaced by their cost: the kernel walks a bridge's whole table for any FDB
//! dump (even one filtered by port), so with a thousand ports every read costs as much as
//! the bridge has ports.

use super::Followup;

/// How much longer than an FDB read lasted the next one waits at least: FDB reads then
/// take at most a hundredth of the time, whatever the bridge's size.
const FDB_SPACING_FACTOR: u32 = 100;

/// Past this many devices, their FDB entries are read as the whole table.
pub(super) const FDB_DEVS_MAX: usize = 8;

/// The longest an FDB change waits for its read.
const FDB_SPACING_MAX: std::time::Duration = std::time::Duration::from_secs(2);

/// Spaces FDB re-reads (see `watch_inner`).
#[derive(Default)]
pub(super) struct FdbPacer {
    /// How long the last FDB read took.
    pub(super) cost: std::time::Duration,
    last: Option<tokio::time::Instant>,
    /// When the gathered read is due.
    pub(super) due: Option<tokio::time::Instant>,
    whole: bool,
    devs: Vec<u32>,
}

impl FdbPacer {
    /// Takes the FDB part of `todo` into the pacer, and gives back what is due now.
    pub(super) fn pace(&mut self, todo: &mut Followup) {
        self.whole |= std::mem::take(&mut todo.tables.fdb);
        self.devs.append(&mut todo.fdb_of);
        if !self.whole && self.devs.is_empty() {
            return;
        }
        let now = tokio::time::Instant::now();
        let spacing = (self.cost * FDB_SPACING_FACTOR).min(FDB_SPACING_MAX);
        match self.last {
            Some(t) if now < t + spacing => {
                self.due.get_or_insert(t + spacing);
            }
            _ => {
                self.last = Some(now);
                self.due = None;
                // Each device's entries cost a walk of the whole table (the kernel
                // filters entry by entry), and a whole read a walk per 32 KiB it returns
                // (each part starts again from the top): past a few devices, one whole
                // read is cheaper.
                self.devs.sort_unstable();
                self.devs.dedup();
                todo.tables.fdb = std::mem::take(&mut self.whole) || self.devs.len() > FDB_DEVS_MAX;
                todo.fdb_of = std::mem::take(&mut self.devs);
            }
        }
    }
}
