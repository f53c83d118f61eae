//! The Doctor, Topology and Trace panes: items built from typed results (findings, hops,
//! the topology graph), each pointing at the link it is about and carrying its fix;
//! wrapped to the pane's width when drawn, scrolled to keep the selection in view, and
//! filtered with `/`.

use std::collections::BTreeSet;

use diagnose::trace::{Direction, Status, Trace};
use diagnose::{Finding, Fix, Severity};
use netstate::inventory::Inventory;
use netstate::NsId;

/// Which report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    Doctor,
    Topology,
    /// A path trace (its items come from the trace, not the model).
    Trace,
}

/// How an item reads at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Plain,
    Warning,
    Error,
    Heading,
}

/// One entry: a finding, a hop, a topology line. Its text may hold several paragraphs
/// (`\n`), each wrapped on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub text: String,
    pub tone: Tone,
    /// Where Enter takes you: a namespace, and a link in it.
    pub target: Option<(NsId, Option<u32>)>,
    /// What `a` opens in the form.
    pub fix: Option<Fix>,
}

impl Item {
    fn plain(text: impl Into<String>) -> Item {
        Item {
            text: text.into(),
            tone: Tone::Plain,
            target: None,
            fix: None,
        }
    }
}

pub struct ReportPane {
    pub kind: ReportKind,
    pub items: Vec<Item>,
    /// The selected item, as an index into [`ReportPane::shown`].
    pub selected: usize,
    /// Namespaces folded in the topology.
    pub folded: BTreeSet<NsId>,
    /// Items shown contain this text (any case).
    pub filter: String,
    /// `/` was pressed: keys type into the filter until Enter or Esc.
    pub filtering: bool,
}

impl ReportPane {
    fn with(kind: ReportKind, items: Vec<Item>) -> ReportPane {
        ReportPane {
            kind,
            items,
            selected: 0,
            folded: BTreeSet::new(),
            filter: String::new(),
            filtering: false,
        }
    }

    /// The doctor's pane while it examines the host (off the UI thread).
    pub fn doctor_running() -> ReportPane {
        ReportPane::with(
            ReportKind::Doctor,
            vec![Item::plain("examining every namespace…")],
        )
    }

    /// The topology of `inv`.
    pub fn topology(inv: &Inventory) -> ReportPane {
        let mut p = ReportPane::with(ReportKind::Topology, Vec::new());
        p.refresh(inv);
        p
    }

    /// A pane for a trace that runs: its items come with [`ReportPane::traced`].
    pub fn tracing(to: std::net::IpAddr, from: &str) -> ReportPane {
        ReportPane::with(
            ReportKind::Trace,
            vec![Item::plain(format!("tracing {to} from {from}…"))],
        )
    }

    /// The topology computed again from the model (folding).
    pub fn refresh(&mut self, inv: &Inventory) {
        if self.kind == ReportKind::Topology {
            self.items = super::report_topo::items(inv, &self.folded);
            self.clamp();
        }
    }

    /// The doctor's findings (or why it failed).
    pub fn examined(&mut self, r: Result<Vec<Finding>, String>) {
        self.items = match r {
            Err(e) => vec![Item {
                tone: Tone::Error,
                ..Item::plain(format!("the doctor failed: {e}"))
            }],
            Ok(v) if v.is_empty() => vec![Item::plain(
                "no finding: nothing the doctor checks is wrong",
            )],
            Ok(v) => v.into_iter().map(finding).collect(),
        };
        self.clamp();
    }

    /// The trace's hops, verdict and fix.
    pub fn traced(&mut self, r: Result<Trace, String>) {
        self.items = match r {
            Err(e) => vec![Item {
                tone: Tone::Error,
                ..Item::plain(format!("the trace failed: {e}"))
            }],
            Ok(t) => trace_items(t),
        };
        self.selected = 0;
    }

    /// The indices of the items the filter lets through.
    pub fn shown(&self) -> Vec<usize> {
        let needle = self.filter.to_lowercase();
        self.items
            .iter()
            .enumerate()
            .filter(|(_, i)| needle.is_empty() || i.text.to_lowercase().contains(&needle))
            .map(|(n, _)| n)
            .collect()
    }

    /// The selected item.
    pub fn current(&self) -> Option<&Item> {
        self.shown()
            .get(self.selected)
            .and_then(|i| self.items.get(*i))
    }

    pub fn clamp(&mut self) {
        self.selected = self.selected.min(self.shown().len().saturating_sub(1));
    }

    pub fn title(&self) -> String {
        let what = match self.kind {
            ReportKind::Doctor => " Doctor · Enter: go to · a: fix · r: rerun",
            ReportKind::Topology => " Topology · Enter: go to / fold",
            ReportKind::Trace => " Trace · Enter: go to · a: fix",
        };
        let filter = if self.filtering || !self.filter.is_empty() {
            format!(
                " · /{}{}",
                self.filter,
                if self.filtering { "▏" } else { "" }
            )
        } else {
            " · /: filter".to_owned()
        };
        format!("{what}{filter} · ? keys ")
    }

    /// The items that fit a pane of `width` × `height` (inside its border), wrapped, with
    /// the selected one in view: (item's position in `shown`, its lines).
    pub fn layout(&self, width: usize, height: usize) -> Vec<(usize, Vec<String>)> {
        let shown = self.shown();
        let wrap = |i: usize| -> Vec<String> {
            let Some(it) = shown.get(i).and_then(|n| self.items.get(*n)) else {
                return Vec::new();
            };
            wrap_item(&it.text, width.max(8))
        };
        // Start far enough back that the selected item sits in the lower half at most.
        let mut top = self.selected.min(shown.len().saturating_sub(1));
        let mut used = wrap(top).len();
        while top > 0 {
            let h = wrap(top - 1).len();
            if used + h > height / 2 {
                break;
            }
            used += h;
            top -= 1;
        }
        let mut out = Vec::new();
        let mut left = height;
        for i in top..shown.len() {
            if left == 0 {
                break;
            }
            let mut lines = wrap(i);
            lines.truncate(left);
            left -= lines.len();
            out.push((i, lines));
        }
        out
    }
}

/// Each paragraph of `text` wrapped to `width`, continuation lines indented as the
/// paragraph is (plus two).
fn wrap_item(text: &str, width: usize) -> Vec<String> {
    let mut v = Vec::new();
    for para in text.split('\n') {
        let indent = para.len() - para.trim_start().len();
        let sub = " ".repeat(indent + 2);
        let opts = textwrap::Options::new(width).subsequent_indent(&sub);
        v.extend(
            textwrap::wrap(para, opts)
                .into_iter()
                .map(std::borrow::Cow::into_owned),
        );
    }
    v
}

fn finding(f: Finding) -> Item {
    let (sev, tone) = match f.severity {
        Severity::Error => ("ERROR", Tone::Error),
        Severity::Warning => ("WARNING", Tone::Warning),
    };
    let mut text = format!(
        "{sev} [{}] {}: {}\n  evidence: {}",
        f.check, f.netns, f.message, f.evidence
    );
    if let Some(fix) = &f.fix {
        text.push_str(&fix_text(fix));
    }
    Item {
        text,
        tone,
        target: f
            .objects
            .first()
            .map(diagnose::Obj::target)
            .or(Some((f.ns, None))),
        fix: f.fix,
    }
}

fn fix_text(fix: &Fix) -> String {
    let how = match fix {
        Fix::Manual(_) => " (run it yourself)",
        _ => " (a: open it in the form)",
    };
    let blanks = fix.blanks();
    let fill = if blanks.is_empty() {
        String::new()
    } else {
        format!(" — fill in {}", blanks.join(", "))
    };
    format!("\n  fix{how}{fill}: {}", fix.commands().join("; "))
}

fn trace_items(t: Trace) -> Vec<Item> {
    let mut v = Vec::new();
    let mut last = None;
    for (i, h) in t.hops.iter().enumerate() {
        if last != Some(h.direction) {
            let head = match h.direction {
                Direction::Forward => format!("to {}", t.to),
                Direction::Reply => format!(
                    "reply to {}",
                    t.src.map(|s| s.to_string()).unwrap_or_default()
                ),
            };
            v.push(Item {
                tone: Tone::Heading,
                ..Item::plain(head)
            });
            last = Some(h.direction);
        }
        let tone = match h.status {
            Status::Broken => Tone::Error,
            Status::Note => Tone::Warning,
            _ => Tone::Plain,
        };
        v.push(Item {
            text: format!(
                "{:>2}. [{}] {}: {} — {}",
                i + 1,
                h.netns,
                h.what.name(),
                h.found,
                h.status.name()
            ),
            tone,
            target: Some((h.ns, h.ifindex)),
            fix: None,
        });
    }
    let (word, tone) = match t.verdict {
        diagnose::Verdict::Reachable => ("REACHABLE", Tone::Heading),
        diagnose::Verdict::LeavesHost => ("LEAVES THE HOST", Tone::Heading),
        diagnose::Verdict::Broken if t.broken == Some(Direction::Reply) => {
            ("NOT REACHABLE (the reply breaks)", Tone::Error)
        }
        diagnose::Verdict::Broken => ("NOT REACHABLE", Tone::Error),
    };
    v.push(Item {
        tone,
        ..Item::plain(format!("{word}: {}", t.reason))
    });
    if let Some(fix) = t.fix {
        v.push(Item {
            text: fix_text(&fix).trim_start().to_owned(),
            tone: Tone::Plain,
            target: None,
            fix: Some(fix),
        });
    }
    v
}
