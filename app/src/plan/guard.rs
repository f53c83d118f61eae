//! Applying plans and the confirm-timer guard: a process of its own that reverts a plan
//! unless it is confirmed in time, also when netlens dies while applying it.

use std::fmt::Write as _;
use std::time::Duration;

use actions::netlink::NetlinkApplier;
use actions::{apply_plan, Plan};
use anyhow::{bail, Context, Result};

use super::store::{list, load, log, now, save, with_lock, Record, Status};

/// How long an apply under a confirm timer may take before the guard treats netlens as
/// dead mid-apply and reverts what was done.
const APPLY_GRACE: u64 = 30;

/// Applies a plan through netlink (blocking); on failure says which step failed and what
/// the rollback did.
pub fn apply_sync(plan: Plan) -> Result<Plan> {
    {
        let mut ap = NetlinkApplier::new()?;
        match apply_plan(&plan, &mut ap) {
            Ok(()) => Ok(plan),
            Err(f) => {
                let mut msg = format!(
                    "step {} of {} failed: {}",
                    f.index + 1,
                    plan.steps.len(),
                    f.error
                );
                for (s, r) in &f.rollback {
                    let failed = r
                        .as_ref()
                        .err()
                        .map(|e| format!(" (FAILED: {e})"))
                        .unwrap_or_default();
                    let _ = write!(msg, "\n  rolled back: {}{failed}", s.command_line());
                }
                for s in &f.not_undone {
                    let _ = write!(msg, "\n  could not undo: {}", s.command_line());
                }
                if f.rolled_back_cleanly() {
                    msg.push_str("\nthe namespace is as it was before the plan");
                }
                bail!(msg)
            }
        }
    }
}

/// Applies a plan and records it for `undo`. With a confirm timer, the record and the guard
/// exist before the first step, so a netlens killed mid-apply is reverted too. Returns the
/// plan's id.
pub fn apply_and_record(plan: Plan, confirm_secs: Option<u64>) -> Result<String> {
    let id = format!("{}-{}", now(), std::process::id());
    let rec = Record {
        id: id.clone(),
        plan: plan.clone(),
        status: Status::Applying,
        applied_at: now(),
        user: super::store::current_user(),
        ended_at: None,
        confirm_by: confirm_secs.map(|s| now() + s + APPLY_GRACE),
    };
    if confirm_secs.is_some() {
        save(&rec)?;
        spawn_guard(&id)?;
    }
    match apply_sync(plan) {
        Ok(_) if confirm_secs.is_some() => with_lock(&id, |r| {
            r.status = Status::AwaitingConfirm;
            r.confirm_by = confirm_secs.map(|s| now() + s);
            Ok(())
        })?,
        Ok(_) => save(&Record {
            status: Status::Applied,
            ..rec
        })?,
        Err(e) => {
            if confirm_secs.is_some() {
                let _ = with_lock(&id, |r| {
                    r.status = Status::Failed;
                    Ok(())
                });
            }
            return Err(e);
        }
    }
    Ok(id)
}

/// Starts the guard as its own process: it outlives this one, its terminal and its SSH
/// session, and reverts the plan unless it is confirmed in time.
pub fn spawn_guard(id: &str) -> Result<()> {
    use std::os::unix::process::CommandExt;
    let exe =
        std::env::current_exe().context("finding the netlens executable for the confirm guard")?;
    std::process::Command::new(exe)
        .args(["_revert-guard", id])
        // Its own process group from the start: a Ctrl-C or hang-up aimed at netlens's
        // group does not reach it, even before it calls setsid.
        .process_group(0)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .context("starting the confirm guard")?;
    Ok(())
}

/// Marks a plan awaiting confirmation as confirmed (the newest such plan without `id`);
/// returns its id. Prints nothing (the UI calls it too).
pub fn confirm(id: Option<&str>) -> Result<String> {
    let id = match id {
        Some(id) => id.to_owned(),
        None => {
            list()?
                .into_iter()
                .rev()
                .find(|r| r.status == Status::AwaitingConfirm)
                .context("no plan is awaiting confirmation")?
                .id
        }
    };
    with_lock(&id, |r| match r.status {
        Status::AwaitingConfirm => {
            r.status = Status::Confirmed;
            Ok(())
        }
        Status::Reverting | Status::Reverted => {
            bail!("plan {id}: too late, the confirm timer ran out and it is being reverted")
        }
        other => bail!("plan {id}: nothing to confirm (it is {other:?})"),
    })?;
    Ok(id)
}

/// Applies a plan's undo step by step, carrying on past failures; returns what failed.
pub fn revert(plan: &Plan) -> Result<Vec<String>> {
    let undo = plan.undo();
    let mut ap = NetlinkApplier::new()?;
    Ok(actions::apply_all(&undo, &mut ap)
        .into_iter()
        .filter_map(|(s, r)| {
            r.err()
                .map(|e| format!("{}: {}", s.command_line(), e.message))
        })
        .collect())
}

/// The confirm-timer guard: leaves netlens's session (so a hang-up does not reach it),
/// waits for the record's deadline, and reverts the plan unless it was confirmed — also
/// when netlens died while applying it.
pub fn guard(id: &str) -> Result<()> {
    let _ = nix::unistd::setsid();
    loop {
        let rec = load(id)?;
        let due = rec.confirm_by.unwrap_or(0);
        match rec.status {
            Status::Applying | Status::AwaitingConfirm if now() >= due => break,
            Status::Applying | Status::AwaitingConfirm => {
                std::thread::sleep(
                    Duration::from_millis(200).min(Duration::from_secs(due.saturating_sub(now()))),
                );
            }
            _ => return Ok(()),
        }
    }
    let go = with_lock(id, |r| {
        Ok(
            if matches!(r.status, Status::Applying | Status::AwaitingConfirm) {
                r.status = Status::Reverting;
                true
            } else {
                false
            },
        )
    })?;
    if !go {
        return Ok(());
    }
    let rec = load(id)?;
    let failed = revert(&rec.plan)?;
    with_lock(id, |r| {
        r.status = Status::Reverted;
        r.ended_at = Some(now());
        Ok(())
    })?;
    if failed.is_empty() {
        log(&format!(
            "plan {id} ({}) was not confirmed in time: reverted",
            rec.plan.title
        ));
    } else {
        log(&format!(
            "plan {id} ({}) was not confirmed in time: reverted, but these undo steps failed: {}",
            rec.plan.title,
            failed.join("; ")
        ));
    }
    Ok(())
}
