//! Command-line interface.

use clap::{Args, Parser, Subcommand};

/// Live view of Linux container networking: links, addresses, routes, neighbours and
/// bridge FDB in every network namespace, updated from netlink events as they happen.
///
/// Without a command, starts the terminal UI. `dump` and `watch` print the same state for
/// scripts, in iproute2's JSON field names with `--json`.
#[derive(Debug, Parser)]
#[command(name = "netlens", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Namespace the UI opens on: `host`, a name from `ip netns list`, `pid:PID`, or a path.
    #[arg(long, short = 'n', global = true, value_name = "NAME")]
    pub netns: Option<String>,

    /// Benchmarks: append `first_frame_ms N` and `first_live_frame_ms N` (time from start to
    /// the first frame, and to the first frame showing the namespace's data) to this file.
    #[arg(long, value_name = "FILE", hide = true)]
    pub report_first_frame: Option<std::path::PathBuf>,

    /// Write logs to this file (the terminal is never written to while the UI runs).
    #[arg(long, value_name = "FILE", global = true)]
    pub log: Option<std::path::PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the whole state of one namespace (default: the one netlens runs in) or of all.
    ///
    /// With --json, each namespace is an object {"netns", "links", "addrs", "routes", "neigh",
    /// "fdb"} whose entries use the field names of `ip -j -d link show`, `ip -j addr`,
    /// `ip -j route show table all`, `ip -j neigh` and `bridge -j fdb show`. --all prints a
    /// list of such objects; --netns a single object.
    Dump(DumpArgs),
    /// Stream changes as `ip monitor all` does, one line per event (JSON lines with --json).
    ///
    /// Unlike `ip monitor`, a receive-buffer overrun is not just reported: the namespace is
    /// re-dumped and the difference printed as events, so the stream never silently diverges.
    Watch(WatchArgs),
    /// Benchmark: dump a namespace, then time rendering frames of a tab in memory.
    #[command(hide = true)]
    BenchRender {
        /// Tab to render: links, addresses, routes, neighbours, fdb.
        #[arg(long, default_value = "routes")]
        tab: String,
        #[arg(long, default_value_t = 200)]
        frames: u32,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct DumpArgs {
    /// Every namespace: the host's, named ones and containers'.
    #[arg(long, short = 'a', conflicts_with = "netns")]
    pub all: bool,
    /// JSON in iproute2's field names and formats.
    #[arg(long, short = 'j')]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Every namespace, including ones created while watching.
    #[arg(long, short = 'a', conflicts_with = "netns")]
    pub all: bool,
    /// One JSON object per line: {"netns", "event": "new"|"del", "object", "data"}.
    #[arg(long, short = 'j')]
    pub json: bool,
    /// Netlink receive buffer in bytes (capped by `net.core.rmem_max`). Small values force
    /// overruns, which netlens recovers from by re-dumping.
    #[arg(long, value_name = "BYTES", default_value_t = netstate::live::DEFAULT_RCVBUF, hide = true)]
    pub rcvbuf: usize,
}
