//! The plan store: one JSON record per applied plan under the data directory, read and
//! written under a lock so confirm and the guard never interleave.

use std::io::Write as _;
use std::path::PathBuf;

use actions::Plan;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

/// A plan applied by netlens, kept under the data directory for `undo` and the guard.
#[derive(Debug, Serialize, Deserialize)]
pub struct Record {
    pub id: String,
    pub plan: Plan,
    pub status: Status,
    pub applied_at: u64,
    pub confirm_by: Option<u64>,
    /// Who applied it (`SUDO_USER`, else the login name, else the uid).
    #[serde(default)]
    pub user: String,
    /// When it was undone, or reverted by the guard.
    #[serde(default)]
    pub ended_at: Option<u64>,
}

/// The user netlens acts for: the one behind `sudo`, else the login name, else the uid.
pub fn current_user() -> String {
    std::env::var("SUDO_USER")
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| format!("uid {}", nix::unistd::getuid()))
}

/// A time as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn when(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = i64::try_from(days).unwrap_or(0) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
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

/// Runs `f` on the record with an exclusive lock held, and saves it: confirm and the guard
/// never interleave their read-modify-write.
pub fn with_lock<T>(id: &str, f: impl FnOnce(&mut Record) -> Result<T>) -> Result<T> {
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

pub fn now() -> u64 {
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

pub fn save(r: &Record) -> Result<()> {
    let p = record_path(&r.id)?;
    let tmp = p.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(r)?)
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &p).with_context(|| format!("writing {}", p.display()))?;
    Ok(())
}

pub fn load(id: &str) -> Result<Record> {
    let p = record_path(id)?;
    let bytes =
        std::fs::read(&p).with_context(|| format!("plan {id}: no record at {}", p.display()))?;
    serde_json::from_slice(&bytes)
        .with_context(|| format!("plan {id}: unreadable record {}", p.display()))
}

pub fn list() -> Result<Vec<Record>> {
    let mut v: Vec<Record> = std::fs::read_dir(data_dir()?.join("plans"))?
        .filter_map(std::result::Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .filter_map(|e| std::fs::read(e.path()).ok())
        .filter_map(|b| serde_json::from_slice(&b).ok())
        .collect();
    v.sort_by_key(|r| (r.applied_at, r.id.clone()));
    Ok(v)
}

pub fn log(line: &str) {
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
