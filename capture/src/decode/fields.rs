//! The name/value pairs of a layer's detail tree, derived from its typed [`LayerInfo`] when
//! [`Layer::fields`](super::Layer::fields) asks for them (only the detail view of one packet
//! and the JSON form do; decoding never builds them).

use std::fmt::{self, Display};

use super::{names, HwAddr, IcmpBody, Icmpv6Body, Ipv6Ext, Layer, LayerInfo, QuotedIp};

/// Largest value of an 802.3 length field; above it the field is an ethertype.
const MAX_802_3_LEN: u16 = 1500;

/// The pairs being built.
struct Fields(Vec<(String, String)>);

impl Fields {
    fn kv(&mut self, k: &str, v: impl Display) {
        self.0.push((k.to_string(), v.to_string()));
    }
}

/// "IPv4 (0x0800)".
struct Ethertype(u16);

impl Display for Ethertype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.0;
        write!(f, "{} (0x{t:04x})", names::ethertype_or_unknown(t))
    }
}

/// A protocol address: dotted when it has four bytes, else hex bytes.
struct ProtoAddr<'a>(&'a HwAddr);

impl Display for ProtoAddr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.ipv4() {
            Some(ip) => Display::fmt(&ip, f),
            None => Display::fmt(self.0, f),
        }
    }
}

/// "SYN ACK": the names of the TCP flags set, space-separated.
struct TcpFlagNames(u16);

impl Display for TcpFlagNames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [&str; 9] = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "NS"];
        let mut first = true;
        for (i, n) in NAMES.iter().enumerate() {
            if self.0 & (1 << i) != 0 {
                if !first {
                    f.write_str(" ")?;
                }
                f.write_str(n)?;
                first = false;
            }
        }
        Ok(())
    }
}

/// Items displayed one after the other, separated by `sep`.
struct Joined<'a, T>(&'a [T], &'a str);

impl<T: Display> Display for Joined<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, x) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(self.1)?;
            }
            Display::fmt(x, f)?;
        }
        Ok(())
    }
}

/// Four bytes as hex.
struct Hex4([u8; 4]);

impl Display for Hex4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [b0, b1, b2, b3] = self.0;
        write!(f, "{b0:02x}{b1:02x}{b2:02x}{b3:02x}")
    }
}

/// The detail fields of `l`.
pub(super) fn of(l: &Layer) -> Vec<(String, String)> {
    let mut f = Fields(Vec::new());
    match &l.info {
        LayerInfo::Ethernet {
            src,
            dst,
            ether_type,
            ..
        } => {
            f.kv("destination", dst);
            f.kv("source", src);
            type_or_length(&mut f, *ether_type);
        }
        LayerInfo::Vlan {
            pcp,
            dei,
            vid,
            ether_type,
            ..
        } => {
            f.kv("vlan", vid);
            f.kv("priority", pcp);
            f.kv("dei", dei);
            type_or_length(&mut f, *ether_type);
        }
        LayerInfo::Llc {
            dsap,
            ssap,
            control,
            snap,
            ..
        } => {
            let (d, s) = (dsap & !1, ssap & !1);
            f.kv("dsap", format_args!("{} (0x{d:02x})", names::llc_sap(d)));
            f.kv("ssap", format_args!("{} (0x{s:02x})", names::llc_sap(s)));
            f.kv("control", format_args!("0x{control:02x}"));
            if let Some(s) = snap {
                f.kv(
                    "oui",
                    format_args!("{} (0x{:06x})", names::oui(s.oui), s.oui),
                );
                f.kv(
                    "pid",
                    format_args!("{} (0x{:04x})", names::snap_pid(s.oui, s.pid), s.pid),
                );
            }
        }
        LayerInfo::LinuxSll {
            packet_type,
            arphrd,
            addr,
            protocol,
            ifindex,
            ..
        } => {
            f.kv(
                "packet type",
                format_args!("{} ({packet_type})", names::sll_packet_type(*packet_type)),
            );
            if let Some(i) = ifindex {
                f.kv("interface index", i);
            }
            f.kv("ARPHRD type", arphrd);
            f.kv("address", addr);
            if *protocol > MAX_802_3_LEN {
                f.kv("protocol", Ethertype(*protocol));
            } else {
                f.kv("protocol", format_args!("0x{protocol:04x}"));
            }
        }
        LayerInfo::RawIp => {}
        LayerInfo::Arp {
            hw_type,
            proto_type,
            hw_len,
            proto_len,
            op,
            sender_hw,
            sender_proto,
            target_hw,
            target_proto,
            ..
        } => {
            f.kv(
                "hardware type",
                format_args!(
                    "{} ({hw_type})",
                    names::arp_hardware(*hw_type).unwrap_or("Unknown")
                ),
            );
            f.kv("protocol type", Ethertype(*proto_type));
            f.kv("hardware size", hw_len);
            f.kv("protocol size", proto_len);
            opcode(&mut f, *op);
            f.kv("sender hardware address", sender_hw);
            f.kv("sender protocol address", ProtoAddr(sender_proto));
            f.kv("target hardware address", target_hw);
            f.kv("target protocol address", ProtoAddr(target_proto));
        }
        LayerInfo::AtmArp {
            proto_type,
            op,
            sender_atm,
            sender_sub,
            sender_proto,
            target_atm,
            target_sub,
            target_proto,
            ..
        } => {
            f.kv("hardware type", "ATM (19)");
            f.kv("protocol type", Ethertype(*proto_type));
            opcode(&mut f, *op);
            f.kv("sender ATM number", sender_atm);
            f.kv("sender ATM subaddress", sender_sub);
            f.kv("sender protocol address", ProtoAddr(sender_proto));
            f.kv("target ATM number", target_atm);
            f.kv("target ATM subaddress", target_sub);
            f.kv("target protocol address", ProtoAddr(target_proto));
        }
        LayerInfo::Ipv4 {
            src,
            dst,
            header_len,
            tos,
            total_len,
            id,
            dont_fragment,
            more_fragments,
            fragment_offset,
            ttl,
            protocol,
            checksum,
            ..
        } => {
            f.kv("version", 4);
            f.kv("header length", header_len);
            f.kv("tos", format_args!("0x{tos:02x}"));
            f.kv("total length", total_len);
            f.kv("identification", format_args!("0x{id:04x} ({id})"));
            f.kv(
                "flags",
                match (dont_fragment, more_fragments) {
                    (true, true) => "DF MF",
                    (true, false) => "DF",
                    (false, true) => "MF",
                    (false, false) => "none",
                },
            );
            f.kv("fragment offset", fragment_offset);
            f.kv("ttl", ttl);
            f.kv(
                "protocol",
                format_args!("{} ({protocol})", names::ip_protocol(*protocol)),
            );
            f.kv("checksum", format_args!("0x{checksum:04x}"));
            f.kv("source", src);
            f.kv("destination", dst);
            if *header_len > 20 {
                f.kv("options", format_args!("{} bytes", header_len - 20));
            }
        }
        LayerInfo::Ipv6 {
            src,
            dst,
            traffic_class,
            flow_label,
            payload_len,
            next_header,
            hop_limit,
            ..
        } => {
            f.kv("version", 6);
            f.kv("traffic class", format_args!("0x{traffic_class:02x}"));
            f.kv("flow label", format_args!("0x{flow_label:05x}"));
            f.kv("payload length", payload_len);
            next_header_field(&mut f, *next_header);
            f.kv("hop limit", hop_limit);
            f.kv("source", src);
            f.kv("destination", dst);
        }
        LayerInfo::Ipv6Ext {
            next_header,
            len,
            ext,
        } => ipv6_ext(&mut f, l.name, *next_header, *len, ext),
        LayerInfo::Icmp {
            icmp_type,
            code,
            checksum,
            body,
            ..
        } => {
            if let Some(c) = checksum {
                f.kv(
                    "type",
                    format_args!("{} ({icmp_type})", names::icmp_type(*icmp_type)),
                );
                f.kv("code", code);
                f.kv("checksum", format_args!("0x{c:04x}"));
            } else {
                // The header was cut before its checksum.
                f.kv("type", icmp_type);
                f.kv("code", code);
            }
            icmp_body(&mut f, body);
        }
        LayerInfo::Icmpv6 {
            icmp_type,
            code,
            checksum,
            body,
            ..
        } => {
            if let Some(c) = checksum {
                f.kv(
                    "type",
                    format_args!(
                        "{} ({icmp_type})",
                        names::icmp6_type(*icmp_type).unwrap_or("unknown")
                    ),
                );
                f.kv("code", code);
                f.kv("checksum", format_args!("0x{c:04x}"));
            } else {
                f.kv("type", icmp_type);
                f.kv("code", code);
            }
            icmpv6_body(&mut f, body);
        }
        LayerInfo::Igmp {
            igmp_type,
            max_response,
            group,
            records,
            ..
        } => {
            f.kv("type", format_args!("0x{igmp_type:02x}"));
            f.kv("max response", max_response);
            match records {
                Some(n) => f.kv("group records", n),
                None => f.kv("group", group),
            }
        }
        LayerInfo::Tcp {
            src_port,
            dst_port,
            seq,
            ack,
            header_len,
            flags,
            window,
            checksum,
            urgent,
            options,
            payload_len,
        } => {
            f.kv("source port", src_port);
            f.kv("destination port", dst_port);
            f.kv("sequence number", seq);
            f.kv("acknowledgment number", ack);
            f.kv("header length", header_len);
            f.kv(
                "flags",
                format_args!("0x{flags:03x} [{}]", TcpFlagNames(*flags)),
            );
            f.kv("window", window);
            f.kv("checksum", format_args!("0x{checksum:04x}"));
            f.kv("urgent pointer", urgent);
            if !options.is_empty() {
                f.kv("options", Joined(options, ","));
            }
            f.kv("payload length", payload_len);
        }
        LayerInfo::Udp {
            src_port,
            dst_port,
            length,
            checksum,
            ..
        } => {
            f.kv("source port", src_port);
            f.kv("destination port", dst_port);
            f.kv("length", length);
            f.kv("checksum", format_args!("0x{checksum:04x}"));
        }
        LayerInfo::Ports { src_port, dst_port } => {
            f.kv("source port", src_port);
            f.kv("destination port", dst_port);
        }
        LayerInfo::Lldp {
            chassis,
            port,
            ttl,
            system_name,
            ..
        } => {
            f.kv("chassis id", chassis);
            f.kv("port id", port);
            if let Some(t) = ttl {
                f.kv("ttl", format_args!("{t} s"));
            }
            if let Some(n) = system_name {
                f.kv("system name", n);
            }
        }
        LayerInfo::Stp {
            version,
            bpdu_type,
            flags,
            root_id,
            bridge_id,
            port_id,
            ..
        } => {
            f.kv("version", version);
            f.kv("type", format_args!("0x{bpdu_type:02x}"));
            f.kv("flags", format_args!("0x{flags:02x}"));
            if *version >= 2 {
                let role = match (flags >> 2) & 3 {
                    0 => "unknown",
                    1 => "alternate/backup",
                    2 => "root",
                    _ => "designated",
                };
                f.kv("port role", role);
            }
            let id = |v: u64| {
                let [p0, p1, m0, m1, m2, m3, m4, m5] = v.to_be_bytes();
                format!("{p0:02x}{p1:02x}.{m0:02x}:{m1:02x}:{m2:02x}:{m3:02x}:{m4:02x}:{m5:02x}")
            };
            f.kv("root", id(*root_id));
            f.kv("bridge", id(*bridge_id));
            f.kv("port", format_args!("{port_id:04x}"));
        }
        LayerInfo::Bootp {
            op,
            htype,
            hlen,
            chaddr,
            xid,
            message_type,
            ..
        } => {
            f.kv(
                "op",
                if *op == 1 {
                    "request"
                } else if *op == 2 {
                    "reply"
                } else {
                    "unknown"
                },
            );
            f.kv("hardware", format_args!("type {htype}, length {hlen}"));
            f.kv("client MAC", chaddr);
            f.kv("transaction", format_args!("0x{xid:08x}"));
            if let Some(t) = message_type {
                let name = match t {
                    1 => "Discover",
                    2 => "Offer",
                    3 => "Request",
                    4 => "Decline",
                    5 => "ACK",
                    6 => "NAK",
                    7 => "Release",
                    8 => "Inform",
                    _ => "other",
                };
                f.kv("DHCP message", format_args!("{name} ({t})"));
            }
        }
        LayerInfo::Dns {
            id,
            flags,
            qdcount,
            ancount,
            nscount,
            arcount,
            question,
            answers,
            ..
        } => {
            f.kv("id", id);
            f.kv(
                "flags",
                format_args!(
                    "0x{flags:04x} ({}{})",
                    if flags & 0x8000 != 0 {
                        "response"
                    } else {
                        "query"
                    },
                    match super::dns::rcode_name(flags & 0xf) {
                        "" => String::new(),
                        r => format!(", {r}"),
                    }
                ),
            );
            f.kv("counts", format_args!("{qdcount} question, {ancount} answer, {nscount} authority, {arcount} additional"));
            if let Some((n, t)) = question {
                f.kv(
                    "question",
                    format_args!("{} {n}", super::dns::type_name(*t)),
                );
            }
            for (t, d) in answers {
                f.kv("answer", format_args!("{} {d}", super::dns::type_name(*t)));
            }
        }
        LayerInfo::Geneve {
            version,
            flags,
            protocol,
            vni,
            options_len,
        } => {
            f.kv("version", version);
            f.kv(
                "flags",
                format_args!(
                    "0x{flags:02x}{}{}",
                    if flags & 0x80 != 0 { " [O]" } else { "" },
                    if flags & 0x40 != 0 { " [C]" } else { "" }
                ),
            );
            f.kv("protocol", format_args!("0x{protocol:04x}"));
            f.kv("vni", vni);
            f.kv("options", format_args!("{options_len} bytes"));
        }
        LayerInfo::Vxlan { flags, vni, .. } => {
            f.kv(
                "flags",
                format_args!(
                    "0x{flags:02x}{}",
                    if flags & 0x08 != 0 { " [I]" } else { "" }
                ),
            );
            f.kv("vni", vni);
        }
        LayerInfo::Payload { wire_len } => {
            f.kv("length", wire_len);
            f.kv("captured", l.range.len());
        }
        LayerInfo::Padding => f.kv("length", l.range.len()),
        LayerInfo::Truncated {
            protocol,
            needed,
            available,
        } => {
            f.kv("protocol", protocol);
            f.kv("needed", needed);
            f.kv("captured", available);
        }
        LayerInfo::Invalid { protocol, invalid } => {
            f.kv("protocol", protocol);
            f.kv("problem", invalid);
        }
    }
    f.0
}

/// An ethertype, or the length of an 802.3 frame.
fn type_or_length(f: &mut Fields, t: u16) {
    if t <= MAX_802_3_LEN {
        f.kv("length", t);
    } else {
        f.kv("type", Ethertype(t));
    }
}

fn opcode(f: &mut Fields, op: u16) {
    f.kv(
        "opcode",
        format_args!("{} ({op})", names::arp_op(op).unwrap_or("Unknown")),
    );
}

fn next_header_field(f: &mut Fields, next: u8) {
    f.kv(
        "next header",
        format_args!("{} ({next})", names::ip_protocol(next)),
    );
}

/// An IPv6 extension header, or an IPv4 authentication header (`name` "IP Authentication",
/// which shows the next header as a number and no length).
fn ipv6_ext(f: &mut Fields, name: &str, next: u8, len: u16, ext: &Ipv6Ext) {
    if name == "IP Authentication" {
        f.kv("next header", next);
    } else {
        next_header_field(f, next);
        f.kv("length", len);
    }
    match ext {
        Ipv6Ext::Routing {
            routing_type,
            segments_left,
            addresses,
        } => {
            f.kv("type", routing_type);
            f.kv("segments left", segments_left);
            for (i, a) in addresses.iter().enumerate() {
                f.kv(&format!("address {i}"), a);
            }
        }
        Ipv6Ext::Fragment { offset, more, id } => {
            f.kv("offset", offset);
            f.kv("more fragments", more);
            f.kv("identification", format_args!("0x{id:08x}"));
        }
        Ipv6Ext::Authentication { spi, seq } => {
            f.kv("spi", format_args!("0x{spi:08x}"));
            f.kv("sequence", seq);
        }
        Ipv6Ext::HopByHop | Ipv6Ext::DestinationOptions => {}
    }
}

fn quoted(f: &mut Fields, q: Option<&QuotedIp>) {
    if let Some(q) = q {
        f.kv("quoted source", q.src);
        f.kv("quoted destination", q.dst);
        f.kv(
            "quoted protocol",
            format_args!("{} ({})", names::ip_protocol(q.protocol), q.protocol),
        );
        if let Some((s, d)) = q.ports {
            f.kv("quoted ports", format_args!("{s} > {d}"));
        }
    }
}

fn icmp_body(f: &mut Fields, body: &IcmpBody) {
    match body {
        IcmpBody::Echo { id, seq } => {
            f.kv("identifier", id);
            f.kv("sequence", seq);
        }
        IcmpBody::Unreachable {
            next_hop_mtu,
            quoted: q,
        } => {
            if *next_hop_mtu != 0 {
                f.kv("next-hop mtu", next_hop_mtu);
            }
            quoted(f, q.as_ref());
        }
        IcmpBody::Redirect { gateway, quoted: q } => {
            f.kv("gateway", gateway);
            quoted(f, q.as_ref());
        }
        IcmpBody::Error { pointer, quoted: q } => {
            f.kv("pointer", pointer);
            quoted(f, q.as_ref());
        }
        IcmpBody::AddressMask { id, seq, mask } => {
            f.kv("identifier", id);
            f.kv("sequence", seq);
            f.kv("mask", mask);
        }
        IcmpBody::Other { rest } => f.kv("rest of header", Hex4(*rest)),
        IcmpBody::Truncated => {}
    }
}

fn icmpv6_body(f: &mut Fields, body: &Icmpv6Body) {
    match body {
        Icmpv6Body::Echo { id, seq } => {
            f.kv("identifier", id);
            f.kv("sequence", seq);
        }
        Icmpv6Body::Error { pointer, quoted: q } => {
            f.kv("pointer", pointer);
            quoted(f, q.as_ref());
        }
        Icmpv6Body::PacketTooBig { mtu, quoted: q } => {
            f.kv("mtu", mtu);
            quoted(f, q.as_ref());
        }
        Icmpv6Body::RouterAdvertisement {
            hop_limit,
            flags,
            lifetime,
            reachable_ms,
            retrans_ms,
        } => {
            f.kv("cur hop limit", hop_limit);
            f.kv("flags", format_args!("0x{flags:02x}"));
            f.kv("router lifetime", format_args!("{lifetime}s"));
            f.kv("reachable time", format_args!("{reachable_ms}ms"));
            f.kv("retrans timer", format_args!("{retrans_ms}ms"));
        }
        Icmpv6Body::NeighborSolicitation { target } => f.kv("target", target),
        Icmpv6Body::NeighborAdvertisement {
            target,
            router,
            solicited,
            override_flag,
        } => {
            f.kv("target", target);
            f.kv("router", router);
            f.kv("solicited", solicited);
            f.kv("override", override_flag);
        }
        Icmpv6Body::Redirect {
            target,
            destination,
        } => {
            f.kv("target", target);
            f.kv("destination", destination);
        }
        Icmpv6Body::MldQuery {
            max_response,
            group,
            sources,
        } => {
            f.kv("max response", max_response);
            f.kv("group", group);
            if let Some(n) = sources {
                f.kv("sources", n);
            }
        }
        Icmpv6Body::Mld {
            max_response,
            group,
        } => {
            f.kv("max response", max_response);
            f.kv("group", group);
        }
        Icmpv6Body::MldV2Report { records } => f.kv("group records", records),
        Icmpv6Body::Other { rest } => f.kv("rest of header", Hex4(*rest)),
        Icmpv6Body::RouterSolicitation | Icmpv6Body::Truncated => {}
    }
}
