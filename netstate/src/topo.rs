//! The host's L2 structure as a graph: links in their namespaces, macvlan/vlan/vxlan
//! children on their parents, veth pairs, bridge ports, and the remote VTEPs of vxlan
//! devices (from their FDB). Relations across namespaces come from the live model
//! (`IFLA_LINK_NETNSID` resolved).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::Serialize;

use crate::inventory::Inventory;
use crate::model::KindInfo;
use crate::netns::NsId;

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
}

/// An edge by node ids: `parent` (child → parent: macvlan, vlan, vxlan underlay), `veth`
/// (one end → the other, once per pair), `master` (port → bridge), `vtep` (vxlan → remote
/// VTEP).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub kind: &'static str,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

fn link_id(ns: &str, ifindex: u32) -> String {
    format!("{ns}/{ifindex}")
}

/// The graph of the namespaces `only` names (all when `None`).
pub fn graph(inv: &Inventory, only: Option<&[NsId]>) -> Graph {
    let wanted = |id: NsId| only.is_none_or(|o| o.contains(&id));
    let mut g = Graph::default();
    let mut edges = BTreeSet::new();
    let mut vteps = BTreeSet::new();
    for e in inv.namespaces.iter().filter(|e| wanted(e.info.id)) {
        let ns = e.info.label();
        for l in e.state.links.values() {
            let id = link_id(&ns, l.ifindex);
            g.nodes.push(Node {
                id: id.clone(),
                name: l.name.clone(),
                netns: Some(ns.clone()),
                kind: l.kind.clone().unwrap_or_else(|| "device".into()),
            });
            if let Some(m) = l.master {
                edges.insert(Edge {
                    from: id.clone(),
                    to: link_id(&ns, m),
                    kind: "master",
                });
            }
            // The other end: here, or resolved in another namespace.
            let other = match (l.parent.filter(|p| *p != 0), l.link_netnsid) {
                (Some(p), None) => Some(link_id(&ns, p)),
                (Some(_), Some(_)) => inv.elsewhere(l).and_then(|x| {
                    let n = x.netns?;
                    Some(link_id(&n.info.label(), x.ifindex))
                }),
                _ => None,
            };
            let underlay = match &l.info {
                KindInfo::Vxlan(v) => v.link.map(|u| link_id(&ns, u)),
                _ => None,
            };
            if let Some(o) = other.or(underlay) {
                if l.kind.as_deref() == Some("veth") {
                    // Once per pair, whichever end comes first in id order.
                    let (a, b) = if id < o {
                        (id.clone(), o)
                    } else {
                        (o, id.clone())
                    };
                    edges.insert(Edge {
                        from: a,
                        to: b,
                        kind: "veth",
                    });
                } else {
                    edges.insert(Edge {
                        from: id.clone(),
                        to: o,
                        kind: "parent",
                    });
                }
            }
            if matches!(l.info, KindInfo::Vxlan(_)) {
                let mut dsts: BTreeSet<String> = e
                    .state
                    .fdb
                    .values()
                    .filter(|f| f.ifindex == l.ifindex)
                    .filter_map(|f| f.dst.map(|d| d.to_string()))
                    .collect();
                if let KindInfo::Vxlan(v) = &l.info {
                    if let Some(r) = v.group.filter(|r| !r.is_multicast()) {
                        dsts.insert(r.to_string());
                    }
                }
                for d in dsts {
                    let v = format!("vtep/{d}");
                    vteps.insert(d);
                    edges.insert(Edge {
                        from: id.clone(),
                        to: v,
                        kind: "vtep",
                    });
                }
            }
        }
    }
    for d in vteps {
        g.nodes.push(Node {
            id: format!("vtep/{d}"),
            name: d,
            netns: None,
            kind: "vtep".into(),
        });
    }
    // An edge to a namespace left out (or not loaded) has no node: drop it.
    let ids: BTreeSet<&str> = g.nodes.iter().map(|n| n.id.as_str()).collect();
    g.edges = edges
        .into_iter()
        .filter(|e| ids.contains(e.from.as_str()) && ids.contains(e.to.as_str()))
        .collect();
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
    /// `NAME@NETNS` for a link node, `VTEP ADDRESS` for a remote VTEP.
    pub fn label(&self, id: &str) -> String {
        self.nodes.iter().find(|n| n.id == id).map_or_else(
            || id.to_owned(),
            |n| match &n.netns {
                Some(ns) => format!("{}@{ns}", n.name),
                None => format!("VTEP {}", n.name),
            },
        )
    }

    /// What node `id` links to, as `KIND LABEL` (`parent eth0@node1`, `veth up0@lan`).
    pub fn relations(&self, id: &str) -> Vec<String> {
        self.edges
            .iter()
            .filter(|e| e.from == id || (e.kind == "veth" && e.to == id))
            .map(|e| {
                let other = if e.from == id { &e.to } else { &e.from };
                format!("{} {}", e.kind, self.label(other))
            })
            .collect()
    }

    /// Graphviz: one cluster per namespace, remote VTEPs outside.
    pub fn dot(&self) -> String {
        let mut out = String::from("digraph netlens {\n  rankdir=LR;\n  node [shape=box];\n");
        let namespaces: BTreeSet<&str> = self
            .nodes
            .iter()
            .filter_map(|n| n.netns.as_deref())
            .collect();
        for (i, ns) in namespaces.iter().enumerate() {
            let _ = writeln!(
                out,
                "  subgraph cluster_{i} {{\n    label={};",
                dot_quote(ns)
            );
            for n in self.nodes.iter().filter(|n| n.netns.as_deref() == Some(ns)) {
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
                "veth" => ", dir=both",
                "vtep" => ", style=dashed",
                _ => "",
            };
            let _ = writeln!(
                out,
                "  {} -> {} [label={}{style}];",
                dot_quote(&e.from),
                dot_quote(&e.to),
                dot_quote(e.kind)
            );
        }
        out.push_str("}\n");
        out
    }
}
