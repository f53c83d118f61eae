//! `netlens plan`: guided changes, previewed as ip/bridge commands, validated, applied
//! through netlink with rollback, exported as scripts, recorded for `undo`, and guarded by
//! a confirm timer that survives netlens.

pub mod args;
pub mod export;
pub mod guard;
pub mod store;

use std::io::BufRead;
use std::time::Duration;

use actions::{KernelSupport, NsView, Plan};
use anyhow::{bail, Context, Result};

pub use args::{Action, PlanArgs};
pub use guard::{apply_and_record, apply_sync, confirm, guard};
use store::{list, load, Status};

/// Builds `a` against the live state of `netns` (and of attach's target), with what the
/// running kernel supports.
pub fn build(
    netns: &netstate::NetnsInfo,
    st: &netstate::NsState,
    target: Option<&netstate::NsState>,
    a: &Action,
) -> Result<Plan> {
    build_with(netns, st, target, a, KernelSupport::probe(), None)
}

/// Builds `a` with the kernel support given (the UI probes it once, off its thread).
pub fn build_with(
    netns: &netstate::NetnsInfo,
    st: &netstate::NsState,
    target: Option<&netstate::NsState>,
    a: &Action,
    k: KernelSupport,
    inv: Option<&netstate::inventory::Inventory>,
) -> Result<Plan> {
    let nameable = match &netns.kind {
        netstate::netns::NsKind::Host => true,
        netstate::netns::NsKind::Named => !netns.name.starts_with('/'),
        netstate::netns::NsKind::Process { .. } => false,
    };
    if !nameable {
        bail!(
            "--netns {}: plans act on namespaces `ip -n` can name (host, or a name under /run/netns), so that the commands shown and exported run as they are; name this one first (`ip netns attach NAME PID`)",
            netns.name
        );
    }
    let view = NsView {
        name: if netns.name == "host" {
            actions::HOST
        } else {
            &netns.name
        },
        state: st,
    };
    // An address the plan gives must be free on the whole L2 segment it joins, in every
    // namespace of the host (what the namespace's own view cannot tell).
    if let (Action::Build(input), Some(inv)) = (a, inv) {
        actions::validate::segment_free(input, netns.id, inv)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let plan = match a {
        Action::Build(input) => input.build(view, target, &k),
        Action::Recreate { dev, lossy } => actions::recreate_vxlan(view, dev, *lossy),
        Action::Undo { .. } | Action::Confirm { .. } => bail!("not a plan"),
    };
    plan.map_err(|e| anyhow::anyhow!("{e}"))
}

pub async fn run(netns: Option<&str>, a: PlanArgs) -> Result<()> {
    match &a.action {
        Action::Undo { list: true, .. } => {
            println!(
                "{:<20} {:<16} {:<14} {:<10} {:<23} PLAN",
                "ID", "STATUS", "NETNS", "USER", "APPLIED"
            );
            for r in list()? {
                println!(
                    "{:<20} {:<16} {:<14} {:<10} {:<23} {} ({} steps)",
                    r.id,
                    format!("{:?}", r.status).to_lowercase(),
                    if r.plan.netns.is_empty() {
                        "host"
                    } else {
                        &r.plan.netns
                    },
                    if r.user.is_empty() { "?" } else { &r.user },
                    store::when(r.applied_at),
                    r.plan.title,
                    r.plan.steps.len()
                );
            }
            return Ok(());
        }
        Action::Undo { id, force, yes, .. } => return undo(id.as_deref(), *force, *yes, &a).await,
        Action::Confirm { id } => {
            let id = confirm(id.as_deref())?;
            eprintln!("netlens: plan {id} confirmed");
            return Ok(());
        }
        _ => {}
    }
    let info = crate::cmd::pick_netns(netns)?;
    let st = netstate::live::snapshot(&info)
        .await
        .with_context(|| format!("reading namespace {}", info.name))?;
    let target = match &a.action {
        Action::Build(input) => match input.target_ns().map(netstate::netns::find) {
            Some(Ok(t)) => Some(netstate::live::snapshot(&t).await?),
            // A target that does not exist yet is created by the plan.
            None | Some(Err(_)) => None,
        },
        _ => None,
    };
    // A plan that gives an address on a shared segment is checked against every namespace.
    let joins = matches!(
        &a.action,
        Action::Build(actions::ActionInput::Shim(_) | actions::ActionInput::Attach(_))
    );
    let inv = if joins {
        crate::cli::diag::inventory_once().await.ok()
    } else {
        None
    };
    let plan = build_with(
        &info,
        &st,
        target.as_ref(),
        &a.action,
        KernelSupport::probe(),
        inv.as_ref(),
    )?;
    if info.kind == netstate::netns::NsKind::Host {
        if let Some(own) = netstate::netns::own().ok().filter(|o| o.id != info.id) {
            eprintln!(
                "netlens: note: netlens runs in namespace {}, not the host's: --apply acts on the host's namespace (PID 1's); the commands below and an exported script act on the namespace they are run in",
                own.name
            );
        }
    }
    println!("# {}", plan.title);
    for c in plan.commands() {
        println!("{c}");
    }
    if let Some(f) = &a.export {
        let n = export::export(&plan, f)?;
        eprintln!("netlens: {}", export::wrote(f, n));
    }
    if !a.apply {
        eprintln!("netlens: nothing changed (add --apply to apply)");
        return Ok(());
    }
    let confirm_secs = plan.confirm_secs(a.confirm, a.no_confirm, 60);
    let id = tokio::task::spawn_blocking(move || apply_and_record(plan, confirm_secs)).await??;
    eprintln!("netlens: applied as plan {id} (undo: netlens plan undo {id})");
    if let Some(secs) = confirm_secs {
        eprintln!("netlens: confirm within {secs} s or it is reverted: press Enter here, or run `netlens plan confirm {id}`");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // Only a line typed by someone confirms: end of input (no terminal, a closed
            // SSH session) is not a confirmation.
            let mut line = String::new();
            if std::io::stdin()
                .lock()
                .read_line(&mut line)
                .is_ok_and(|n| n > 0)
            {
                let _ = tx.send(());
            }
        });
        return wait_for_confirmation(&id, secs, &rx);
    }
    Ok(())
}

/// Waits until the plan is confirmed (a line on stdin, or `netlens plan confirm` from
/// anywhere) or its timer runs out, and says what the record says happened: never "not
/// confirmed" at once because stdin is not a terminal, never "reverted" for a plan another
/// terminal confirmed.
fn wait_for_confirmation(id: &str, secs: u64, typed: &std::sync::mpsc::Receiver<()>) -> Result<()> {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        match load(id)?.status {
            Status::Confirmed => {
                eprintln!("netlens: plan {id} confirmed (by `netlens plan confirm`): it stays");
                return Ok(());
            }
            Status::Reverting | Status::Reverted => break,
            _ => {}
        }
        if typed.try_recv().is_ok() {
            confirm(Some(id))?;
            eprintln!("netlens: plan {id} confirmed");
            return Ok(());
        }
        if std::time::Instant::now() >= deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    // The guard reverts it now: say how that ended.
    let until = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let r = load(id)?;
        match r.status {
            Status::Reverted => bail!(
                "plan {id}: not confirmed within {secs} s: reverted (see revert.log in the data directory)"
            ),
            Status::Confirmed => {
                eprintln!("netlens: plan {id} confirmed just in time: it stays");
                return Ok(());
            }
            _ if std::time::Instant::now() >= until => bail!(
                "plan {id}: not confirmed within {secs} s: its guard is reverting it ({:?} so far)",
                r.status
            ),
            _ => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// Whether a plan in this state can be undone, or why not.
fn undoable(r: &store::Record) -> Result<()> {
    let ended = r.ended_at.map(store::when).unwrap_or_default();
    match r.status {
        Status::Applied | Status::Confirmed => Ok(()),
        Status::Undone => bail!("plan {}: already undone {ended}; nothing to do", r.id),
        Status::Reverted | Status::Reverting => {
            bail!("plan {}: already reverted by its confirm timer {ended}; nothing to do", r.id)
        }
        Status::Failed => bail!(
            "plan {}: its apply failed and was rolled back; nothing to undo",
            r.id
        ),
        Status::Applying | Status::AwaitingConfirm => bail!(
            "plan {}: it runs under a confirm timer: let the timer revert it, or `netlens plan confirm {}` first",
            r.id,
            r.id
        ),
    }
}

/// The live state of every namespace a plan names (`None` for one that is gone).
async fn states_of(plan: &Plan) -> Vec<(String, Option<netstate::NsState>)> {
    let mut names: Vec<String> = plan
        .steps
        .iter()
        .map(|s| s.netns().to_owned())
        .chain(plan.steps.iter().filter_map(|s| match s {
            actions::Step::NetnsAdd { name } => Some(name.clone()),
            actions::Step::LinkSet(l) => match &l.change {
                actions::step::LinkChange::Netns(n) => Some(n.clone()),
                _ => None,
            },
            _ => None,
        }))
        .collect();
    names.sort();
    names.dedup();
    let mut out = Vec::new();
    for n in names {
        let lookup = if n == actions::HOST || n == "1" {
            "host"
        } else {
            n.as_str()
        };
        let st = match netstate::netns::find(lookup) {
            Ok(info) => netstate::live::snapshot(&info).await.ok(),
            Err(_) => None,
        };
        out.push((n, st));
    }
    out
}

async fn undo(id: Option<&str>, force: bool, yes: bool, a: &PlanArgs) -> Result<()> {
    let rec = if let Some(id) = id {
        load(id)?
    } else {
        {
            let me = store::current_user();
            let r = list()?
                .into_iter()
                .rev()
                .find(|r| {
                    matches!(r.status, Status::Applied | Status::Confirmed)
                        && (r.user.is_empty() || r.user == me)
                })
                .with_context(|| {
                    format!("no applied plan of {me} to undo (`netlens plan undo --list` lists every plan)")
                })?;
            eprintln!(
                "netlens: the newest plan {me} applied is {} ({}, in {}, {})",
                r.id,
                r.plan.title,
                if r.plan.netns.is_empty() {
                    "host"
                } else {
                    &r.plan.netns
                },
                store::when(r.applied_at)
            );
            if !yes {
                use std::io::IsTerminal as _;
                if !std::io::stdin().is_terminal() {
                    bail!(
                        "give its id to undo it: `netlens plan undo {}` (or --yes)",
                        r.id
                    );
                }
                eprint!("netlens: undo this plan? [y/N] ");
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line)?;
                if !matches!(line.trim(), "y" | "yes") {
                    bail!("not undone");
                }
            }
            r
        }
    };
    let preview = undo_preview(&rec.id, force).await?;
    if !preview.drift.is_empty() {
        eprintln!("netlens: plan {}: changed since it was applied:", rec.id);
    }
    for d in &preview.drift {
        eprintln!("  {d}");
    }
    if !preview.drift.is_empty() && !force {
        bail!(
            "plan {}: not undone, so as not to overwrite what changed since; --force undoes only the parts that did not change",
            rec.id
        );
    }
    let undo = preview.undo;
    println!("# {}", undo.title);
    for c in undo.commands() {
        println!("{c}");
    }
    if let Some(f) = &a.export {
        let n = export::export(&undo, f)?;
        eprintln!("netlens: {}", export::wrote(f, n));
    }
    if !a.apply {
        eprintln!(
            "netlens: nothing changed (add --apply to undo plan {})",
            rec.id
        );
        return Ok(());
    }
    undo_apply(&rec.id, undo).await?;
    eprintln!("netlens: plan {} undone", rec.id);
    Ok(())
}

/// The recorded plans, newest first, as the UI's Plans view lists them.
pub fn plan_rows() -> Result<Vec<crate::tui::plans_pane::PlanRow>, String> {
    let mut v = list().map_err(|e| format!("{e:#}"))?;
    v.reverse();
    Ok(v.into_iter()
        .map(|r| crate::tui::plans_pane::PlanRow {
            status: format!("{:?}", r.status).to_lowercase(),
            netns: if r.plan.netns.is_empty() {
                "host".into()
            } else {
                r.plan.netns.clone()
            },
            user: r.user,
            applied: store::when(r.applied_at),
            title: r.plan.title,
            id: r.id,
        })
        .collect())
}

/// What undoing a plan would do: the undo plan (without the steps that drifted) and, in
/// words, what changed since the plan was applied.
#[derive(Debug, Clone)]
pub struct UndoPreview {
    pub undo: Plan,
    /// One line per step whose effect changed since: `step N (COMMAND): WHAT`.
    pub drift: Vec<String>,
}

/// Checks a recorded plan can be undone and previews its undo against the live state.
pub async fn undo_preview(id: &str, force: bool) -> Result<UndoPreview> {
    let rec = load(id)?;
    undoable(&rec)?;
    let states = states_of(&rec.plan).await;
    let state = |n: &str| {
        states
            .iter()
            .find(|(k, _)| k == n)
            .and_then(|(_, s)| s.as_ref())
    };
    let drifted = actions::drift(&rec.plan, state);
    let drift: Vec<String> = drifted
        .iter()
        .map(|d| {
            let step = rec
                .plan
                .steps
                .get(d.step)
                .map(actions::Step::command_line)
                .unwrap_or_default();
            format!("step {} ({step}): {}", d.step + 1, d.what)
        })
        .collect();
    let skip: Vec<usize> = if force {
        drifted.iter().map(|d| d.step).collect()
    } else {
        Vec::new()
    };
    Ok(UndoPreview {
        undo: rec.plan.undo_except(&skip),
        drift,
    })
}

/// Applies an undo (under the usual rollback) and records the plan as undone; a plan is
/// claimed under its lock first, so two undos cannot both run.
pub async fn undo_apply(id: &str, undo: Plan) -> Result<()> {
    store::with_lock(id, |r| {
        undoable(r)?;
        r.status = Status::Undone;
        r.ended_at = Some(store::now());
        Ok(())
    })?;
    match tokio::task::spawn_blocking(move || apply_sync(undo)).await? {
        Ok(_) => Ok(()),
        Err(e) => {
            // Rolled back: the plan is still applied.
            store::with_lock(id, |r| {
                r.status = Status::Applied;
                r.ended_at = None;
                Ok(())
            })?;
            Err(e.context(format!("plan {id}: undo failed; it is still applied")))
        }
    }
}
