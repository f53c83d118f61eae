//! The terminal UI: one event loop over terminal input, inventory updates and a tick.

pub mod action_form;
pub mod capture_pane;
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

fn report_frame(path: &std::path::Path, app: &App, first: bool, reported_live: &mut bool) {
    use std::fmt::Write as _;
    use std::io::Write as _;
    let ms = crate::START
        .get()
        .map_or(0.0, |t| t.elapsed().as_secs_f64() * 1000.0);
    let live = app
        .current()
        .is_some_and(|c| c.status == netstate::inventory::NsStatus::Live);
    let mut lines = String::new();
    if first {
        let _ = writeln!(lines, "first_frame_ms {ms:.1}");
    }
    if live && !*reported_live {
        *reported_live = true;
        let _ = writeln!(lines, "first_live_frame_ms {ms:.1}");
    }
    if !lines.is_empty() {
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = f.write_all(lines.as_bytes());
        }
    }
}

/// Dumps a namespace and times rendering `frames` frames of `tab` into an in-memory
/// terminal (200x50): what one redraw costs, without the terminal's own I/O.
pub async fn bench_render(netns: Option<&str>, tab: &str, frames: u32) -> Result<()> {
    use netstate::inventory::Update;
    use netstate::{NetEvent, NetEventKind};
    let info = crate::cmd::pick_netns(netns)?;
    let state = netstate::live::snapshot(&info).await?;
    let mut app = App::new(Some(info.id));
    let now = Instant::now();
    let id = info.id;
    app.on_update(
        Update::Namespaces(netstate::netns::Discovery {
            namespaces: vec![info],
            problems: Vec::new(),
        }),
        now,
    );
    app.on_update(
        Update::Net(NetEvent {
            ns: id,
            kind: NetEventKind::Snapshot {
                state: Box::new(state),
                overruns: 0,
            },
        }),
        now,
    );
    let key = widgets::Tab::ALL
        .iter()
        .position(|t| t.title().eq_ignore_ascii_case(tab))
        .with_context(|| {
            format!("--tab {tab}: one of links, addresses, routes, neighbours, fdb")
        })?;
    let c = char::from(b'1' + u8::try_from(key).unwrap_or(0));
    app.on_event(&crossterm::event::Event::Key(
        crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char(c)),
    ));
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(200, 50))?;
    let t0 = Instant::now();
    app.refresh_rows();
    let build = t0.elapsed();
    let mut times = Vec::with_capacity(frames as usize);
    for i in 0..frames {
        // Scroll a little each frame so the visible window changes.
        if i % 2 == 0 {
            app.on_event(&crossterm::event::Event::Key(
                crossterm::event::KeyEvent::from(crossterm::event::KeyCode::PageDown),
            ));
        }
        let t = Instant::now();
        term.draw(|f| view::render(f, &mut app, t))?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let median = times.get(times.len() / 2).copied().unwrap_or(0.0);
    let max = times.last().copied().unwrap_or(0.0);
    println!("rows {}", app.rows.len());
    println!("rows_build_ms {:.2}", build.as_secs_f64() * 1000.0);
    println!("frame_median_ms {median:.3}");
    println!("frame_max_ms {max:.3}");
    Ok(())
}

/// Runs the UI until the user quits.
pub async fn run(netns: Option<&str>, report: Option<&std::path::Path>, ring: usize) -> Result<()> {
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
    // ratatui's hook restores the terminal on any panic; a panic on another thread (a
    // capture or apply thread) must not take the terminal from under the running UI.
    let restore_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().name() == Some("main") {
            let _ = execute!(std::io::stdout(), DisableMouseCapture);
            restore_hook(info);
        } else {
            tracing::error!("a background thread panicked: {info}");
        }
    }));
    execute!(std::io::stdout(), EnableMouseCapture).context("enabling mouse capture")?;

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let sup = tokio::spawn(inventory::supervise(
        Scope::All,
        tx,
        WatchOptions::default(),
    ));
    let mut app = App::new(want);
    app.ring = ring.max(1);
    let mut input = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut term_signals =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    let mut int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    let mut quit = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::quit())?;
    let mut dirty = true;
    let mut reported_live = false;
    let mut last_draw: Option<Instant> = None;
    while !app.quit {
        if dirty && last_draw.is_none_or(|t| t.elapsed() >= Duration::from_millis(30)) {
            let now = Instant::now();
            terminal.draw(|f| view::render(f, &mut app, now))?;
            if let Some(path) = report {
                report_frame(path, &app, last_draw.is_none(), &mut reported_live);
            }
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
            _ = tick.tick() => {
                let now = Instant::now();
                dirty |= app.expire(now);
                dirty |= app.rows_pending();
                dirty |= app.drain_capture();
                dirty |= app.poll_form();
            }
            _ = term_signals.recv() => break,
            _ = hup.recv() => break,
            _ = int.recv() => break,
            _ = quit.recv() => break,
        }
    }
    sup.abort();
    Ok(())
}

#[cfg(test)]
mod tests;
