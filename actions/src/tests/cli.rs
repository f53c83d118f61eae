//! Command lines such as `"shim --parent eth0 --ip 10.0.0.99"` parsed by the same clap
//! definition the app's `netlens plan` uses, built against the fixture.

use clap::{FromArgMatches, Subcommand};

use super::fixture;
use crate::{ActionInput, KernelSupport, NsView, Plan};

/// Parses a command line as `netlens plan` does.
pub fn parse(line: &str) -> ActionInput {
    let words = shlex::split(line).expect("test line");
    let cmd = ActionInput::augment_subcommands(clap::Command::new("plan"));
    let m = cmd
        .try_get_matches_from(std::iter::once("plan".to_owned()).chain(words))
        .unwrap_or_else(|e| panic!("{line}: {e}"));
    ActionInput::from_arg_matches(&m).expect("parsed action")
}

/// Runs a command line against the fixture host (and `red`).
pub fn run(line: &str) -> crate::Result<Plan> {
    run_with(line, KernelSupport::all())
}

/// Runs a command line with the given kernel support.
pub fn run_with(line: &str, support: KernelSupport) -> crate::Result<Plan> {
    let host = fixture::host();
    let red = fixture::red();
    let input = parse(line);
    let target = (input.target_ns() == Some("red")).then_some(&red);
    input.build(NsView::host(&host), target, &support)
}
