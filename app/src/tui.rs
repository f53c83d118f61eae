//! The terminal UI: every source sends an [`AppEvent`] on one channel, [`update`] is the
//! only thing that changes the state, [`view::render`] draws it, and the loop carries out
//! the [`Effect`]s `update` asks for, off the UI thread, feeding their results back.

pub mod action_form;
pub mod capture_pane;
pub mod event;
pub mod plans_pane;
pub mod report_pane;
pub mod report_topo;
pub mod runtime;
pub mod state;
pub mod update;
pub mod view;
pub mod walk_pane;

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

/// Resident memory of this process, in bytes (`/proc/self/statm`).
fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

/// Fills a capture pane with `n` 60-byte frames as a capture delivers them (decoded) and
/// prints how much the process grew: what the ring costs per packet held.
pub fn bench_ring(n: u32) -> Result<()> {
    use capture::decode::{decode, DecodeOptions, LinkType};
    use capture::source::Captured;
    use capture::summary::Timestamp;
    let info = netstate::netns::own()?;
    let mut frame = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
    frame.extend_from_slice(&[
        0x45, 0, 0, 46, 0, 1, 0, 0, 64, 17, 0, 0, 10, 1, 0, 1, 10, 1, 0, 2,
    ]);
    frame.extend_from_slice(&[0x9c, 0x40, 0, 53, 0, 26, 0, 0]);
    frame.resize(60, 0);
    let opts = DecodeOptions::default();
    let before = rss();
    let mut p = capture_pane::CapturePane::new("bench0", &info, n as usize, 1);
    let t0 = Instant::now();
    for i in 0..n {
        let data = frame.clone();
        let decoded = decode(LinkType::Ethernet, &data, 60, &opts);
        p.take(
            vec![Captured {
                number: u64::from(i) + 1,
                ts: Timestamp {
                    secs: 1_700_000_000,
                    nanos: i,
                },
                wire_len: 60,
                decoded,
                data,
            }],
            capture::source::CounterValues::default(),
        );
    }
    let took = t0.elapsed();
    let grown = rss().saturating_sub(before);
    println!("packets_held {}", p.packets.len());
    println!("ring_growth_mb {:.1}", grown as f64 / 1e6);
    println!("bytes_per_packet {:.0}", grown as f64 / f64::from(n.max(1)));
    println!("fill_ms {:.0}", took.as_secs_f64() * 1000.0);
    Ok(())
}
