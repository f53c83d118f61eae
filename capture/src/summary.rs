//! tcpdump-style one-line summaries: what `tcpdump -nn` prints for a frame (with
//! `link_level`, what `tcpdump -nn -e` prints), up to the transport layer.
//!
//! Differences from tcpdump, on purpose: no application-layer decoding (DNS, DHCP, HTTP...
//! print as `UDP, length N` or a TCP line ending at `length N`); TCP sequence numbers are
//! absolute (tcpdump makes them relative to the first segment it saw of a connection, which
//! needs state across packets); protocols we do not decode (LLDP, EAPOL, STP...) print the
//! link header and the payload's length only. Without `link_level`, a frame whose payload is
//! neither IP nor ARP still shows its link header, as tcpdump does for ethertypes it does not
//! know.

use std::fmt::Write as _;
use std::net::IpAddr;

use crate::decode::names;
use crate::decode::{
    Decoded, HwAddr, IcmpBody, Icmpv6Body, Invalid, Ipv6Ext, Layer, LayerInfo, QuotedIp,
};

mod addr;

/// A capture timestamp (seconds since the epoch, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub struct Timestamp {
    pub secs: i64,
    pub nanos: u32,
}

impl Timestamp {
    /// `HH:MM:SS.ffffff` in UTC, microseconds (truncated), as tcpdump prints it.
    pub fn time_of_day(&self) -> String {
        let s = self.secs.rem_euclid(86_400);
        let us = (self.nanos / 1000).min(999_999);
        format!("{:02}:{:02}:{:02}.{us:06}", s / 3600, s / 60 % 60, s % 60)
    }
}

/// The summary of a decoded frame: `HH:MM:SS.ffffff ` (when `ts` is given), then protocol,
/// addresses, ports, flags and lengths as `tcpdump -nn` prints them; with `link_level`, the
/// link-layer header first as `tcpdump -e` prints it. A VXLAN packet's inner frame follows on
/// a new line (without a timestamp), as tcpdump prints it.
pub fn summary(d: &Decoded, ts: Option<Timestamp>, link_level: bool) -> String {
    if let Some(bad) = invalid_header(d) {
        return bad;
    }
    let mut r = Render {
        out: String::new(),
        layers: &d.layers,
        pos: 0,
        e: link_level,
        fragmented: false,
    };
    if let Some(ts) = ts {
        r.out.push_str(&ts.time_of_day());
        r.out.push(' ');
    }
    r.frame();
    let mut out = r.out;
    out.truncate(out.trim_end().len());
    out
}

/// tcpdump's check of the record header: no timestamp, nothing decoded.
fn invalid_header(d: &Decoded) -> Option<String> {
    let mut problems = Vec::new();
    if d.caplen == 0 {
        problems.push("caplen==0".to_string());
    }
    if d.wire_len == 0 {
        problems.push("len==0".to_string());
    } else if d.wire_len < d.caplen {
        problems.push(format!("len({}) < caplen({})", d.wire_len, d.caplen));
    }
    (!problems.is_empty()).then(|| format!("[Invalid header: {}]", problems.join(", ")))
}

/// Renders layers in order; each method consumes the layers it prints.
struct Render<'d> {
    out: String,
    layers: &'d [Layer],
    pos: usize,
    /// tcpdump's `-e`.
    e: bool,
    /// The IP datagram is a fragment (UDP lengths are not checked then).
    fragmented: bool,
}

/// Write to the output; a `String` never fails.
macro_rules! w {
    ($r:expr, $($arg:tt)*) => {{
        let _ = write!($r.out, $($arg)*);
    }};
}

impl<'d> Render<'d> {
    fn peek(&self) -> Option<&'d Layer> {
        self.layers.get(self.pos)
    }

    fn peek_info(&self) -> Option<&'d LayerInfo> {
        self.peek().map(|l| &l.info)
    }

    fn bump(&mut self) {
        self.pos += 1;
    }

    /// A frame from its first layer.
    fn frame(&mut self) {
        match self.peek_info() {
            Some(LayerInfo::Ethernet { .. }) => self.ethernet(),
            Some(LayerInfo::LinuxSll { .. }) => self.sll(),
            Some(LayerInfo::RawIp) => {
                self.bump();
                if self.e {
                    self.out.push_str("ip: ");
                }
                self.network(None);
            }
            Some(LayerInfo::Truncated { protocol, .. }) => {
                self.bump();
                w!(self, " [|{protocol}]");
            }
            Some(LayerInfo::Invalid {
                invalid: Invalid::LinkType { link_type },
                ..
            }) => {
                self.bump();
                w!(self, "unsupported link type {link_type}");
            }
            _ => {}
        }
    }

    fn ethernet(&mut self) {
        let Some(&LayerInfo::Ethernet {
            src,
            dst,
            ether_type,
            frame_len,
        }) = self.peek_info()
        else {
            return;
        };
        self.bump();
        // The tags and the final type.
        let rest = self.layers.get(self.pos..).unwrap_or_default();
        let tags: Vec<(u16, u8, bool, u16, u16)> = rest
            .iter()
            .map_while(|l| match l.info {
                LayerInfo::Vlan {
                    tpid,
                    pcp,
                    dei,
                    vid,
                    ether_type,
                } => Some((tpid, pcp, dei, vid, ether_type)),
                _ => None,
            })
            .collect();
        let t = tags.last().map_or(ether_type, |tag| tag.4);
        let after = rest.get(tags.len()).map(|l| &l.info);
        // Without -e tcpdump prints the link header only when it cannot decode the payload.
        let decoded = matches!(t, 0x0800 | 0x86dd | 0x0806 | 0x8035)
            && !matches!(after, Some(LayerInfo::Payload { .. }) | None);
        if !self.e && decoded {
            self.pos += tags.len();
            self.network(Some(t));
            return;
        }
        w!(self, "{src} > {dst}, ");
        let mut printed_len = false;
        for &(tpid, pcp, dei, vid, _) in &tags {
            self.bump();
            w!(self, "{}", ethertype_text(tpid));
            if printed_len {
                self.out.push_str(", ");
            } else {
                w!(self, ", length {frame_len}: ");
                printed_len = true;
            }
            w!(
                self,
                "vlan {vid}, p {pcp}{}, ",
                if dei { ", DEI" } else { "" }
            );
        }
        if t <= 1500 {
            self.out.push_str("802.3");
            if !printed_len {
                let avail =
                    frame_len.saturating_sub(14 + 4 * u32::try_from(tags.len()).unwrap_or(0));
                // The length field, unless the wire carried less.
                w!(self, ", length {}: ", u32::from(t).min(avail));
            }
            self.llc();
        } else {
            w!(self, "{}", ethertype_text(t));
            if printed_len {
                self.out.push_str(", ");
            } else {
                w!(self, ", length {frame_len}: ");
            }
            self.network(Some(t));
        }
    }

    fn llc(&mut self) {
        let Some(&LayerInfo::Llc {
            length,
            available,
            dsap,
            ssap,
            control,
            snap,
        }) = self.peek_info()
        else {
            self.rest_of_frame(Some("LLC"));
            return;
        };
        self.bump();
        let (d, s) = (dsap & !1, ssap & !1);
        w!(
            self,
            "LLC, dsap {} (0x{d:02x}) {}, ssap {} (0x{s:02x}) {}, ",
            names::llc_sap(d),
            if dsap & 1 == 0 { "Individual" } else { "Group" },
            names::llc_sap(s),
            if ssap & 1 == 0 { "Command" } else { "Response" },
        );
        if control & 3 == 3 && control <= 0xff {
            w!(self, "ctrl 0x{control:02x}: ");
        } else {
            w!(self, "ctrl 0x{control:04x}: ");
        }
        if let Some(snap) = snap {
            let unit = u32::from(length).min(available);
            w!(
                self,
                "oui {} (0x{:06x}), pid {} (0x{:04x}), length {}: ",
                names::oui(snap.oui),
                snap.oui,
                names::snap_pid(snap.oui, snap.pid),
                snap.pid,
                unit.saturating_sub(8)
            );
            if snap.oui == 0 && snap.pid > 1500 {
                self.network(Some(snap.pid));
                return;
            }
            let name = names::snap_pid(snap.oui, snap.pid);
            self.rest_of_frame((name != "Unknown").then_some(name));
            return;
        }
        self.rest_of_frame((d == 0x42).then_some("STP"));
    }

    fn sll(&mut self) {
        let Some(LayerInfo::LinuxSll {
            version,
            packet_type,
            addr,
            protocol,
            ifindex,
            frame_len,
            ..
        }) = self.peek_info()
        else {
            return;
        };
        self.bump();
        let dir = names::sll_packet_type(*packet_type);
        if *version == 2 {
            w!(self, "{dir:<3} ");
        }
        if self.e {
            if *version == 1 {
                w!(self, "{dir:>3} ");
            } else if let Some(i) = ifindex {
                w!(self, "ifindex {i} ");
            }
            if addr.0.len() == 6 {
                w!(self, "{addr} ");
            }
            match protocol {
                p if *p > 1500 => w!(self, "{}", ethertype_text(*p)),
                1 => self.out.push_str("802.3"),
                4 => self.out.push_str("802.2"),
                p => w!(self, "ethertype Unknown (0x{p:04x})"),
            }
            w!(self, ", length {frame_len}: ");
        }
        match self.peek_info() {
            Some(LayerInfo::Llc { .. }) => self.llc(),
            _ => self.network((*protocol > 1500).then_some(*protocol)),
        }
    }

    /// What follows the link header: ARP, IP, or something we do not decode.
    fn network(&mut self, ether_type: Option<u16>) {
        match self.peek_info() {
            Some(LayerInfo::Arp { .. }) => self.arp(),
            Some(LayerInfo::AtmArp { .. }) => self.atm_arp(),
            Some(LayerInfo::Ipv4 { .. }) => self.ipv4(),
            Some(LayerInfo::Ipv6 { .. }) => self.ipv6(),
            Some(LayerInfo::Invalid { invalid, .. }) => {
                self.bump();
                self.invalid(*invalid);
            }
            _ => self.rest_of_frame(ether_type.and_then(names::ethertype)),
        }
    }

    /// Undecoded payload (its protocol's name, when known, and its length) or a truncation
    /// mark.
    fn rest_of_frame(&mut self, name: Option<&str>) {
        match self.peek_info() {
            Some(LayerInfo::Truncated { protocol, .. }) => {
                self.bump();
                w!(self, " [|{protocol}]");
            }
            Some(LayerInfo::Payload { wire_len }) => {
                self.bump();
                if let Some(name) = name {
                    w!(self, "{name}, length {wire_len}");
                }
            }
            _ => {}
        }
    }

    fn invalid(&mut self, invalid: Invalid) {
        match invalid {
            Invalid::IpVersion {
                expected: Some(6),
                found,
            } => {
                if !self.e {
                    self.out.push_str("IP6 ");
                }
                w!(self, "version error: {found} != 6");
            }
            Invalid::IpVersion {
                expected: Some(_),
                found,
            } => {
                if !self.e {
                    self.out.push_str("IP ");
                }
                if found == 6 {
                    self.out
                        .push_str("IP6, wrong link-layer encapsulation (invalid)");
                } else {
                    w!(self, "IP{found} (invalid)");
                }
            }
            Invalid::IpVersion {
                expected: None,
                found,
            } => w!(self, "ip v{found}"),
            Invalid::Ipv4HeaderLength { header_len } => {
                if !self.e {
                    self.out.push_str("IP ");
                }
                w!(self, "bad-hlen {header_len}");
            }
            Invalid::TcpHeaderLength { header_len } => {
                w!(self, "tcp [bad hdr length {header_len} - too short, < 20]");
            }
            Invalid::LinkType { link_type } => w!(self, "unsupported link type {link_type}"),
        }
    }

    fn arp(&mut self) {
        let Some(LayerInfo::Arp {
            hw_type,
            proto_type,
            hw_len,
            proto_len,
            op,
            sender_hw,
            sender_proto,
            target_hw,
            target_proto,
            length,
        }) = self.peek_info()
        else {
            return;
        };
        self.bump();
        if !self.e {
            self.out.push_str("ARP, ");
        }
        if (*proto_type != 0x0800 && *proto_type != 0x1000) || *proto_len != 4 || *hw_len == 0 {
            match names::arp_hardware(*hw_type) {
                Some(n) => w!(self, "{n}"),
                None => w!(self, "Unknown Hardware ({hw_type})"),
            }
            w!(self, " (len {hw_len}), ");
            match names::ethertype(*proto_type) {
                Some(n) => w!(self, "{n}"),
                None => w!(self, "Unknown Protocol (0x{proto_type:04x})"),
            }
            w!(self, " (len {proto_len}), length {length}");
            return;
        }
        let ip = |h: &HwAddr| h.ipv4().map_or_else(|| h.to_string(), |a| a.to_string());
        match op {
            1 => {
                w!(self, "Request who-has {}", ip(target_proto));
                if target_hw.0.iter().any(|&b| b != 0) {
                    w!(self, " ({target_hw})");
                }
                w!(self, " tell {}", ip(sender_proto));
            }
            2 => w!(self, "Reply {} is-at {sender_hw}", ip(sender_proto)),
            3 => w!(self, "Reverse Request who-is {target_hw} tell {sender_hw}"),
            4 => w!(self, "Reverse Reply {target_hw} at {}", ip(target_proto)),
            8 => w!(self, "Inverse Request who-is {target_hw} tell {sender_hw}"),
            9 => w!(self, "Inverse Reply {sender_hw} at {}", ip(sender_proto)),
            op => {
                // tcpdump follows with a hex dump.
                match names::arp_op(*op) {
                    Some(n) => w!(self, "{n} "),
                    None => w!(self, "Unknown ({op}) "),
                }
                return;
            }
        }
        w!(self, ", length {length}");
    }

    /// tcpdump's `atmarp_print`.
    fn atm_arp(&mut self) {
        let Some(LayerInfo::AtmArp {
            proto_type,
            op,
            sender_atm,
            sender_sub,
            sender_proto,
            target_atm,
            target_sub,
            target_proto,
            length,
        }) = self.peek_info()
        else {
            return;
        };
        self.bump();
        if !self.e {
            self.out.push_str("ARP, ");
        }
        let (spln, tpln) = (sender_proto.0.len(), target_proto.0.len());
        if (*proto_type != 0x0800 && *proto_type != 0x1000) || spln != 4 || tpln != 4 {
            self.out.push_str("ATM, ");
            match names::ethertype(*proto_type) {
                Some(n) => w!(self, "{n}"),
                None => w!(self, "Unknown Protocol (0x{proto_type:04x})"),
            }
            w!(self, " (len {spln}/{tpln}), length {length}");
            return;
        }
        let atm = |number: &HwAddr, sub: &HwAddr| {
            if number.0.is_empty() {
                "<No address>".to_string()
            } else if sub.0.is_empty() {
                number.to_string()
            } else {
                format!("{number},{sub}")
            }
        };
        let ip = |h: &HwAddr| h.ipv4().map_or_else(|| h.to_string(), |a| a.to_string());
        match op {
            1 => {
                w!(self, "Request who-has {}", ip(target_proto));
                if !target_atm.0.is_empty() {
                    w!(self, " ({})", atm(target_atm, target_sub));
                }
                w!(self, " tell {}", ip(sender_proto));
            }
            2 => w!(
                self,
                "Reply {} is-at {}",
                ip(sender_proto),
                atm(sender_atm, sender_sub)
            ),
            8 => w!(
                self,
                "Inverse Request who-is {} tell {}",
                atm(target_atm, target_sub),
                atm(sender_atm, sender_sub)
            ),
            // (sic: tcpdump prints no space before "at")
            9 => w!(
                self,
                "Inverse Reply {}at {}",
                atm(sender_atm, sender_sub),
                ip(sender_proto)
            ),
            10 => w!(self, "NACK Reply for {}", ip(sender_proto)),
            op => {
                match names::arp_op(*op) {
                    Some(n) => w!(self, "{n} "),
                    None => w!(self, "Unknown ({op}) "),
                }
                return;
            }
        }
        w!(self, ", length {length}");
    }

    fn ipv4(&mut self) {
        let Some(&LayerInfo::Ipv4 {
            src,
            dst,
            header_len,
            total_len,
            more_fragments,
            fragment_offset,
            protocol,
            wire_len,
            ..
        }) = self.peek_info()
        else {
            return;
        };
        self.bump();
        if !self.e {
            self.out.push_str("IP ");
        }
        let (total, hlen) = (u32::from(total_len), u32::from(header_len));
        if total > wire_len {
            w!(self, "truncated-ip - {} bytes missing! ", total - wire_len);
        } else if total < hlen {
            w!(self, "bad-len {total}");
            self.skip_datagram();
            return;
        }
        self.fragmented = more_fragments || fragment_offset != 0;
        if fragment_offset != 0 {
            w!(self, "{src} > {dst}: ip-proto-{protocol}");
            self.skip_datagram();
            return;
        }
        if matches!(self.peek_info(), Some(LayerInfo::Ipv6Ext { .. })) {
            // IPv4 authentication header.
            self.bump();
        }
        self.upper(IpAddr::V4(src), IpAddr::V4(dst), protocol, false);
    }

    fn ipv6(&mut self) {
        let Some(&LayerInfo::Ipv6 {
            src,
            dst,
            next_header,
            payload_len,
            ..
        }) = self.peek_info()
        else {
            return;
        };
        self.bump();
        if !self.e {
            self.out.push_str("IP6 ");
        }
        let (s, d) = (IpAddr::V6(src), IpAddr::V6(dst));
        let mut addrs_printed = false;
        if next_header != 6 && next_header != 17 {
            w!(self, "{} > {}: ", addr::ipv6(&src), addr::ipv6(&dst));
            addrs_printed = true;
        }
        let mut remaining = u32::from(payload_len);
        let mut last_next = next_header;
        while let Some(LayerInfo::Ipv6Ext {
            next_header,
            len,
            ext,
        }) = self.peek_info()
        {
            self.bump();
            last_next = *next_header;
            let len32 = u32::from(*len);
            remaining = remaining.saturating_sub(len32);
            match ext {
                Ipv6Ext::HopByHop => self.out.push_str("HBH "),
                Ipv6Ext::DestinationOptions => self.out.push_str("DSTOPT "),
                Ipv6Ext::Authentication { spi, seq } => {
                    w!(self, "AH(spi=0x{spi:08x},seq=0x{seq:x}): ");
                }
                Ipv6Ext::Routing {
                    routing_type,
                    segments_left,
                    addresses,
                } => {
                    w!(
                        self,
                        "RT6 (len={}, type={routing_type}",
                        (len32 / 8).saturating_sub(1)
                    );
                    if *routing_type == 0 {
                        self.out.push_str(" [Deprecated]");
                    }
                    w!(self, ", segleft={segments_left}");
                    for (i, a) in addresses.iter().enumerate() {
                        w!(self, ", [{i}]{}", addr::ipv6(a));
                    }
                    self.out.push_str(") ");
                }
                Ipv6Ext::Fragment { offset, .. } => {
                    self.fragmented = true;
                    w!(self, "frag ({offset}|{remaining})");
                    if *offset != 0 {
                        self.skip_datagram();
                        return;
                    }
                    self.out.push(' ');
                }
            }
        }
        self.upper(s, d, last_next, addrs_printed);
    }

    /// The upper layer of an IP datagram. `addrs_printed`: the addresses are already out
    /// (IPv6 with extension headers), TCP/UDP print ports only.
    fn upper(&mut self, src: IpAddr, dst: IpAddr, protocol: u8, addrs_printed: bool) {
        let (s, d) = (addr::ip(&src), addr::ip(&dst));
        let addrs = |r: &mut Self| {
            if !addrs_printed {
                w!(r, "{s} > {d}: ");
            }
        };
        let Some(layer) = self.peek() else {
            addrs(self);
            w!(self, " ip-proto-{protocol} 0");
            return;
        };
        match &layer.info {
            LayerInfo::Tcp {
                src_port, dst_port, ..
            }
            | LayerInfo::Udp {
                src_port, dst_port, ..
            }
            | LayerInfo::Ports { src_port, dst_port } => {
                if addrs_printed {
                    w!(self, "{src_port} > {dst_port}: ");
                } else {
                    w!(self, "{s}.{src_port} > {d}.{dst_port}: ");
                }
                match &layer.info {
                    LayerInfo::Tcp { .. } => self.tcp(),
                    LayerInfo::Udp { .. } => self.udp(),
                    _ => {
                        // Ports of a cut header; the truncation mark follows.
                        self.bump();
                        self.rest_of_frame(None);
                    }
                }
            }
            LayerInfo::Truncated {
                protocol: p @ ("tcp" | "udp"),
                ..
            } => {
                self.bump();
                w!(self, "{s} > {d}: [|{p}]");
            }
            LayerInfo::Icmp { .. } => {
                addrs(self);
                self.icmp();
            }
            LayerInfo::Icmpv6 { .. } => {
                addrs(self);
                self.icmpv6();
            }
            LayerInfo::Igmp { .. } => {
                addrs(self);
                self.igmp();
            }
            LayerInfo::Invalid { invalid, .. } => {
                let invalid = *invalid;
                self.bump();
                addrs(self);
                self.invalid(invalid);
            }
            LayerInfo::Truncated { protocol: p, .. } => {
                self.bump();
                addrs(self);
                w!(self, " [|{p}]");
            }
            LayerInfo::Payload { wire_len } => {
                self.bump();
                addrs(self);
                w!(self, " ip-proto-{protocol} {wire_len}");
            }
            _ => {
                addrs(self);
                w!(self, " ip-proto-{protocol}");
            }
        }
    }

    /// Consume the rest of a datagram (after tcpdump stopped printing it).
    fn skip_datagram(&mut self) {
        while let Some(info) = self.peek_info() {
            match info {
                LayerInfo::Vxlan { .. } => return,
                _ => self.bump(),
            }
        }
    }

    fn tcp(&mut self) {
        let Some(LayerInfo::Tcp {
            seq,
            ack,
            flags,
            window,
            urgent,
            options,
            payload_len,
            ..
        }) = self.peek_info()
        else {
            return;
        };
        self.bump();
        w!(self, "Flags [{}]", tcp_flags(*flags));
        let len = *payload_len;
        if len > 0 || flags & 0x07 != 0 {
            w!(self, ", seq {seq}");
            if len > 0 {
                w!(self, ":{}", seq.wrapping_add(len));
            }
        }
        if flags & 0x10 != 0 {
            w!(self, ", ack {ack}");
        }
        w!(self, ", win {window}");
        if flags & 0x20 != 0 {
            w!(self, ", urg {urgent}");
        }
        if !options.is_empty() {
            let opts: Vec<String> = options.iter().map(ToString::to_string).collect();
            w!(self, ", options [{}]", opts.join(","));
        }
        w!(self, ", length {len}");
        self.skip_datagram();
    }

    fn udp(&mut self) {
        let Some(&LayerInfo::Udp { length, ip_len, .. }) = self.peek_info() else {
            return;
        };
        self.bump();
        if ip_len < 8 {
            w!(self, "truncated-udp {ip_len}");
            self.skip_datagram();
            return;
        }
        let mut ulen = u32::from(length);
        if ulen == 0 && ip_len > 65535 {
            ulen = ip_len;
        }
        if ulen < 8 {
            w!(self, "truncated-udplength {ulen}");
            self.skip_datagram();
            return;
        }
        let ulen = ulen - 8;
        let len = (ip_len - 8).min(ulen);
        if let Some(&LayerInfo::Vxlan { flags, vni }) = self.peek_info() {
            self.bump();
            w!(
                self,
                "VXLAN, flags [{}] (0x{flags:02x}), vni {vni}\n",
                if flags & 0x08 != 0 { "I" } else { "." }
            );
            self.frame();
            return;
        }
        if ulen > len && !self.fragmented {
            w!(self, "UDP, bad length {ulen} > {len}");
        } else {
            w!(self, "UDP, length {ulen}");
        }
        if let Some(LayerInfo::Truncated { protocol, .. }) = self.peek_info() {
            self.bump();
            w!(self, " [|{protocol}]");
        }
        self.skip_datagram();
    }

    fn icmp(&mut self) {
        let Some(&LayerInfo::Icmp {
            icmp_type,
            code,
            length,
            body,
        }) = self.peek_info()
        else {
            return;
        };
        self.bump();
        if body == IcmpBody::Truncated {
            self.out.push_str(" [|icmp]");
            self.skip_datagram();
            return;
        }
        let quoted_dst =
            |q: Option<QuotedIp>| q.map_or_else(|| "?".to_string(), |q| addr::ip(&q.dst));
        self.out.push_str("ICMP ");
        match (icmp_type, body) {
            (0, IcmpBody::Echo { id, seq }) => w!(self, "echo reply, id {id}, seq {seq}"),
            (8, IcmpBody::Echo { id, seq }) => w!(self, "echo request, id {id}, seq {seq}"),
            (
                3,
                IcmpBody::Unreachable {
                    next_hop_mtu,
                    quoted,
                },
            ) => {
                let dst = quoted_dst(quoted);
                self.out
                    .push_str(&unreachable_text(code, &dst, quoted, next_hop_mtu));
            }
            (4, _) => self.out.push_str("source quench"),
            (5, IcmpBody::Redirect { gateway, quoted }) => {
                let dst = quoted_dst(quoted);
                match code {
                    0 => w!(self, "redirect {dst} to net {gateway}"),
                    1 => w!(self, "redirect {dst} to host {gateway}"),
                    2 => w!(self, "redirect-tos {dst} to net {gateway}"),
                    3 => w!(self, "redirect-tos {dst} to host {gateway}"),
                    c => w!(self, "redirect-#{c} {dst} to {gateway}"),
                }
            }
            (9, _) => self.out.push_str("router advertisement"),
            (10, _) => self.out.push_str("router solicitation"),
            (11, _) => match code {
                0 => self.out.push_str("time exceeded in-transit"),
                1 => self.out.push_str("ip reassembly time exceeded"),
                c => w!(self, "time exceeded-#{c}"),
            },
            (12, IcmpBody::Error { pointer, .. }) => {
                if code == 0 {
                    w!(self, "parameter problem - octet {pointer}");
                } else {
                    w!(self, "parameter problem - code {code}");
                }
            }
            (13, IcmpBody::Echo { id, seq }) => w!(self, "time stamp query id {id} seq {seq}"),
            (14, IcmpBody::Echo { id, seq }) => w!(self, "time stamp reply id {id} seq {seq}"),
            (15, _) => self.out.push_str("information request"),
            (16, _) => self.out.push_str("information reply"),
            (17, _) => self.out.push_str("address mask request"),
            (18, IcmpBody::AddressMask { mask, .. }) => {
                w!(self, "address mask is 0x{:08x}", u32::from(mask));
            }
            (t, _) => w!(self, "type-#{t}"),
        }
        w!(self, ", length {length}");
        self.skip_datagram();
    }

    fn icmpv6(&mut self) {
        let Some(&LayerInfo::Icmpv6 {
            icmp_type,
            code,
            length,
            body,
        }) = self.peek_info()
        else {
            return;
        };
        self.bump();
        if length == 0 {
            self.out.push_str("ICMP6, length 0 (invalid)");
            self.skip_datagram();
            return;
        }
        self.out.push_str("ICMP6, ");
        match names::icmp6_type(icmp_type) {
            Some(n) => self.out.push_str(n),
            None => w!(self, "unknown icmp6 type ({icmp_type})"),
        }
        let quoted_dst =
            |q: Option<QuotedIp>| q.map_or_else(|| "?".to_string(), |q| addr::ip(&q.dst));
        match body {
            Icmpv6Body::Echo { id, seq } => w!(self, ", id {id}, seq {seq}"),
            Icmpv6Body::NeighborSolicitation { target } => {
                w!(self, ", who has {}", addr::ipv6(&target));
            }
            Icmpv6Body::NeighborAdvertisement { target, .. } => {
                w!(self, ", tgt is {}", addr::ipv6(&target));
            }
            Icmpv6Body::Redirect {
                target,
                destination,
            } => {
                w!(
                    self,
                    ", {} to {}",
                    addr::ipv6(&target),
                    addr::ipv6(&destination)
                );
            }
            Icmpv6Body::MldQuery {
                max_response,
                group,
                sources,
            } => {
                if length == 24 {
                    w!(
                        self,
                        " max resp delay: {max_response} addr: {}",
                        addr::ipv6(&group)
                    );
                } else if length >= 28 {
                    w!(self, " v2 [gaddr {}", addr::ipv6(&group));
                    match sources {
                        Some(n) if n > 0 => w!(self, ", {n} source(s)]"),
                        _ => self.out.push(']'),
                    }
                } else {
                    w!(self, " unknown-version (len {length}) ");
                }
            }
            Icmpv6Body::Mld {
                max_response,
                group,
            } => {
                w!(
                    self,
                    " max resp delay: {max_response} addr: {}",
                    addr::ipv6(&group)
                );
            }
            Icmpv6Body::MldV2Report { records } => w!(self, ", {records} group record(s)"),
            Icmpv6Body::PacketTooBig { mtu, .. } => w!(self, ", mtu {mtu}"),
            Icmpv6Body::Error { pointer, quoted } => match icmp_type {
                1 => {
                    let dst = quoted_dst(quoted);
                    match code {
                        0 => w!(self, ", unreachable route {dst}"),
                        1 => w!(self, ", unreachable prohibited {dst}"),
                        2 => w!(self, ", beyond scope {dst}"),
                        3 => w!(self, ", unreachable address {dst}"),
                        4 => match quoted.map(|q| (q.protocol, q.ports)) {
                            Some((6, Some((_, p)))) => {
                                w!(self, ", unreachable port, {dst} tcp port {p}");
                            }
                            Some((17, Some((_, p)))) => {
                                w!(self, ", unreachable port, {dst} udp port {p}");
                            }
                            Some((proto, ports)) => {
                                let p = ports.map_or(0, |(_, p)| p);
                                w!(self, ", unreachable port, {dst} protocol {proto} port {p} unreachable");
                            }
                            None => w!(self, ", unreachable port, {dst}"),
                        },
                        c => w!(self, ", unknown unreach code ({c})"),
                    }
                }
                3 => match code {
                    0 => w!(self, " for {}", quoted_dst(quoted)),
                    1 => self.out.push_str(" (reassembly)"),
                    c => w!(self, ", unknown code ({c})"),
                },
                _ => match code {
                    0 => w!(self, ", erroneous - octet {pointer}"),
                    1 => w!(self, ", next header - octet {pointer}"),
                    2 => w!(self, ", option - octet {pointer}"),
                    c => w!(self, ", code-#{c}"),
                },
            },
            Icmpv6Body::Truncated => {
                // What tcpdump prints without -v needs nothing past the type for these.
                if !matches!(icmp_type, 133 | 134 | 141 | 142 | 146 | 147)
                    && names::icmp6_type(icmp_type).is_some()
                {
                    self.out.push_str(" [|icmp6]");
                    self.skip_datagram();
                    return;
                }
            }
            Icmpv6Body::RouterSolicitation
            | Icmpv6Body::RouterAdvertisement { .. }
            | Icmpv6Body::Other { .. } => {}
        }
        w!(self, ", length {length}");
        self.skip_datagram();
    }

    fn igmp(&mut self) {
        let Some(&LayerInfo::Igmp {
            igmp_type,
            max_response,
            group,
            records,
            length,
        }) = self.peek_info()
        else {
            return;
        };
        self.bump();
        match igmp_type {
            0x11 => {
                if length == 8 {
                    if max_response == 0 {
                        self.out.push_str("igmp query v1");
                    } else {
                        self.out.push_str("igmp query v2");
                        if max_response != 100 {
                            w!(self, " [max resp time {max_response}]");
                        }
                    }
                } else {
                    self.out.push_str("igmp query v3");
                }
                if !group.is_unspecified() {
                    w!(self, " [gaddr {group}]");
                }
            }
            0x12 => w!(self, "igmp v1 report {group}"),
            0x16 => w!(self, "igmp v2 report {group}"),
            0x17 => w!(self, "igmp leave {group}"),
            0x22 => w!(
                self,
                "igmp v3 report, {} group record(s)",
                records.unwrap_or(0)
            ),
            t => w!(self, "igmp-{t}"),
        }
        self.skip_datagram();
    }
}

/// "ethertype IPv4 (0x0800)".
fn ethertype_text(t: u16) -> String {
    format!("ethertype {} (0x{t:04x})", names::ethertype_or_unknown(t))
}

/// tcpdump's TCP flag letters, "none" when no flag is set.
fn tcp_flags(flags: u16) -> String {
    const LETTERS: [(u16, char); 8] = [
        (0x01, 'F'),
        (0x02, 'S'),
        (0x04, 'R'),
        (0x08, 'P'),
        (0x10, '.'),
        (0x20, 'U'),
        (0x40, 'E'),
        (0x80, 'W'),
    ];
    let s: String = LETTERS
        .iter()
        .filter(|(bit, _)| flags & bit != 0)
        .map(|(_, c)| *c)
        .collect();
    if s.is_empty() {
        "none".to_string()
    } else {
        s
    }
}

/// tcpdump's text for ICMP destination unreachable codes.
fn unreachable_text(code: u8, dst: &str, quoted: Option<QuotedIp>, mtu: u16) -> String {
    match code {
        0 => format!("net {dst} unreachable"),
        1 => format!("host {dst} unreachable"),
        2 => format!(
            "{dst} protocol {} unreachable",
            quoted.map_or(0, |q| q.protocol)
        ),
        3 => match quoted.map(|q| (q.protocol, q.ports)) {
            Some((6, Some((_, p)))) => format!("{dst} tcp port {p} unreachable"),
            Some((17, Some((_, p)))) => format!("{dst} udp port {p} unreachable"),
            Some((proto, ports)) => format!(
                "{dst} protocol {proto} port {} unreachable",
                ports.map_or(0, |(_, p)| p)
            ),
            None => format!("{dst} port unreachable"),
        },
        4 if mtu != 0 => format!("{dst} unreachable - need to frag (mtu {mtu})"),
        4 => format!("{dst} unreachable - need to frag"),
        5 => format!("{dst} unreachable - source route failed"),
        6 => format!("net {dst} unreachable - unknown"),
        7 => format!("host {dst} unreachable - unknown"),
        8 => format!("{dst} unreachable - source host isolated"),
        9 => format!("net {dst} unreachable - admin prohibited"),
        10 => format!("host {dst} unreachable - admin prohibited"),
        11 => format!("net {dst} unreachable - tos prohibited"),
        12 => format!("host {dst} unreachable - tos prohibited"),
        13 => format!("host {dst} unreachable - admin prohibited filter"),
        14 => format!("host {dst} unreachable - host precedence violation"),
        15 => format!("host {dst} unreachable - precedence cutoff"),
        c => format!("{dst} unreachable - #{c}"),
    }
}
