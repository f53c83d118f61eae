//! The terminal UI: one event loop over terminal input, inventory updates and a tick.

pub mod state;
pub mod view;

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use crossterm::event::{DisableMouseCapture, EnableMouseCapture, EventStream};
use crossterm::execute;
use futures::StreamExt;
use netstate::inventory::{self, Scope};
use netstate::live::WatchOptions;

use state::App;

/// Restores the terminal when dropped, on every exit path (errors and early returns too;
/// ratatui's panic hook covers panics).
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let _ = execute!(std::io::stdout(), DisableMouseCapture);
        ratatui::restore();
    }
}

/// Runs the UI until the user quits.
pub async fn run(netns: Option<&str>) -> Result<()> {
    let want = match netns {
        Some(n) => Some(
            netstate::netns::find(n)
                .with_context(|| format!("--netns {n}"))?
                .id,
        ),
        None => netstate::netns::own().ok().map(|n| n.id),
    };
    let mut terminal =
        ratatui::try_init().context("cannot initialise the terminal (is this a TTY?)")?;
    let _guard = TerminalGuard;
    execute!(std::io::stdout(), EnableMouseCapture).context("enabling mouse capture")?;

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let sup = tokio::spawn(inventory::supervise(
        Scope::All,
        tx,
        WatchOptions::default(),
    ));
    let mut app = App::new(want);
    let mut input = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut term_signals =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    let mut dirty = true;
    let mut last_draw: Option<Instant> = None;
    while !app.quit {
        if dirty && last_draw.is_none_or(|t| t.elapsed() >= Duration::from_millis(30)) {
            let now = Instant::now();
            terminal.draw(|f| view::render(f, &mut app, now))?;
            last_draw = Some(now);
            dirty = false;
        }
        tokio::select! {
            ev = input.next() => match ev {
                Some(Ok(ev)) => dirty |= app.on_event(&ev),
                Some(Err(e)) => return Err(e).context("reading terminal input"),
                None => break,
            },
            u = rx.recv() => match u {
                Some(u) => {
                    let now = Instant::now();
                    dirty |= app.on_update(u, now);
                    // Drain what is queued so a burst of events costs one redraw.
                    while let Ok(u) = rx.try_recv() {
                        app.on_update(u, now);
                    }
                }
                None => break,
            },
            _ = tick.tick() => dirty |= app.expire(Instant::now()),
            _ = term_signals.recv() => break,
            _ = hup.recv() => break,
        }
    }
    sup.abort();
    Ok(())
}

#[cfg(test)]
mod tests;
