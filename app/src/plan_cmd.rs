//! `netlens plan`: guided changes, previewed as ip/bridge commands, validated, applied
//! through netlink with rollback, exported as scripts, recorded for `undo`, and guarded by
//! a confirm timer that survives netlens.

use std::fmt::Write as _;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use actions::netlink::NetlinkApplier;
use actions::{apply_plan, KernelSupport, NsView, Plan};
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use serde::{Deserialize, Serialize};

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(subcommand)]
    pub action: Action,
    /// Apply the plan (without it, only the commands are printed).
    #[arg(long, global = true)]
    pub apply: bool,
    /// Revert unless confirmed within SECS seconds (default 60; on by default for plans
    /// that move the host's address or default route).
    #[arg(long, global = true, value_name = "SECS", num_args = 0..=1, default_missing_value = "60")]
    pub confirm: Option<u64>,
    /// No confirm timer, even for plans that move the host's address.
    #[arg(long, global = true, conflicts_with = "confirm")]
    pub no_confirm: bool,
    /// Write a POSIX sh script of the plan to FILE, its undo to FILE.undo, and
    /// ip/bridge -batch files to FILE.N.ip|bridge.
    #[arg(long, global = true, value_name = "FILE")]
    pub export: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Action {
    /// Let the host reach its macvlan containers: a macvlan shim on the parent, a /32 on it
    /// and a host route per container.
    Shim {
        #[arg(long)]
        parent: String,
        #[arg(long)]
        name: Option<String>,
        /// The shim's address, a /32 (e.g. 192.168.1.250).
        #[arg(long)]
        ip: Option<String>,
        /// A container IP or CIDR to route through the shim (repeatable).
        #[arg(long = "to")]
        to: Vec<String>,
        /// Move the parent's IPv4 addresses (labels and noprefixroute kept) and routes
        /// (default route included) onto the shim. A DHCP address is refused: the lease
        /// would run out on the shim while the client renews it on the parent.
        #[arg(long)]
        move_host_ip: bool,
    },
    /// A VLAN sub-interface (needs the kernel's 8021q).
    Vlan {
        #[arg(long)]
        parent: String,
        #[arg(long)]
        id: u32,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        ip: Option<String>,
        #[arg(long)]
        promisc: bool,
        #[arg(long)]
        mtu: Option<u32>,
    },
    /// The local VTEP: a vxlan device with its overlay address (dstport always named).
    Vxlan {
        #[arg(long)]
        name: String,
        #[arg(long)]
        vni: u32,
        #[arg(long)]
        port: Option<u32>,
        #[arg(long)]
        local: String,
        #[arg(long)]
        dev: String,
        #[arg(long)]
        learning: bool,
        #[arg(long)]
        ip: String,
        #[arg(long)]
        mac: Option<String>,
        #[arg(long)]
        mtu: Option<u32>,
    },
    /// One peer on an existing vxlan device: static ARP, FDB entry, routes.
    VxlanPeer {
        #[arg(long)]
        dev: String,
        #[arg(long)]
        overlay_ip: String,
        #[arg(long)]
        mac: String,
        #[arg(long)]
        underlay: String,
        #[arg(long = "route")]
        routes: Vec<String>,
    },
    /// Give a namespace (created if missing) a macvlan or veth end, an address and a
    /// default route.
    Attach {
        #[arg(long)]
        parent: String,
        #[arg(long)]
        target: String,
        #[arg(long)]
        ip: String,
        #[arg(long)]
        gateway: String,
        #[arg(long)]
        mode: Option<String>,
        #[arg(long)]
        veth: bool,
        #[arg(long)]
        name: Option<String>,
    },
    /// Recreate an existing vxlan device with its FDB and ARP entries (use with --export).
    Recreate {
        #[arg(long)]
        dev: String,
    },
    /// Remove what an applied plan created (default: the last one applied).
    Undo {
        id: Option<String>,
        /// List the recorded plans instead.
        #[arg(long)]
        list: bool,
    },
    /// Confirm a plan applied under a confirm timer, so it is not reverted.
    Confirm { id: Option<String> },
}

/// A plan applied by netlens, kept under the data directory for `undo` and the guard.
#[derive(Debug, Serialize, Deserialize)]
pub struct Record {
    pub id: String,
    pub plan: Plan,
    pub status: Status,
    pub applied_at: u64,
    pub confirm_by: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Being applied under a confirm timer: the guard is already watching.
    Applying,
    /// The apply failed and was rolled back.
    Failed,
    Applied,
    AwaitingConfirm,
    Confirmed,
    /// The guard has started reverting: too late to confirm.
    Reverting,
    Reverted,
    Undone,
}

/// How long an apply under a confirm timer may take before the guard treats netlens as
/// dead mid-apply and reverts what was done.
const APPLY_GRACE: u64 = 30;

/// Runs `f` on the record with an exclusive lock held, and saves it: confirm and the guard
/// never interleave their read-modify-write.
fn with_lock<T>(id: &str, f: impl FnOnce(&mut Record) -> Result<T>) -> Result<T> {
    use nix::fcntl::{Flock, FlockArg};
    let lock_path = record_path(id)?.with_extension("lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .with_context(|| format!("opening {}", lock_path.display()))?;
    let _lock = Flock::lock(file, FlockArg::LockExclusive)
        .map_err(|(_, e)| anyhow::anyhow!("locking {}: {e}", lock_path.display()))?;
    let mut rec = load(id)?;
    let out = f(&mut rec)?;
    save(&rec)?;
    Ok(out)
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn data_dir() -> Result<PathBuf> {
    let d = std::env::var_os("NETLENS_DATA_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            directories::ProjectDirs::from("", "", "netlens").map(|p| p.data_dir().to_path_buf())
        });
    let d = d.context("no data directory (set NETLENS_DATA_DIR)")?;
    std::fs::create_dir_all(d.join("plans"))
        .with_context(|| format!("creating {}", d.display()))?;
    Ok(d)
}

fn record_path(id: &str) -> Result<PathBuf> {
    if id.contains('/') || id.starts_with('.') {
        bail!("plan id {id}: not a plan id (see `netlens plan undo --list`)");
    }
    Ok(data_dir()?.join("plans").join(format!("{id}.json")))
}

fn save(r: &Record) -> Result<()> {
    let p = record_path(&r.id)?;
    let tmp = p.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(r)?)
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &p).with_context(|| format!("writing {}", p.display()))?;
    Ok(())
}

fn load(id: &str) -> Result<Record> {
    let p = record_path(id)?;
    let bytes =
        std::fs::read(&p).with_context(|| format!("plan {id}: no record at {}", p.display()))?;
    serde_json::from_slice(&bytes)
        .with_context(|| format!("plan {id}: unreadable record {}", p.display()))
}

fn list() -> Result<Vec<Record>> {
    let mut v: Vec<Record> = std::fs::read_dir(data_dir()?.join("plans"))?
        .filter_map(std::result::Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .filter_map(|e| std::fs::read(e.path()).ok())
        .filter_map(|b| serde_json::from_slice(&b).ok())
        .collect();
    v.sort_by_key(|r| (r.applied_at, r.id.clone()));
    Ok(v)
}

fn log(line: &str) {
    if let Ok(d) = data_dir() {
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(d.join("revert.log"))
        {
            let _ = writeln!(f, "{} {line}", now());
        }
    }
}

pub fn build(
    netns: &netstate::NetnsInfo,
    st: &netstate::NsState,
    target: Option<&netstate::NsState>,
    a: &Action,
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
    let k = KernelSupport::probe();
    let view = NsView {
        name: if netns.name == "host" {
            actions::HOST
        } else {
            &netns.name
        },
        state: st,
    };
    let plan = match a {
        Action::Shim {
            parent,
            name,
            ip,
            to,
            move_host_ip,
        } => actions::shim(
            view,
            &actions::builders::ShimInput {
                parent: parent.clone(),
                name: name.clone(),
                ip: ip.clone(),
                to: to.clone(),
                move_host_ip: *move_host_ip,
            },
            &k,
        ),
        Action::Vlan {
            parent,
            id,
            name,
            ip,
            promisc,
            mtu,
        } => actions::vlan(
            view,
            &actions::builders::VlanInput {
                parent: parent.clone(),
                id: *id,
                name: name.clone(),
                ip: ip.clone(),
                promisc: *promisc,
                mtu: *mtu,
            },
            &k,
        ),
        Action::Vxlan {
            name,
            vni,
            port,
            local,
            dev,
            learning,
            ip,
            mac,
            mtu,
        } => actions::vxlan(
            view,
            &actions::builders::VxlanInput {
                name: name.clone(),
                vni: *vni,
                port: *port,
                local: local.clone(),
                dev: dev.clone(),
                learning: *learning,
                ip: ip.clone(),
                mac: mac.clone(),
                mtu: *mtu,
            },
            &k,
        ),
        Action::VxlanPeer {
            dev,
            overlay_ip,
            mac,
            underlay,
            routes,
        } => actions::vxlan_peer(
            view,
            &actions::builders::VxlanPeerInput {
                dev: dev.clone(),
                overlay_ip: overlay_ip.clone(),
                mac: mac.clone(),
                underlay: underlay.clone(),
                routes: routes.clone(),
            },
        ),
        Action::Attach {
            parent,
            target: t,
            ip,
            gateway,
            mode,
            veth,
            name,
        } => actions::attach(
            view,
            target,
            &actions::builders::AttachInput {
                parent: parent.clone(),
                target_ns: t.clone(),
                ip: ip.clone(),
                gateway: gateway.clone(),
                mode: mode.clone(),
                veth: *veth,
                name: name.clone(),
                mtu: None,
            },
            &k,
        ),
        Action::Recreate { dev } => actions::recreate_vxlan(view, dev),
        Action::Undo { .. } | Action::Confirm { .. } => bail!("not a plan"),
    };
    plan.map_err(|e| anyhow::anyhow!("{e}"))
}

fn export(plan: &Plan, file: &Path) -> Result<()> {
    let sh = actions::export_sh(plan).map_err(|e| anyhow::anyhow!("{e}"))?;
    let undo = actions::export_undo_sh(plan).map_err(|e| anyhow::anyhow!("{e}"))?;
    let undo_path = PathBuf::from(format!("{}.undo", file.display()));
    std::fs::write(file, sh).with_context(|| format!("--export {}", file.display()))?;
    std::fs::write(&undo_path, undo)
        .with_context(|| format!("--export {}", undo_path.display()))?;
    for (i, b) in actions::export_batch(plan)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .iter()
        .enumerate()
    {
        let p = PathBuf::from(format!("{}.{}.{}", file.display(), i + 1, b.tool.as_str()));
        std::fs::write(&p, &b.text).with_context(|| format!("--export {}", p.display()))?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for p in [file, undo_path.as_path()] {
            let _ = std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755));
        }
    }
    eprintln!(
        "netlens: wrote {} and {}",
        file.display(),
        undo_path.display()
    );
    Ok(())
}

/// Applies a plan through netlink on a blocking thread; on failure says which step failed
/// and what the rollback did.
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
        Action::Attach { target, .. } => match netstate::netns::find(target) {
            Ok(t) => Some(netstate::live::snapshot(&t).await?),
            Err(_) => None,
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
        export(&plan, f)?;
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

/// Starts the guard as its own process: it outlives this one, its terminal and its SSH
/// session, and reverts the plan unless it is confirmed in time.
fn spawn_guard(id: &str) -> Result<()> {
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

pub fn confirm(id: Option<&str>) -> Result<()> {
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
    eprintln!("netlens: plan {id} confirmed");
    Ok(())
}

/// Applies a plan's undo step by step, carrying on past failures; returns what failed.
fn revert(plan: &Plan) -> Result<Vec<String>> {
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
    let failed = tokio::task::spawn_blocking(move || revert(&plan)).await??;
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
