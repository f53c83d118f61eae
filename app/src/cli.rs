//! Command-line interface: the arguments here, a command's work in its own module.

pub mod diag;
pub mod doctor;
pub mod topo;
pub mod trace;

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

    /// The namespace to work in: the UI opens on it; dump, watch and capture read it; plan
    /// changes it (default: the one netlens runs in). `host`, a name from `ip netns list`,
    /// `pid:PID`, or a path.
    #[arg(long, short = 'n', global = true, value_name = "NAME")]
    pub netns: Option<String>,

    /// Benchmarks: append `first_frame_ms N` and `first_live_frame_ms N` (time from start to
    /// the first frame, and to the first frame showing the namespace's data) to this file.
    #[arg(long, value_name = "FILE", hide = true)]
    pub report_first_frame: Option<std::path::PathBuf>,

    /// UI only: packets a capture pane keeps for scrolling back (it also keeps at most
    /// 64 MiB); default: the config file's `ring`, else 10000.
    #[arg(long, value_name = "N", global = true)]
    pub ring: Option<usize>,

    /// UI only: a UDP port the capture pane decodes as VXLAN, besides 4789, 8472 and the
    /// ports of the namespace's vxlan devices (repeatable).
    #[arg(long = "vxlan-port", value_name = "PORT")]
    pub vxlan_ports: Vec<u16>,

    /// Write logs to this file (every command; the terminal is never written to while the
    /// UI runs).
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
    /// The host's L2 topology: links in their namespaces, macvlan/vlan/vxlan children and
    /// their parents (across namespaces), veth pairs, bridge ports, remote VTEPs.
    ///
    /// --json prints {"nodes": [{"id", "name", "netns", "kind"}], "edges": [{"from", "to",
    /// "kind"}]} (edge kinds: parent, veth, master, vtep); --dot prints Graphviz
    /// (`netlens topo --dot | dot -Tsvg > topo.svg`).
    Topo(TopoArgs),
    /// Settings: `config path` prints where the config file is read from, `config default`
    /// prints a commented default file (`netlens config default > "$(netlens config path)"`).
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Sandbox labs: topologies from a TOML file built in namespaces named
    /// nl-lab-LAB-NODE (never the host's interfaces); `list`, `up`, `down`, `status`.
    Lab {
        #[command(subcommand)]
        action: LabAction,
    },
    /// Guided walkthroughs over a lab: `walkthrough list`; `walkthrough NAME` opens the UI
    /// with the walkthrough beside the live tables; `--auto` runs it headless.
    ///
    /// Exit status of --auto: 0 every check met its expectation, 1 one did not, 2 an error,
    /// 3 this kernel lacks what the lab needs (said at the first step; nothing is built).
    Walkthrough {
        /// A built-in walkthrough (`list` lists them) or a walkthrough file.
        name: String,
        /// Run it headless: each step's plan applied and checks printed; exit 0 only if
        /// every check met its expectation.
        #[arg(long)]
        auto: bool,
        /// Leave the lab up at the end.
        #[arg(long)]
        keep: bool,
        /// Leave out step N's plan (from 1; its checks still run): shows a fix's checks fail
        /// without it.
        #[arg(long, value_name = "N")]
        skip: Option<usize>,
        /// With --auto: also write each step's plan to DIR as a script and its undo
        /// (NAME-stepN.sh, NAME-stepN.sh.undo).
        #[arg(long, value_name = "DIR", requires = "auto")]
        export: Option<std::path::PathBuf>,
    },
    /// Find what keeps traffic from flowing: macvlan containers the host cannot reach (no
    /// shim, or a shim without its host routes), namespaces without a default route, links
    /// and parents down, vxlan peers without FDB or ARP entries (or with mismatched MACs),
    /// unresolved neighbours (with their cause), stale neighbours, VTEPs on another port,
    /// the legacy vxlan port, vxlan MTUs the underlay cannot carry, one address twice on
    /// one L2, strict `rp_filter` against a shim's routes.
    ///
    /// Each finding names the objects, the evidence and a fix filled from the live state.
    /// --netns takes a name or a glob (`'pod-*'`). Exit status: 0 no finding, 1 warnings
    /// only, 2 errors, 3 the doctor could not run.
    Doctor(DoctorArgs),
    /// Why can (or can't) this namespace reach that address? Follows the packet on this host:
    /// the kernel's route lookup in each namespace (as `ip route get`, policy rules
    /// included), the frame at L2 from the egress device (link and carrier state, veth peers,
    /// bridges, macvlan mode rules, vxlan FDB, underlay and VTEP) to the link that holds the
    /// address, then the reply back. Where it breaks, it says why, with a fix.
    ///
    /// Exit status: 0 reachable (or the packet leaves the host), 1 broken, 2 the trace could
    /// not run, 3 --probe disagrees with the verdict. --json: {"verdict", "broken", "hops":
    /// [{"direction", "netns", "what", "found", "status"}], "reason", "fix", "probe"}.
    Trace(TraceArgs),
    /// Stream changes as `ip monitor all` does, one line per event (JSON lines with --json).
    ///
    /// Unlike `ip monitor`, a receive-buffer overrun is not just reported: the namespace is
    /// re-dumped and the difference printed as events, so the stream never silently diverges.
    Watch(WatchArgs),
    /// Capture packets like tcpdump, on an interface in any namespace or from a file.
    ///
    /// Prints one line per packet in tcpdump's -nn style (VXLAN: the outer summary, then the
    /// inner frame on its own line). Ctrl-C stops a live capture and prints the counters,
    /// including packets dropped by the kernel and by netlens.
    Capture(CaptureArgs),
    /// Preview, apply, export and undo guided changes: shim, vlan, vxlan, vxlan-peer, attach.
    ///
    /// Without --apply nothing changes: the exact ip/bridge commands are printed. Input is
    /// validated against the live namespace first; applying goes through netlink, and a
    /// failed step rolls back the ones before it. Plans that move the host's address or
    /// default route run under a confirm timer (60 s by default): unconfirmed, they are
    /// reverted by a guard process that survives netlens and its terminal.
    Plan(crate::plan::PlanArgs),
    /// Internal: the confirm-timer guard (started by `plan --apply --confirm`).
    #[command(name = "_revert-guard", hide = true)]
    RevertGuard {
        /// The plan the guard watches.
        id: String,
    },
    /// Benchmark: dump a namespace, then time rendering frames of a tab in memory.
    #[command(hide = true)]
    BenchRender {
        /// Tab to render: links, addresses, routes, neighbours, fdb.
        #[arg(long, default_value = "routes")]
        tab: String,
        /// Frames to render and time.
        #[arg(long, default_value_t = 200)]
        frames: u32,
    },
    /// Benchmark: the capture pane's memory for N held 60-byte packets (RSS growth).
    #[command(hide = true)]
    BenchRing {
        /// Packets to hold.
        #[arg(long, default_value_t = 100_000)]
        packets: u32,
    },
    /// Print the manual page (roff), e.g. `netlens man | man -l -`.
    Man,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct DumpArgs {
    /// Every namespace: the host's, named ones and containers'.
    #[arg(long, short = 'a', conflicts_with = "netns")]
    pub all: bool,
    /// Include link counters ("stats64", as `ip -s`).
    #[arg(long, short = 's')]
    pub stats: bool,
    /// JSON in iproute2's field names and formats.
    #[arg(long, short = 'j')]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TraceArgs {
    /// The namespace the packet starts in (`host`, a name, `pid:PID`).
    #[arg(long, value_name = "NS")]
    pub from: String,
    /// The destination address.
    #[arg(long, value_name = "ADDR")]
    pub to: std::net::IpAddr,
    /// The source address (default: the kernel's choice).
    #[arg(long, value_name = "IP")]
    pub src: Option<std::net::IpAddr>,
    /// The protocol, for policy rules that match on it (`ip rule … ipproto`).
    #[arg(long, value_enum)]
    pub proto: Option<Proto>,
    /// The destination port, for policy rules that match on it (`ip rule … dport`).
    #[arg(long, value_name = "N", requires = "proto")]
    pub port: Option<u16>,
    /// Confirm the verdict with a real probe: one ICMP echo from --from to --to (a raw
    /// socket netlens opens in that namespace; needs `CAP_NET_RAW`), waiting 1 s.
    #[arg(long)]
    pub probe: bool,
    /// The trace as JSON.
    #[arg(long, short = 'j')]
    pub json: bool,
}

/// A protocol `trace --proto` takes.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Proto {
    Icmp,
    Tcp,
    Udp,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Every namespace (the default; --netns examines one).
    #[arg(long, short = 'a', conflicts_with = "netns")]
    pub all: bool,
    /// One JSON object per finding: {"severity", "check", "netns", "objects", "message",
    /// "evidence", "fix"}, in a list.
    #[arg(long, short = 'j')]
    pub json: bool,
}

/// What `netlens config` does.
#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Where netlens reads its settings (`NETLENS_CONFIG`, else the user's config directory).
    Path,
    /// A commented default config file.
    Default,
}

/// What `netlens lab` does.
#[derive(Debug, Subcommand)]
pub enum LabAction {
    /// The labs that come with netlens.
    List,
    /// Build a lab (a built-in name or a lab file): its namespaces, links, addresses,
    /// routes, neighbours and FDB entries, through netlink; already up: nothing changes.
    Up {
        /// A built-in lab (`netlens lab list`) or a lab file.
        lab: String,
    },
    /// Remove every namespace of a lab, and nothing else.
    Down {
        /// A built-in lab, a lab file, or a lab's name.
        lab: String,
    },
    /// Which of the lab's namespaces exist, and what of the file is missing in them.
    Status {
        /// A built-in lab or a lab file.
        lab: String,
    },
}

#[derive(Debug, Args)]
pub struct TopoArgs {
    /// Every namespace (the default; --netns shows one, with its links elsewhere).
    #[arg(long, short = 'a', conflicts_with = "netns")]
    pub all: bool,
    /// Graphviz dot.
    #[arg(long, conflicts_with = "json")]
    pub dot: bool,
    /// JSON nodes and edges.
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

#[derive(Debug, Args)]
#[allow(clippy::struct_excessive_bools, reason = "tcpdump-like switches")]
pub struct CaptureArgs {
    /// Interface to capture on (in --netns, default: the namespace netlens runs in).
    #[arg(
        short = 'i',
        long,
        value_name = "IFACE",
        required_unless_present = "read"
    )]
    pub interface: Option<String>,
    /// BPF filter, in tcpdump's syntax (e.g. "icmp or arp", "udp port 4789").
    #[arg(short = 'f', long, value_name = "FILTER", default_value = "")]
    pub filter: String,
    /// Stop after COUNT packets (at least 1).
    #[arg(short = 'c', long, value_name = "COUNT", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,
    /// Print the link-level header (MACs, VLAN tags) as tcpdump -e does.
    #[arg(short = 'e')]
    pub link_level: bool,
    /// Write the raw packets to a pcap file (readable by tcpdump and Wireshark).
    #[arg(short = 'w', long, value_name = "FILE")]
    pub write: Option<std::path::PathBuf>,
    /// Read packets from a pcap or pcapng file instead of an interface.
    #[arg(short = 'r', long, value_name = "FILE", conflicts_with = "interface")]
    pub read: Option<std::path::PathBuf>,
    /// One JSON object per packet, with its decoded layers.
    #[arg(long, short = 'j')]
    pub json: bool,
    /// UDP port decoded as VXLAN, besides 4789 (repeatable; e.g. 4899 or 8472).
    #[arg(long = "vxlan-port", value_name = "PORT")]
    pub vxlan_ports: Vec<u16>,
    /// Bytes kept of each packet (65535 covers GSO frames on veths).
    #[arg(short = 's', long, default_value_t = 65_535)]
    pub snaplen: i32,
    /// Kernel capture ring in MiB, 1 to 256 (immediate mode needs one slot per
    /// snaplen-sized frame). Unlike tcpdump's -B, in MiB, not KiB.
    #[arg(
        short = 'B',
        long = "buffer-size",
        value_name = "MIB",
        default_value_t = 64,
        value_parser = clap::value_parser!(i32).range(1..=256)
    )]
    pub buffer_mib: i32,
    /// Do not put the interface into promiscuous mode.
    #[arg(short = 'p', long = "no-promiscuous-mode")]
    pub no_promisc: bool,
    /// Print nothing per packet (with -w: only write the file).
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Every flag and argument of every command says what it does.
    #[test]
    fn every_flag_has_help() {
        fn walk(c: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for a in c.get_arguments() {
                let id = a.get_id().as_str();
                if id == "help" || id == "version" || a.is_hide_set() {
                    continue;
                }
                if a.get_help().is_none() {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sc in c.get_subcommands() {
                walk(sc, &format!("{path} {}", sc.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&super::Cli::command(), "netlens", &mut missing);
        assert!(missing.is_empty(), "flags without help: {missing:?}");
    }
}
