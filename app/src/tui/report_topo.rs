//! The topology drawn as a tree per namespace: each link that hangs on nothing in its
//! namespace, with its macvlan/vlan/vxlan children and bridge ports below it (wherever they
//! live), a veth's other end (`⇄`), a parent elsewhere (`↑`) and remote VTEPs (`⇢`).

use std::collections::BTreeSet;

use diagnose::topo::{EdgeKind, Graph, Node};
use netstate::inventory::Inventory;
use netstate::NsId;

use super::report_pane::{Item, Tone};

/// Children (by parent or master edge) of a node, wherever they live.
fn children<'g>(g: &'g Graph, id: &str) -> Vec<(&'g str, EdgeKind)> {
    let mut v: Vec<(&str, EdgeKind)> = g
        .edges_to(id)
        .filter(|e| matches!(e.kind, EdgeKind::Parent | EdgeKind::Master))
        .map(|e| (e.from.as_str(), e.kind))
        .collect();
    v.sort_unstable();
    v
}

/// What a node links to besides its children: the other end of a veth, a parent in
/// another namespace, remote VTEPs.
fn extras(g: &Graph, id: &str, here: &str) -> String {
    let ns_of = |x: &str| g.node(x).and_then(|n| n.netns.clone());
    let mut v = Vec::new();
    for e in g.edges_from(id) {
        match e.kind {
            EdgeKind::Veth => v.push(format!("⇄ {}", g.label(&e.to))),
            EdgeKind::Vtep => v.push(format!("⇢ {}", g.label(&e.to))),
            EdgeKind::Parent | EdgeKind::Master if ns_of(&e.to).as_deref() != Some(here) => {
                v.push(format!("↑ {} {}", e.kind.name(), g.label(&e.to)));
            }
            _ => {}
        }
    }
    for e in g.edges_to(id).filter(|e| e.kind == EdgeKind::Veth) {
        v.push(format!("⇄ {}", g.label(&e.from)));
    }
    if v.is_empty() {
        String::new()
    } else {
        format!("  {}", v.join("  "))
    }
}

fn name_in(g: &Graph, id: &str, here: &str) -> String {
    g.node(id).map_or_else(
        || id.to_owned(),
        |n| {
            if n.netns.as_deref() == Some(here) {
                format!("{} ({})", n.name, n.kind)
            } else {
                format!("{} ({})", g.label(id), n.kind)
            }
        },
    )
}

fn target(g: &Graph, id: &str) -> Option<(NsId, Option<u32>)> {
    g.node(id)
        .and_then(|n| n.at)
        .map(|a| (a.ns, Some(a.ifindex)))
}

/// The tree's items, namespaces in `folded` folded to their heading.
pub fn items(inv: &Inventory, folded: &BTreeSet<NsId>) -> Vec<Item> {
    let g = diagnose::topo::graph(inv, None);
    let mut by_ns: std::collections::HashMap<&str, Vec<&Node>> = std::collections::HashMap::new();
    for n in &g.nodes {
        if let Some(ns) = n.netns.as_deref() {
            by_ns.entry(ns).or_default().push(n);
        }
    }
    let mut out = Vec::new();
    for e in &inv.namespaces {
        let ns = e.info.label();
        let fold = folded.contains(&e.info.id);
        let mine = by_ns.get(ns.as_str()).cloned().unwrap_or_default();
        out.push(Item {
            text: format!(
                "{} {ns} ({} links)",
                if fold { "▸" } else { "▾" },
                mine.len()
            ),
            tone: Tone::Heading,
            target: Some((e.info.id, None)),
            fix: None,
        });
        if fold {
            continue;
        }
        let is_root = |id: &str| {
            !g.edges_from(id).any(|x| {
                matches!(x.kind, EdgeKind::Parent | EdgeKind::Master)
                    && g.node(&x.to).and_then(|n| n.netns.as_deref()) == Some(ns.as_str())
            })
        };
        for n in mine.iter().filter(|n| is_root(&n.id)) {
            out.push(Item {
                text: format!("  {}{}", name_in(&g, &n.id, &ns), extras(&g, &n.id, &ns)),
                tone: Tone::Plain,
                target: target(&g, &n.id),
                fix: None,
            });
            let kids = children(&g, &n.id);
            for (i, (k, how)) in kids.iter().enumerate() {
                let last = i + 1 == kids.len();
                let port = if *how == EdgeKind::Master {
                    " port"
                } else {
                    ""
                };
                out.push(Item {
                    text: format!(
                        "  {} {}{port}{}",
                        if last { "└─" } else { "├─" },
                        name_in(&g, k, &ns),
                        extras(&g, k, &ns)
                    ),
                    tone: Tone::Plain,
                    target: target(&g, k),
                    fix: None,
                });
                let grand = children(&g, k);
                for (j, (gk, ghow)) in grand.iter().enumerate() {
                    let glast = j + 1 == grand.len();
                    let gport = if *ghow == EdgeKind::Master {
                        " port"
                    } else {
                        ""
                    };
                    out.push(Item {
                        text: format!(
                            "  {}  {} {}{gport}",
                            if last { " " } else { "│" },
                            if glast { "└─" } else { "├─" },
                            name_in(&g, gk, &ns)
                        ),
                        tone: Tone::Plain,
                        target: target(&g, gk),
                        fix: None,
                    });
                }
            }
        }
    }
    out
}
