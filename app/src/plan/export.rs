//! `--export`: the plan as a POSIX sh script, its undo, and ip/bridge -batch files.

use std::path::{Path, PathBuf};

use actions::Plan;
use anyhow::{Context, Result};

/// Writes the plan's sh script to `file`, its undo to `file.undo` and its -batch files to
/// `file.N.ip|bridge`: every file or none. Everything is rendered first (a name the batch
/// format cannot carry fails here, before any file exists), then written to temporary
/// files renamed into place at the end. Returns how many -batch files were written.
pub fn export(plan: &Plan, file: &Path) -> Result<usize> {
    let err = |e: actions::ExportError| anyhow::anyhow!("--export {}: {e}", file.display());
    let mut files: Vec<(PathBuf, String, bool)> = vec![
        (
            file.to_path_buf(),
            actions::export_sh(plan).map_err(err)?,
            true,
        ),
        (
            PathBuf::from(format!("{}.undo", file.display())),
            actions::export_undo_sh(plan).map_err(err)?,
            true,
        ),
    ];
    for (i, b) in actions::export_batch(plan)
        .map_err(err)?
        .into_iter()
        .enumerate()
    {
        files.push((
            PathBuf::from(format!("{}.{}.{}", file.display(), i + 1, b.tool.as_str())),
            b.text,
            false,
        ));
    }
    let mut written: Vec<PathBuf> = Vec::new();
    let result = (|| -> Result<()> {
        for (path, text, exec) in &files {
            let tmp = PathBuf::from(format!("{}.netlens-tmp", path.display()));
            written.push(tmp.clone());
            std::fs::write(&tmp, text).with_context(|| format!("--export {}", path.display()))?;
            if *exec {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755))
                    .with_context(|| format!("--export {}", path.display()))?;
            }
        }
        for (path, _, _) in &files {
            let tmp = PathBuf::from(format!("{}.netlens-tmp", path.display()));
            std::fs::rename(&tmp, path).with_context(|| format!("--export {}", path.display()))?;
        }
        Ok(())
    })();
    if let Err(e) = result {
        for t in written {
            let _ = std::fs::remove_file(t);
        }
        return Err(e);
    }
    Ok(files.len() - 2)
}

/// What `export` wrote, in words.
pub fn wrote(file: &Path, batches: usize) -> String {
    format!(
        "wrote {}, {}.undo and {batches} -batch file(s)",
        file.display(),
        file.display()
    )
}
