//! `update`: the one place the UI's state changes. Each event becomes state changes and
//! the effects (I/O) the loop is to carry out.

use std::time::Instant;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEventKind};
use netstate::inventory::Update;
use netstate::{Applied, NetEventKind};
use widgets::rows::{cmp_cells, entry_id};
use widgets::{Row, Tab};

use super::action_form::ActionForm;
use super::capture_pane::CapturePane;
use super::event::{AppEvent, Effect, PaneKey};
use super::report_pane::{ReportKind, ReportPane};
use super::state::{App, Focus, HelpFor, Switcher, MESSAGE_FOR, REBUILD_EVERY};

/// Applies one event to the state; returns the effects to carry out.
pub fn update(app: &mut App, ev: AppEvent) -> Vec<Effect> {
    let mut fx = Vec::new();
    let changed = match ev {
        AppEvent::Term(e) => on_term(app, &e, &mut fx),
        AppEvent::Inventory(u) => on_inventory(app, u, &mut fx),
        AppEvent::Tick(now) => on_tick(app, now, &mut fx),
        AppEvent::CaptureStarted { gen, result } => {
            if let Some(w) = app.walk.as_mut() {
                if matches!(w.checks_after_capture, Some((g, _)) if gen >= g) {
                    w.checks_after_capture = None;
                    fx.extend(w.run_checks());
                }
            }
            match app.capture.as_mut() {
                Some(p) if p.gen == gen => {
                    match result {
                        Ok(link) => {
                            p.link_number = link;
                            p.running = true;
                            p.message = None;
                        }
                        Err(e) => p.message = Some(format!("capture not running: {e}")),
                    }
                    true
                }
                _ => false,
            }
        }
        AppEvent::Captured {
            gen,
            packets,
            counters,
        } => match app.capture.as_mut() {
            Some(p) if p.gen == gen => {
                let changed = !packets.is_empty() || p.counters != counters;
                let dropped_more = counters.kernel_dropped > p.counters.kernel_dropped;
                p.take(packets, counters);
                // Drops in the kernel: a larger ring, up to the most (the capture restarts).
                if dropped_more && p.buffer_mib < super::capture_pane::RING_MIB_MAX {
                    p.buffer_mib = (p.buffer_mib * 2).min(super::capture_pane::RING_MIB_MAX);
                    app.capture_gen += 1;
                    let e = p.restart(app.capture_gen);
                    p.message = Some(format!(
                        "the kernel dropped packets: capture ring now {} MiB",
                        p.buffer_mib
                    ));
                    fx.push(e);
                }
                changed
            }
            _ => false,
        },
        AppEvent::Saved(r) => {
            let m = match r {
                Ok((path, n)) => format!("saved {n} packets to {}", path.display()),
                Err(e) => format!("save failed: {e}"),
            };
            match app.capture.as_mut() {
                Some(p) => p.message = Some(m),
                None => say(app, m),
            }
            true
        }
        AppEvent::Applied(r) => {
            if r.is_ok() {
                walk_after_apply(app, &mut fx);
            }
            let now = app.now;
            match app.form.as_mut() {
                Some(f) => f.applied(r, now),
                None => say(
                    app,
                    match r {
                        Ok(id) => format!("applied as plan {id}"),
                        Err(e) => format!("not applied: {e}"),
                    },
                ),
            }
            true
        }
        AppEvent::Confirmed(r) => {
            if r.is_ok() {
                walk_rerun(app, &mut fx);
            }
            match app.form.as_mut() {
                Some(f) => f.confirmed(r),
                None => say(app, r.unwrap_or_else(|e| e)),
            }
            true
        }
        AppEvent::Kernel(k) => {
            app.kernel = Some(k);
            refresh_form(app);
            true
        }
        AppEvent::Plans(r) => {
            if let Some(p) = app.plans.as_mut() {
                p.listed(r);
            }
            true
        }
        AppEvent::UndoPreviewed(r) => {
            if let Some(p) = app.plans.as_mut() {
                p.previewed(r);
            }
            true
        }
        AppEvent::Undone { id, result } => {
            match app.plans.as_mut() {
                Some(p) => fx.push(p.undone(&id, result)),
                None => say(
                    app,
                    match result {
                        Ok(()) => format!("plan {id} undone"),
                        Err(e) => format!("plan {id}: {e}"),
                    },
                ),
            }
            true
        }
        AppEvent::Examined(r) => {
            if let Some(p) = app.report.as_mut().filter(|p| p.kind == ReportKind::Doctor) {
                p.examined(r);
            }
            true
        }
        AppEvent::Traced(r) => {
            if let Some(p) = app.report.as_mut().filter(|p| p.kind == ReportKind::Trace) {
                p.traced(r);
            }
            true
        }
        AppEvent::Checked { gen, index, result } => app
            .walk
            .as_mut()
            .is_some_and(|w| w.checked(gen, index, result)),
        AppEvent::Exported(r) => {
            say(app, r.unwrap_or_else(|e| format!("export failed: {e}")));
            true
        }
        AppEvent::LabRemoved(r) => {
            match r {
                Ok(n) => {
                    tracing::info!("walkthrough lab removed ({n} namespaces)");
                    app.quit = true;
                }
                Err(e) => {
                    if let Some(w) = app.walk.as_mut() {
                        w.ask = None;
                    }
                    say(app, format!("lab down failed: {e}"));
                }
            }
            true
        }
        AppEvent::Suspend => {
            fx.push(Effect::Suspend);
            true
        }
        AppEvent::Signal(name) => {
            app.quit = true;
            tracing::info!("{name}: leaving");
            true
        }
    };
    refresh_rows(app);
    if app.quit {
        fx.push(Effect::Quit);
    }
    if changed {
        app.version += 1;
    }
    fx
}

/// Puts a message on the status line for a while. A message that came less than a
/// second ago stays too (joined): two things said at start are both read.
fn say(app: &mut App, m: impl Into<String>) {
    let m = m.into();
    let joined = match app.message.take() {
        Some((old, t))
            if app.now.saturating_duration_since(t) < std::time::Duration::from_secs(1)
                && old != m =>
        {
            format!("{old} · {m}")
        }
        _ => m,
    };
    app.message = Some((joined, app.now));
}

fn on_tick(app: &mut App, now: Instant, fx: &mut Vec<Effect>) -> bool {
    app.now = now;
    let mut any = false;
    // A step's checks waiting for a capture that does not start (closed, or slow): run.
    if let Some(w) = app.walk.as_mut() {
        if let Some((_, since)) = w.checks_after_capture {
            if now.saturating_duration_since(since) >= std::time::Duration::from_secs(3) {
                w.checks_after_capture = None;
                fx.extend(w.run_checks());
                any = true;
            }
        }
    }
    for m in app.recent.values_mut() {
        let before = m.len();
        m.retain(|_, t| now.saturating_duration_since(*t) < super::state::HIGHLIGHT);
        any |= m.len() != before;
    }
    if app
        .message
        .as_ref()
        .is_some_and(|(_, t)| now.saturating_duration_since(*t) >= MESSAGE_FOR)
    {
        app.message = None;
        any = true;
    }
    if let Some(f) = app.form.as_mut() {
        any |= f.tick(now);
    }
    // Kernel changes waiting for their rebuild are drawn when it happens.
    any || rows_due(app)
}

fn on_inventory(app: &mut App, u: Update, fx: &mut Vec<Effect>) -> bool {
    let is_ns_list = matches!(u, Update::Namespaces(_));
    let only_changes = matches!(
        &u,
        Update::Net(e) if matches!(e.kind, NetEventKind::Changes(_) | NetEventKind::Reread(_) | NetEventKind::Control(_))
    );
    let before = app.current().map(|e| e.info.label());
    let names_before: Vec<String> = app.inv.namespaces.iter().map(|n| n.info.label()).collect();
    let now = app.now;
    let recent = &mut app.recent;
    // Only the identities of what changed are kept (to highlight rows): nothing is cloned.
    let touched = app.inv.apply_each(u, |info, a, _| {
        let (Applied::New(e) | Applied::Del(e)) = a;
        recent.entry(info.id).or_default().insert(entry_id(e), now);
    });
    if is_ns_list {
        on_namespaces(app, before.as_deref(), &names_before);
        // The walkthrough's first step, once its namespace is known.
        let first = app
            .walk
            .as_ref()
            .filter(|w| !w.started)
            .and_then(super::walk_pane::WalkPane::focus);
        if let Some((ns, _)) = first {
            if app.inv.namespaces.iter().any(|e| e.info.label() == ns) {
                if let Some(w) = app.walk.as_mut() {
                    w.started = true;
                }
                let step = app.walk.as_ref().map_or(0, |w| w.step);
                go_step(app, step, fx);
            }
        }
        return true;
    }
    if touched.is_some() && touched == app.ns {
        if only_changes {
            app.data_dirty = true;
        } else {
            // A whole new state (a dump, a failure): shown at once.
            app.rows_dirty = true;
        }
    }
    if touched.is_some() && app.form.as_ref().map(|f| f.netns.id) == touched {
        refresh_form(app);
    }
    // A vxlan device came or went (or changed port) where the capture runs: decode its
    // port, from now on.
    if let Some(id) = touched.filter(|id| app.capture.as_ref().is_some_and(|p| p.netns.id == *id)) {
        let decode = capture_decode(app, id);
        let gen = app.capture_gen + 1;
        if let Some(p) = app.capture.as_mut().filter(|p| p.decode != decode) {
            p.decode = decode;
            app.capture_gen = gen;
            p.message = Some(format!(
                "VXLAN ports now {:?}: capture restarted",
                p.decode.vxlan_ports
            ));
            fx.push(p.restart(gen));
        }
    }
    // A change elsewhere is not on screen; a status change shows in the sidebar.
    !only_changes || touched == app.ns
}

/// The namespace list changed: follow the namespace wanted, say when the one on screen
/// went away, and report discovery problems once.
fn on_namespaces(app: &mut App, before: Option<&str>, names_before: &[String]) {
    if let Some(w) = app.want_ns {
        if app.inv.get(w).is_some() {
            app.ns = Some(w);
            app.want_ns = None;
            app.rows_dirty = true;
        }
    }
    if app.ns.is_none_or(|id| app.inv.get(id).is_none()) && app.want_ns.is_none() {
        app.ns = app.inv.namespaces.first().map(|n| n.info.id);
        app.selected = 0;
        app.offset = 0;
        app.rows_dirty = true;
        if let (Some(gone), Some(now)) = (before, app.current().map(|e| e.info.label())) {
            say(
                app,
                format!("namespace {gone} disappeared: now showing {now}"),
            );
        }
    }
    let names_now: Vec<String> = app.inv.namespaces.iter().map(|n| n.info.label()).collect();
    if names_now != names_before && app.tab == Tab::Links {
        // Names of other namespaces show in the PARENT column.
        app.rows_dirty = true;
    }
    let n = app.inv.problems.len();
    if n > app.problems_told {
        if let Some(p) = app.inv.problems.get(app.problems_told).cloned() {
            say(app, format!("⚠ {p}"));
        }
    }
    app.problems_told = n;
}

fn rows_due(app: &App) -> bool {
    app.rows_dirty
        || (app.data_dirty
            && app
                .last_rebuild
                .is_none_or(|t| app.now.saturating_duration_since(t) >= REBUILD_EVERY))
}

/// Rebuilds the rows if the data, tab, filter or sort changed, keeping the selection on the
/// same object when it is still there.
pub fn refresh_rows(app: &mut App) {
    if !rows_due(app) {
        return;
    }
    app.rows_dirty = false;
    app.data_dirty = false;
    app.last_rebuild = Some(app.now);
    let keep = app.rows.get(app.selected).map(|r| r.id);
    let Some(entry) = app.current() else {
        app.rows.clear();
        app.widths.clear();
        return;
    };
    let needle = app.filter.to_lowercase();
    let mut rows: Vec<Row> = app
        .tab
        .rows(&entry.state, Some(&app.inv))
        .into_iter()
        .filter(|r| r.matches(&needle))
        .collect();
    if let Some((col, desc)) = app.sort {
        rows.sort_by(|a, b| {
            let o = cmp_cells(a.cell(col), b.cell(col));
            if desc {
                o.reverse()
            } else {
                o
            }
        });
    }
    app.widths = widgets::table::natural_widths(app.tab.columns(), &rows);
    app.rows = rows;
    if let Some(k) = keep {
        if let Some(i) = app.rows.iter().position(|r| r.id == k) {
            app.selected = i;
        }
    }
    clamp(app);
}

fn clamp(app: &mut App) {
    let n = app.rows.len();
    if n == 0 {
        app.selected = 0;
        app.offset = 0;
        return;
    }
    app.selected = app.selected.min(n - 1);
    let page = app.page();
    if app.selected < app.offset {
        app.offset = app.selected;
    } else if app.selected >= app.offset + page {
        app.offset = app.selected + 1 - page;
    }
    app.offset = app.offset.min(n.saturating_sub(1));
}

fn move_sel(app: &mut App, delta: isize) {
    let n = app.rows.len();
    if n == 0 {
        return;
    }
    app.selected = app.selected.saturating_add_signed(delta).min(n - 1);
    clamp(app);
}

fn set_tab(app: &mut App, t: Tab) {
    if t != app.tab {
        app.tab = t;
        app.selected = 0;
        app.offset = 0;
        app.hscroll = 0;
        app.sort = None;
        app.rows.clear();
        app.rows_dirty = true;
    }
}

fn set_ns(app: &mut App, i: usize) {
    let Some(id) = app.inv.namespaces.get(i).map(|n| n.info.id) else {
        return;
    };
    if Some(id) != app.ns {
        app.ns = Some(id);
        app.selected = 0;
        app.offset = 0;
        app.rows.clear();
        app.rows_dirty = true;
    }
}

fn move_ns(app: &mut App, delta: isize) {
    let n = app.inv.namespaces.len();
    if n == 0 {
        return;
    }
    let i = app
        .ns_index()
        .unwrap_or(0)
        .saturating_add_signed(delta)
        .min(n - 1);
    set_ns(app, i);
}

/// Recomputes the form's preview against the live state.
fn refresh_form(app: &mut App) {
    let Some(f) = app.form.as_mut() else { return };
    let Some(entry) = app.inv.get(f.netns.id) else {
        f.preview = Err(format!("namespace {} is gone", f.netns.name));
        return;
    };
    let inv = &app.inv;
    let target = |name: &str| {
        inv.namespaces
            .iter()
            .find(|n| n.info.name == name)
            .map(|n| n.state.clone())
    };
    f.refresh(&entry.state, target, app.kernel, Some(inv));
}

fn on_term(app: &mut App, ev: &Event, fx: &mut Vec<Effect>) -> bool {
    match ev {
        Event::Key(k) if k.kind != KeyEventKind::Release => on_key(app, *k, fx),
        Event::Mouse(m) => match m.kind {
            MouseEventKind::ScrollDown => {
                move_sel(app, 3);
                true
            }
            MouseEventKind::ScrollUp => {
                move_sel(app, -3);
                true
            }
            _ => false,
        },
        Event::Resize(w, h) => {
            app.size = (*w, *h);
            clamp(app);
            true
        }
        _ => false,
    }
}

fn on_key(app: &mut App, k: KeyEvent, fx: &mut Vec<Effect>) -> bool {
    if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c') {
        app.quit = true;
        return true;
    }
    // The terminal is in raw mode: Ctrl-Z arrives as a key, not as SIGTSTP.
    if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('z') {
        fx.push(Effect::Suspend);
        return true;
    }
    if let Some((what, scroll)) = app.help {
        match k.code {
            KeyCode::Down | KeyCode::Char('j') => app.help = Some((what, scroll + 1)),
            KeyCode::Up | KeyCode::Char('k') => app.help = Some((what, scroll.saturating_sub(1))),
            _ => app.help = None,
        }
        return true;
    }
    if app.switcher.is_some() {
        return on_switcher_key(app, k);
    }
    if app.trace_input.is_some() {
        return on_trace_key(app, k, fx);
    }
    if app.editing_filter {
        return on_filter_key(app, k);
    }
    if app.form.is_some() {
        return on_form_key(app, k, fx);
    }
    if app.report.is_some() {
        return on_report_key(app, k, fx);
    }
    if let Some(p) = app.plans.as_mut() {
        if k.code == KeyCode::Char('?') {
            app.help = Some((HelpFor::Plans, 0));
            return true;
        }
        match p.on_key(k) {
            PaneKey::Unused => {
                let m = format!(
                    "{}: no action in the Plans view (? lists its keys)",
                    key_name(k)
                );
                say(app, m);
            }
            PaneKey::Changed => {}
            PaneKey::Close => app.plans = None,
            PaneKey::Effect(e) => fx.push(*e),
        }
        return true;
    }
    let k = rebind(app, k);
    if app.walk.is_some() {
        if let Some(done) = on_walk_key(app, k, fx) {
            return done;
        }
    }
    if app.capture.is_some() {
        return on_capture_key(app, k, fx);
    }
    on_table_key(app, k, fx)
}

/// A key the settings bind to a built-in one stands for it (not while typing: prompts and
/// forms took their keys before).
fn rebind(app: &App, k: KeyEvent) -> KeyEvent {
    let typing = app
        .capture
        .as_ref()
        .is_some_and(|p| p.editing_filter || p.prompt.is_some());
    match k.code {
        KeyCode::Char(c) if !typing && !k.modifiers.contains(KeyModifiers::CONTROL) => {
            match app.keymap.get(&c) {
                Some(&to) => KeyEvent::new(KeyCode::Char(to), k.modifiers),
                None => k,
            }
        }
        _ => k,
    }
}

/// The walkthrough's keys: `n`/`p` step, Enter its plan, `r` checks again, `q` leave
/// (asks whether to remove the lab). `None`: not a walkthrough key here.
fn on_walk_key(app: &mut App, k: KeyEvent, fx: &mut Vec<Effect>) -> Option<bool> {
    use super::walk_pane::Ask;
    let w = app.walk.as_mut()?;
    match w.ask {
        Some(Ask::Removing) => return Some(false),
        Some(Ask::Leave) => {
            match k.code {
                KeyCode::Char('y') => {
                    w.ask = Some(Ask::Removing);
                    fx.push(Effect::LabDown { lab: w.lab.clone() });
                }
                KeyCode::Char('n') => app.quit = true,
                KeyCode::Esc => w.ask = None,
                _ => {}
            }
            return Some(true);
        }
        None => {}
    }
    if app
        .capture
        .as_ref()
        .is_some_and(|p| p.editing_filter || p.prompt.is_some())
    {
        return None;
    }
    let (step, steps) = (w.step, w.w.steps.len());
    let plan = w
        .current()
        .and_then(|s| Some((s.plan.clone()?, s.node.clone()?, s.confirm)));
    match k.code {
        KeyCode::Char('n') if step + 1 < steps => go_step(app, step + 1, fx),
        KeyCode::Char('n') => say(app, "this is the last step: q leaves the walkthrough"),
        KeyCode::Char('p') if step > 0 => go_step(app, step - 1, fx),
        KeyCode::Char('p') => say(app, "this is the first step"),
        KeyCode::Char('r') => walk_rerun(app, fx),
        KeyCode::Char('e') => match plan {
            Some((line, node, _)) => fx.push(Effect::ExportStep {
                lab: w.lab.clone(),
                node,
                line,
                path: std::path::PathBuf::from(format!("netlens-{}-step{}.sh", w.w.name, step + 1)),
            }),
            None => say(app, "this step has no plan to export"),
        },
        KeyCode::Enter => match plan {
            Some((line, node, confirm)) => {
                let ns = w.ns(&node);
                match crate::walkthrough::parse_plan_line(&line) {
                    Ok(input) => open_fix(app, &diagnose::Fix::Plan { netns: ns, input }),
                    Err(e) => {
                        say(app, format!("the step's plan does not parse: {e:#}"));
                        return Some(true);
                    }
                }
                if let Some(f) = app.form.as_mut() {
                    f.force_confirm = confirm;
                    f.status = Some(format!(
                        "the step's plan, in {node}: Enter previews and asks y/n"
                    ));
                }
                if let Some(w) = app.walk.as_mut() {
                    w.applying = Some(w.step);
                }
            }
            None => return None,
        },
        KeyCode::Char('q') if app.capture.is_none() => w.ask = Some(Ask::Leave),
        KeyCode::Char('?') if app.capture.is_none() => app.help = Some((HelpFor::Walk, 0)),
        _ => return None,
    }
    Some(true)
}

/// Runs the step's checks again.
fn walk_rerun(app: &mut App, fx: &mut Vec<Effect>) {
    if let Some(e) = app
        .walk
        .as_mut()
        .and_then(super::walk_pane::WalkPane::run_checks)
    {
        fx.push(e);
    }
}

/// A plan was applied while a walkthrough runs: the step's plan (if it was that) is done,
/// its checks run again.
fn walk_after_apply(app: &mut App, fx: &mut Vec<Effect>) {
    if let Some(w) = app.walk.as_mut() {
        // Only the plan Enter put in the form is a step's (not one from `a` or a fix).
        if let Some(a) = w.applying.take().and_then(|i| w.applied.get_mut(i)) {
            *a = true;
        }
    }
    walk_rerun(app, fx);
}

/// Shows step `i`: its checks run, the tables go to its namespace and link, and the
/// capture pane opens on its capture check's interface (closing the one the previous step
/// opened).
pub fn go_step(app: &mut App, i: usize, fx: &mut Vec<Effect>) {
    let Some(w) = app.walk.as_mut() else { return };
    w.step = i;
    w.checks_after_capture = None;
    let (focus, cap, opened) = (w.focus(), w.capture(), w.opened_capture);
    w.opened_capture = false;
    if opened && app.capture.is_some() {
        app.capture = None;
        fx.push(Effect::StopCapture);
    }
    if let Some((ns, dev)) = focus {
        match app.inv.namespaces.iter().position(|e| e.info.label() == ns) {
            Some(ix) => {
                set_ns(app, ix);
                set_tab(app, Tab::Links);
                app.filter.clear();
                app.rows_dirty = true;
                refresh_rows(app);
                let link =
                    dev.and_then(|d| app.current()?.state.link_by_name(&d).map(|l| l.ifindex));
                if let Some(r) = link.and_then(|ix| {
                    app.rows
                        .iter()
                        .position(|r| r.id == widgets::RowId::Link(ix))
                }) {
                    app.selected = r;
                    clamp(app);
                }
            }
            None => say(app, format!("namespace {ns} is not there (yet)")),
        }
    }
    if let Some((ns, iface, filter)) = cap {
        if let Some(info) = app
            .inv
            .namespaces
            .iter()
            .find(|e| e.info.label() == ns)
            .map(|e| e.info.clone())
        {
            if app.capture.is_some() {
                fx.push(Effect::StopCapture);
            }
            app.capture_gen += 1;
            let mut p = CapturePane::new(&iface, &info, app.ring, app.capture_gen);
            p.decode = capture_decode(app, info.id);
            p.filter = filter;
            fx.push(p.restart(app.capture_gen));
            app.capture = Some(p);
            if let Some(w) = app.walk.as_mut() {
                w.opened_capture = true;
                // The checks run once the capture runs (or failed to start): started
                // together, the pane could miss the packets the checks send.
                w.checks_after_capture = Some((app.capture_gen, app.now));
            }
        }
    }
    if let Some(w) = app.walk.as_mut() {
        w.results.clear();
        if w.checks_after_capture.is_none() {
            if let Some(e) = w.run_checks() {
                fx.push(e);
            }
        } else if let Some(n) = w.current().map(|s| s.checks.len()) {
            w.results = vec![super::walk_pane::CheckState::Running; n];
        }
    }
}

fn on_filter_key(app: &mut App, k: KeyEvent) -> bool {
    match k.code {
        KeyCode::Enter => app.editing_filter = false,
        KeyCode::Esc => {
            app.editing_filter = false;
            app.filter.clear();
        }
        KeyCode::Backspace => {
            app.filter.pop();
        }
        KeyCode::Char('u') if k.modifiers.contains(KeyModifiers::CONTROL) => app.filter.clear(),
        KeyCode::Char(_) if k.modifiers.contains(KeyModifiers::CONTROL) => return false,
        KeyCode::Char(c) => app.filter.push(c),
        _ => return false,
    }
    app.selected = 0;
    app.offset = 0;
    app.rows_dirty = true;
    true
}

fn on_switcher_key(app: &mut App, k: KeyEvent) -> bool {
    let Some(sw) = app.switcher.as_mut() else {
        return false;
    };
    match k.code {
        KeyCode::Esc => app.switcher = None,
        KeyCode::Enter => {
            let (input, selected) = (sw.input.clone(), sw.selected);
            let pick = app.switcher_matches(&input).get(selected).map(|(i, _)| *i);
            app.switcher = None;
            match pick {
                Some(i) => {
                    set_ns(app, i);
                    app.focus = Focus::Table;
                }
                None => say(app, "no namespace matches"),
            }
        }
        KeyCode::Down | KeyCode::Tab => sw.selected += 1,
        KeyCode::Up | KeyCode::BackTab => sw.selected = sw.selected.saturating_sub(1),
        KeyCode::Backspace => {
            sw.input.pop();
            sw.selected = 0;
        }
        KeyCode::Char('?') => app.help = Some((HelpFor::Switcher, 0)),
        KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => {
            sw.input.push(c);
            sw.selected = 0;
        }
        _ => return false,
    }
    if let Some(sw) = app.switcher.as_mut() {
        let n = app
            .inv
            .namespaces
            .iter()
            .filter(|n| super::state::fuzzy(&sw.input, &n.info.label()).is_some())
            .count();
        sw.selected = sw.selected.min(n.saturating_sub(1));
    }
    true
}

fn on_form_key(app: &mut App, k: KeyEvent, fx: &mut Vec<Effect>) -> bool {
    let Some(f) = app.form.as_mut() else {
        return false;
    };
    if k.code == KeyCode::F(1) {
        app.help = Some((HelpFor::Form, 0));
        return true;
    }
    let empty = netstate::NsState::default();
    let st = app.inv.get(f.netns.id).map_or(&empty, |e| &e.state);
    match f.on_key(k, st) {
        PaneKey::Unused => return false,
        PaneKey::Changed => {}
        PaneKey::Close => app.form = None,
        PaneKey::Effect(e) => fx.push(*e),
    }
    refresh_form(app);
    true
}

fn on_capture_key(app: &mut App, k: KeyEvent, fx: &mut Vec<Effect>) -> bool {
    let page = app.capture_page();
    let next_gen = app.capture_gen + 1;
    let Some(p) = app.capture.as_mut() else {
        return false;
    };
    if k.code == KeyCode::Char('?') && !p.editing_filter {
        app.help = Some((HelpFor::Capture, 0));
        return true;
    }
    match p.on_key(k, page, next_gen, capture::source::check_filter) {
        PaneKey::Unused => {
            let m = format!(
                "{}: no action in the capture pane (? lists its keys)",
                key_name(k)
            );
            say(app, m);
        }
        PaneKey::Changed => {}
        PaneKey::Close => {
            app.capture = None;
            fx.push(Effect::StopCapture);
        }
        PaneKey::Effect(e) => {
            if matches!(*e, Effect::StartCapture { .. }) {
                app.capture_gen = next_gen;
            }
            fx.push(*e);
        }
    }
    true
}

fn key_name(k: KeyEvent) -> String {
    match k.code {
        KeyCode::Char(c) => c.to_string(),
        other => format!("{other:?}"),
    }
}

fn on_table_key(app: &mut App, k: KeyEvent, fx: &mut Vec<Effect>) -> bool {
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    let page = isize::try_from(app.page()).unwrap_or(20).max(1);
    let half = (page / 2).max(1);
    match k.code {
        KeyCode::Char('q') => app.quit = true,
        KeyCode::Char('?') => app.help = Some((HelpFor::Tables, 0)),
        KeyCode::Esc => {
            if app.detail {
                app.detail = false;
            } else if !app.filter.is_empty() {
                app.filter.clear();
                app.rows_dirty = true;
            } else if app.focus == Focus::Sidebar {
                app.focus = Focus::Table;
            } else {
                say(app, "nothing to close (q quits)");
            }
        }
        KeyCode::Char('/') => {
            app.editing_filter = true;
            app.focus = Focus::Table;
        }
        KeyCode::Char('n' | ':') => {
            app.switcher = Some(Switcher::default());
        }
        KeyCode::Tab | KeyCode::Char(']') => {
            let i = Tab::ALL.iter().position(|t| *t == app.tab).unwrap_or(0);
            set_tab(app, Tab::ALL[(i + 1) % Tab::ALL.len()]);
        }
        KeyCode::BackTab | KeyCode::Char('[') => {
            let i = Tab::ALL.iter().position(|t| *t == app.tab).unwrap_or(0);
            set_tab(app, Tab::ALL[(i + Tab::ALL.len() - 1) % Tab::ALL.len()]);
        }
        KeyCode::Char(c @ '1'..='5') => {
            let i = usize::from(c as u8 - b'1');
            set_tab(app, Tab::ALL[i]);
        }
        KeyCode::Char('>') | KeyCode::Right
            if k.modifiers.contains(KeyModifiers::SHIFT) || k.code == KeyCode::Char('>') =>
        {
            let max = app.tab.columns().len().saturating_sub(1);
            if app.hscroll < max {
                app.hscroll += 1;
            } else {
                say(app, "no more columns to the right");
            }
        }
        KeyCode::Char('<') | KeyCode::Left
            if k.modifiers.contains(KeyModifiers::SHIFT) || k.code == KeyCode::Char('<') =>
        {
            if app.hscroll > 0 {
                app.hscroll -= 1;
            } else {
                say(app, "already at the first column");
            }
        }
        KeyCode::Left | KeyCode::Char('h') => app.focus = Focus::Sidebar,
        KeyCode::Right | KeyCode::Char('l') => app.focus = Focus::Table,
        KeyCode::Char('J') => move_ns(app, 1),
        KeyCode::Char('K') => move_ns(app, -1),
        KeyCode::Down | KeyCode::Char('j') if app.focus == Focus::Sidebar => move_ns(app, 1),
        KeyCode::Up | KeyCode::Char('k') if app.focus == Focus::Sidebar => move_ns(app, -1),
        KeyCode::Down | KeyCode::Char('j') => move_sel(app, 1),
        KeyCode::Up | KeyCode::Char('k') => move_sel(app, -1),
        KeyCode::Char('d') if ctrl => move_sel(app, half),
        KeyCode::Char('u') if ctrl => move_sel(app, -half),
        KeyCode::Char('f') if ctrl => move_sel(app, page),
        KeyCode::Char('b') if ctrl => move_sel(app, -page),
        KeyCode::PageDown | KeyCode::Char(' ') => move_sel(app, page),
        KeyCode::PageUp => move_sel(app, -page),
        KeyCode::Home | KeyCode::Char('g') => move_sel(app, isize::MIN / 2),
        KeyCode::End | KeyCode::Char('G') => move_sel(app, isize::MAX / 2),
        KeyCode::Enter => {
            if app.focus == Focus::Sidebar {
                app.focus = Focus::Table;
            } else {
                app.detail = !app.detail;
                clamp(app);
            }
        }
        KeyCode::Char('c') => open_capture(app, fx),
        KeyCode::Char('a') => open_form(app),
        KeyCode::Char('D') => {
            app.report = Some(ReportPane::doctor_running());
            fx.push(Effect::Doctor {
                inv: Box::new(app.inv.clone()),
            });
        }
        KeyCode::Char('t') => {
            app.trace_input = Some(String::new());
        }
        KeyCode::Char('T') => {
            app.report = Some(ReportPane::topology(&app.inv));
        }
        KeyCode::Char('P') => {
            let (pane, e) = super::plans_pane::PlansPane::loading();
            app.plans = Some(pane);
            fx.push(e);
        }
        KeyCode::Char('s') => {
            let n = app.tab.columns().len();
            app.sort = match app.sort {
                None => Some((0, false)),
                Some((c, _)) if c + 1 >= n => None,
                Some((c, d)) => Some((c + 1, d)),
            };
            app.rows_dirty = true;
        }
        KeyCode::Char('S') => {
            app.sort = Some(app.sort.map_or((0, true), |(c, d)| (c, !d)));
            app.rows_dirty = true;
        }
        _ => {
            let m = format!("{}: no action here (? lists the keys)", key_name(k));
            say(app, m);
        }
    }
    true
}

/// How a capture in namespace `id` decodes: VXLAN on 4789 and 8472, `--vxlan-port`, and
/// the ports of the namespace's vxlan devices.
fn capture_decode(app: &App, id: netstate::NsId) -> capture::decode::DecodeOptions {
    let mut d = capture::decode::DecodeOptions::default();
    let model = app
        .inv
        .get(id)
        .map(|e| e.state.vxlan_ports())
        .unwrap_or_default();
    for p in app.vxlan_ports.iter().copied().chain(model) {
        if !d.vxlan_ports.contains(&p) {
            d.vxlan_ports.push(p);
        }
    }
    d
}

/// The "trace to:" prompt: an address, Enter traces from the namespace on screen.
fn on_trace_key(app: &mut App, k: KeyEvent, fx: &mut Vec<Effect>) -> bool {
    let Some(input) = app.trace_input.as_mut() else {
        return false;
    };
    match k.code {
        KeyCode::Esc => app.trace_input = None,
        KeyCode::Backspace => {
            input.pop();
        }
        KeyCode::Enter => {
            let text = input.trim().to_owned();
            match text.parse::<std::net::IpAddr>() {
                Ok(to) => {
                    app.trace_input = None;
                    let Some(e) = app.current() else {
                        return true;
                    };
                    let (from, label) = (e.info.id, e.info.label());
                    app.report = Some(ReportPane::tracing(to, &label));
                    fx.push(Effect::Trace {
                        inv: Box::new(app.inv.clone()),
                        from,
                        to,
                    });
                }
                Err(_) => say(app, format!("trace to: {text:?} is not an IP address")),
            }
        }
        KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => input.push(c),
        _ => return false,
    }
    true
}

fn on_report_key(app: &mut App, k: KeyEvent, fx: &mut Vec<Effect>) -> bool {
    let page = app.page().max(1);
    let Some(p) = app.report.as_mut() else {
        return false;
    };
    if p.filtering {
        match k.code {
            KeyCode::Enter => p.filtering = false,
            KeyCode::Esc => {
                p.filtering = false;
                p.filter.clear();
            }
            KeyCode::Backspace => {
                p.filter.pop();
            }
            KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => p.filter.push(c),
            _ => return false,
        }
        p.selected = 0;
        return true;
    }
    let n = p.shown().len();
    match k.code {
        KeyCode::Esc if !p.filter.is_empty() => {
            p.filter.clear();
            p.clamp();
        }
        KeyCode::Esc | KeyCode::Char('q') => app.report = None,
        KeyCode::Char('?') => app.help = Some((HelpFor::Report, 0)),
        KeyCode::Char('/') => p.filtering = true,
        KeyCode::Down | KeyCode::Char('j') => {
            p.selected = (p.selected + 1).min(n.saturating_sub(1));
        }
        KeyCode::Up | KeyCode::Char('k') => p.selected = p.selected.saturating_sub(1),
        KeyCode::PageDown | KeyCode::Char(' ') => {
            p.selected = (p.selected + page).min(n.saturating_sub(1));
        }
        KeyCode::PageUp => p.selected = p.selected.saturating_sub(page),
        KeyCode::Home | KeyCode::Char('g') => p.selected = 0,
        KeyCode::End | KeyCode::Char('G') => p.selected = n.saturating_sub(1),
        KeyCode::Char('r') => match p.kind {
            ReportKind::Doctor => {
                *p = ReportPane::doctor_running();
                fx.push(Effect::Doctor {
                    inv: Box::new(app.inv.clone()),
                });
            }
            _ => p.refresh(&app.inv),
        },
        KeyCode::Char('a') => match p.current().and_then(|i| i.fix.clone()) {
            Some(f) => open_fix(app, &f),
            None => say(
                app,
                "this item has no fix (a works on a finding or a trace's fix)",
            ),
        },
        KeyCode::Enter => {
            let Some(item) = p.current().cloned() else {
                return false;
            };
            match item.target {
                // A namespace heading in the topology folds it.
                Some((ns, None)) if p.kind == ReportKind::Topology => {
                    if !p.folded.remove(&ns) {
                        p.folded.insert(ns);
                    }
                    p.refresh(&app.inv);
                }
                Some((ns, link)) => {
                    app.report = None;
                    if let Some(i) = app.inv.namespaces.iter().position(|e| e.info.id == ns) {
                        set_ns(app, i);
                    }
                    set_tab(app, Tab::Links);
                    app.filter.clear();
                    app.rows_dirty = true;
                    refresh_rows(app);
                    if let Some(ix) = link {
                        if let Some(r) = app
                            .rows
                            .iter()
                            .position(|r| r.id == widgets::RowId::Link(ix))
                        {
                            app.selected = r;
                            clamp(app);
                        }
                    }
                }
                None => say(app, "this item points at nothing to show"),
            }
        }
        _ => {
            let m = format!("{}: no action here (? lists the keys)", key_name(k));
            say(app, m);
        }
    }
    true
}

/// Opens the capture pane on the selected link (an effect starts the capture).
fn open_capture(app: &mut App, fx: &mut Vec<Effect>) {
    if app.tab != Tab::Links {
        say(
            app,
            "c captures on a link: go to the Links tab (1) and select one",
        );
        return;
    }
    let Some(l) = app.selected_link() else {
        say(app, "no link selected to capture on");
        return;
    };
    let iface = l.name.clone();
    let Some(info) = app.current().map(|e| e.info.clone()) else {
        return;
    };
    app.capture_gen += 1;
    let mut p = CapturePane::new(&iface, &info, app.ring, app.capture_gen);
    p.decode = capture_decode(app, info.id);
    fx.push(p.restart(app.capture_gen));
    app.capture = Some(p);
    // The user's own capture: the walkthrough's next step leaves it open.
    if let Some(w) = app.walk.as_mut() {
        w.opened_capture = false;
    }
}

/// Opens a fix in the form: a guided action filled in, or a fixed list of steps to
/// preview and apply.
fn open_fix(app: &mut App, fix: &diagnose::Fix) {
    let netns = match fix {
        diagnose::Fix::Plan { netns, .. } | diagnose::Fix::Steps { netns, .. } => netns,
        diagnose::Fix::Manual(cmd) => {
            say(
                app,
                format!("netlens does not make this change itself; run: {cmd}"),
            );
            return;
        }
    };
    let Some(entry) = app.inv.namespaces.iter().find(|e| e.info.name == *netns) else {
        say(app, format!("the fix's namespace {netns} is gone"));
        return;
    };
    let mut f = ActionForm::new(&entry.info, &entry.state, None);
    f.confirm_secs = app.confirm_secs;
    match fix {
        diagnose::Fix::Plan { input, .. } => f.prefill_input(&entry.state, input),
        diagnose::Fix::Steps {
            title,
            netns,
            steps,
        } => {
            f.fixed(actions::Plan::new(
                title.clone(),
                netns.clone(),
                steps.clone(),
            ));
        }
        diagnose::Fix::Manual(_) => {}
    }
    app.report = None;
    app.form = Some(f);
    refresh_form(app);
}

/// Opens the guided-action form, filled in from the selected link.
fn open_form(app: &mut App) {
    let Some(entry) = app.current() else {
        say(app, "no namespace on screen yet");
        return;
    };
    let sel = if app.tab == Tab::Links {
        app.selected_link()
    } else {
        None
    };
    let mut f = ActionForm::new(&entry.info, &entry.state, sel);
    f.confirm_secs = app.confirm_secs;
    app.form = Some(f);
    refresh_form(app);
}
