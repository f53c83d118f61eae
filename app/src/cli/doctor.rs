//! `netlens doctor`: what keeps traffic from flowing, with evidence and fixes.

use std::io::Write as _;
use std::process::ExitCode;

use diagnose::{Finding, Severity};

use super::diag::{inventory_once, select, HostKernel};

/// The doctor could not run (a namespace pattern matching nothing, nothing readable).
pub const EXIT_FAILED: u8 = 3;

/// Runs the doctor on `pattern`'s namespaces (all without one) and prints the findings.
/// Exit status: 0 none, 1 warnings, 2 errors, 3 the doctor could not run.
pub async fn run(pattern: Option<&str>, a: &crate::cli::DoctorArgs) -> ExitCode {
    match examine(pattern, a).await {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("netlens: doctor: {e:#}");
            ExitCode::from(EXIT_FAILED)
        }
    }
}

async fn examine(pattern: Option<&str>, a: &crate::cli::DoctorArgs) -> anyhow::Result<u8> {
    let inv = inventory_once().await?;
    let only = match pattern {
        Some(p) if !a.all => Some(select(&inv, p)?),
        _ => None,
    };
    let findings = tokio::task::spawn_blocking(move || {
        diagnose::doctor::examine(&inv, &HostKernel, only.as_deref())
    })
    .await?;
    let out = std::io::stdout();
    let mut out = out.lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &findings)?;
        writeln!(out)?;
    } else {
        write_text(&mut out, &findings)?;
    }
    out.flush()?;
    Ok(diagnose::doctor::exit_code(&findings))
}

fn write_text(out: &mut impl std::io::Write, findings: &[Finding]) -> std::io::Result<()> {
    if findings.is_empty() {
        return writeln!(out, "no finding");
    }
    for f in findings {
        let sev = match f.severity {
            Severity::Error => "ERROR",
            Severity::Warning => "WARNING",
        };
        writeln!(out, "{sev} [{}] in {}: {}", f.check, f.netns, f.message)?;
        writeln!(out, "    evidence: {}", f.evidence)?;
        if let Some(fix) = &f.fix {
            for (i, c) in fix.commands().iter().enumerate() {
                writeln!(out, "    {} {c}", if i == 0 { "fix:" } else { "    " })?;
            }
            let blanks = fix.blanks();
            if !blanks.is_empty() {
                writeln!(out, "    (fill in {} before running it)", blanks.join(", "))?;
            }
        }
    }
    Ok(())
}
