//! `--export`: the plan as a POSIX sh script, its undo, and ip/bridge -batch files.

use std::path::{Path, PathBuf};

use actions::Plan;
use anyhow::{Context, Result};

pub fn export(plan: &Plan, file: &Path) -> Result<()> {
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
