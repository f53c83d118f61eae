//! The detail pane: a link's kind details and relations, or any row's fields.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

use netstate::inventory::Inventory;
use netstate::model::{KindInfo, Link};
use netstate::relations::Elsewhere;
use netstate::{names, text, NsId, NsState};

use crate::rows::Row;

fn kv(k: &str, v: impl Into<String>) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{k:>12}: "), Style::default().fg(Color::Yellow)),
        Span::raw(v.into()),
    ])
}

fn heading(s: &str) -> Line<'static> {
    Line::from(Span::styled(
        s.to_owned(),
        Style::default().add_modifier(Modifier::BOLD),
    ))
}

/// Lines describing a link: identity, kind details, and its relations — with the
/// inventory, across namespaces (`here` is the namespace the link lives in).
pub fn link_lines(l: &Link, ns: &NsState, inv: Option<(&Inventory, NsId)>) -> Vec<Line<'static>> {
    let name = |i: u32| {
        ns.link_name(i)
            .map_or_else(|| format!("if{i}"), str::to_owned)
    };
    let mut out = vec![heading(&format!("{}: {}", l.ifindex, l.name))];
    let details = text::kind_details(l, ns);
    out.push(kv(
        "kind",
        if details.is_empty() {
            "(none)".to_owned()
        } else {
            details
        },
    ));
    let attrs = vec![
        kv("flags", names::link_flags(l.flags).join(",")),
        kv(
            "state",
            l.operstate.map(names::operstate).unwrap_or_default(),
        ),
        kv("mtu", l.mtu.map(|m| m.to_string()).unwrap_or_default()),
        kv(
            "mac",
            l.address.as_deref().map(names::mac).unwrap_or_default(),
        ),
    ];
    if let KindInfo::Vxlan(v) = &l.info {
        if v.port == Some(8472) {
            out.push(kv("warning", "dstport 8472 is the kernel's legacy default; peers using 4789 never hear this device"));
        }
        if v.learning == Some(false) {
            let has_remote = ns
                .fdb
                .values()
                .any(|f| f.ifindex == l.ifindex && f.dst.is_some());
            if !has_remote && v.group.is_none() {
                out.push(kv(
                    "warning",
                    "nolearning and no FDB entry with a dst: this device sends nowhere",
                ));
            }
        }
    }
    out.push(heading("relations"));
    if let Some(p) = l.parent {
        let what = if l.kind.as_deref() == Some("veth") {
            "veth peer"
        } else {
            "parent"
        };
        let other = match l.link_netnsid {
            Some(nsid) => inv
                .and_then(|(i, _)| i.elsewhere(l))
                .unwrap_or(Elsewhere {
                    netns: None,
                    link: None,
                    ifindex: p,
                    nsid,
                })
                .describe(l),
            None => name(p),
        };
        out.push(kv(what, other));
    }
    if let Some(m) = l.master {
        out.push(kv("master", name(m)));
    }
    if let Some(p) = &l.port_info {
        let mut words = Vec::new();
        if let Some(s) = p.state {
            words.push(format!("state {}", names::bridge_port_state(s)));
        }
        for (k, v) in [("priority", p.priority.map(u32::from)), ("cost", p.cost)] {
            if let Some(v) = v {
                words.push(format!("{k} {v}"));
            }
        }
        for (k, v) in [
            ("hairpin", p.hairpin),
            ("learning", p.learning),
            ("flood", p.flood),
            ("isolated", p.isolated),
        ] {
            if let Some(v) = v {
                words.push(format!("{k} {}", if v { "on" } else { "off" }));
            }
        }
        out.push(kv("bridge port", words.join(" ")));
    }
    if !l.bridge_vlans.is_empty() {
        out.push(kv("vlans", names::bridge_vlans(&l.bridge_vlans)));
    }
    let children: Vec<String> = match inv {
        Some((i, here)) => i
            .children(here, l.ifindex)
            .into_iter()
            .map(|(e, c)| {
                let kind = text::kind_details(c, &e.state);
                if e.info.id == here {
                    format!("{} ({kind})", c.name)
                } else {
                    format!("{} ({kind}) in {}", c.name, e.info.name)
                }
            })
            .collect(),
        None => ns
            .children(l.ifindex)
            .map(|c| format!("{} ({})", c.name, text::kind_details(c, ns)))
            .collect(),
    };
    if !children.is_empty() {
        out.push(kv("children", children.join(", ")));
    }
    let ports: Vec<String> = ns.ports(l.ifindex).map(|p| p.name.clone()).collect();
    if !ports.is_empty() {
        out.push(kv("ports", ports.join(", ")));
    }
    let addrs: Vec<String> = netstate::json::addrs_of(ns, l.ifindex)
        .iter()
        .map(|a| text::addr_prefix(a))
        .collect();
    if !addrs.is_empty() {
        out.push(kv("addresses", addrs.join(", ")));
    }
    out.push(heading("attributes"));
    out.extend(attrs);
    if let Some(s) = &l.stats {
        out.push(heading("counters"));
        out.push(kv(
            "rx",
            format!(
                "{} bytes {} packets {} errors {} dropped",
                s.rx_bytes, s.rx_packets, s.rx_errors, s.rx_dropped
            ),
        ));
        out.push(kv(
            "tx",
            format!(
                "{} bytes {} packets {} errors {} dropped",
                s.tx_bytes, s.tx_packets, s.tx_errors, s.tx_dropped
            ),
        ));
    }
    out
}

/// Lines for any row: each column with its header.
pub fn row_lines(headers: &[&str], row: &Row) -> Vec<Line<'static>> {
    headers
        .iter()
        .zip(row.cells())
        .map(|(h, c)| kv(&h.to_lowercase(), c))
        .collect()
}

/// Renders the pane.
pub fn render(f: &mut Frame, area: Rect, title: &str, lines: Vec<Line<'static>>) {
    let p = Paragraph::new(lines)
        .block(
            Block::default()
                .borders(Borders::ALL)
                .title(title.to_owned()),
        )
        .wrap(Wrap { trim: false });
    f.render_widget(p, area);
}
