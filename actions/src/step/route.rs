//! Address and route steps: `ip addr add|del`, `ip route add|del|replace`.

use std::net::IpAddr;

use ipnet::IpNet;
use netstate::model::{NsState, Route};
use netstate::names;
use serde::{Deserialize, Serialize};

/// The main routing table, where `ip route` puts a route without `table`.
pub const MAIN_TABLE: u32 = 254;
/// `RT_SCOPE_LINK`.
pub const SCOPE_LINK: u8 = 253;
/// `RTNH_F_ONLINK`.
const RTNH_F_ONLINK: u32 = 4;
/// `RTPROT_BOOT`: what `ip route add` records without `proto`.
const RTPROT_BOOT: u8 = 3;

/// `ip [-n NS] addr add|del CIDR dev DEV [broadcast B] [scope S] [label LABEL] [noprefixroute]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddrSpec {
    pub netns: String,
    pub dev: String,
    /// The local address with its prefix length (`10.0.0.5/24`).
    pub addr: IpNet,
    /// `label`: an IPv4 address's label other than the device's name (`eth0:web`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// `noprefixroute`: the kernel adds no route for the prefix.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub noprefixroute: bool,
    /// `broadcast`: an IPv4 address's broadcast address (none unless given, as `ip`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broadcast: Option<IpAddr>,
    /// `scope`, when not global (`RT_SCOPE_*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<u8>,
}

impl AddrSpec {
    /// A plain address: no label, the prefix route the kernel adds.
    pub fn new(netns: impl Into<String>, dev: impl Into<String>, addr: IpNet) -> AddrSpec {
        AddrSpec {
            netns: netns.into(),
            dev: dev.into(),
            addr,
            label: None,
            noprefixroute: false,
            broadcast: None,
            scope: None,
        }
    }

    /// The words after `ip [-n NS]`, for `verb` `add` or `del` (an address is deleted by
    /// its value and prefix alone).
    pub fn args(&self, verb: &str) -> Vec<String> {
        let mut v = vec![
            "addr".into(),
            verb.into(),
            self.addr.to_string(),
            "dev".into(),
            self.dev.clone(),
        ];
        if verb == "add" {
            if let Some(b) = self.broadcast {
                v.extend(["broadcast".into(), b.to_string()]);
            }
            if let Some(sc) = self.scope {
                v.extend(["scope".into(), names::scope(sc).into_owned()]);
            }
            if let Some(l) = &self.label {
                v.extend(["label".into(), l.clone()]);
            }
            if self.noprefixroute {
                v.push("noprefixroute".into());
            }
        }
        v
    }
}

/// `ip [-n NS] route add|del|replace DST [via GW] [dev DEV] [proto P] [table T]
/// [metric M] [src IP] [scope S] [onlink]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteSpec {
    pub netns: String,
    /// Destination; a zero-length IPv4 prefix renders as `default`.
    pub dst: IpNet,
    pub via: Option<IpAddr>,
    pub dev: Option<String>,
    /// `proto`: kept when re-adding a route so a DHCP client still owns it.
    pub protocol: Option<u8>,
    /// `None`: the main table.
    pub table: Option<u32>,
    pub metric: Option<u32>,
    /// Preferred source (`src`).
    pub src: Option<IpAddr>,
    /// `None`: iproute2's default (link without a gateway, global with one).
    pub scope: Option<u8>,
    pub onlink: bool,
}

impl RouteSpec {
    /// A route to `dst` with every option unset.
    pub fn to(netns: &str, dst: IpNet) -> RouteSpec {
        RouteSpec {
            netns: netns.to_string(),
            dst,
            via: None,
            dev: None,
            protocol: None,
            table: None,
            metric: None,
            src: None,
            scope: None,
            onlink: false,
        }
    }

    /// The default route of `gateway`'s family.
    pub fn default_via(netns: &str, gateway: IpAddr, dev: &str) -> RouteSpec {
        let dst = match gateway {
            IpAddr::V4(_) => IpNet::V4(ipnet::Ipv4Net::default()),
            IpAddr::V6(_) => IpNet::V6(ipnet::Ipv6Net::default()),
        };
        RouteSpec {
            via: Some(gateway),
            dev: Some(dev.to_string()),
            ..RouteSpec::to(netns, dst)
        }
    }

    /// Reads a route from the model; `None` for multipath routes and routes
    /// through a device the model does not name.
    pub fn from_model(netns: &str, r: &Route, ns: &NsState) -> Option<RouteSpec> {
        if !r.nexthops.is_empty() {
            return None;
        }
        let any: IpAddr = if r.family == 10 {
            std::net::Ipv6Addr::UNSPECIFIED.into()
        } else {
            std::net::Ipv4Addr::UNSPECIFIED.into()
        };
        let dst = IpNet::new(r.dst.unwrap_or(any), r.dst_len).ok()?;
        let dev = match r.oif {
            Some(i) => Some(ns.link_name(i)?.to_string()),
            None => None,
        };
        let default_scope = if r.gateway.is_some() { 0 } else { SCOPE_LINK };
        Some(RouteSpec {
            netns: netns.to_string(),
            dst,
            via: r.gateway,
            dev,
            protocol: Some(r.protocol).filter(|&p| p != RTPROT_BOOT),
            table: Some(r.table).filter(|&t| t != MAIN_TABLE),
            metric: r.metric.filter(|&m| m != default_metric(&dst)),
            src: r.prefsrc,
            scope: Some(r.scope).filter(|&s| s != default_scope),
            onlink: r.flags & RTNH_F_ONLINK != 0,
        })
    }

    /// The table the kernel files the route in.
    pub fn table_id(&self) -> u32 {
        self.table.unwrap_or(MAIN_TABLE)
    }

    /// The metric the kernel records: 0 for IPv4 and 1024 for IPv6 unless set.
    pub fn metric_value(&self) -> u32 {
        self.metric.unwrap_or_else(|| default_metric(&self.dst))
    }

    /// `default` for the IPv4 default route, else the prefix.
    pub fn dst_text(&self) -> String {
        match self.dst {
            IpNet::V4(n) if n.prefix_len() == 0 => "default".into(),
            n => n.to_string(),
        }
    }

    /// The words after `ip [-n NS]`, for `verb` `add`, `del` or `replace`.
    pub fn args(&self, verb: &str) -> Vec<String> {
        let mut a: Vec<String> = vec!["route".into(), verb.into(), self.dst_text()];
        if let Some(via) = self.via {
            a.extend(["via".into(), via.to_string()]);
        }
        if let Some(dev) = &self.dev {
            a.extend(["dev".into(), dev.clone()]);
        }
        if let Some(p) = self.protocol {
            a.extend(["proto".into(), names::protocol(p).into_owned()]);
        }
        if let Some(t) = self.table {
            a.extend(["table".into(), names::table(t).into_owned()]);
        }
        if let Some(m) = self.metric {
            a.extend(["metric".into(), m.to_string()]);
        }
        if let Some(src) = self.src {
            a.extend(["src".into(), src.to_string()]);
        }
        if let Some(s) = self.scope {
            a.extend(["scope".into(), names::scope(s).into_owned()]);
        }
        if self.onlink {
            a.push("onlink".into());
        }
        a
    }
}

fn default_metric(dst: &IpNet) -> u32 {
    match dst {
        IpNet::V4(_) => 0,
        IpNet::V6(_) => 1024,
    }
}
