//! The detail pane: a link's kind details and relations, or any row's fields.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

use netstate::model::{KindInfo, Link};
use netstate::{names, text, NsState};

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

/// Where a veth peer lives, when it was found in another namespace.
pub struct Peer<'a> {
    pub netns: &'a str,
    pub name: &'a str,
}

/// Lines describing a link: identity, kind details, and its relations in the namespace.
pub fn link_lines(l: &Link, ns: &NsState, peer: Option<&Peer>) -> Vec<Line<'static>> {
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
        if l.kind.as_deref() == Some("veth") {
            match (peer, l.link_netnsid) {
                (Some(pe), _) => out.push(kv(
                    "veth peer",
                    format!("{} in netns {}", pe.name, pe.netns),
                )),
                (None, Some(n)) => out.push(kv("veth peer", format!("if{p} in netns id {n}"))),
                (None, None) => out.push(kv("veth peer", name(p))),
            }
        } else if l.link_netnsid.is_some() {
            out.push(kv("parent", format!("if{p} in another namespace")));
        } else {
            out.push(kv("parent", name(p)));
        }
    }
    if let Some(m) = l.master {
        out.push(kv("master", name(m)));
    }
    let children: Vec<String> = ns
        .children(l.ifindex)
        .map(|c| format!("{} ({})", c.name, text::kind_details(c, ns)))
        .collect();
    if !children.is_empty() {
        out.push(kv("children", children.join(", ")));
    }
    let ports: Vec<String> = ns.ports(l.ifindex).map(|p| p.name.clone()).collect();
    if !ports.is_empty() {
        out.push(kv("ports", ports.join(", ")));
    }
    let addrs: Vec<String> = netstate::json::addrs_of(ns, l.ifindex)
        .iter()
        .map(|a| {
            format!(
                "{}/{}",
                a.local
                    .or(a.address)
                    .map(|x| x.to_string())
                    .unwrap_or_default(),
                a.prefixlen
            )
        })
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
