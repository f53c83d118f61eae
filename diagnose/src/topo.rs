//! The host's L2 structure as a graph: links in their namespaces, macvlan/vlan/vxlan
//! children on their parents, veth pairs, bridge ports, and the remote VTEPs of vxlan
//! devices (from their FDB). Built in one pass over the links; every lookup afterwards is
//! indexed, so a host with thousands of pods costs what its links cost.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

use netstate::inventory::Inventory;
use netstate::l2::{Fabric, LinkAt};
use netstate::model::KindInfo;
use netstate::NsId;
use serde::Serialize;

/// A node: a link (`netns` set) or a remote VTEP (`netns` null).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Node {
    /// `NETNS/IFINDEX` for a link, `vtep/ADDRESS` for a remote VTEP.
    pub id: String,
    pub name: String,
    pub netns: Option<String>,
    /// The link kind (`veth`, `macvlan`, `bridge`, `vxlan`…), `device` for one without a
    /// kind (a physical NIC, `lo`), `vtep` for a remote VTEP.
    pub kind: String,
    /// The link, for a link node.
    #[serde(skip)]
    pub at: Option<LinkAt>,
}

/// How two nodes are related.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EdgeKind {
    /// Child → parent: macvlan, vlan, vxlan underlay.
    Parent,
    /// One end → the other, once per pair.
    Veth,
    /// Port → bridge.
    Master,
    /// vxlan → remote VTEP.
    Vtep,
}

impl EdgeKind {
    pub fn name(self) -> &'static str {
        match self {
            EdgeKind::Parent => "parent",
            EdgeKind::Veth => "veth",
            EdgeKind::Master => "master",
            EdgeKind::Vtep => "vtep",
        }
    }
}

/// An edge by node ids.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub kind: EdgeKind,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    #[serde(skip)]
    index: HashMap<String, usize>,
    /// Edges by the node they leave from and by the node they go to.
    #[serde(skip)]
    out: HashMap<String, Vec<usize>>,
    #[serde(skip)]
    into: HashMap<String, Vec<usize>>,
}

fn link_id(ns: &str, ifindex: u32) -> String {
    format!("{ns}/{ifindex}")
}

/// The graph of the namespaces `only` names (all when `None`), with the links elsewhere
/// theirs hang on.
pub fn graph(inv: &Inventory, only: Option<&[NsId]>) -> Graph {
    let f = Fabric::new(inv);
    let wanted = |id: NsId| only.is_none_or(|o| o.contains(&id));
    let label_of = |id: NsId| f.entry(id).map(|e| e.info.label()).unwrap_or_default();
    let mut g = Graph::default();
    let mut edges = BTreeSet::new();
    let mut vteps = BTreeSet::new();
    for e in &inv.namespaces {
        let ns = e.info.label();
        for l in e.state.links.values() {
            let at = LinkAt {
                ns: e.info.id,
                ifindex: l.ifindex,
            };
            let id = link_id(&ns, l.ifindex);
            g.nodes.push(Node {
                id: id.clone(),
                name: l.name.clone(),
                netns: Some(ns.clone()),
                kind: l.kind.clone().unwrap_or_else(|| "device".into()),
                at: Some(at),
            });
            if let Some(m) = l.master {
                edges.insert(Edge {
                    from: id.clone(),
                    to: link_id(&ns, m),
                    kind: EdgeKind::Master,
                });
            }
            let other = match &l.info {
                KindInfo::Vxlan(v) => v.link.map(|u| link_id(&ns, u)),
                _ => match f.other_end(at) {
                    Some(Ok(o)) => Some(link_id(&label_of(o.ns), o.ifindex)),
                    _ => None,
                },
            };
            if let Some(o) = other {
                if l.kind.as_deref() == Some("veth") {
                    let (a, b) = if id < o {
                        (id.clone(), o)
                    } else {
                        (o, id.clone())
                    };
                    edges.insert(Edge {
                        from: a,
                        to: b,
                        kind: EdgeKind::Veth,
                    });
                } else {
                    edges.insert(Edge {
                        from: id.clone(),
                        to: o,
                        kind: EdgeKind::Parent,
                    });
                }
            }
            if let KindInfo::Vxlan(v) = &l.info {
                let mut dsts: BTreeSet<String> = e
                    .state
                    .fdb
                    .values()
                    .filter(|x| x.ifindex == l.ifindex)
                    .filter_map(|x| x.dst.map(|d| d.to_string()))
                    .collect();
                if let Some(r) = v.group.filter(|r| !r.is_multicast()) {
                    dsts.insert(r.to_string());
                }
                for d in dsts {
                    edges.insert(Edge {
                        from: id.clone(),
                        to: format!("vtep/{d}"),
                        kind: EdgeKind::Vtep,
                    });
                    vteps.insert(d);
                }
            }
        }
    }
    // One namespace (or a few): its links, and the links elsewhere joined to them.
    if only.is_some() {
        let mine: BTreeSet<String> = g
            .nodes
            .iter()
            .filter(|n| n.at.is_some_and(|a| wanted(a.ns)))
            .map(|n| n.id.clone())
            .collect();
        edges.retain(|e| mine.contains(&e.from) || mine.contains(&e.to));
        let linked: BTreeSet<&String> = edges.iter().flat_map(|e| [&e.from, &e.to]).collect();
        g.nodes
            .retain(|n| mine.contains(&n.id) || linked.contains(&n.id));
        vteps.retain(|d| linked.contains(&format!("vtep/{d}")));
    }
    for d in vteps {
        g.nodes.push(Node {
            id: format!("vtep/{d}"),
            name: d,
            netns: None,
            kind: "vtep".into(),
            at: None,
        });
    }
    g.index = g
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.clone(), i))
        .collect();
    // An edge to a namespace left out (or not loaded) has no node: drop it.
    g.edges = edges
        .into_iter()
        .filter(|e| g.index.contains_key(&e.from) && g.index.contains_key(&e.to))
        .collect();
    for (i, e) in g.edges.iter().enumerate() {
        g.out.entry(e.from.clone()).or_default().push(i);
        g.into.entry(e.to.clone()).or_default().push(i);
    }
    g
}

fn dot_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Graph {
    /// The node `id`.
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.index.get(id).and_then(|i| self.nodes.get(*i))
    }

    /// Edges leaving `id`.
    pub fn edges_from(&self, id: &str) -> impl Iterator<Item = &Edge> {
        self.out
            .get(id)
            .into_iter()
            .flatten()
            .filter_map(|i| self.edges.get(*i))
    }

    /// Edges arriving at `id`.
    pub fn edges_to(&self, id: &str) -> impl Iterator<Item = &Edge> {
        self.into
            .get(id)
            .into_iter()
            .flatten()
            .filter_map(|i| self.edges.get(*i))
    }

    /// `NAME@NETNS` for a link node, `VTEP ADDRESS` for a remote VTEP.
    pub fn label(&self, id: &str) -> String {
        self.node(id).map_or_else(
            || id.to_owned(),
            |n| match &n.netns {
                Some(ns) => format!("{}@{ns}", n.name),
                None => format!("VTEP {}", n.name),
            },
        )
    }

    /// What node `id` links to, as `KIND LABEL` (`parent eth0@node1`, `veth up0@lan`).
    pub fn relations(&self, id: &str) -> Vec<String> {
        self.edges_from(id)
            .map(|e| (e, &e.to))
            .chain(
                self.edges_to(id)
                    .filter(|e| e.kind == EdgeKind::Veth)
                    .map(|e| (e, &e.from)),
            )
            .map(|(e, other)| format!("{} {}", e.kind.name(), self.label(other)))
            .collect()
    }

    /// Graphviz: one cluster per namespace, remote VTEPs outside.
    pub fn dot(&self) -> String {
        let mut out = String::from("digraph netlens {\n  rankdir=LR;\n  node [shape=box];\n");
        let mut by_ns: std::collections::BTreeMap<&str, Vec<&Node>> =
            std::collections::BTreeMap::new();
        for n in &self.nodes {
            if let Some(ns) = n.netns.as_deref() {
                by_ns.entry(ns).or_default().push(n);
            }
        }
        for (i, (ns, nodes)) in by_ns.iter().enumerate() {
            let _ = writeln!(
                out,
                "  subgraph cluster_{i} {{\n    label={};",
                dot_quote(ns)
            );
            for n in nodes {
                let _ = writeln!(
                    out,
                    "    {} [label={}];",
                    dot_quote(&n.id),
                    dot_quote(&format!("{}\n{}", n.name, n.kind))
                );
            }
            out.push_str("  }\n");
        }
        for n in self.nodes.iter().filter(|n| n.netns.is_none()) {
            let _ = writeln!(
                out,
                "  {} [label={}, shape=ellipse];",
                dot_quote(&n.id),
                dot_quote(&format!("VTEP {}", n.name))
            );
        }
        for e in &self.edges {
            let style = match e.kind {
                EdgeKind::Veth => ", dir=both",
                EdgeKind::Vtep => ", style=dashed",
                _ => "",
            };
            let _ = writeln!(
                out,
                "  {} -> {} [label={}{style}];",
                dot_quote(&e.from),
                dot_quote(&e.to),
                dot_quote(e.kind.name())
            );
        }
        out.push_str("}\n");
        out
    }
}
