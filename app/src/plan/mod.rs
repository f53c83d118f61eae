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
pub use guard::{apply_and_record, confirm, guard};
use store::{list, load, save, Status};

/// Builds `a` against the live state of `netns` (and of attach's target), with what the
/// running kernel supports.
pub fn build(
    netns: &netstate::NetnsInfo,
    st: &netstate::NsState,
    target: Option<&netstate::NsState>,
    a: &Action,
) -> Result<Plan> {
    build_with(netns, st, target, a, KernelSupport::probe())
}

/// Builds `a` with the kernel support given (the UI probes it once, off its thread).
pub fn build_with(
    netns: &netstate::NetnsInfo,
    st: &netstate::NsState,
    target: Option<&netstate::NsState>,
    a: &Action,
    k: KernelSupport,
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
    let plan = match a {
        Action::Build(input) => input.build(view, target, &k),
        Action::Recreate { dev } => actions::recreate_vxlan(view, dev),
        Action::Undo { .. } | Action::Confirm { .. } => bail!("not a plan"),
    };
    plan.map_err(|e| anyhow::anyhow!("{e}"))
}

pub async fn run(netns: Option<&str>, a: PlanArgs) -> Result<()> {
    match &a.action {
        Action::Undo { id, list: true } => {
            let _ = id;
            for r in list()? {
                println!(
                    "{}  {:?}  {}  ({} steps)",
                    r.id,
                    r.status,
                    r.plan.title,
                    r.plan.steps.len()
                );
            }
            return Ok(());
        }
        Action::Undo { id, .. } => return undo(id.as_deref()).await,
        Action::Confirm { id } => return confirm(id.as_deref()),
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
    let plan = build(&info, &st, target.as_ref(), &a.action)?;
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
        export::export(&plan, f)?;
    }
    if !a.apply {
        eprintln!("netlens: nothing changed (add --apply to apply)");
        return Ok(());
    }
    let confirm_secs = if a.no_confirm {
        None
    } else {
        a.confirm
            .or(plan.moves_host_address_or_default_route.then_some(60))
    };
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
        if rx.recv_timeout(Duration::from_secs(secs)).is_ok() {
            confirm(Some(&id))?;
        } else {
            eprintln!("netlens: not confirmed in {secs} s: the guard reverts plan {id}");
        }
    }
    Ok(())
}

async fn undo(id: Option<&str>) -> Result<()> {
    let mut rec = match id {
        Some(id) => load(id)?,
        None => list()?
            .into_iter()
            .rev()
            .find(|r| {
                matches!(
                    r.status,
                    Status::Applied | Status::Confirmed | Status::AwaitingConfirm
                )
            })
            .context("no applied plan to undo (`netlens plan undo --list`)")?,
    };
    for c in rec.plan.undo().commands() {
        println!("{c}");
    }
    let plan = rec.plan.clone();
    let failed = tokio::task::spawn_blocking(move || guard::revert(&plan)).await??;
    rec.status = Status::Undone;
    save(&rec)?;
    if failed.is_empty() {
        eprintln!("netlens: plan {} undone", rec.id);
        Ok(())
    } else {
        bail!(
            "plan {}: some undo steps failed (the others were done):\n  {}",
            rec.id,
            failed.join("\n  ")
        )
    }
}
