//! `netlens trace`: how a packet from a namespace to an address goes on this host, and
//! back; with `--probe`, a real echo while each hop's egress device is captured.

use std::io::Write as _;
use std::net::IpAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use capture::decode::{Decoded, IcmpBody, Icmpv6Body, LayerInfo};
use diagnose::trace::{Direction, Hop, HopKind, Status, Trace};
use netstate::inventory::Inventory;

use super::diag::{inventory_once_needs, HostKernel};
use crate::cmd::pick_netns;

/// The trace could not run (a bad --from or --src, nothing readable).
pub const EXIT_FAILED: u8 = 2;

/// Exit status: 0 reachable (or leaving the host), 1 broken, 2 the trace could not run, 3
/// `--probe` disagrees with the verdict.
pub async fn run(a: &crate::cli::TraceArgs) -> ExitCode {
    match trace(a).await {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("netlens: trace: {e:#}");
            ExitCode::from(EXIT_FAILED)
        }
    }
}

async fn trace(a: &crate::cli::TraceArgs) -> Result<u8> {
    let from = pick_netns(Some(&a.from))?;
    // Neighbours are read only where the trace goes (below): each namespace's neighbour
    // dump walks the host-wide ARP/ND table, so reading them everywhere costs more than
    // linear on a host with thousands of namespaces.
    let mut inv = inventory_once_needs(netstate::dump::Needs {
        routes: true,
        neighs: false,
    })
    .await?;
    let proto = a.proto.map(|p| match p {
        crate::cli::Proto::Icmp if a.to.is_ipv4() => 1,
        crate::cli::Proto::Icmp => 58,
        crate::cli::Proto::Tcp => 6,
        crate::cli::Proto::Udp => 17,
    });
    let q = diagnose::Query {
        from: from.id,
        to: a.to,
        src: a.src,
        proto,
        sport: None,
        dport: a.port,
    };
    let probe = a.probe;
    let t = tokio::task::spawn_blocking(move || -> Result<Trace> {
        let mut t = diagnose::trace(&inv, &HostKernel, &q)?;
        // The path is decided by links and routes; the neighbour cache is evidence along it.
        // Read it in the namespaces the trace went through and trace again, until no new
        // namespace comes in (a vxlan's next hop, known from a neighbour, may lead further).
        let mut read = std::collections::HashSet::new();
        for _ in 0..4 {
            let mut want: Vec<netstate::NsId> = std::iter::once(q.from)
                .chain(t.hops.iter().map(|h| h.ns))
                .filter(|id| !read.contains(id))
                .collect();
            want.dedup();
            if want.is_empty() {
                break;
            }
            for id in want {
                if read.insert(id) {
                    if let Err(e) = inv.read_neighbours(id) {
                        eprintln!("netlens: {e}: its neighbours are left out of the trace");
                    }
                }
            }
            t = diagnose::trace(&inv, &HostKernel, &q)?;
        }
        if probe {
            run_probe(&inv, &from, &mut t)?;
        }
        Ok(t)
    })
    .await??;
    let out = std::io::stdout();
    let mut out = out.lock();
    if a.json {
        serde_json::to_writer_pretty(&mut out, &t)?;
        writeln!(out)?;
    } else {
        write_text(&mut out, &t)?;
    }
    out.flush()?;
    Ok(t.exit_code())
}

fn write_text(out: &mut impl std::io::Write, t: &Trace) -> std::io::Result<()> {
    let mut last = None;
    for (i, h) in t.hops.iter().enumerate() {
        let probe = matches!(h.what, HopKind::Capture | HopKind::Probe);
        let group = (h.direction, probe);
        if last != Some(group) {
            let head = match group {
                (_, true) => "probe:".to_owned(),
                (Direction::Forward, _) => format!("to {}:", t.to),
                (Direction::Reply, _) => format!(
                    "reply to {}:",
                    t.src.map(|s| s.to_string()).unwrap_or_default()
                ),
            };
            writeln!(out, "{head}")?;
            last = Some(group);
        }
        writeln!(
            out,
            "{:>3}. [{}] {}: {} — {}",
            i + 1,
            h.netns,
            h.what.name(),
            h.found,
            h.status.name()
        )?;
    }
    let verdict = match t.verdict {
        diagnose::Verdict::Reachable => "REACHABLE",
        diagnose::Verdict::LeavesHost => "LEAVES THE HOST",
        diagnose::Verdict::Broken => match t.broken {
            Some(Direction::Reply) => "NOT REACHABLE (the reply breaks)",
            _ => "NOT REACHABLE",
        },
    };
    writeln!(out, "{verdict}: {}", t.reason)?;
    if let Some(p) = &t.probe {
        if !p.agrees {
            writeln!(
                out,
                "PROBE DISAGREES: the echo {} — netlens's view of this host misses something (a firewall, a device it does not model)",
                if p.reply { "got a reply" } else { "got no reply" }
            )?;
        }
    }
    if let Some(f) = &t.fix {
        for (i, c) in f.commands().iter().enumerate() {
            writeln!(out, "{} {c}", if i == 0 { "fix:" } else { "    " })?;
        }
        let blanks = f.blanks();
        if !blanks.is_empty() {
            writeln!(out, "(fill in {} before running it)", blanks.join(", "))?;
        }
    }
    Ok(())
}

/// What a capture on one device saw of the probe.
#[derive(Debug, Default)]
struct Seen {
    arp_requests: u32,
    arp_replies: u32,
    requests: bool,
    replies: bool,
}

impl Seen {
    /// Counts a frame: ARP/ND, and ICMP echoes to and from `to`.
    fn take(&mut self, d: &Decoded, to: IpAddr) {
        let mut ip: Option<(IpAddr, IpAddr)> = None;
        for l in &d.layers {
            match &l.info {
                LayerInfo::Arp { op: 1, .. } => self.arp_requests += 1,
                LayerInfo::Arp { op: 2, .. } => self.arp_replies += 1,
                LayerInfo::Ipv4 { src, dst, .. } => ip = Some(((*src).into(), (*dst).into())),
                LayerInfo::Ipv6 { src, dst, .. } => ip = Some(((*src).into(), (*dst).into())),
                LayerInfo::Icmp {
                    icmp_type,
                    body: IcmpBody::Echo { .. },
                    ..
                } => self.echo(*icmp_type == 8, *icmp_type == 0, ip, to),
                LayerInfo::Icmpv6 {
                    icmp_type, body, ..
                } => match body {
                    Icmpv6Body::Echo { .. } => {
                        self.echo(*icmp_type == 128, *icmp_type == 129, ip, to);
                    }
                    _ if *icmp_type == 135 => self.arp_requests += 1,
                    _ if *icmp_type == 136 => self.arp_replies += 1,
                    _ => {}
                },
                _ => {}
            }
        }
    }

    fn echo(&mut self, request: bool, reply: bool, ip: Option<(IpAddr, IpAddr)>, to: IpAddr) {
        let Some((src, dst)) = ip else { return };
        self.requests |= request && dst == to;
        self.replies |= reply && src == to;
    }
}

/// Sends one echo from `from` to the trace's destination while capturing on each route
/// hop's egress device; adds a capture hop per device and the probe's outcome.
fn run_probe(inv: &Inventory, from: &netstate::NetnsInfo, t: &mut Trace) -> Result<()> {
    let mut lives = Vec::new();
    let mut seen_dev = std::collections::HashSet::new();
    for h in t.hops.iter().filter(|h| h.what == HopKind::Route) {
        let (Some(dev), Some(e)) = (h.dev.clone(), inv.get(h.ns)) else {
            continue;
        };
        if !seen_dev.insert((h.ns, dev.clone())) {
            continue;
        }
        let opts = capture::source::LiveOptions {
            iface: dev.clone(),
            netns: Some(e.info.clone()),
            filter: "icmp or icmp6 or arp".into(),
            promisc: false,
            channel: 1024,
            ..capture::source::LiveOptions::default()
        };
        if let Ok(l) = capture::source::Live::start(opts) {
            lives.push((h.clone(), dev, l));
        }
    }
    std::thread::sleep(Duration::from_millis(150));
    let r = netstate::probe::echo(from, t.to, t.src, Duration::from_secs(1))?;
    std::thread::sleep(Duration::from_millis(150));
    for (h, dev, mut l) in lives {
        let _ = l.stop();
        let mut s = Seen::default();
        for c in l.rx.try_iter() {
            s.take(&c.decoded, t.to);
        }
        let arp = if s.arp_requests > 0 {
            format!(
                "ARP/ND requests ×{} ({}), ",
                s.arp_requests,
                if s.arp_replies > 0 {
                    "answered"
                } else {
                    "unanswered"
                }
            )
        } else {
            String::new()
        };
        let seen = |b: bool| if b { "seen" } else { "not seen" };
        t.hops.push(Hop {
            found: format!(
                "on {dev}: {arp}echo request {}, echo reply {}",
                seen(s.requests),
                seen(s.replies)
            ),
            what: HopKind::Capture,
            status: if s.requests && s.replies {
                Status::Ok
            } else {
                Status::Broken
            },
            dev: Some(dev),
            ..h
        });
    }
    let rtt = r.map(|d| d.as_secs_f64() * 1000.0);
    t.hops.push(Hop {
        direction: Direction::Forward,
        netns: from.label(),
        ns: from.id,
        what: HopKind::Probe,
        found: match rtt {
            Some(ms) => format!("echo reply from {} in {ms:.1} ms", t.to),
            None => format!("no echo reply from {} within 1 s", t.to),
        },
        status: if r.is_some() {
            Status::Ok
        } else {
            Status::Broken
        },
        dev: None,
        ifindex: None,
    });
    t.set_probe(r.is_some(), rtt);
    Ok(())
}
