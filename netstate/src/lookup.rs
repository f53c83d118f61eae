//! Questions to the kernel of one namespace that the model does not answer: its route
//! lookup (`ip route get`, policy rules included), its policy rules (`ip rule`), and its
//! sysctls.

use std::net::IpAddr;

use netlink_packet_core::{NetlinkMessage, NetlinkPayload, NLM_F_DUMP, NLM_F_REQUEST};
use netlink_packet_route::route::{RouteAddress, RouteAttribute, RouteMessage};
use netlink_packet_route::rule::{RuleAction, RuleAttribute, RuleFlags, RuleMessage};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::{protocols::NETLINK_ROUTE, Socket};
use serde::Serialize;

use crate::model::Route;
use crate::netns::{self, NetnsInfo};
use crate::{parse, Error, Result};

fn err(ns: &str, reason: String) -> Error {
    Error::Netlink {
        name: ns.to_owned(),
        reason,
    }
}

/// What `ip route get` is asked: `DST [from SRC] [iif DEV] [ipproto P] [sport N] [dport N]`.
/// With `iif` the kernel answers for a packet arriving on that device (the forwarding
/// path: `ip_forward`, reverse-path filtering and rules on `iif` apply).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RouteQuery {
    pub dst: Option<IpAddr>,
    pub src: Option<IpAddr>,
    pub iif: Option<u32>,
    pub proto: Option<u8>,
    pub sport: Option<u16>,
    pub dport: Option<u16>,
}

impl RouteQuery {
    /// A lookup of `dst` from this namespace's own stack.
    pub fn to(dst: IpAddr) -> RouteQuery {
        RouteQuery {
            dst: Some(dst),
            ..RouteQuery::default()
        }
    }
}

/// The kernel's refusal: its errno, which tells the kind of route or rule that refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoRoute {
    /// `ENETUNREACH`: no route in the tables the rules consulted, or an `unreachable` rule.
    NetUnreachable,
    /// `EHOSTUNREACH`: an `unreachable` route, or (arriving on `iif`) forwarding is off.
    HostUnreachable,
    /// `EACCES`: a `prohibit` rule or route.
    Prohibited,
    /// `EINVAL`: a `blackhole` rule or route, or an invalid source (martian).
    Invalid,
    /// `EXDEV`: arriving on `iif`, the source fails the reverse-path filter.
    ReversePath,
    /// Another errno.
    Other(i32),
}

impl NoRoute {
    fn from_errno(e: i32) -> NoRoute {
        match e {
            101 => NoRoute::NetUnreachable,
            113 => NoRoute::HostUnreachable,
            13 => NoRoute::Prohibited,
            22 => NoRoute::Invalid,
            18 => NoRoute::ReversePath,
            e => NoRoute::Other(e),
        }
    }

    /// The kernel's words for it, as `ip route get` prints them.
    pub fn message(self) -> String {
        let errno = match self {
            NoRoute::NetUnreachable => 101,
            NoRoute::HostUnreachable => 113,
            NoRoute::Prohibited => 13,
            NoRoute::Invalid => 22,
            NoRoute::ReversePath => 18,
            NoRoute::Other(e) => e,
        };
        std::io::Error::from_raw_os_error(errno).to_string()
    }
}

fn addr(a: IpAddr) -> RouteAddress {
    match a {
        IpAddr::V4(x) => RouteAddress::Inet(x),
        IpAddr::V6(x) => RouteAddress::Inet6(x),
    }
}

/// One request on a fresh socket in `ns`, one answer.
fn ask_once(ns: &NetnsInfo, msg: RouteNetlinkMessage, what: String) -> Result<Result_<Route>> {
    let name = ns.name.clone();
    netns::run_in(ns, move || {
        let mut sock = Socket::new(NETLINK_ROUTE)
            .map_err(|e| err(&name, format!("cannot open a netlink socket: {e}")))?;
        sock.bind_auto()
            .map_err(|e| err(&name, format!("cannot bind a netlink socket: {e}")))?;
        let mut req = NetlinkMessage::from(msg);
        req.header.flags = NLM_F_REQUEST;
        req.header.sequence_number = 1;
        req.finalize();
        let mut bytes = vec![0u8; req.buffer_len()];
        req.serialize(&mut bytes);
        sock.send(&bytes, 0)
            .map_err(|e| err(&name, format!("{what}: request failed: {e}")))?;
        let mut buf = Vec::with_capacity(1 << 16);
        let n = sock
            .recv(&mut buf, 0)
            .map_err(|e| err(&name, format!("{what}: no answer: {e}")))?;
        match NetlinkMessage::<RouteNetlinkMessage>::deserialize(buf.get(..n).unwrap_or_default())
            .map(|m| m.payload)
        {
            Ok(NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewRoute(r))) => parse::route(r)
                .map(Ok)
                .ok_or_else(|| err(&name, format!("{what}: an answer netlens cannot read"))),
            Ok(NetlinkPayload::Error(e)) => {
                Ok(Err(NoRoute::from_errno(e.code.map_or(0, |c| -c.get()))))
            }
            Ok(_) => Err(err(&name, format!("{what}: unexpected answer"))),
            Err(e) => Err(err(&name, format!("{what}: {e}"))),
        }
    })
}

type Result_<T> = std::result::Result<T, NoRoute>;

/// The kernel's answer to "how would you send to `q.dst`" in `ns` (`ip route get`): the
/// route it picked (egress device, gateway, source, table, type), or its refusal.
pub fn route_get(ns: &NetnsInfo, q: &RouteQuery) -> Result<Result_<Route>> {
    let Some(dst) = q.dst else {
        return Err(err(&ns.name, "route get: no destination".into()));
    };
    let mut m = RouteMessage::default();
    m.header.address_family = if dst.is_ipv4() {
        AddressFamily::Inet
    } else {
        AddressFamily::Inet6
    };
    let full = if dst.is_ipv4() { 32 } else { 128 };
    m.header.destination_prefix_length = full;
    m.attributes.push(RouteAttribute::Destination(addr(dst)));
    if let Some(s) = q.src {
        m.header.source_prefix_length = full;
        m.attributes.push(RouteAttribute::Source(addr(s)));
    }
    if let Some(i) = q.iif {
        m.attributes.push(RouteAttribute::Iif(i));
    }
    if let Some(p) = q.proto {
        m.attributes.push(RouteAttribute::IpProto(p));
    }
    if let Some(p) = q.sport {
        m.attributes.push(RouteAttribute::Sport(p));
    }
    if let Some(d) = q.dport {
        m.attributes.push(RouteAttribute::Dport(d));
    }
    ask_once(
        ns,
        RouteNetlinkMessage::GetRoute(m),
        format!("route get {dst}"),
    )
}

/// `FR_ACT_*`: what a policy rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleDoes {
    /// `lookup TABLE`.
    Lookup,
    /// `goto PRIORITY`.
    Goto,
    Nop,
    Blackhole,
    Unreachable,
    Prohibit,
    Other,
}

/// A policy rule (`ip rule`), with the selectors netlens compares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub family: u8,
    pub priority: u32,
    pub action: RuleDoes,
    pub table: u32,
    /// `from PREFIX` (address, length).
    pub src: Option<(IpAddr, u8)>,
    /// `to PREFIX`.
    pub dst: Option<(IpAddr, u8)>,
    pub iif: Option<String>,
    pub oif: Option<String>,
    pub fwmark: Option<u32>,
    pub ipproto: Option<u8>,
    pub sport: Option<(u16, u16)>,
    pub dport: Option<(u16, u16)>,
    /// `not`: the selectors are inverted.
    pub invert: bool,
    /// `suppress_prefixlength N`.
    pub suppress_prefixlen: Option<u32>,
    pub goto: Option<u32>,
}

impl Rule {
    fn from_msg(m: RuleMessage) -> Rule {
        let h = &m.header;
        let mut r = Rule {
            family: if h.family == AddressFamily::Inet6 {
                10
            } else {
                2
            },
            priority: 0,
            action: match h.action {
                RuleAction::ToTable => RuleDoes::Lookup,
                RuleAction::Goto => RuleDoes::Goto,
                RuleAction::Nop => RuleDoes::Nop,
                RuleAction::Blackhole => RuleDoes::Blackhole,
                RuleAction::Unreachable => RuleDoes::Unreachable,
                RuleAction::Prohibit => RuleDoes::Prohibit,
                _ => RuleDoes::Other,
            },
            table: u32::from(h.table),
            src: None,
            dst: None,
            iif: None,
            oif: None,
            fwmark: None,
            ipproto: None,
            sport: None,
            dport: None,
            invert: h.flags.contains(RuleFlags::Invert),
            suppress_prefixlen: None,
            goto: None,
        };
        let (src_len, dst_len) = (h.src_len, h.dst_len);
        for a in m.attributes {
            match a {
                RuleAttribute::Priority(p) => r.priority = p,
                RuleAttribute::Table(t) => r.table = t,
                RuleAttribute::Source(s) => r.src = Some((s, src_len)),
                RuleAttribute::Destination(d) => r.dst = Some((d, dst_len)),
                RuleAttribute::Iifname(n) => r.iif = Some(n),
                RuleAttribute::Oifname(n) => r.oif = Some(n),
                RuleAttribute::FwMark(f) => r.fwmark = Some(f),
                RuleAttribute::IpProtocol(p) => r.ipproto = Some(u8::from(p)),
                RuleAttribute::SourcePortRange(p) => r.sport = Some((p.start, p.end)),
                RuleAttribute::DestinationPortRange(p) => r.dport = Some((p.start, p.end)),
                RuleAttribute::SuppressPrefixLen(n) if n != u32::MAX => {
                    r.suppress_prefixlen = Some(n);
                }
                RuleAttribute::Goto(g) => r.goto = Some(g),
                _ => {}
            }
        }
        r
    }

    /// The rule as `ip rule` prints it: `100: from all to 10.9.0.0/16 prohibit`.
    pub fn describe(&self) -> String {
        use std::fmt::Write as _;
        let prefix = |p: &Option<(IpAddr, u8)>| {
            p.map_or_else(|| "all".to_owned(), |(a, l)| format!("{a}/{l}"))
        };
        let mut s = format!("{}:", self.priority);
        if self.invert {
            s.push_str(" not");
        }
        let _ = write!(s, " from {}", prefix(&self.src));
        if self.dst.is_some() {
            let _ = write!(s, " to {}", prefix(&self.dst));
        }
        if let Some(m) = self.fwmark {
            let _ = write!(s, " fwmark {m:#x}");
        }
        if let Some(i) = &self.iif {
            let _ = write!(s, " iif {i}");
        }
        if let Some(o) = &self.oif {
            let _ = write!(s, " oif {o}");
        }
        if let Some(p) = self.ipproto {
            let _ = write!(s, " ipproto {}", proto_name(p));
        }
        for (word, range) in [("sport", self.sport), ("dport", self.dport)] {
            match range {
                Some((a, b)) if a == b => {
                    let _ = write!(s, " {word} {a}");
                }
                Some((a, b)) => {
                    let _ = write!(s, " {word} {a}-{b}");
                }
                None => {}
            }
        }
        match self.action {
            RuleDoes::Lookup => {
                let _ = write!(s, " lookup {}", crate::names::table(self.table));
            }
            RuleDoes::Goto => {
                let _ = write!(s, " goto {}", self.goto.unwrap_or(0));
            }
            RuleDoes::Nop => s.push_str(" nop"),
            RuleDoes::Blackhole => s.push_str(" blackhole"),
            RuleDoes::Unreachable => s.push_str(" unreachable"),
            RuleDoes::Prohibit => s.push_str(" prohibit"),
            RuleDoes::Other => s.push_str(" (action netlens does not name)"),
        }
        if let Some(n) = self.suppress_prefixlen {
            let _ = write!(s, " suppress_prefixlength {n}");
        }
        s
    }
}

/// The name `ip rule` gives an IP protocol number.
pub fn proto_name(p: u8) -> String {
    match p {
        1 => "icmp".into(),
        6 => "tcp".into(),
        17 => "udp".into(),
        58 => "ipv6-icmp".into(),
        p => p.to_string(),
    }
}

/// The policy rules of `ns` for `family` (2 or 10), in the order the kernel applies them.
pub fn rules(ns: &NetnsInfo, family: u8) -> Result<Vec<Rule>> {
    let name = ns.name.clone();
    netns::run_in(ns, move || {
        let mut sock = Socket::new(NETLINK_ROUTE)
            .map_err(|e| err(&name, format!("cannot open a netlink socket: {e}")))?;
        sock.bind_auto()
            .map_err(|e| err(&name, format!("cannot bind a netlink socket: {e}")))?;
        let mut m = RuleMessage::default();
        m.header.family = if family == 10 {
            AddressFamily::Inet6
        } else {
            AddressFamily::Inet
        };
        let mut req = NetlinkMessage::from(RouteNetlinkMessage::GetRule(m));
        req.header.flags = NLM_F_REQUEST | NLM_F_DUMP;
        req.header.sequence_number = 1;
        req.finalize();
        let mut bytes = vec![0u8; req.buffer_len()];
        req.serialize(&mut bytes);
        sock.send(&bytes, 0)
            .map_err(|e| err(&name, format!("rule dump request failed: {e}")))?;
        let mut out = Vec::new();
        let mut buf = Vec::with_capacity(1 << 16);
        loop {
            buf.clear();
            let n = sock
                .recv(&mut buf, 0)
                .map_err(|e| err(&name, format!("rule dump failed: {e}")))?;
            let mut off = 0;
            let data = buf.get(..n).unwrap_or_default();
            while off + 16 <= data.len() {
                let len = data
                    .get(off..off + 4)
                    .and_then(|b| <[u8; 4]>::try_from(b).ok())
                    .map_or(0, |b| u32::from_ne_bytes(b) as usize);
                let Some(msg) = data.get(off..off + len).filter(|_| len >= 16) else {
                    return Err(err(&name, "rule dump: malformed netlink message".into()));
                };
                off += (len + 3) & !3;
                match NetlinkMessage::<RouteNetlinkMessage>::deserialize(msg).map(|m| m.payload) {
                    Ok(NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewRule(r))) => {
                        out.push(Rule::from_msg(r));
                    }
                    Ok(NetlinkPayload::Done(_)) => return Ok(out),
                    Ok(NetlinkPayload::Error(e)) if e.code.is_some() => {
                        return Err(err(&name, format!("rule dump failed: {}", e.to_io())));
                    }
                    _ => {}
                }
            }
        }
    })
}

/// A sysctl of `ns`, e.g. `net/ipv4/ip_forward` (`None`: unreadable or absent).
pub fn sysctl(ns: &NetnsInfo, key: &str) -> Option<String> {
    let path = format!("/proc/sys/{key}");
    netns::run_in(ns, move || Ok(std::fs::read_to_string(&path).ok()))
        .ok()
        .flatten()
        .map(|s| s.trim().to_owned())
}
