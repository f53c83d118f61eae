//! Export: a plan as a POSIX sh script (and its undo), or as `ip -batch` /
//! `bridge -batch` files.

mod batch;

pub use batch::{export_batch, Batch};

use std::fmt::Write;

use crate::plan::Plan;
use crate::step::Step;

/// A value that no exported form can carry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    /// A NUL byte: no argv can hold one.
    #[error("step {step}: {value:?} contains a NUL byte, which no command argument can carry")]
    Nul { step: usize, value: String },
    /// A word iproute2's batch parser cannot read back as one argument.
    #[error(
        "step {step}: {value:?} cannot be one -batch word: {reason}; export a shell script instead"
    )]
    Batch {
        step: usize,
        value: String,
        reason: &'static str,
    },
}

/// The plan as a POSIX sh script: `#!/bin/sh`, `set -eu`, a comment per step
/// (what it does and why) and the command, every value shell-quoted.
pub fn export_sh(plan: &Plan) -> Result<String, ExportError> {
    let mut header = vec![format!("netlens plan: {}", plan.title)];
    header.extend(notes(plan));
    header.push("Undo: the .undo script beside this one.".into());
    script(plan, &header)
}

/// The undo plan of `plan` (inverse steps, reverse order), in the same form.
pub fn export_undo_sh(plan: &Plan) -> Result<String, ExportError> {
    let undo = plan.undo();
    let mut header = vec![format!("netlens undo of: {}", plan.title)];
    header.extend(notes(&undo));
    header.extend(
        plan.irreversible()
            .into_iter()
            .map(|s| format!("Not undone (nothing can reverse it): {}", s.describe())),
    );
    script(&undo, &header)
}

fn notes(plan: &Plan) -> Vec<String> {
    let mut out = vec![format!(
        "Namespace: {}; {} steps.",
        crate::types::shell_quote(&plan.netns),
        plan.steps.len()
    )];
    if plan.moves_host_address_or_default_route {
        out.push(
            "It moves a host address or the default route: run it whole from a console or under nohup, as an SSH session may drop half-way."
                .into(),
        );
    } else if plan.touches_host {
        out.push("It changes the host namespace.".into());
    }
    out
}

fn script(plan: &Plan, header: &[String]) -> Result<String, ExportError> {
    let mut out = String::from("#!/bin/sh\n");
    for line in header {
        let _ = writeln!(out, "# {}", comment(line));
    }
    out.push_str("set -eu\n");
    let total = plan.steps.len();
    for (i, step) in plan.steps.iter().enumerate() {
        let _ = writeln!(out, "\n# {}/{total}: {}", i + 1, comment(&step.describe()));
        out.push_str(&quoted_line(i + 1, step)?);
        out.push('\n');
    }
    Ok(out)
}

/// The command with every word quoted by `shlex`.
fn quoted_line(index: usize, step: &Step) -> Result<String, ExportError> {
    let words: Result<Vec<String>, ExportError> = step
        .command()
        .into_iter()
        .map(|w| match shlex::try_quote(&w) {
            Ok(q) => Ok(q.into_owned()),
            Err(_) => Err(ExportError::Nul {
                step: index,
                value: w,
            }),
        })
        .collect();
    Ok(words?.join(" "))
}

/// A comment stays on its line: control characters become `?`.
fn comment(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}
