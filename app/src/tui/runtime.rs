//! The loop: sources send events on one channel, `update` reduces them, the screen is
//! redrawn when the state moved (at most every 30 ms), and effects run here, off the UI
//! thread, sending their results back as events.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use capture::source::{Live, LiveOptions, PcapWriter};
use crossterm::event::{DisableMouseCapture, EnableMouseCapture, EventStream};
use crossterm::execute;
use futures::StreamExt;
use netstate::inventory::{self, Scope};
use netstate::live::WatchOptions;
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

use super::event::{AppEvent, Effect};
use super::state::App;
use super::update::update;
use super::view;

/// Least time between two frames.
const FRAME: Duration = Duration::from_millis(30);
/// How often time passes for the UI (highlights fade, timers count).
const TICK: Duration = Duration::from_millis(100);

/// Restores the terminal when dropped, on every exit path (errors and early returns too;
/// ratatui's panic hook covers panics).
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let _ = execute!(std::io::stdout(), DisableMouseCapture);
        ratatui::restore();
    }
}

fn report_frame(path: &std::path::Path, app: &App, first: bool, reported_live: &mut (bool, bool)) {
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
    if live && !reported_live.0 {
        reported_live.0 = true;
        let _ = writeln!(lines, "first_live_frame_ms {ms:.1}");
    }
    // Every namespace discovery found is read and followed.
    let all = !app.inv.namespaces.is_empty()
        && app.inv.namespaces.iter().all(|e| {
            matches!(
                e.status,
                netstate::inventory::NsStatus::Live | netstate::inventory::NsStatus::Failed(_)
            )
        });
    if all && !reported_live.1 {
        reported_live.1 = true;
        let _ = writeln!(
            lines,
            "all_live_ms {ms:.1} namespaces {}",
            app.inv.namespaces.len()
        );
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

/// Carries out effects; owns what outlives one event (the running capture).
pub struct Runner {
    tx: UnboundedSender<AppEvent>,
    /// Stops the running capture's thread.
    capture: Option<Arc<AtomicBool>>,
    /// The walkthrough checks' worker: one run at a time (two runs' pings and captures
    /// would see each other's packets), a run of an older step given up.
    checks: Option<std::sync::mpsc::Sender<CheckRun>>,
    latest_checks: Arc<std::sync::atomic::AtomicU64>,
}

type CheckRun = (u64, String, Vec<crate::walkthrough::Check>);

/// Runs walkthrough checks one run after the other, dropping a run (or what is left of
/// it) once a newer one was asked for.
fn checks_worker(
    jobs: &std::sync::mpsc::Receiver<CheckRun>,
    latest: &std::sync::atomic::AtomicU64,
    tx: &UnboundedSender<AppEvent>,
) {
    while let Ok((gen, lab, checks)) = jobs.recv() {
        for (index, c) in checks.iter().enumerate() {
            if latest.load(Ordering::SeqCst) != gen {
                break;
            }
            let result = crate::walkthrough::run_check(&lab, c).map_err(|e| format!("{e:#}"));
            if tx.send(AppEvent::Checked { gen, index, result }).is_err() {
                return;
            }
        }
    }
}

impl Runner {
    pub fn new(tx: UnboundedSender<AppEvent>) -> Runner {
        Runner {
            tx,
            capture: None,
            checks: None,
            latest_checks: Arc::default(),
        }
    }

    fn stop_capture(&mut self) {
        if let Some(s) = self.capture.take() {
            s.store(true, Ordering::SeqCst);
        }
    }

    /// Starts `e`; its result comes back on the channel.
    pub fn run(&mut self, e: Effect) {
        let tx = self.tx.clone();
        match e {
            Effect::StartCapture {
                gen,
                iface,
                netns,
                filter,
                promisc,
                decode,
                buffer_mib,
            } => {
                self.stop_capture();
                let stop = Arc::new(AtomicBool::new(false));
                self.capture = Some(stop.clone());
                let opts = LiveOptions {
                    iface,
                    netns: Some(netns),
                    filter,
                    promisc,
                    channel: 8192,
                    decode,
                    buffer_bytes: i32::try_from(buffer_mib << 20).unwrap_or(64 << 20),
                    ..LiveOptions::default()
                };
                let spawned = std::thread::Builder::new()
                    .name("capture".into())
                    .spawn(move || capture_thread(gen, opts, &stop, &tx));
                if let Err(e) = spawned {
                    let _ = self.tx.send(AppEvent::CaptureStarted {
                        gen,
                        result: Err(format!("cannot start a thread: {e}")),
                    });
                }
            }
            Effect::StopCapture | Effect::Quit => self.stop_capture(),
            // The loop itself suspends (it holds the terminal).
            Effect::Suspend => {}
            Effect::LoadPlans => {
                tokio::task::spawn_blocking(move || {
                    let _ = tx.send(AppEvent::Plans(crate::plan::plan_rows()));
                });
            }
            Effect::PreviewUndo { id } => {
                tokio::spawn(async move {
                    let r = crate::plan::undo_preview(&id, false)
                        .await
                        .map(|p| super::plans_pane::Preview {
                            id,
                            undo: p.undo,
                            drift: p.drift,
                        })
                        .map_err(|e| format!("{e:#}"));
                    let _ = tx.send(AppEvent::UndoPreviewed(r));
                });
            }
            Effect::Doctor { inv } => {
                tokio::task::spawn_blocking(move || {
                    let r = diagnose::doctor::examine(&inv, &crate::cli::diag::HostKernel, None);
                    let _ = tx.send(AppEvent::Examined(Ok(r)));
                });
            }
            Effect::Trace { inv, from, to } => {
                tokio::task::spawn_blocking(move || {
                    let q = diagnose::Query::new(from, to);
                    let r = diagnose::trace(&inv, &crate::cli::diag::HostKernel, &q)
                        .map_err(|e| e.to_string());
                    let _ = tx.send(AppEvent::Traced(r));
                });
            }
            Effect::ApplyUndo { id, undo } => {
                tokio::spawn(async move {
                    let result = crate::plan::undo_apply(&id, *undo)
                        .await
                        .map_err(|e| format!("{e:#}"));
                    let _ = tx.send(AppEvent::Undone { id, result });
                });
            }
            Effect::SavePcap {
                iface,
                path,
                link,
                packets,
            } => {
                tokio::task::spawn_blocking(move || {
                    let path = path.unwrap_or_else(|| {
                        std::path::PathBuf::from(format!(
                            "netlens-{}-{}.pcap",
                            iface.replace(['/', ' '], "_"),
                            std::time::SystemTime::now()
                                .duration_since(std::time::UNIX_EPOCH)
                                .map_or(0, |d| d.as_secs())
                        ))
                    });
                    let n = packets.len();
                    let r = PcapWriter::create(&path, link)
                        .and_then(|mut w| {
                            for c in &packets {
                                w.write(c.ts, &c.data, c.wire_len);
                            }
                            w.finish()
                        })
                        .map(|()| (path, n))
                        .map_err(|e| e.to_string());
                    let _ = tx.send(AppEvent::Saved(r));
                });
            }
            Effect::ApplyPlan { plan, confirm_secs } => {
                tokio::task::spawn_blocking(move || {
                    let r = crate::plan::apply_and_record(*plan, confirm_secs)
                        .map_err(|e| format!("{e:#}"));
                    let _ = tx.send(AppEvent::Applied(r));
                });
            }
            Effect::ConfirmPlan { id } => {
                tokio::task::spawn_blocking(move || {
                    let r = crate::plan::confirm(Some(&id)).map_err(|e| format!("{e:#}"));
                    let _ = tx.send(AppEvent::Confirmed(r));
                });
            }
            Effect::RunChecks { gen, lab, checks } => {
                self.latest_checks.store(gen, Ordering::SeqCst);
                if self.checks.is_none() {
                    let (jtx, jrx) = std::sync::mpsc::channel::<CheckRun>();
                    let latest = self.latest_checks.clone();
                    let spawned = std::thread::Builder::new()
                        .name("walkthrough-checks".into())
                        .spawn(move || checks_worker(&jrx, &latest, &tx));
                    if spawned.is_ok() {
                        self.checks = Some(jtx);
                    }
                }
                if let Some(jobs) = &self.checks {
                    let _ = jobs.send((gen, lab, checks));
                }
            }
            Effect::ExportStep {
                lab,
                node,
                line,
                path,
            } => {
                tokio::task::spawn_blocking(move || {
                    let r = crate::walkthrough::step_plan(&lab, &node, &line)
                        .and_then(|plan| crate::plan::export::export(&plan, &path))
                        .map(|n| crate::plan::export::wrote(&path, n))
                        .map_err(|e| format!("{e:#}"));
                    let _ = tx.send(AppEvent::Exported(r));
                });
            }
            Effect::LabDown { lab } => {
                tokio::task::spawn_blocking(move || {
                    let r = crate::lab::remove(&lab).map_err(|e| format!("{e:#}"));
                    let _ = tx.send(AppEvent::LabRemoved(r));
                });
            }
            Effect::ProbeKernel => {
                tokio::task::spawn_blocking(move || {
                    let _ = tx.send(AppEvent::Kernel(actions::KernelSupport::probe()));
                });
            }
        }
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        self.stop_capture();
    }
}

/// Runs one capture: hands its packets over in batches (one event per wake-up, not one per
/// packet), with the counters, until stopped.
fn capture_thread(gen: u64, opts: LiveOptions, stop: &AtomicBool, tx: &UnboundedSender<AppEvent>) {
    use std::sync::mpsc::RecvTimeoutError;
    let mut live = match Live::start(opts) {
        Ok(l) => l,
        Err(e) => {
            let _ = tx.send(AppEvent::CaptureStarted {
                gen,
                result: Err(e.to_string()),
            });
            return;
        }
    };
    let _ = tx.send(AppEvent::CaptureStarted {
        gen,
        result: Ok(live.link_number),
    });
    let mut last = None;
    while !stop.load(Ordering::SeqCst) {
        let mut packets = Vec::new();
        match live.rx.recv_timeout(Duration::from_millis(50)) {
            Ok(c) => {
                packets.push(c);
                packets.extend(live.rx.try_iter().take(20_000));
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        let counters = live.counters.values();
        if !packets.is_empty() || Some(counters) != last {
            last = Some(counters);
            let ev = AppEvent::Captured {
                gen,
                packets,
                counters,
            };
            if tx.send(ev).is_err() {
                break;
            }
        }
    }
    let _ = live.stop();
}

/// Gives the terminal back as it was (main screen, cursor, no mouse reporting, cooked
/// mode), stops the process as SIGTSTP would, and on SIGCONT takes the terminal again.
fn suspend(terminal: &mut ratatui::DefaultTerminal) -> Result<()> {
    use crossterm::terminal::{
        disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
    };
    let mut out = std::io::stdout();
    let _ = execute!(
        out,
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    let _ = disable_raw_mode();
    // SIGSTOP: netlens handles SIGTSTP itself, so it stops with the signal nothing catches;
    // the shell sees it stopped and `fg` sends SIGCONT.
    nix::sys::signal::raise(nix::sys::signal::Signal::SIGSTOP).context("stopping")?;
    enable_raw_mode().context("taking the terminal back")?;
    execute!(
        out,
        EnterAlternateScreen,
        EnableMouseCapture,
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All),
        crossterm::cursor::Hide
    )
    .context("taking the terminal back")?;
    // The screen is blank: so is what ratatui believes is on it, so the next frame is
    // drawn whole (ratatui's own clear would ask the terminal for the cursor position,
    // whose answer the input reader takes). Swapping resets the buffer that held the last
    // frame; the other one is blank between frames.
    terminal.swap_buffers();
    Ok(())
}

/// How the UI starts.
pub struct UiOptions<'a> {
    /// The namespace to open on (default: netlens's own).
    pub netns: Option<&'a str>,
    /// Benchmarks: where to report the first frames' times.
    pub report: Option<&'a std::path::Path>,
    /// `--ring`, if given.
    pub ring: Option<usize>,
    /// `--vxlan-port`.
    pub vxlan_ports: Vec<u16>,
    pub settings: crate::config::Settings,
    /// A walkthrough to show beside the tables, over its lab (already up).
    pub walk: Option<super::walk_pane::WalkPane>,
}

/// Runs the UI until the user quits.
pub async fn run(o: UiOptions<'_>) -> Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let netns = o.netns;
    let report = o.report;
    let first_walk_ns = o
        .walk
        .as_ref()
        .and_then(super::walk_pane::WalkPane::focus)
        .map(|(ns, _)| ns);
    let netns = netns.or(first_walk_ns.as_deref());
    let want = match netns {
        Some(n) => Some(
            netstate::netns::find(n)
                .with_context(|| format!("--netns {n}"))?
                .id,
        ),
        None => netstate::netns::own().ok().map(|n| n.id),
    };
    let mut signals = Vec::new();
    for (kind, name) in [
        (SignalKind::terminate(), "SIGTERM"),
        (SignalKind::hangup(), "SIGHUP"),
        (SignalKind::interrupt(), "SIGINT"),
        (SignalKind::quit(), "SIGQUIT"),
    ] {
        signals.push((
            signal(kind).with_context(|| format!("handling {name}"))?,
            name,
        ));
    }
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

    let (tx, mut rx) = unbounded_channel::<AppEvent>();
    let mut tasks = Vec::new();
    let (itx, mut irx) = unbounded_channel();
    tasks.push(tokio::spawn(inventory::supervise(
        Scope::All,
        itx,
        WatchOptions {
            first: want,
            ..WatchOptions::default()
        },
    )));
    let t = tx.clone();
    tasks.push(tokio::spawn(async move {
        while let Some(u) = irx.recv().await {
            if t.send(AppEvent::Inventory(u)).is_err() {
                break;
            }
        }
    }));
    let t = tx.clone();
    tasks.push(tokio::spawn(async move {
        let mut input = EventStream::new();
        loop {
            let ev = match input.next().await {
                Some(Ok(e)) => AppEvent::Term(e),
                Some(Err(_)) | None => AppEvent::Signal("end of terminal input"),
            };
            let end = matches!(ev, AppEvent::Signal(_));
            if t.send(ev).is_err() || end {
                break;
            }
        }
    }));
    let t = tx.clone();
    tasks.push(tokio::spawn(async move {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tick.tick().await;
            if t.send(AppEvent::Tick(Instant::now())).is_err() {
                break;
            }
        }
    }));
    let mut tstp = signal(SignalKind::from_raw(nix::libc::SIGTSTP)).context("handling SIGTSTP")?;
    let t = tx.clone();
    tasks.push(tokio::spawn(async move {
        while tstp.recv().await.is_some() {
            if t.send(AppEvent::Suspend).is_err() {
                break;
            }
        }
    }));
    for (mut s, name) in signals {
        let t = tx.clone();
        tasks.push(tokio::spawn(async move {
            if s.recv().await.is_some() {
                let _ = t.send(AppEvent::Signal(name));
            }
        }));
    }

    let s = o.settings;
    let ring = o
        .ring
        .or(s.ring)
        .unwrap_or(super::capture_pane::DEFAULT_RING);
    let mut ports = o.vxlan_ports;
    for p in s.vxlan_ports {
        if !ports.contains(&p) {
            ports.push(p);
        }
    }
    let mut app = App::with_options(want, ring, ports);
    app.theme = s.theme;
    app.keymap = s.keymap;
    app.confirm_secs = s.confirm_secs.unwrap_or(super::action_form::CONFIRM_SECS);
    app.walk = o.walk;
    if let Some(w) = s.warning {
        app.message = Some((w, app.now));
    }
    // The terminal's size reaches the state as every resize does: through update.
    if let Ok(sz) = terminal.size() {
        update(
            &mut app,
            AppEvent::Term(crossterm::event::Event::Resize(sz.width, sz.height)),
        );
    }
    let mut runner = Runner::new(tx.clone());
    runner.run(Effect::ProbeKernel);
    let mut drawn: Option<u64> = None;
    let mut last_draw: Option<Instant> = None;
    let mut reported_live = (false, false);
    while !app.quit {
        let due = last_draw.map_or(Duration::ZERO, |t| FRAME.saturating_sub(t.elapsed()));
        if drawn != Some(app.version) && due.is_zero() {
            terminal.draw(|f| view::render(&app, f))?;
            if let Some(path) = report {
                report_frame(path, &app, last_draw.is_none(), &mut reported_live);
            }
            drawn = Some(app.version);
            last_draw = Some(Instant::now());
        }
        let ev = if drawn == Some(app.version) {
            rx.recv().await
        } else {
            // A frame is owed: wait for the next event only until it is due.
            match tokio::time::timeout(due, rx.recv()).await {
                Ok(ev) => ev,
                Err(_) => continue,
            }
        };
        let Some(ev) = ev else { break };
        let mut fx = update(&mut app, ev);
        // Take what is queued so a burst of events costs one frame.
        for _ in 0..4096 {
            match rx.try_recv() {
                Ok(ev) => fx.extend(update(&mut app, ev)),
                Err(_) => break,
            }
        }
        for e in fx {
            if matches!(e, Effect::Suspend) {
                suspend(&mut terminal)?;
                // Everything is drawn again on the terminal taken back.
                drawn = None;
                last_draw = None;
            } else {
                runner.run(e);
            }
        }
    }
    drop(runner);
    for t in tasks {
        t.abort();
    }
    Ok(())
}
