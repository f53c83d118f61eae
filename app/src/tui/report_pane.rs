//! The Doctor and Topology panes: lines computed from the live model (no I/O), each
//! pointing at the link it is about; Enter jumps to that link's row.

use std::collections::BTreeSet;

use netstate::doctor::{self, Severity};
use netstate::inventory::Inventory;
use netstate::NsId;

/// Which report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    Doctor,
    Topology,
    /// A path trace (its lines come from the trace, not the model).
    Trace,
}

/// One line, and where Enter takes you (a namespace, and a link in it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub text: String,
    /// How the line reads at a glance: 2 error, 1 warning, 0 plain, 3 a heading.
    pub tone: u8,
    pub target: Option<(NsId, Option<u32>)>,
    /// A fix on this line's finding, when it is a `netlens plan` command (`a` opens it in
    /// the guided-action form).
    pub fix: Option<String>,
}

pub struct ReportPane {
    pub kind: ReportKind,
    pub lines: Vec<Line>,
    pub selected: usize,
    /// Namespaces folded in the topology.
    pub folded: BTreeSet<NsId>,
    /// The namespaces' `rp_filter`, once read (the doctor's reverse-path check).
    pub rp: Option<doctor::RpFilter>,
}

impl ReportPane {
    pub fn new(kind: ReportKind, inv: &Inventory) -> ReportPane {
        let mut p = ReportPane {
            kind,
            lines: Vec::new(),
            selected: 0,
            folded: BTreeSet::new(),
            rp: None,
        };
        p.refresh(inv);
        p
    }

    /// Computes the lines again from the model.
    pub fn refresh(&mut self, inv: &Inventory) {
        self.lines = match self.kind {
            ReportKind::Doctor => doctor_lines(inv, self.rp.as_ref()),
            ReportKind::Topology => topo_lines(inv, &self.folded),
            ReportKind::Trace => return,
        };
        self.selected = self.selected.min(self.lines.len().saturating_sub(1));
    }

    pub fn title(&self) -> &'static str {
        match self.kind {
            ReportKind::Doctor => " Doctor · Enter: go to the object · r: run again · q: close ",
            ReportKind::Topology => {
                " Topology · Enter: go to the link (on a namespace: fold) · q: close "
            }
            ReportKind::Trace => " Trace · q: close ",
        }
    }
}

/// A pane for a trace that runs: its lines come with [`ReportPane::traced`].
pub fn tracing(to: std::net::IpAddr, from: &str) -> ReportPane {
    ReportPane {
        kind: ReportKind::Trace,
        lines: vec![Line {
            text: format!("tracing {to} from {from}…"),
            tone: 0,
            target: None,
            fix: None,
        }],
        selected: 0,
        folded: BTreeSet::new(),
        rp: None,
    }
}

impl ReportPane {
    /// The trace's hops, verdict and fix.
    pub fn traced(&mut self, r: Result<netstate::trace::Trace, String>) {
        self.lines = match r {
            Err(e) => vec![Line {
                text: format!("the trace failed: {e}"),
                tone: 2,
                target: None,
                fix: None,
            }],
            Ok(t) => {
                let mut v: Vec<Line> = t
                    .hops
                    .iter()
                    .enumerate()
                    .map(|(i, h)| Line {
                        text: format!(
                            "{:>2}. [{}] {}: {} — {}",
                            i + 1,
                            h.netns,
                            h.what,
                            h.found,
                            h.verdict
                        ),
                        tone: u8::from(h.verdict == "broken") * 2,
                        target: None,
                        fix: None,
                    })
                    .collect();
                v.push(Line {
                    text: format!(
                        "{}: {}",
                        if t.reachable {
                            "REACHABLE"
                        } else {
                            "NOT REACHABLE"
                        },
                        t.reason
                    ),
                    tone: if t.reachable { 3 } else { 2 },
                    target: None,
                    fix: None,
                });
                if let Some(f) = t.fix {
                    let plan = f.contains("netlens plan");
                    v.push(Line {
                        text: if plan {
                            format!("fix: {f} (a: open it as a plan)")
                        } else {
                            format!("fix: {f}")
                        },
                        tone: 0,
                        target: None,
                        fix: plan.then_some(f),
                    });
                }
                v
            }
        };
        self.selected = 0;
    }
}

fn link_named(inv: &Inventory, ns: &str, name: &str) -> Option<(NsId, Option<u32>)> {
    let e = inv.namespaces.iter().find(|e| e.info.label() == ns)?;
    Some((e.info.id, e.state.link_by_name(name).map(|l| l.ifindex)))
}

fn doctor_lines(inv: &Inventory, rp: Option<&doctor::RpFilter>) -> Vec<Line> {
    let findings = doctor::examine_with(inv, None, rp);
    if findings.is_empty() {
        return vec![Line {
            text: "no finding: nothing the doctor checks is wrong".into(),
            tone: 0,
            target: None,
            fix: None,
        }];
    }
    let mut out = Vec::new();
    for f in findings {
        let (sev, tone) = match f.severity {
            Severity::Error => ("ERROR", 2),
            Severity::Warning => ("WARNING", 1),
        };
        let target = f
            .objects
            .first()
            .and_then(|o| {
                let (name, ns) = o.split_once('@').unwrap_or((o.as_str(), f.netns.as_str()));
                link_named(inv, ns, name)
            })
            .or_else(|| link_named(inv, &f.netns, ""));
        out.push(Line {
            text: format!("{sev} [{}] {}: {}", f.check, f.netns, f.message),
            tone,
            target,
            fix: None,
        });
        out.push(Line {
            text: format!("    evidence: {}", f.evidence),
            tone: 0,
            target,
            fix: None,
        });
        if let Some(fix) = f.fix {
            out.push(Line {
                text: format!("    fix: {fix} (a: open it as a plan)"),
                tone: 0,
                target,
                fix: fix.contains("netlens plan").then(|| fix.clone()),
            });
        }
    }
    out
}

/// The topology drawn as a tree per namespace: each link that hangs on nothing in its
/// namespace, with its macvlan/vlan/vxlan children and bridge ports below it (wherever they
/// live), a veth's other end (`⇄`), a parent elsewhere (`↑`) and remote VTEPs (`⇢`).
fn topo_lines(inv: &Inventory, folded: &BTreeSet<NsId>) -> Vec<Line> {
    let g = netstate::topo::graph(inv, None);
    let node = |id: &str| g.nodes.iter().find(|n| n.id == id);
    let ns_of = |id: &str| node(id).and_then(|n| n.netns.clone());
    let target = |id: &str| -> Option<(NsId, Option<u32>)> {
        let (ns, ix) = id.rsplit_once('/')?;
        let e = inv.namespaces.iter().find(|e| e.info.label() == ns)?;
        Some((e.info.id, ix.parse().ok()))
    };
    // Children (by parent or master edge) of a node, wherever they live.
    let children = |id: &str| -> Vec<(&str, &'static str)> {
        let mut v: Vec<(&str, &'static str)> = g
            .edges
            .iter()
            .filter(|e| e.to == id && matches!(e.kind, "parent" | "master"))
            .map(|e| (e.from.as_str(), e.kind))
            .collect();
        v.sort_unstable();
        v
    };
    // What a node links to besides its children: the other end of a veth, a parent in
    // another namespace, remote VTEPs.
    let extras = |id: &str, here: &str| -> String {
        let mut v = Vec::new();
        for e in &g.edges {
            if e.kind == "veth" && (e.from == id || e.to == id) {
                let other = if e.from == id { &e.to } else { &e.from };
                v.push(format!("⇄ {}", g.label(other)));
            } else if e.from == id && e.kind == "vtep" {
                v.push(format!("⇢ {}", g.label(&e.to)));
            } else if e.from == id
                && matches!(e.kind, "parent" | "master")
                && ns_of(&e.to).as_deref() != Some(here)
            {
                v.push(format!("↑ {} {}", e.kind, g.label(&e.to)));
            }
        }
        if v.is_empty() {
            String::new()
        } else {
            format!("  {}", v.join("  "))
        }
    };
    let name_in = |id: &str, here: &str| {
        node(id).map_or_else(
            || id.to_owned(),
            |n| {
                if n.netns.as_deref() == Some(here) {
                    format!("{} ({})", n.name, n.kind)
                } else {
                    format!("{} ({})", g.label(id), n.kind)
                }
            },
        )
    };
    let mut out = Vec::new();
    for e in &inv.namespaces {
        let ns = e.info.label();
        let fold = folded.contains(&e.info.id);
        let mine: Vec<&netstate::topo::Node> = g
            .nodes
            .iter()
            .filter(|n| n.netns.as_deref() == Some(&ns))
            .collect();
        out.push(Line {
            text: format!(
                "{} {ns} ({} links)",
                if fold { "▸" } else { "▾" },
                mine.len()
            ),
            tone: 3,
            target: Some((e.info.id, None)),
            fix: None,
        });
        if fold {
            continue;
        }
        let is_root = |id: &str| {
            !g.edges.iter().any(|x| {
                x.from == id
                    && matches!(x.kind, "parent" | "master")
                    && ns_of(&x.to).as_deref() == Some(ns.as_str())
            })
        };
        for n in mine.iter().filter(|n| is_root(&n.id)) {
            out.push(Line {
                text: format!("  {}{}", name_in(&n.id, &ns), extras(&n.id, &ns)),
                tone: 0,
                target: target(&n.id),
                fix: None,
            });
            let kids = children(&n.id);
            for (i, (k, how)) in kids.iter().enumerate() {
                let last = i + 1 == kids.len();
                let port = if *how == "master" { " port" } else { "" };
                out.push(Line {
                    text: format!(
                        "  {} {}{port}{}",
                        if last { "└─" } else { "├─" },
                        name_in(k, &ns),
                        extras(k, &ns)
                    ),
                    tone: 0,
                    target: target(k),
                    fix: None,
                });
                let grand = children(k);
                for (j, (gk, ghow)) in grand.iter().enumerate() {
                    let glast = j + 1 == grand.len();
                    let gport = if *ghow == "master" { " port" } else { "" };
                    out.push(Line {
                        text: format!(
                            "  {}  {} {}{gport}",
                            if last { " " } else { "│" },
                            if glast { "└─" } else { "├─" },
                            name_in(gk, &ns)
                        ),
                        tone: 0,
                        target: target(gk),
                        fix: None,
                    });
                }
            }
        }
    }
    out
}
