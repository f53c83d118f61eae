//! The arguments of `netlens plan`: the guided actions come from `actions::ActionInput`
//! (one definition for the CLI and the UI's form); recreate, undo and confirm are here.

use std::path::PathBuf;

use actions::ActionInput;
use clap::{Args, Subcommand};

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
    #[command(flatten)]
    Build(ActionInput),
    /// Recreate an existing vxlan device with its FDB and ARP entries (use with --export).
    Recreate {
        /// The vxlan device to recreate.
        #[arg(long, value_name = "IF")]
        dev: String,
        /// Recreate it even though it uses options netlens cannot carry (they are listed;
        /// the new device lacks them).
        #[arg(long)]
        lossy: bool,
    },
    /// Undo an applied plan: previews its undo (add --apply to run it), after checking that
    /// what the plan made is still as it left it.
    ///
    /// Without ID, says which plan it would take (the newest you applied) and asks. A plan
    /// is undone once; a plan whose objects changed since (drift) is refused, with the
    /// difference shown, unless --force (then only the parts that did not drift are undone).
    Undo {
        /// The plan's id (see --list).
        id: Option<String>,
        /// List the recorded plans (with their namespace and user) instead.
        #[arg(long)]
        list: bool,
        /// Undo the parts that did not drift, leave the rest as it is now.
        #[arg(long)]
        force: bool,
        /// Without ID: take the newest plan without asking.
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Confirm a plan applied under a confirm timer, so it is not reverted.
    Confirm {
        /// The plan's id; default the newest plan awaiting confirmation.
        id: Option<String>,
    },
}
