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
        /// Move the parent's address and routes (default route included) onto the shim.
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
    Applied,
    AwaitingConfirm,
    Confirmed,
    Reverted,
    Undone,
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
async fn apply(plan: Plan) -> Result<Plan> {
    tokio::task::spawn_blocking(move || apply_sync(plan)).await?
}

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

/// Applies a plan, records it for `undo`, and with a confirm timer starts the guard that
/// reverts it unless confirmed. Returns the plan's id.
pub fn apply_and_record(plan: Plan, confirm_secs: Option<u64>) -> Result<String> {
    let plan = apply_sync(plan)?;
    let id = format!("{}-{}", now(), std::process::id());
    let rec = Record {
        id: id.clone(),
        plan,
        status: if confirm_secs.is_some() {
            Status::AwaitingConfirm
        } else {
            Status::Applied
        },
        applied_at: now(),
        confirm_by: confirm_secs.map(|s| now() + s),
    };
    save(&rec)?;
    if let Some(secs) = confirm_secs {
        spawn_guard(&id, secs)?;
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
fn spawn_guard(id: &str, secs: u64) -> Result<()> {
    let exe =
        std::env::current_exe().context("finding the netlens executable for the confirm guard")?;
    std::process::Command::new(exe)
        .args(["_revert-guard", id, &secs.to_string()])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .context("starting the confirm guard")?;
    Ok(())
}

pub fn confirm(id: Option<&str>) -> Result<()> {
    let mut rec = match id {
        Some(id) => load(id)?,
        None => list()?
            .into_iter()
            .rev()
            .find(|r| r.status == Status::AwaitingConfirm)
            .context("no plan is awaiting confirmation")?,
    };
    if rec.status != Status::AwaitingConfirm {
        bail!(
            "plan {}: nothing to confirm (it is {:?})",
            rec.id,
            rec.status
        );
    }
    rec.status = Status::Confirmed;
    save(&rec)?;
    eprintln!("netlens: plan {} confirmed", rec.id);
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
    let undo = rec.plan.undo();
    for c in undo.commands() {
        println!("{c}");
    }
    apply(undo).await?;
    rec.status = Status::Undone;
    save(&rec)?;
    eprintln!("netlens: plan {} undone", rec.id);
    Ok(())
}

/// The confirm-timer guard: leaves netlens's session (so a hang-up does not reach it),
/// sleeps, and reverts the plan unless it was confirmed.
pub fn guard(id: &str, secs: u64) -> Result<()> {
    let _ = nix::unistd::setsid();
    std::thread::sleep(Duration::from_secs(secs));
    let mut rec = load(id)?;
    if rec.status != Status::AwaitingConfirm {
        return Ok(());
    }
    let undo = rec.plan.undo();
    let mut ap = NetlinkApplier::new()?;
    match apply_plan(&undo, &mut ap) {
        Ok(()) => {
            rec.status = Status::Reverted;
            save(&rec)?;
            log(&format!(
                "plan {id} ({}) was not confirmed within {secs} s: reverted",
                rec.plan.title
            ));
        }
        Err(f) => log(&format!(
            "plan {id}: revert failed at step {}: {}",
            f.index + 1,
            f.error
        )),
    }
    Ok(())
}
