//! Conformance of the decoder and the summaries with tcpdump, on the capture corpus in
//! `capture/tests/pcaps` (a copy of tcpdump's test captures, BSD licence in its README): every capture is read with libpcap, every record
//! decoded and summarised (as `tcpdump -nn -e` would print it), and compared with what
//! tcpdump 4.99.3 printed (`NAME.tcpdump.txt`) and the record count (`NAME.count`).
//!
//! The comparison is by fields, not by whole lines, since tcpdump decodes more than we do
//! (DHCP, DNS, HTTP, LLDP, CDP, STP, EAPOL...): from each reference packet we extract the
//! fields we also decode (timestamp, MACs and ethertype and frame length, VLAN ids and
//! priorities, LLC/SNAP headers, IP addresses, ports, IPv6 extension headers, ARP operation
//! and addresses, ICMP/ICMPv6 type, id, seq and target, TCP flags/window/options/length, UDP
//! length, IGMP, VXLAN flags and VNI, and all of those for the frame inside VXLAN, plus
//! tcpdump's truncation and error marks), extract the same from our summary with the same
//! parser, and check the key ones again against the typed decoded layers. A field agrees when
//! both agree with tcpdump.
//!
//! Excluded, on purpose (counted and printed, never compared):
//! - Nothing of VXLAN on UDP 8472 (which tcpdump prints as OTV, and so do we) or of Geneve
//!   (UDP 6081, inner frame on the same line) is excluded any more: both inner frames are
//!   compared.
//! - DNS (its id, and its summary as one field), BOOTP/DHCP, LLDP and spanning-tree BPDUs
//!   (their summaries) are compared; other application and non-IP payloads (HTTP, PPTP, L2TP, GRE, CDP, DTP,
//!   VTP, EAPOL, Ethernet loopback): tcpdump's text after the headers we decode carries none
//!   of the fields above and is not compared; the headers in front of it are.
//! - TCP sequence and acknowledgment numbers: tcpdump prints them relative to the first
//!   segment it saw of each connection (state across packets); our summary is stateless and
//!   prints them absolute.
//!
//! Set `CONFORMANCE_DIFF=1` (with `--nocapture`) to see every packet whose text differs,
//! `CONFORMANCE_FIELDS=NAME.pcap` to see the fields extracted from each of its packets,
//! `CONFORMANCE_JSON=NAME.pcap` to see its packets decoded, as JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use capture::decode::{
    decode, DecodeOptions, Decoded, HwAddr, IcmpBody, Icmpv6Body, LayerInfo, LinkType,
};
use capture::summary::{summary, Timestamp};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pcaps");

/// How the reference prints the link layer of a file.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum RefLink {
    Ether,
    Sll,
    Raw,
}

/// Fields extracted from one packet's text, and how many were excluded (by reason).
#[derive(Default, Debug)]
struct Extract {
    fields: BTreeMap<String, String>,
    excluded: BTreeMap<&'static str, usize>,
}

impl Extract {
    fn set(&mut self, prefix: &str, key: &str, value: impl std::fmt::Display) {
        self.fields
            .insert(format!("{prefix}{key}"), value.to_string());
    }
}

/// What the next (non-tab) line of a packet is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Next {
    None,
    /// The frame inside VXLAN.
    Inner,
}

/// `HH:MM:SS.ffffff` at the start.
fn starts_with_ts(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 15
        && b.iter().take(15).enumerate().all(|(i, c)| match i {
            2 | 5 => *c == b':',
            8 => *c == b'.',
            _ => c.is_ascii_digit(),
        })
}

/// A file's reference output as packets: each a list of lines (the first one, then the
/// lines of an inner frame), hex-dump lines dropped.
fn reference_packets(text: &str) -> (RefLink, Vec<Vec<String>>) {
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default();
    let link = if header.contains("LINUX_SLL") {
        RefLink::Sll
    } else if header.contains("RAW") {
        RefLink::Raw
    } else {
        RefLink::Ether
    };
    let mut packets: Vec<Vec<String>> = Vec::new();
    for line in lines {
        if line.starts_with('\t') {
            continue;
        }
        if starts_with_ts(line) || line.starts_with("[Invalid header") {
            packets.push(vec![line.to_string()]);
        } else if let Some(p) = packets.last_mut() {
            p.push(line.to_string());
        }
    }
    (link, packets)
}

/// The lines of a packet, as fields.
fn extract(lines: &[String], link: RefLink) -> Extract {
    let mut ex = Extract::default();
    let Some(first) = lines.first() else {
        return ex;
    };
    if first.starts_with("[Invalid header") {
        ex.set("", "invalid", first);
        return ex;
    }
    let mut rest = first.as_str();
    if starts_with_ts(rest) {
        ex.set("", "time", rest.get(..15).unwrap_or_default());
        rest = rest.get(16..).unwrap_or_default();
    }
    let next = match link {
        RefLink::Ether => ether(rest, "", &mut ex),
        RefLink::Sll => sll(rest, "", &mut ex),
        RefLink::Raw => rest
            .strip_prefix("ip: ")
            .map_or(Next::None, |r| ip(r, "", &mut ex)),
    };
    let inner = lines.get(1).map(String::as_str);
    if let (Next::Inner, Some(l)) = (next, inner) {
        ether(l, "inner.", &mut ex);
    }
    ex
}

/// `"NAME (0xHHHH)"` at the start: the hex and the rest.
fn paren_hex(s: &str) -> Option<(&str, &str)> {
    let (_, r) = s.split_once("(0x")?;
    let (hex, r) = r.split_once(')')?;
    Some((hex, r))
}

/// An Ethernet frame as tcpdump -e prints it.
fn ether(s: &str, p: &str, ex: &mut Extract) -> Next {
    if s.trim_start().starts_with("[|ether]") {
        ex.set(p, "trunc", "ether");
        return Next::None;
    }
    let Some((src, r)) = s.split_once(" > ") else {
        return Next::None;
    };
    let Some((dst, r)) = r.split_once(", ") else {
        return Next::None;
    };
    ex.set(p, "eth.src", src);
    ex.set(p, "eth.dst", dst);
    if let Some(r) = r.strip_prefix("802.3, length ") {
        let Some((len, r)) = r.split_once(": ") else {
            return Next::None;
        };
        ex.set(p, "eth.type", "802.3");
        ex.set(p, "eth.len", len);
        llc(r, p, ex);
        return Next::None;
    }
    let Some(r) = r.strip_prefix("ethertype ") else {
        return Next::None;
    };
    let Some((hex, r)) = paren_hex(r) else {
        return Next::None;
    };
    let Some(r) = r.strip_prefix(", length ") else {
        return Next::None;
    };
    let Some((len, mut r)) = r.split_once(": ") else {
        return Next::None;
    };
    ex.set(p, "eth.type", hex);
    ex.set(p, "eth.len", len);
    let mut ty = hex.to_string();
    let mut vlans = Vec::new();
    while let Some(v) = r.strip_prefix("vlan ") {
        let Some((vid, v)) = v.split_once(", p ") else {
            break;
        };
        let Some((pcp, mut v)) = v.split_once(", ") else {
            break;
        };
        let mut tag = format!("{vid}/{pcp}");
        if let Some(after) = v.strip_prefix("DEI, ") {
            tag.push_str("/DEI");
            v = after;
        }
        vlans.push(tag);
        if let Some(v) = v.strip_prefix("ethertype ") {
            let Some((hex, v)) = paren_hex(v) else { break };
            ty = hex.to_string();
            r = v.strip_prefix(", ").unwrap_or(v);
        } else if let Some(v) = v.strip_prefix("802.3") {
            ty = "802.3".into();
            r = v;
        } else {
            r = v;
            break;
        }
    }
    if !vlans.is_empty() {
        ex.set(p, "vlan", vlans.join(","));
    }
    match ty.as_str() {
        "0800" | "86dd" => ip(r, p, ex),
        "0806" | "8035" => {
            arp(r, p, ex);
            Next::None
        }
        "802.3" => {
            llc(r, p, ex);
            Next::None
        }
        "88cc" => {
            if r.starts_with("LLDP, length ") {
                ex.set(p, "lldp", r);
            }
            Next::None
        }
        _ => Next::None,
    }
}

/// Up to `": "`, or up to a final `':'`.
fn until_colon(s: &str) -> (&str, &str) {
    s.split_once(": ")
        .unwrap_or_else(|| (s.trim_end().trim_end_matches(':'), ""))
}

/// An LLC (and SNAP) header.
fn llc(s: &str, p: &str, ex: &mut Extract) {
    let Some(r) = s.strip_prefix("LLC, ") else {
        return;
    };
    let (hdr, r) = until_colon(r);
    ex.set(p, "llc", hdr);
    let r = if r.starts_with("oui ") {
        let (snap, rest) = until_colon(r);
        ex.set(p, "snap", snap);
        rest
    } else {
        r
    };
    // A spanning-tree BPDU: compared whole (version, type, flags, bridge id, length).
    if let Some(stp) = r.trim_start().strip_prefix("STP ") {
        ex.set(p, "stp", stp);
    }
}

/// A Linux cooked capture line (tcpdump -e): direction, address, ethertype, length.
fn sll(s: &str, p: &str, ex: &mut Extract) -> Next {
    let s = s.trim_start();
    let Some((dir, mut r)) = s.split_once(' ') else {
        return Next::None;
    };
    ex.set(p, "sll.dir", dir);
    if let Some((tok, after)) = r.split_once(' ') {
        if tok.len() == 17 && tok.matches(':').count() == 5 {
            ex.set(p, "sll.src", tok);
            r = after;
        }
    }
    let Some(r) = r.strip_prefix("ethertype ") else {
        return Next::None;
    };
    let Some((hex, r)) = paren_hex(r) else {
        return Next::None;
    };
    let Some(r) = r.strip_prefix(", length ") else {
        return Next::None;
    };
    let Some((len, r)) = r.split_once(": ") else {
        return Next::None;
    };
    ex.set(p, "sll.type", hex);
    ex.set(p, "sll.len", len);
    match hex {
        "0800" | "86dd" => ip(r, p, ex),
        "0806" => {
            arp(r, p, ex);
            Next::None
        }
        _ => Next::None,
    }
}

/// Address and optional port: IPv4 `a.b.c.d[.port]`, IPv6 `x::y[.port]` (an embedded IPv4
/// part adds three dots).
fn addr_port(tok: &str) -> (String, Option<String>) {
    let dots = tok.matches('.').count();
    let has_port = if tok.contains(':') {
        dots == 1 || dots == 4
    } else {
        dots == 4
    };
    match tok.rsplit_once('.') {
        Some((a, port)) if has_port => (a.to_string(), Some(port.to_string())),
        _ => (tok.to_string(), None),
    }
}

/// `"N > M: "` at the start, ports only (after IPv6 extension headers).
fn ports_only(s: &str) -> Option<(&str, &str, &str)> {
    let (a, r) = s.split_once(" > ")?;
    let (b, r) = r.split_once(": ")?;
    (!a.is_empty()
        && a.bytes().all(|c| c.is_ascii_digit())
        && !b.is_empty()
        && b.bytes().all(|c| c.is_ascii_digit()))
    .then_some((a, b, r))
}

/// The first decimal number at the start of `s`.
fn number(s: &str) -> &str {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    s.get(..end).unwrap_or_default()
}

/// The number after the last `", length "`.
fn last_length(s: &str) -> Option<&str> {
    s.rfind(", length ")
        .map(|i| number(s.get(i + 9..).unwrap_or_default()))
}

/// An IP datagram (after the link header; no "IP " prefix with -e).
fn ip(s: &str, p: &str, ex: &mut Extract) -> Next {
    let mut s = s;
    if let Some(r) = s.strip_prefix("truncated-ip - ") {
        if let Some((n, r)) = r.split_once(" bytes missing! ") {
            ex.set(p, "ip.missing", n);
            s = r;
        }
    }
    for err in [
        "bad-hlen ",
        "bad-len ",
        "version error: ",
        "IP6, wrong",
        "truncated-ip ",
        "ip v",
    ] {
        if s.starts_with(err) {
            ex.set(p, "ip.error", s);
            return Next::None;
        }
    }
    if let Some(t) = s.trim_start().strip_prefix("[|") {
        ex.set(p, "trunc", t.trim_end_matches(']'));
        return Next::None;
    }
    let Some((src, r)) = s.split_once(" > ") else {
        return Next::None;
    };
    // The destination ends at ": " (IPv6 addresses contain ':' but never ": ").
    let (dst, mut r) = match r.split_once(": ") {
        Some((d, r)) => (d, r),
        None => (r.trim_end_matches(':'), ""),
    };
    let (sa, sp) = addr_port(src);
    let (da, dp) = addr_port(dst);
    ex.set(p, "ip.src", sa);
    ex.set(p, "ip.dst", da);
    if let (Some(sp), Some(dp)) = (sp, dp) {
        ex.set(p, "sport", sp);
        ex.set(p, "dport", dp);
    }
    if let Some(t) = r.trim_start().strip_prefix("[|") {
        ex.set(p, "trunc", t.trim_end_matches(']'));
        return Next::None;
    }
    // IPv6 extension headers.
    let mut exts = Vec::new();
    loop {
        if let Some(x) = r.strip_prefix("HBH ") {
            exts.push("HBH".to_string());
            r = x;
        } else if let Some(x) = r.strip_prefix("DSTOPT ") {
            exts.push("DSTOPT".to_string());
            r = x;
        } else if r.starts_with("RT6 (") || r.starts_with("frag (") {
            let Some(i) = r.find(") ") else { break };
            exts.push(r.get(..=i).unwrap_or_default().to_string());
            r = r.get(i + 2..).unwrap_or_default();
        } else {
            break;
        }
    }
    if !exts.is_empty() {
        ex.set(p, "ip6.ext", exts.join(" "));
    }
    if let Some((a, b, x)) = ports_only(r) {
        ex.set(p, "sport", a);
        ex.set(p, "dport", b);
        r = x;
    }
    l4(r, p, ex)
}

/// ICMP (v4) type numbers from tcpdump's text.
fn icmp_type_of(phrase: &str) -> Option<u8> {
    let t = if phrase.starts_with("echo reply") {
        0
    } else if phrase.starts_with("echo request") {
        8
    } else if phrase.contains("unreachable") {
        3
    } else if phrase.starts_with("source quench") {
        4
    } else if phrase.starts_with("redirect") {
        5
    } else if phrase.starts_with("router advertisement") {
        9
    } else if phrase.starts_with("router solicitation") {
        10
    } else if phrase.contains("time exceeded") {
        11
    } else if phrase.starts_with("parameter problem") {
        12
    } else if phrase.starts_with("time stamp query") {
        13
    } else if phrase.starts_with("time stamp reply") {
        14
    } else if phrase.starts_with("information request") {
        15
    } else if phrase.starts_with("information reply") {
        16
    } else if phrase.starts_with("address mask request") {
        17
    } else if phrase.starts_with("address mask is") {
        18
    } else {
        return phrase
            .strip_prefix("type-#")
            .and_then(|n| number(n).parse().ok());
    };
    Some(t)
}

/// `ICMPv6` type numbers from tcpdump's names (its `icmp6_type_values`).
fn icmp6_type_of(phrase: &str) -> Option<u8> {
    const NAMES: [(&str, u8); 25] = [
        ("destination unreachable", 1),
        ("packet too big", 2),
        ("time exceeded in-transit", 3),
        ("parameter problem", 4),
        ("echo request", 128),
        ("echo reply", 129),
        ("multicast listener query", 130),
        ("multicast listener report v2", 143),
        ("multicast listener report", 131),
        ("multicast listener done", 132),
        ("router solicitation", 133),
        ("router advertisement", 134),
        ("neighbor solicitation", 135),
        ("neighbor advertisement", 136),
        ("redirect", 137),
        ("router renumbering", 138),
        ("node information query", 139),
        ("node information reply", 140),
        ("inverse neighbor solicitation", 141),
        ("inverse neighbor advertisement", 142),
        ("ha discovery request", 144),
        ("ha discovery reply", 145),
        ("mobile router solicitation", 146),
        ("mobile router advertisement", 147),
        ("RPL", 155),
    ];
    if let Some(n) = phrase.strip_prefix("unknown icmp6 type (") {
        return number(n).parse().ok();
    }
    NAMES
        .iter()
        .find(|(n, _)| phrase.starts_with(n))
        .map(|&(_, t)| t)
}

/// The transport layer and what follows.
fn l4(s: &str, p: &str, ex: &mut Extract) -> Next {
    if let Some(r) = s.strip_prefix("Flags [") {
        let Some((flags, r)) = r.split_once(']') else {
            return Next::None;
        };
        ex.set(p, "tcp.flags", flags);
        if let Some(i) = r.find(", win ") {
            ex.set(p, "tcp.win", number(r.get(i + 6..).unwrap_or_default()));
        }
        if let Some(i) = r.find(", urg ") {
            ex.set(p, "tcp.urg", number(r.get(i + 6..).unwrap_or_default()));
        }
        if let Some(i) = r.find(", options [") {
            let o = r.get(i + 11..).unwrap_or_default();
            ex.set(p, "tcp.opts", o.split_once(']').map_or(o, |(o, _)| o));
        }
        if let Some(i) = r.find(", length ") {
            ex.set(p, "tcp.len", number(r.get(i + 9..).unwrap_or_default()));
        }
        return Next::None;
    }
    // BOOTP/DHCP without -v: the operation, the client's MAC (requests) and the length.
    if s.starts_with("BOOTP/DHCP, ") {
        ex.set(p, "bootp", s);
        return Next::None;
    }
    // DNS, as tcpdump -nn summarises it: `ID[flags] [counts] TYPE? NAME (LEN)` or
    // `ID[ RCODE][*-|] AN/NS/AR ANSWERS (LEN)`: the id, and the rest as one field.
    if s.starts_with(|c: char| c.is_ascii_digit()) && s.ends_with(')') && s.contains(" (") {
        let id: String = s.chars().take_while(char::is_ascii_digit).collect();
        ex.set(p, "dns.id", id);
        ex.set(p, "dns", s);
        return Next::None;
    }
    if let Some(r) = s.strip_prefix("UDP, ") {
        if let Some(n) = r.strip_prefix("length ") {
            ex.set(p, "udp.len", number(n));
        } else if let Some(b) = r.strip_prefix("bad length ") {
            ex.set(p, "udp.badlen", b);
        } else {
            ex.set(p, "udp", r);
        }
        return Next::None;
    }
    if let Some(r) = s.strip_prefix("VXLAN, flags [") {
        let Some((flags, r)) = r.split_once(']') else {
            return Next::None;
        };
        let hex = paren_hex(r).map_or("", |(h, _)| h);
        ex.set(p, "vxlan.flags", format!("{flags} 0x{hex}"));
        if let Some(i) = r.find("vni ") {
            ex.set(p, "vni", number(r.get(i + 4..).unwrap_or_default()));
        }
        return Next::Inner;
    }
    if let Some(r) = s.strip_prefix("OTV, flags [") {
        // tcpdump's name for VXLAN on UDP 8472: the instance is the VNI.
        let Some((flags, r)) = r.split_once(']') else {
            return Next::None;
        };
        let hex = paren_hex(r).map_or("", |(h, _)| h);
        ex.set(p, "vxlan.flags", format!("{flags} 0x{hex}"));
        if let Some(i) = r.find("instance ") {
            ex.set(p, "vni", number(r.get(i + 9..).unwrap_or_default()));
        }
        return Next::Inner;
    }
    if let Some(r) = s.strip_prefix("Geneve, ") {
        if let Some(i) = r.find("vni 0x") {
            let v = r.get(i + 6..).unwrap_or_default();
            let v = v.split_once(',').map_or(v, |(v, _)| v);
            if let Ok(n) = u32::from_str_radix(v, 16) {
                ex.set(p, "vni", n);
            }
        }
        // The inner frame follows the Geneve header on the same line.
        let inner = r
            .split_once("): ")
            .map(|(_, i)| i)
            .or_else(|| r.split_once("]: ").map(|(_, i)| i));
        if let Some(inner) = inner {
            ether(inner, "inner.", ex);
        }
        return Next::None;
    }
    if let Some(r) = s.strip_prefix("ICMP6, ") {
        let phrase = r.split_once(", ").map_or(r, |(ph, _)| ph);
        ex.set(p, "icmp6", phrase);
        if let Some(t) = icmp6_type_of(phrase) {
            ex.set(p, "icmp6.type", t);
        }
        for key in [", who has ", ", tgt is "] {
            if let Some(i) = r.find(key) {
                let t = r.get(i + key.len()..).unwrap_or_default();
                ex.set(p, "icmp6.target", t.split_once(',').map_or(t, |(t, _)| t));
            }
        }
        if let Some(i) = r.find(", id ") {
            ex.set(p, "icmp.id", number(r.get(i + 5..).unwrap_or_default()));
        }
        if let Some(i) = r.find(", seq ") {
            ex.set(p, "icmp.seq", number(r.get(i + 6..).unwrap_or_default()));
        }
        if let Some(n) = last_length(r) {
            ex.set(p, "icmp6.len", n);
        }
        return Next::None;
    }
    if let Some(r) = s.strip_prefix("ICMP ") {
        let phrase = r.split_once(", ").map_or(r, |(ph, _)| ph);
        ex.set(p, "icmp", phrase);
        if let Some(t) = icmp_type_of(phrase) {
            ex.set(p, "icmp.type", t);
        }
        if let Some(i) = r.find(", id ") {
            ex.set(p, "icmp.id", number(r.get(i + 5..).unwrap_or_default()));
        }
        if let Some(i) = r.find(", seq ") {
            ex.set(p, "icmp.seq", number(r.get(i + 6..).unwrap_or_default()));
        }
        if let Some(n) = last_length(r) {
            ex.set(p, "icmp.len", n);
        }
        return Next::None;
    }
    if s.starts_with("igmp ") {
        ex.set(p, "igmp", s);
    }
    Next::None
}

/// An ARP packet (tcpdump -e: no "ARP, " prefix).
fn arp(s: &str, p: &str, ex: &mut Extract) {
    let s = s.strip_prefix("ARP, ").unwrap_or(s);
    if s.trim_start().starts_with("[|arp]") {
        ex.set(p, "trunc", "arp");
        return;
    }
    let (body, len) = match s.rsplit_once(", length ") {
        Some((b, l)) => (b, Some(number(l))),
        None => (s, None),
    };
    if let Some(len) = len {
        ex.set(p, "arp.len", len);
    }
    let mut op = |o: &str| ex.set(p, "arp.op", o);
    if let Some(r) = body.strip_prefix("Request who-has ") {
        op("Request");
        let Some((target, spa)) = r.split_once(" tell ") else {
            return;
        };
        match target.split_once(" (") {
            Some((tpa, tha)) => {
                ex.set(p, "arp.tpa", tpa);
                ex.set(p, "arp.tha", tha.trim_end_matches(')'));
            }
            None => ex.set(p, "arp.tpa", target),
        }
        ex.set(p, "arp.spa", spa);
    } else if let Some(r) = body.strip_prefix("Reply ") {
        op("Reply");
        if let Some((spa, sha)) = r.split_once(" is-at ") {
            ex.set(p, "arp.spa", spa);
            ex.set(p, "arp.sha", sha);
        }
    } else if let Some((o, r)) = body.split_once(" who-is ") {
        op(o);
        if let Some((tha, sha)) = r.split_once(" tell ") {
            ex.set(p, "arp.tha", tha);
            ex.set(p, "arp.sha", sha);
        }
    } else if let Some(r) = body.strip_prefix("Reverse Reply ") {
        op("Reverse Reply");
        if let Some((tha, tpa)) = r.split_once(" at ") {
            ex.set(p, "arp.tha", tha);
            ex.set(p, "arp.tpa", tpa);
        }
    } else if let Some(r) = body.strip_prefix("Inverse Reply ") {
        op("Inverse Reply");
        if let Some((sha, spa)) = r.split_once(" at ") {
            ex.set(p, "arp.sha", sha);
            ex.set(p, "arp.spa", spa);
        }
    } else if body.contains(" (len ") {
        ex.set(p, "arp.hdr", body);
    } else {
        op(body.trim());
    }
}

/// The same fields, straight from the typed layers (the ones the layers carry as such).
fn layer_fields(d: &Decoded) -> BTreeMap<String, String> {
    let mut f = BTreeMap::new();
    let mut p = String::new();
    let mut vlans: Vec<String> = Vec::new();
    let mut seen_ip = false;
    let mut tags = 0u32;
    for l in &d.layers {
        let mut set = |k: &str, v: String| {
            f.insert(format!("{p}{k}"), v);
        };
        match &l.info {
            LayerInfo::Ethernet {
                src,
                dst,
                ether_type,
                frame_len,
            } => {
                set("eth.src", src.to_string());
                set("eth.dst", dst.to_string());
                if *ether_type <= 1500 {
                    set("eth.type", "802.3".into());
                    set(
                        "eth.len",
                        u32::from(*ether_type)
                            .min(frame_len.saturating_sub(14))
                            .to_string(),
                    );
                } else {
                    set("eth.type", format!("{ether_type:04x}"));
                    set("eth.len", frame_len.to_string());
                }
            }
            LayerInfo::Vlan { vid, pcp, dei, .. } => {
                tags += 1;
                vlans.push(format!("{vid}/{pcp}{}", if *dei { "/DEI" } else { "" }));
                set("vlan", vlans.join(","));
            }
            LayerInfo::LinuxSll {
                protocol,
                frame_len,
                addr,
                ..
            } => {
                set("sll.type", format!("{protocol:04x}"));
                set("sll.len", frame_len.to_string());
                if addr.0.len() == 6 {
                    set("sll.src", addr.to_string());
                }
            }
            LayerInfo::Arp {
                hw_len,
                proto_type,
                proto_len,
                op,
                sender_hw,
                sender_proto,
                target_hw,
                target_proto,
                length,
                ..
            } => {
                set("arp.len", length.to_string());
                if (*proto_type == 0x0800 || *proto_type == 0x1000)
                    && *proto_len == 4
                    && *hw_len != 0
                {
                    let ip = |h: &HwAddr| h.ipv4().map_or_else(|| h.to_string(), |a| a.to_string());
                    let op_name = match op {
                        1 => "Request".to_string(),
                        2 => "Reply".to_string(),
                        3 => "Reverse Request".to_string(),
                        4 => "Reverse Reply".to_string(),
                        8 => "Inverse Request".to_string(),
                        9 => "Inverse Reply".to_string(),
                        10 => "NACK Reply".to_string(),
                        n => format!("Unknown ({n})"),
                    };
                    set("arp.op", op_name);
                    match op {
                        1 => {
                            set("arp.tpa", ip(target_proto));
                            set("arp.spa", ip(sender_proto));
                            if target_hw.0.iter().any(|&b| b != 0) {
                                set("arp.tha", target_hw.to_string());
                            }
                        }
                        2 => {
                            set("arp.spa", ip(sender_proto));
                            set("arp.sha", sender_hw.to_string());
                        }
                        3 | 8 => {
                            set("arp.tha", target_hw.to_string());
                            set("arp.sha", sender_hw.to_string());
                        }
                        4 => {
                            set("arp.tha", target_hw.to_string());
                            set("arp.tpa", ip(target_proto));
                        }
                        9 => {
                            set("arp.sha", sender_hw.to_string());
                            set("arp.spa", ip(sender_proto));
                        }
                        _ => {}
                    }
                }
            }
            LayerInfo::Ipv4 { src, dst, .. } if !seen_ip => {
                seen_ip = true;
                set("ip.src", src.to_string());
                set("ip.dst", dst.to_string());
            }
            LayerInfo::Ipv6 { src, dst, .. } if !seen_ip => {
                seen_ip = true;
                set("ip.src", src.to_string());
                set("ip.dst", dst.to_string());
            }
            LayerInfo::Udp {
                src_port, dst_port, ..
            }
            | LayerInfo::Ports { src_port, dst_port } => {
                set("sport", src_port.to_string());
                set("dport", dst_port.to_string());
            }
            LayerInfo::Tcp {
                src_port,
                dst_port,
                window,
                payload_len,
                ..
            } => {
                set("sport", src_port.to_string());
                set("dport", dst_port.to_string());
                set("tcp.win", window.to_string());
                set("tcp.len", payload_len.to_string());
            }
            LayerInfo::Icmp {
                icmp_type, body, ..
            } => {
                set("icmp.type", icmp_type.to_string());
                if let (0 | 8, IcmpBody::Echo { id, seq }) = (icmp_type, body) {
                    set("icmp.id", id.to_string());
                    set("icmp.seq", seq.to_string());
                }
            }
            LayerInfo::Icmpv6 {
                icmp_type,
                length,
                body,
                ..
            } => {
                if *length != 0 {
                    set("icmp6.type", icmp_type.to_string());
                }
                match body {
                    Icmpv6Body::Echo { id, seq } => {
                        set("icmp.id", id.to_string());
                        set("icmp.seq", seq.to_string());
                    }
                    Icmpv6Body::NeighborSolicitation { target }
                    | Icmpv6Body::NeighborAdvertisement { target, .. } => {
                        set("icmp6.target", target.to_string());
                    }
                    _ => {}
                }
            }
            LayerInfo::Vxlan { vni, .. } | LayerInfo::Geneve { vni, .. } => {
                set("vni", vni.to_string());
                p = "inner.".into();
                vlans.clear();
                seen_ip = false;
                tags = 0;
            }
            _ => {}
        }
    }
    let _ = tags;
    f
}

/// Keys the typed layers must confirm.
fn layer_checked(key: &str) -> bool {
    let k = key.strip_prefix("inner.").unwrap_or(key);
    matches!(
        k,
        "eth.src"
            | "eth.dst"
            | "eth.type"
            | "eth.len"
            | "vlan"
            | "sll.type"
            | "sll.len"
            | "sll.src"
            | "arp.len"
            | "arp.op"
            | "arp.tpa"
            | "arp.spa"
            | "arp.tha"
            | "arp.sha"
            | "ip.src"
            | "ip.dst"
            | "sport"
            | "dport"
            | "icmp.type"
            | "icmp.id"
            | "icmp.seq"
            | "tcp.win"
            | "tcp.len"
            | "icmp6.type"
            | "icmp6.target"
            | "vni"
    )
}

#[derive(Default)]
struct FileResult {
    name: String,
    expected_count: usize,
    count: usize,
    reference_packets: usize,
    compared: usize,
    agreed: usize,
    excluded: BTreeMap<&'static str, usize>,
    identical_lines: usize,
    panics: Vec<String>,
    mismatches: Vec<String>,
}

fn check_file(path: &Path) -> FileResult {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut res = FileResult {
        name: name.clone(),
        ..FileResult::default()
    };
    let sibling = |ext: &str| PathBuf::from(format!("{}.{ext}", path.display()));
    let count_text =
        std::fs::read_to_string(sibling("count")).unwrap_or_else(|e| panic!("{name}.count: {e}"));
    res.expected_count = count_text
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("{name}.count: {e}"));
    let reference = std::fs::read_to_string(sibling("tcpdump.txt"))
        .unwrap_or_else(|e| panic!("{name}.tcpdump.txt: {e}"));
    let (ref_link, ref_packets) = reference_packets(&reference);
    res.reference_packets = ref_packets.len();

    let mut cap = pcap::Capture::from_file(path)
        .unwrap_or_else(|e| panic!("{name}: libpcap cannot read it: {e}"));
    let link = LinkType::from_linktype(cap.get_datalink().0);
    let opts = DecodeOptions::default();
    let mut i = 0usize;
    loop {
        let packet = match cap.next_packet() {
            Ok(p) => p,
            Err(pcap::Error::NoMorePackets) => break,
            Err(e) => panic!("{name}: reading record {}: {e}", i + 1),
        };
        i += 1;
        let data = packet.data;
        let wire_len = packet.header.len;
        let ts = Timestamp {
            secs: packet.header.ts.tv_sec,
            nanos: u32::try_from(packet.header.ts.tv_usec)
                .unwrap_or(0)
                .saturating_mul(1000),
        };
        // (a) no panic: decoding, both summaries and the JSON form.
        let outcome = std::panic::catch_unwind(|| {
            let d = decode(link, data, wire_len, &opts);
            let line = summary(&d, Some(ts), true);
            let plain = summary(&d, None, false);
            let json = serde_json::to_string(&d).map_err(|e| e.to_string());
            (d, line, plain, json)
        });
        let Ok((d, line, _plain, json)) = outcome else {
            res.panics.push(format!("record {i}"));
            continue;
        };
        assert!(json.is_ok(), "{name} record {i}: JSON: {json:?}");
        let Some(reference) = ref_packets.get(i - 1) else {
            continue;
        };
        // (c) the fields.
        let theirs = extract(reference, ref_link);
        let ours_lines: Vec<String> = line.lines().map(str::to_string).collect();
        let ours = extract(&ours_lines, ref_link);
        let typed = layer_fields(&d);
        if std::env::var("CONFORMANCE_JSON").is_ok_and(|f| f == name) {
            println!(
                "{name} #{i}\n{}",
                serde_json::to_string_pretty(&d).unwrap_or_default()
            );
        }
        if std::env::var("CONFORMANCE_FIELDS").is_ok_and(|f| f == name) {
            println!(
                "{name} #{i}\n  tcpdump {:?}\n  summary {:?}\n  layers  {typed:?}",
                theirs.fields, ours.fields
            );
        }
        for (k, n) in &theirs.excluded {
            *res.excluded.entry(k).or_default() += n;
        }
        if &ours_lines == reference {
            res.identical_lines += 1;
        } else if std::env::var_os("CONFORMANCE_DIFF").is_some() {
            println!(
                "{name} #{i}\n  tcpdump: {}\n  netlens: {}",
                reference.join("\n           "),
                ours_lines.join("\n           ")
            );
        }
        for (key, want) in &theirs.fields {
            res.compared += 1;
            let got = ours.fields.get(key);
            let typed_got = typed.get(key);
            let summary_ok = got == Some(want);
            let typed_ok = !layer_checked(key) || typed_got == Some(want);
            if summary_ok && typed_ok {
                res.agreed += 1;
            } else if res.mismatches.len() < 12 {
                let mut m = format!("record {i}: {key}: tcpdump {want:?}, summary {got:?}");
                if layer_checked(key) {
                    let _ = write!(m, ", layers {typed_got:?}");
                }
                let _ = write!(
                    m,
                    "\n      tcpdump: {}\n      netlens: {}",
                    reference.join(" / "),
                    ours_lines.join(" / ")
                );
                res.mismatches.push(m);
            }
        }
    }
    res.count = i;
    res
}

#[test]
fn corpus_agrees_with_tcpdump() {
    let dir = Path::new(CORPUS);
    assert!(
        dir.is_dir(),
        "the capture corpus is missing: expected the folder {} (capture/tests/pcaps in the repository, with NAME.pcap, \
         NAME.count and NAME.tcpdump.txt files); this test does not skip without it",
        dir.display()
    );
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no .pcap/.pcapng files in {}",
        dir.display()
    );

    let results: Vec<FileResult> = files.iter().map(|f| check_file(f)).collect();

    let mut report = String::new();
    let _ = writeln!(
        report,
        "\n{:<40} {:>7} {:>8} {:>8} {:>8} {:>9} {:>9}",
        "file", "packets", "fields", "agree", "%", "excluded", "identical"
    );
    let (mut tp, mut tc, mut ta, mut te, mut ti) = (0, 0, 0, 0, 0);
    let mut failures = Vec::new();
    for r in &results {
        let pct = if r.compared == 0 {
            100.0
        } else {
            100.0 * r.agreed as f64 / r.compared as f64
        };
        let excluded: usize = r.excluded.values().sum();
        let _ = writeln!(
            report,
            "{:<40} {:>7} {:>8} {:>8} {:>7.2}% {:>9} {:>9}",
            r.name, r.count, r.compared, r.agreed, pct, excluded, r.identical_lines
        );
        tp += r.count;
        tc += r.compared;
        ta += r.agreed;
        te += excluded;
        ti += r.identical_lines;
        if !r.panics.is_empty() {
            failures.push(format!("{}: panicked on {}", r.name, r.panics.join(", ")));
        }
        if r.count != r.expected_count {
            failures.push(format!(
                "{}: {} records read, {}.count says {}",
                r.name, r.count, r.name, r.expected_count
            ));
        }
        if r.reference_packets != r.expected_count {
            failures.push(format!(
                "{}: {} packets in the reference text, {}.count says {}",
                r.name, r.reference_packets, r.name, r.expected_count
            ));
        }
        if r.agreed != r.compared {
            failures.push(format!(
                "{}: {} of {} fields disagree:\n    {}",
                r.name,
                r.compared - r.agreed,
                r.compared,
                r.mismatches.join("\n    ")
            ));
        }
    }
    let pct = if tc == 0 {
        100.0
    } else {
        100.0 * ta as f64 / tc as f64
    };
    let _ = writeln!(
        report,
        "{:<40} {:>7} {:>8} {:>8} {:>7.2}% {:>9} {:>9}",
        "total", tp, tc, ta, pct, te, ti
    );
    let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &results {
        for (k, n) in &r.excluded {
            *reasons.entry(k).or_default() += n;
        }
    }
    for (k, n) in reasons {
        let _ = writeln!(report, "excluded: {n} fields of the {k}");
    }
    println!("{report}");
    assert!(failures.is_empty(), "{report}\n{}", failures.join("\n"));
}
