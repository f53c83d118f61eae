//! `ip -batch` / `bridge -batch` files: one per run of consecutive steps of the
//! same tool and namespace, to be run as `ip -n NS -batch FILE` (batch lines
//! cannot carry `-n NS` themselves).

use super::ExportError;
use crate::plan::Plan;
use crate::step::Tool;
use crate::types::HOST;

/// One batch file and where to run it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// The namespace (`-n NS`; none for the host).
    pub netns: String,
    pub tool: Tool,
    /// The file's lines: each step's words without the program and `-n NS`.
    pub text: String,
}

impl Batch {
    /// The argv that runs this batch from `file`: `ip [-n NS] -batch FILE`.
    pub fn command(&self, file: &str) -> Vec<String> {
        let mut argv = vec![self.tool.as_str().to_string()];
        if self.netns != HOST {
            argv.extend(["-n".to_string(), self.netns.clone()]);
        }
        argv.extend(["-batch".to_string(), file.to_string()]);
        argv
    }
}

/// The plan as batch files, in order. Steps stay in plan order: a new batch
/// starts whenever the tool or the namespace changes.
pub fn export_batch(plan: &Plan) -> Result<Vec<Batch>, ExportError> {
    let mut out: Vec<Batch> = Vec::new();
    for (i, step) in plan.steps.iter().enumerate() {
        let words: Result<Vec<String>, ExportError> =
            step.args().iter().map(|w| batch_word(i + 1, w)).collect();
        let line = words?.join(" ");
        match out.last_mut() {
            Some(b) if b.tool == step.tool() && b.netns == step.netns() => {
                b.text.push_str(&line);
                b.text.push('\n');
            }
            _ => out.push(Batch {
                netns: step.netns().to_string(),
                tool: step.tool(),
                text: format!("{line}\n"),
            }),
        }
    }
    Ok(out)
}

/// One word as iproute2's `makeargs` reads it: split on blanks, a word that
/// starts with `"` or `'` runs to the same quote (no escapes), and `#`
/// anywhere starts a comment.
pub(crate) fn batch_word(step: usize, w: &str) -> Result<String, ExportError> {
    let err = |reason| {
        Err(ExportError::Batch {
            step,
            value: w.to_string(),
            reason,
        })
    };
    if w.contains('\0') {
        return Err(ExportError::Nul {
            step,
            value: w.to_string(),
        });
    }
    if w.contains('#') {
        return err("a \"#\" starts a comment anywhere on a batch line");
    }
    if w.chars().any(char::is_control) {
        return err("it contains a control character");
    }
    let plain = !w.is_empty()
        && !w.contains([' ', '\t'])
        && !w.starts_with(['"', '\''])
        && !w.ends_with('\\');
    if plain {
        Ok(w.to_string())
    } else if !w.contains('"') {
        Ok(format!("\"{w}\""))
    } else if !w.contains('\'') {
        Ok(format!("'{w}'"))
    } else {
        err("it holds both quote characters and the batch parser has no escapes")
    }
}
