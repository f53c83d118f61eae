//! The path trace: how a packet from a namespace to an address goes on this host, and how
//! the reply comes back. Each namespace routes with the kernel's own lookup (policy rules,
//! `--src`, protocol and ports; at a router the lookup of a packet arriving on its link, so
//! forwarding and reverse-path filtering count); each frame goes where L2 takes it from the
//! egress device ([`netstate::l2`]): an address is reached only when a link that holds it
//! receives the frame. The neighbour cache is evidence, explained by what lies below it.

pub(crate) mod explain;
pub(crate) mod leg;
mod vxlan;

use std::net::IpAddr;

use netstate::inventory::Inventory;
use netstate::l2::Fabric;
use netstate::NsId;
use serde::Serialize;

use crate::kernel::Kernel;
use crate::report::Fix;
use leg::{End, Walk};

/// Which way a packet goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Forward,
    Reply,
}

/// The trace's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// There and back on this host.
    Reachable,
    /// The packet leaves the host; what lies beyond is not visible here.
    LeavesHost,
    /// The path breaks on this host (`broken` says which way).
    Broken,
}

/// What a hop looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HopKind {
    /// The kernel's route lookup.
    Route,
    /// The egress or receiving link's state.
    Link,
    /// The frame's way at L2 (veth, bridge, macvlan…).
    L2,
    /// The neighbour (ARP/ND) entry for the next hop.
    Neighbour,
    /// A vxlan device's FDB and VTEP.
    Vxlan,
    /// Who holds the next hop's address.
    Address,
    /// A capture during `--probe`.
    Capture,
    /// The `--probe` echo.
    Probe,
}

impl HopKind {
    /// The name the JSON and the text use (`route`, `l2`).
    pub fn name(self) -> &'static str {
        match self {
            HopKind::Route => "route",
            HopKind::Link => "link",
            HopKind::L2 => "l2",
            HopKind::Neighbour => "neighbour",
            HopKind::Vxlan => "vxlan",
            HopKind::Address => "address",
            HopKind::Capture => "capture",
            HopKind::Probe => "probe",
        }
    }
}

/// How a hop came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    /// Evidence that does not decide the verdict (a FAILED entry from an earlier try).
    Note,
    Broken,
    /// The packet leaves the host here.
    Leaves,
    /// The destination is reached here.
    Reached,
}

impl Status {
    /// The name the JSON and the text use.
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Note => "note",
            Status::Broken => "broken",
            Status::Leaves => "leaves",
            Status::Reached => "reached",
        }
    }
}

/// One step of the path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hop {
    pub direction: Direction,
    pub netns: String,
    #[serde(skip)]
    pub ns: NsId,
    pub what: HopKind,
    /// What was found, in words (`10.0.0.9 via 10.0.0.1 dev eth0 src 10.0.0.5`).
    pub found: String,
    pub status: Status,
    /// The link the hop is about (a route hop's egress device: where `--probe` captures).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dev: Option<String>,
    #[serde(skip)]
    pub ifindex: Option<u32>,
}

/// What `--probe` saw.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Probe {
    /// An echo reply came back.
    pub reply: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtt_ms: Option<f64>,
    /// The probe agrees with the verdict.
    pub agrees: bool,
}

/// The trace's answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trace {
    pub from: String,
    pub to: IpAddr,
    /// The source address of the packet (given, or the kernel's choice).
    pub src: Option<IpAddr>,
    pub verdict: Verdict,
    /// `verdict` is not `broken`.
    pub reachable: bool,
    /// Which way breaks, when one does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broken: Option<Direction>,
    pub hops: Vec<Hop>,
    /// Why (or where the packet leaves the host), in a sentence.
    pub reason: String,
    /// What fixes the first broken hop, when netlens knows.
    pub fix: Option<Fix>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe: Option<Probe>,
}

impl Trace {
    /// The exit status `trace` returns: 0 reachable or leaving the host, 1 broken, 3 the
    /// probe disagrees with the verdict (2 is the trace failing to run).
    pub fn exit_code(&self) -> u8 {
        match &self.probe {
            Some(p) if !p.agrees => 3,
            Some(p) if self.verdict == Verdict::LeavesHost && !p.reply => 1,
            _ => u8::from(self.verdict == Verdict::Broken),
        }
    }

    /// Takes in a probe's outcome.
    pub fn set_probe(&mut self, reply: bool, rtt_ms: Option<f64>) {
        let agrees = match self.verdict {
            Verdict::Reachable => reply,
            Verdict::Broken => !reply,
            // Beyond the host is unknown: either outcome is an answer, not a contradiction.
            Verdict::LeavesHost => true,
        };
        self.probe = Some(Probe {
            reply,
            rtt_ms,
            agrees,
        });
    }
}

/// What to trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Query {
    pub from: NsId,
    pub to: IpAddr,
    pub src: Option<IpAddr>,
    /// IP protocol, for policy rules (`ipproto`).
    pub proto: Option<u8>,
    pub sport: Option<u16>,
    pub dport: Option<u16>,
}

impl Query {
    /// From `from` to `to`, nothing else set.
    pub fn new(from: NsId, to: IpAddr) -> Query {
        Query {
            from,
            to,
            src: None,
            proto: None,
            sport: None,
            dport: None,
        }
    }
}

/// Why a trace could not run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("namespace {0} is not among the namespaces netlens read")]
    UnknownNamespace(String),
    #[error("--src {src}: not an address of namespace {netns} ({have}): give one of its addresses, or leave --src out for the kernel's choice")]
    SrcNotLocal {
        src: IpAddr,
        netns: String,
        have: String,
    },
    #[error("--src {src} and --to {to} are of different families (IPv4 and IPv6): give a source of --to's family")]
    SrcFamily { src: IpAddr, to: IpAddr },
    #[error(transparent)]
    Kernel(#[from] netstate::Error),
}

/// Traces `q` over `inv`, asking `k` what the model does not say.
pub fn trace(inv: &Inventory, k: &dyn Kernel, q: &Query) -> Result<Trace, Error> {
    let f = Fabric::new(inv);
    let from = f
        .entry(q.from)
        .ok_or_else(|| Error::UnknownNamespace(format!("{:?}", q.from)))?;
    if let Some(s) = q.src {
        if s.is_ipv4() != q.to.is_ipv4() {
            return Err(Error::SrcFamily { src: s, to: q.to });
        }
        if !f.holders(s).iter().any(|h| h.ns == q.from) {
            let have: Vec<String> = from
                .state
                .addrs
                .values()
                .filter_map(|a| a.local)
                .filter(|a| a.is_ipv4() == s.is_ipv4() && !a.is_loopback())
                .map(|a| a.to_string())
                .collect();
            return Err(Error::SrcNotLocal {
                src: s,
                netns: from.info.label(),
                have: if have.is_empty() {
                    "it has none of that family".into()
                } else {
                    format!("its addresses: {}", have.join(", "))
                },
            });
        }
    }
    let w = Walk { f: &f, k, q };
    let fwd = w.leg(Direction::Forward, q.from, q.to, q.src, None, 0)?;
    let mut hops = fwd.hops;
    let src = fwd.src;
    let (verdict, broken, reason, fix) = match fwd.end {
        End::Broken { reason, fix } => (Verdict::Broken, Some(Direction::Forward), reason, fix),
        End::Leaves { reason } => (Verdict::LeavesHost, None, reason, None),
        End::Reached { ns, reason } if ns == q.from => (Verdict::Reachable, None, reason, None),
        End::Reached { ns, reason } => match src {
            None => (
                Verdict::Reachable,
                None,
                format!("{reason} (the reply is not traced: the kernel chose no source address)"),
                None,
            ),
            Some(s) => {
                let back = w.leg(Direction::Reply, ns, s, Some(q.to), Some(q.from), 0)?;
                hops.extend(back.hops);
                match back.end {
                    End::Reached { .. } => (
                        Verdict::Reachable,
                        None,
                        format!(
                            "{reason}, and the reply comes back to {}",
                            from.info.label()
                        ),
                        None,
                    ),
                    End::Leaves { reason: r } => (
                        Verdict::Broken,
                        Some(Direction::Reply),
                        format!("{reason}, but the reply to {s} does not come back: {r}"),
                        None,
                    ),
                    End::Broken { reason: r, fix } => (
                        Verdict::Broken,
                        Some(Direction::Reply),
                        format!("{reason}, but the reply to {s} breaks: {r}"),
                        fix,
                    ),
                }
            }
        },
    };
    Ok(Trace {
        from: from.info.label(),
        to: q.to,
        src,
        verdict,
        reachable: verdict != Verdict::Broken,
        broken,
        hops,
        reason,
        fix,
        probe: None,
    })
}
