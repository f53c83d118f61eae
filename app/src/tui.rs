//! The terminal UI: every source sends an [`AppEvent`] on one channel, [`update`] is the
//! only thing that changes the state, [`view::render`] draws it, and the loop carries out
//! the [`Effect`]s `update` asks for, off the UI thread, feeding their results back.

pub mod action_form;
pub mod capture_pane;
pub mod event;
pub mod plans_pane;
pub mod report_pane;
pub mod runtime;
pub mod state;
pub mod update;
pub mod view;

use std::time::Instant;

use anyhow::{Context, Result};

use event::AppEvent;
use state::App;
use update::update;

/// Dumps a namespace and times rendering `frames` frames of `tab` into an in-memory
/// terminal (200x50): what one redraw costs, without the terminal's own I/O.
pub async fn bench_render(netns: Option<&str>, tab: &str, frames: u32) -> Result<()> {
    use crossterm::event::{Event, KeyCode, KeyEvent};
    use netstate::inventory::Update;
    use netstate::{NetEvent, NetEventKind};
    let info = crate::cmd::pick_netns(netns)?;
    let state = netstate::live::snapshot(&info).await?;
    let mut app = App::new(Some(info.id));
    update(&mut app, AppEvent::Term(Event::Resize(200, 50)));
    let id = info.id;
    let key = widgets::Tab::ALL
        .iter()
        .position(|t| t.title().eq_ignore_ascii_case(tab))
        .with_context(|| {
            format!("--tab {tab}: one of links, addresses, routes, neighbours, fdb")
        })?;
    let c = char::from(b'1' + u8::try_from(key).unwrap_or(0));
    update(
        &mut app,
        AppEvent::Term(Event::Key(KeyEvent::from(KeyCode::Char(c)))),
    );
    update(
        &mut app,
        AppEvent::Inventory(Update::Namespaces(netstate::netns::Discovery {
            namespaces: vec![info],
            problems: Vec::new(),
        })),
    );
    let t0 = Instant::now();
    update(
        &mut app,
        AppEvent::Inventory(Update::Net(NetEvent {
            ns: id,
            kind: NetEventKind::Snapshot {
                state: Box::new(state),
                overruns: 0,
            },
        })),
    );
    update(
        &mut app,
        AppEvent::Tick(Instant::now() + state::REBUILD_EVERY),
    );
    let build = t0.elapsed();
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(200, 50))?;
    let mut times = Vec::with_capacity(frames as usize);
    for i in 0..frames {
        // Scroll a little each frame so the visible window changes.
        if i % 2 == 0 {
            update(
                &mut app,
                AppEvent::Term(Event::Key(KeyEvent::from(KeyCode::PageDown))),
            );
        }
        let t = Instant::now();
        term.draw(|f| view::render(&app, f))?;
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

pub use runtime::run;

#[cfg(test)]
mod tests;
