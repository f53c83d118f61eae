//! What reaches the UI ([`AppEvent`]) and what it asks the loop to do ([`Effect`]).
//!
//! Every source (terminal input, the inventory, captured packets, plan results, timers,
//! signals) becomes one `AppEvent` on one channel; [`super::update::update`] turns each
//! into state changes and effects; the loop carries the effects out off the UI thread and
//! feeds their results back as events.

use std::path::PathBuf;
use std::time::Instant;

use actions::{KernelSupport, Plan};
use capture::source::{Captured, CounterValues};
use netstate::inventory::Update;
use netstate::NetnsInfo;

/// Everything that can change the UI's state.
#[derive(Debug)]
pub enum AppEvent {
    /// A key, mouse or resize event from the terminal.
    Term(crossterm::event::Event),
    /// Namespaces came or went, or the kernel changed one.
    Inventory(Update),
    /// Time passed (highlights fade, messages expire, timers count down).
    Tick(Instant),
    /// A capture started (with its link type) or could not start.
    CaptureStarted {
        gen: u64,
        result: Result<i32, String>,
    },
    /// Packets a capture took since the last batch, and its counters now.
    Captured {
        gen: u64,
        packets: Vec<Captured>,
        counters: CounterValues,
    },
    /// A pcap file was written (its path and packet count) or not.
    Saved(Result<(PathBuf, usize), String>),
    /// A plan was applied (its id) or failed (why, and what the rollback did).
    Applied(Result<String, String>),
    /// A plan under a confirm timer was confirmed, or could not be.
    Confirmed(Result<String, String>),
    /// What the running kernel supports (probed once, off the UI thread).
    Kernel(KernelSupport),
    /// SIGTERM, SIGHUP, SIGINT or SIGQUIT: leave.
    Signal(&'static str),
    /// SIGTSTP (or Ctrl-Z): give the terminal back and stop until continued.
    Suspend,
    /// The recorded plans, newest first.
    Plans(Result<Vec<super::plans_pane::PlanRow>, String>),
    /// An undo previewed (or why it cannot be).
    UndoPreviewed(Result<super::plans_pane::Preview, String>),
    /// An undo ran (or failed, rolled back).
    Undone {
        id: String,
        result: Result<(), String>,
    },
    /// A path trace ended.
    Traced(Result<diagnose::Trace, String>),
    /// The doctor examined the host.
    Examined(Result<Vec<diagnose::Finding>, String>),
    /// One check of a walkthrough step ran (run `gen`, the check's index).
    Checked {
        gen: u64,
        index: usize,
        result: Result<crate::walkthrough::Outcome, String>,
    },
    /// The walkthrough's lab was removed (how many namespaces) or not.
    LabRemoved(Result<usize, String>),
    /// A step's plan was exported (what was written) or not.
    Exported(Result<String, String>),
}

/// What a key did in a pane (the capture pane, the form, the Plans view).
#[derive(Debug)]
pub enum PaneKey {
    /// The pane has no use for it (the status line says so).
    Unused,
    Changed,
    Close,
    Effect(Box<Effect>),
}

/// What the loop does for the UI: every piece of I/O the UI needs.
#[derive(Debug)]
pub enum Effect {
    /// Start a capture (stopping the one running); its packets come back tagged `gen`.
    StartCapture {
        gen: u64,
        iface: String,
        netns: NetnsInfo,
        filter: String,
        promisc: bool,
        /// Ports decoded as VXLAN: the defaults, `--vxlan-port`, and the namespace's vxlan
        /// devices' (updated as they come and go: the capture restarts).
        decode: capture::decode::DecodeOptions,
        /// The kernel ring, in MiB.
        buffer_mib: u32,
    },
    StopCapture,
    /// Write these packets to `netlens-IFACE-TIME.pcap` in the working directory.
    SavePcap {
        iface: String,
        /// Where; `None`: `netlens-IFACE-TIME.pcap` in the working directory.
        path: Option<PathBuf>,
        link: i32,
        packets: Vec<Captured>,
    },
    /// Apply a plan and record it for undo, under a confirm timer of `confirm_secs`.
    ApplyPlan {
        plan: Box<Plan>,
        confirm_secs: Option<u64>,
    },
    ConfirmPlan {
        id: String,
    },
    /// Find out what the kernel supports (8021q, vxlan...).
    ProbeKernel,
    /// Restore the terminal, stop (as Ctrl-Z does), and take the terminal again on SIGCONT.
    Suspend,
    /// Read the plan store.
    LoadPlans,
    /// Check a plan can be undone and preview its undo against the live state.
    PreviewUndo {
        id: String,
    },
    /// Apply a previewed undo.
    ApplyUndo {
        id: String,
        undo: Box<Plan>,
    },
    /// Run the doctor on this copy of the model (it reads sysctls and sends ARP probes).
    Doctor {
        inv: Box<netstate::inventory::Inventory>,
    },
    /// Trace the path from a namespace to an address (the kernel's route lookups in each
    /// namespace, against this copy of the model).
    Trace {
        inv: Box<netstate::inventory::Inventory>,
        from: netstate::NsId,
        to: std::net::IpAddr,
    },
    /// Run a walkthrough step's checks, one after the other (each result comes back as it
    /// finishes).
    RunChecks {
        gen: u64,
        lab: String,
        checks: Vec<crate::walkthrough::Check>,
    },
    /// Remove the walkthrough's lab (`lab down`).
    LabDown {
        lab: String,
    },
    /// Build a walkthrough step's plan against its node's live state and export it as a
    /// script (and its undo) to `path`.
    ExportStep {
        lab: String,
        node: String,
        line: String,
        path: PathBuf,
    },
    Quit,
}
