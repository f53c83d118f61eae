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
}

pub struct ReportPane {
    pub kind: ReportKind,
    pub lines: Vec<Line>,
    pub selected: usize,
    /// Namespaces folded in the topology.
    pub folded: BTreeSet<NsId>,
}

impl ReportPane {
    pub fn new(kind: ReportKind, inv: &Inventory) -> ReportPane {
        let mut p = ReportPane {
            kind,
            lines: Vec::new(),
            selected: 0,
            folded: BTreeSet::new(),
        };
        p.refresh(inv);
        p
    }

    /// Computes the lines again from the model.
    pub fn refresh(&mut self, inv: &Inventory) {
        self.lines = match self.kind {
            ReportKind::Doctor => doctor_lines(inv),
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
        }],
        selected: 0,
        folded: BTreeSet::new(),
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
                });
                if let Some(f) = t.fix {
                    v.push(Line {
                        text: format!("fix: {f}"),
                        tone: 0,
                        target: None,
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

fn doctor_lines(inv: &Inventory) -> Vec<Line> {
    let findings = doctor::examine(inv, None);
    if findings.is_empty() {
        return vec![Line {
            text: "no finding: nothing the doctor checks is wrong".into(),
            tone: 0,
            target: None,
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
        });
        out.push(Line {
            text: format!("    evidence: {}", f.evidence),
            tone: 0,
            target,
        });
        if let Some(fix) = f.fix {
            out.push(Line {
                text: format!("    fix: {fix}"),
                tone: 0,
                target,
            });
        }
    }
    out
}

fn topo_lines(inv: &Inventory, folded: &BTreeSet<NsId>) -> Vec<Line> {
    let g = netstate::topo::graph(inv, None);
    let mut out = Vec::new();
    for e in &inv.namespaces {
        let ns = e.info.label();
        let fold = folded.contains(&e.info.id);
        let n = g
            .nodes
            .iter()
            .filter(|n| n.netns.as_deref() == Some(&ns))
            .count();
        out.push(Line {
            text: format!("{} {ns} ({n} links)", if fold { "▸" } else { "▾" }),
            tone: 3,
            target: Some((e.info.id, None)),
        });
        if fold {
            continue;
        }
        for node in g.nodes.iter().filter(|n| n.netns.as_deref() == Some(&ns)) {
            let rel = g.relations(&node.id);
            let ifindex = node
                .id
                .rsplit_once('/')
                .and_then(|(_, i)| i.parse::<u32>().ok());
            out.push(Line {
                text: if rel.is_empty() {
                    format!("    {} ({})", node.name, node.kind)
                } else {
                    format!("    {} ({}) → {}", node.name, node.kind, rel.join(", "))
                },
                tone: 0,
                target: Some((e.info.id, ifindex)),
            });
        }
    }
    out
}
