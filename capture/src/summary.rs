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

use addr::{dec, dec_pad, hex, write_hw, write_ip, write_ipv4, write_ipv6, write_mac, Ip, Ip6};

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
        let mut out = String::with_capacity(15);
        self.write_time_of_day(&mut out);
        out
    }

    /// [`Timestamp::time_of_day`], appended to `out`.
    fn write_time_of_day(&self, out: &mut String) {
        let s = self.secs.rem_euclid(86_400).unsigned_abs();
        let us = (self.nanos / 1000).min(999_999);
        // Two digits of a number below 100.
        let two = |out: &mut String, n: u64| {
            out.push(char::from(b'0' + (n / 10 % 10) as u8));
            out.push(char::from(b'0' + (n % 10) as u8));
        };
        two(out, s / 3600);
        out.push(':');
        two(out, s / 60 % 60);
        out.push(':');
        two(out, s % 60);
        out.push('.');
        dec_pad(out, us, 6);
    }
}

/// The summary of a decoded frame: `HH:MM:SS.ffffff ` (when `ts` is given), then protocol,
/// addresses, ports, flags and lengths as `tcpdump -nn` prints them; with `link_level`, the
/// link-layer header first as `tcpdump -e` prints it. A VXLAN packet's inner frame follows on
/// a new line (without a timestamp), as tcpdump prints it.
pub fn summary(d: &Decoded, ts: Option<Timestamp>, link_level: bool) -> String {
    let mut out = String::with_capacity(128);
    summary_into(&mut out, d, ts, link_level);
    out
}

/// [`summary`], appended to `out` (no newline at the end), so that one buffer can serve
/// many packets.
pub fn summary_into(out: &mut String, d: &Decoded, ts: Option<Timestamp>, link_level: bool) {
    if invalid_header(out, d) {
        return;
    }
    let start = out.len();
    let mut r = Render {
        out,
        layers: &d.layers,
        pos: 0,
        e: link_level,
        fragmented: false,
    };
    if let Some(ts) = ts {
        ts.write_time_of_day(r.out);
        r.out.push(' ');
    }
    r.frame();
    let kept = out.get(start..).map_or(0, |s| s.trim_end().len());
    out.truncate(start + kept);
}

/// tcpdump's check of the record header: no timestamp, nothing decoded. Writes the
/// complaint and says so when the header is bad.
fn invalid_header(out: &mut String, d: &Decoded) -> bool {
    let (caplen, len) = (d.caplen, d.wire_len);
    if caplen != 0 && len != 0 && len >= caplen {
        return false;
    }
    out.push_str("[Invalid header: ");
    if caplen == 0 {
        // (`len < caplen` cannot hold then.)
        out.push_str(if len == 0 { "caplen==0, " } else { "caplen==0" });
    }
    if len == 0 {
        out.push_str("len==0");
    } else if len < caplen {
        out.push_str("len(");
        dec(out, len);
        out.push_str(") < caplen(");
        dec(out, caplen);
        out.push(')');
    }
    out.push(']');
    true
}

/// Renders layers in order; each method consumes the layers it prints.
struct Render<'d, 'o> {
    out: &'o mut String,
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

impl<'d> Render<'d, '_> {
    fn s(&mut self, text: &str) {
        self.out.push_str(text);
    }

    /// A decimal number.
    fn n(&mut self, n: impl Into<u64>) {
        dec(self.out, n);
    }

    /// An IP address as tcpdump prints it.
    fn ip(&mut self, a: &IpAddr) {
        write_ip(self.out, a);
    }

    /// `", length N"`.
    fn length(&mut self, n: impl Into<u64>) {
        self.out.push_str(", length ");
        dec(self.out, n);
    }

    /// "ethertype IPv4 (0x0800)".
    fn ethertype(&mut self, t: u16) {
        self.out.push_str("ethertype ");
        self.out.push_str(names::ethertype_or_unknown(t));
        self.out.push_str(" (0x");
        hex(self.out, t, 4);
        self.out.push(')');
    }

    /// `"src > dst: "`.
    fn addrs(&mut self, src: &IpAddr, dst: &IpAddr) {
        self.ip(src);
        self.s(" > ");
        self.ip(dst);
        self.s(": ");
    }

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
        let ntags = rest
            .iter()
            .take_while(|l| matches!(l.info, LayerInfo::Vlan { .. }))
            .count();
        let tags = rest.get(..ntags).unwrap_or_default();
        let t = match tags.last().map(|l| &l.info) {
            Some(&LayerInfo::Vlan { ether_type, .. }) => ether_type,
            _ => ether_type,
        };
        let after = rest.get(ntags).map(|l| &l.info);
        // Without -e tcpdump prints the link header only when it cannot decode the payload.
        let decoded = matches!(t, 0x0800 | 0x86dd | 0x0806 | 0x8035)
            && !matches!(after, Some(LayerInfo::Payload { .. }) | None);
        if !self.e && decoded {
            self.pos += ntags;
            self.network(Some(t));
            return;
        }
        write_mac(self.out, src);
        self.s(" > ");
        write_mac(self.out, dst);
        self.s(", ");
        let mut printed_len = false;
        for tag in tags {
            let LayerInfo::Vlan {
                tpid,
                pcp,
                dei,
                vid,
                ..
            } = tag.info
            else {
                continue;
            };
            self.bump();
            self.ethertype(tpid);
            if printed_len {
                self.s(", ");
            } else {
                self.length(frame_len);
                self.s(": ");
                printed_len = true;
            }
            self.s("vlan ");
            self.n(vid);
            self.s(", p ");
            self.n(pcp);
            self.s(if dei { ", DEI, " } else { ", " });
        }
        if t <= 1500 {
            self.s("802.3");
            if !printed_len {
                let avail = frame_len.saturating_sub(14 + 4 * u32::try_from(ntags).unwrap_or(0));
                // The length field, unless the wire carried less.
                self.length(u32::from(t).min(avail));
                self.s(": ");
            }
            self.llc();
        } else {
            self.ethertype(t);
            if printed_len {
                self.s(", ");
            } else {
                self.length(frame_len);
                self.s(": ");
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
            if self.stp() {
                return;
            }
            let name = names::snap_pid(snap.oui, snap.pid);
            self.rest_of_frame((name != "Unknown").then_some(name));
            return;
        }
        if self.stp() {
            return;
        }
        self.rest_of_frame((d == 0x42).then_some("STP"));
    }

    /// A BPDU as tcpdump prints it without -v; false when the next layer is not one.
    fn stp(&mut self) -> bool {
        const FLAGS: [(u8, &str); 6] = [
            (0x01, "Topology change"),
            (0x02, "Proposal"),
            (0x10, "Learn"),
            (0x20, "Forward"),
            (0x40, "Agreement"),
            (0x80, "Topology change ACK"),
        ];
        let Some(&LayerInfo::Stp {
            version,
            bpdu_type,
            flags,
            bridge_id,
            port_id,
            length,
            ..
        }) = self.peek_info()
        else {
            return false;
        };
        self.bump();
        let v = match version {
            0 => "802.1d",
            2 => "802.1w",
            3 => "802.1s",
            _ => "unknown",
        };
        w!(self, "STP {v}");
        match bpdu_type {
            0x80 => {
                w!(self, ", Topology Change, length {length}");
                return true;
            }
            0x00 => self.s(", Config"),
            0x02 if version == 3 => self.s(", MSTP"),
            0x02 => self.s(", Rapid STP"),
            t => w!(self, ", unknown type 0x{t:02x}"),
        }
        let set: Vec<&str> = FLAGS
            .iter()
            .filter(|(b, _)| flags & b != 0)
            .map(|(_, n)| *n)
            .collect();
        w!(
            self,
            ", Flags [{}]",
            if set.is_empty() {
                "none".to_owned()
            } else {
                set.join(", ")
            }
        );
        let [p0, p1, m0, m1, m2, m3, m4, m5] = bridge_id.to_be_bytes();
        w!(
            self,
            ", bridge-id {p0:02x}{p1:02x}.{m0:02x}:{m1:02x}:{m2:02x}:{m3:02x}:{m4:02x}:{m5:02x}.{port_id:04x}, length {length}"
        );
        true
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
                write_hw(self.out, addr);
                self.s(" ");
            }
            match protocol {
                p if *p > 1500 => self.ethertype(*p),
                1 => self.out.push_str("802.3"),
                4 => self.out.push_str("802.2"),
                p => w!(self, "ethertype Unknown (0x{p:04x})"),
            }
            self.length(*frame_len);
            self.s(": ");
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
            Some(LayerInfo::Lldp {
                length,
                system_name,
                ..
            }) => {
                // tcpdump without -v: the length, then the system name when there is one.
                let (length, name) = (*length, system_name.clone());
                self.bump();
                w!(self, "LLDP, length {length}");
                if let Some(n) = name {
                    w!(self, ": {n}");
                }
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
                self.truncation_mark(protocol);
            }
            Some(LayerInfo::Payload { wire_len }) => {
                self.bump();
                if let Some(name) = name {
                    self.s(name);
                    self.length(*wire_len);
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
        let out = &mut *self.out;
        let ip = |out: &mut String, h: &HwAddr| addr::write_proto(out, h);
        let hw = |out: &mut String, h: &HwAddr| write_hw(out, h);
        match op {
            1 => {
                out.push_str("Request who-has ");
                ip(out, target_proto);
                if target_hw.0.iter().any(|&b| b != 0) {
                    out.push_str(" (");
                    hw(out, target_hw);
                    out.push(')');
                }
                out.push_str(" tell ");
                ip(out, sender_proto);
            }
            2 => {
                out.push_str("Reply ");
                ip(out, sender_proto);
                out.push_str(" is-at ");
                hw(out, sender_hw);
            }
            3 | 8 => {
                out.push_str(if *op == 3 {
                    "Reverse Request who-is "
                } else {
                    "Inverse Request who-is "
                });
                hw(out, target_hw);
                out.push_str(" tell ");
                hw(out, sender_hw);
            }
            4 => {
                out.push_str("Reverse Reply ");
                hw(out, target_hw);
                out.push_str(" at ");
                ip(out, target_proto);
            }
            9 => {
                out.push_str("Inverse Reply ");
                hw(out, sender_hw);
                out.push_str(" at ");
                ip(out, sender_proto);
            }
            op => {
                // tcpdump follows with a hex dump.
                match names::arp_op(*op) {
                    Some(n) => w!(self, "{n} "),
                    None => w!(self, "Unknown ({op}) "),
                }
                return;
            }
        }
        self.length(*length);
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
        let out = &mut *self.out;
        let atm = |out: &mut String, number: &HwAddr, sub: &HwAddr| {
            if number.0.is_empty() {
                out.push_str("<No address>");
            } else {
                write_hw(out, number);
                if !sub.0.is_empty() {
                    out.push(',');
                    write_hw(out, sub);
                }
            }
        };
        let ip = |out: &mut String, h: &HwAddr| addr::write_proto(out, h);
        match op {
            1 => {
                out.push_str("Request who-has ");
                ip(out, target_proto);
                if !target_atm.0.is_empty() {
                    out.push_str(" (");
                    atm(out, target_atm, target_sub);
                    out.push(')');
                }
                out.push_str(" tell ");
                ip(out, sender_proto);
            }
            2 => {
                out.push_str("Reply ");
                ip(out, sender_proto);
                out.push_str(" is-at ");
                atm(out, sender_atm, sender_sub);
            }
            8 => {
                out.push_str("Inverse Request who-is ");
                atm(out, target_atm, target_sub);
                out.push_str(" tell ");
                atm(out, sender_atm, sender_sub);
            }
            // (sic: tcpdump prints no space before "at")
            9 => {
                out.push_str("Inverse Reply ");
                atm(out, sender_atm, sender_sub);
                out.push_str("at ");
                ip(out, sender_proto);
            }
            10 => {
                out.push_str("NACK Reply for ");
                ip(out, sender_proto);
            }
            op => {
                match names::arp_op(*op) {
                    Some(n) => w!(self, "{n} "),
                    None => w!(self, "Unknown ({op}) "),
                }
                return;
            }
        }
        self.length(*length);
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
            write_ipv4(self.out, src);
            self.s(" > ");
            write_ipv4(self.out, dst);
            self.s(": ip-proto-");
            self.n(protocol);
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
            self.addrs(&s, &d);
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
                        w!(self, ", [{i}]");
                        write_ipv6(self.out, a);
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
        let addrs = |r: &mut Self| {
            if !addrs_printed {
                r.addrs(&src, &dst);
            }
        };
        let Some(layer) = self.peek() else {
            addrs(self);
            self.s(" ip-proto-");
            self.n(protocol);
            self.s(" 0");
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
                    self.n(*src_port);
                    self.s(" > ");
                    self.n(*dst_port);
                } else {
                    self.ip(&src);
                    self.s(".");
                    self.n(*src_port);
                    self.s(" > ");
                    self.ip(&dst);
                    self.s(".");
                    self.n(*dst_port);
                }
                self.s(": ");
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
                self.addrs(&src, &dst);
                self.s("[|");
                self.s(p);
                self.s("]");
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
                self.truncation_mark(p);
            }
            LayerInfo::Payload { wire_len } => {
                self.bump();
                addrs(self);
                self.s(" ip-proto-");
                self.n(protocol);
                self.s(" ");
                self.n(*wire_len);
            }
            _ => {
                addrs(self);
                self.s(" ip-proto-");
                self.n(protocol);
            }
        }
    }

    /// `" [|protocol]"`.
    fn truncation_mark(&mut self, protocol: &str) {
        self.s(" [|");
        self.s(protocol);
        self.s("]");
    }

    /// Consume the rest of a datagram (after tcpdump stopped printing it).
    fn skip_datagram(&mut self) {
        while let Some(info) = self.peek_info() {
            match info {
                LayerInfo::Vxlan { .. } | LayerInfo::Geneve { .. } => return,
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
        self.s("Flags [");
        tcp_flags(self.out, *flags);
        self.s("]");
        let len = *payload_len;
        if len > 0 || flags & 0x07 != 0 {
            self.s(", seq ");
            self.n(*seq);
            if len > 0 {
                self.s(":");
                self.n(seq.wrapping_add(len));
            }
        }
        if flags & 0x10 != 0 {
            self.s(", ack ");
            self.n(*ack);
        }
        self.s(", win ");
        self.n(*window);
        if flags & 0x20 != 0 {
            self.s(", urg ");
            self.n(*urgent);
        }
        if !options.is_empty() {
            self.s(", options [");
            for (i, o) in options.iter().enumerate() {
                if i > 0 {
                    self.s(",");
                }
                w!(self, "{o}");
            }
            self.s("]");
        }
        self.length(len);
        self.skip_datagram();
    }

    fn udp(&mut self) {
        let Some(&LayerInfo::Udp { length, ip_len, .. }) = self.peek_info() else {
            return;
        };
        self.bump();
        if ip_len < 8 {
            self.s("truncated-udp ");
            self.n(ip_len);
            self.skip_datagram();
            return;
        }
        let mut ulen = u32::from(length);
        if ulen == 0 && ip_len > 65535 {
            ulen = ip_len;
        }
        if ulen < 8 {
            self.s("truncated-udplength ");
            self.n(ulen);
            self.skip_datagram();
            return;
        }
        let ulen = ulen - 8;
        let len = (ip_len - 8).min(ulen);
        if let Some(&LayerInfo::Vxlan {
            flags,
            vni,
            port,
            reserved,
        }) = self.peek_info()
        {
            self.bump();
            // tcpdump decodes UDP 8472 as OTV (same header: its overlay id is VXLAN's
            // reserved bytes, its instance the VNI): print what it prints.
            let otv = port == 8472;
            self.s(match (otv, flags & 0x08 != 0) {
                (true, true) => "OTV, flags [I] (0x",
                (true, false) => "OTV, flags [.] (0x",
                (false, true) => "VXLAN, flags [I] (0x",
                (false, false) => "VXLAN, flags [.] (0x",
            });
            hex(self.out, flags, 2);
            if otv {
                self.s("), overlay ");
                self.n(reserved);
                self.s(", instance ");
            } else {
                self.s("), vni ");
            }
            self.n(vni);
            self.s("\n");
            self.frame();
            return;
        }
        if let Some(&LayerInfo::Bootp {
            op,
            htype,
            hlen,
            chaddr,
            length,
            ..
        }) = self.peek_info()
        {
            // tcpdump's -nn summary (print-bootp.c without -v).
            self.bump();
            match op {
                1 => self.s("BOOTP/DHCP, Request"),
                2 => self.s("BOOTP/DHCP, Reply"),
                o => w!(self, "BOOTP/DHCP, unknown (0x{o:02x})"),
            }
            if op == 1 && htype == 1 && hlen == 6 {
                w!(self, " from {chaddr}");
            }
            w!(self, ", length {length}");
            return;
        }
        if let Some(LayerInfo::Dns {
            id,
            flags,
            qdcount,
            ancount,
            nscount,
            arcount,
            question,
            answers,
            length,
        }) = self.peek_info()
        {
            // tcpdump's -nn summary (print-domain.c).
            let (id, flags, length) = (*id, *flags, *length);
            let (qd, an, ns, ar) = (*qdcount, *ancount, *nscount, *arcount);
            let question = question.clone();
            let answers = answers.clone();
            self.bump();
            if flags & 0x8000 != 0 {
                w!(self, "{id}");
                let rc = crate::decode::dns::rcode_name(flags & 0xf);
                if !rc.is_empty() {
                    w!(self, " {rc}");
                }
                if flags & 0x0400 != 0 {
                    self.s("*");
                }
                if flags & 0x0080 == 0 {
                    self.s("-");
                }
                if flags & 0x0200 != 0 {
                    self.s("|");
                }
                if qd != 1 {
                    w!(self, " [{qd}q]");
                }
                w!(self, " {an}/{ns}/{ar}");
                for (i, (t, d)) in answers.iter().enumerate() {
                    self.s(if i == 0 { " " } else { ", " });
                    self.out.push_str(&crate::decode::dns::type_name(*t));
                    if !d.is_empty() {
                        w!(self, " {d}");
                    }
                }
            } else {
                w!(self, "{id}");
                if flags & 0x0100 != 0 {
                    self.s("+");
                }
                if flags & 0x0010 != 0 {
                    self.s("%");
                }
                if qd != 1 {
                    w!(self, " [{qd}q]");
                }
                if an > 0 {
                    w!(self, " [{an}a]");
                }
                if ns > 0 {
                    w!(self, " [{ns}n]");
                }
                if ar > 0 {
                    w!(self, " [{ar}au]");
                }
                if let Some((n, t)) = &question {
                    w!(self, " {}? {n}", crate::decode::dns::type_name(*t));
                }
            }
            w!(self, " ({length})");
            return;
        }
        if let Some(&LayerInfo::Geneve {
            flags,
            protocol,
            vni,
            options_len,
            ..
        }) = self.peek_info()
        {
            self.bump();
            self.s("Geneve, Flags [");
            match (flags & 0x80 != 0, flags & 0x40 != 0) {
                (false, false) => self.s("none"),
                (o, c) => {
                    if o {
                        self.s("O");
                    }
                    if c {
                        self.s("C");
                    }
                }
            }
            w!(self, "], vni {vni:#x}");
            // tcpdump names the protocol only with -e.
            if self.e {
                self.s(", proto ");
                self.out.push_str(names::ethertype_or_unknown(protocol));
                self.s(" (0x");
                hex(self.out, protocol, 4);
                self.s(")");
            }
            if options_len > 0 {
                w!(self, ", options [{options_len} bytes]");
            }
            self.s(": ");
            match self.peek_info() {
                Some(LayerInfo::Ethernet { .. }) => self.ethernet(),
                Some(LayerInfo::Ipv4 { .. } | LayerInfo::Ipv6 { .. }) => self.network(None),
                _ => self.skip_datagram(),
            }
            return;
        }
        if ulen > len && !self.fragmented {
            self.s("UDP, bad length ");
            self.n(ulen);
            self.s(" > ");
            self.n(len);
        } else {
            self.s("UDP");
            self.length(ulen);
        }
        if let Some(LayerInfo::Truncated { protocol, .. }) = self.peek_info() {
            self.bump();
            self.truncation_mark(protocol);
        }
        self.skip_datagram();
    }

    fn icmp(&mut self) {
        let Some(&LayerInfo::Icmp {
            icmp_type,
            code,
            length,
            body,
            ..
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
        self.out.push_str("ICMP ");
        match (icmp_type, body) {
            (0 | 8, IcmpBody::Echo { id, seq }) => {
                self.s(if icmp_type == 0 {
                    "echo reply, id "
                } else {
                    "echo request, id "
                });
                self.n(id);
                self.s(", seq ");
                self.n(seq);
            }
            (
                3,
                IcmpBody::Unreachable {
                    next_hop_mtu,
                    quoted,
                },
            ) => unreachable_text(self.out, code, quoted, next_hop_mtu),
            (4, _) => self.out.push_str("source quench"),
            (5, IcmpBody::Redirect { gateway, quoted }) => {
                let dst = QuotedDst(quoted);
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
        self.length(length);
        self.skip_datagram();
    }

    fn icmpv6(&mut self) {
        let Some(&LayerInfo::Icmpv6 {
            icmp_type,
            code,
            length,
            body,
            ..
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
        let quoted_dst = QuotedDst;
        match body {
            Icmpv6Body::Echo { id, seq } => {
                self.s(", id ");
                self.n(id);
                self.s(", seq ");
                self.n(seq);
            }
            Icmpv6Body::NeighborSolicitation { target } => {
                self.s(", who has ");
                write_ipv6(self.out, &target);
            }
            Icmpv6Body::NeighborAdvertisement { target, .. } => {
                self.s(", tgt is ");
                write_ipv6(self.out, &target);
            }
            Icmpv6Body::Redirect {
                target,
                destination,
            } => {
                self.s(", ");
                write_ipv6(self.out, &target);
                self.s(" to ");
                write_ipv6(self.out, &destination);
            }
            Icmpv6Body::MldQuery {
                max_response,
                group,
                sources,
            } => {
                if length == 24 {
                    w!(self, " max resp delay: {max_response} addr: {}", Ip6(group));
                } else if length >= 28 {
                    w!(self, " v2 [gaddr {}", Ip6(group));
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
                w!(self, " max resp delay: {max_response} addr: {}", Ip6(group));
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
        self.length(length);
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

/// tcpdump's TCP flag letters, "none" when no flag is set.
fn tcp_flags(out: &mut String, flags: u16) {
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
    if flags.trailing_zeros() >= 8 {
        out.push_str("none");
        return;
    }
    for (bit, c) in LETTERS {
        if flags & bit != 0 {
            out.push(c);
        }
    }
}

/// The destination of the datagram quoted in an ICMP error, "?" when there is none.
#[derive(Clone, Copy)]
struct QuotedDst(Option<QuotedIp>);

impl std::fmt::Display for QuotedDst {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(q) => std::fmt::Display::fmt(&Ip(q.dst), f),
            None => f.write_str("?"),
        }
    }
}

/// tcpdump's text for ICMP destination unreachable codes.
fn unreachable_text(out: &mut String, code: u8, quoted: Option<QuotedIp>, mtu: u16) {
    let dst = QuotedDst(quoted);
    let _ = match code {
        0 => write!(out, "net {dst} unreachable"),
        1 => write!(out, "host {dst} unreachable"),
        2 => write!(
            out,
            "{dst} protocol {} unreachable",
            quoted.map_or(0, |q| q.protocol)
        ),
        3 => match quoted.map(|q| (q.protocol, q.ports)) {
            Some((6, Some((_, p)))) => write!(out, "{dst} tcp port {p} unreachable"),
            Some((17, Some((_, p)))) => write!(out, "{dst} udp port {p} unreachable"),
            Some((proto, ports)) => write!(
                out,
                "{dst} protocol {proto} port {} unreachable",
                ports.map_or(0, |(_, p)| p)
            ),
            None => write!(out, "{dst} port unreachable"),
        },
        4 if mtu != 0 => write!(out, "{dst} unreachable - need to frag (mtu {mtu})"),
        4 => write!(out, "{dst} unreachable - need to frag"),
        5 => write!(out, "{dst} unreachable - source route failed"),
        6 => write!(out, "net {dst} unreachable - unknown"),
        7 => write!(out, "host {dst} unreachable - unknown"),
        8 => write!(out, "{dst} unreachable - source host isolated"),
        9 => write!(out, "net {dst} unreachable - admin prohibited"),
        10 => write!(out, "host {dst} unreachable - admin prohibited"),
        11 => write!(out, "net {dst} unreachable - tos prohibited"),
        12 => write!(out, "host {dst} unreachable - tos prohibited"),
        13 => write!(out, "host {dst} unreachable - admin prohibited filter"),
        14 => write!(out, "host {dst} unreachable - host precedence violation"),
        15 => write!(out, "host {dst} unreachable - precedence cutoff"),
        c => write!(out, "{dst} unreachable - #{c}"),
    };
}
