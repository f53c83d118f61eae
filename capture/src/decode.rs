//! Decoding of one captured frame into layers.
//!
//! The header parsing is etherparse's: Ethernet II and VLAN tags
//! (`Ethernet2Slice`, `SingleVlanSlice`), ARP (`ArpPacketSlice`), IPv4/IPv6 with their
//! extension headers and the transport layer (`LaxSlicedPacket::from_ip`, lax so that cut
//! frames still decode), TCP, UDP, ICMP and `ICMPv6` slices. Our own code only covers what
//! etherparse has nothing for: 802.3 length fields with LLC/SNAP, more than three VLAN tags,
//! Linux cooked captures v1 with any ARPHRD type and v2 (SLL2), VXLAN (with the inner frame
//! decoded again), TCP options it rejects, ICMP/ICMPv6 message bodies, and the partial
//! headers of truncated frames (ports of a cut TCP header, type of a cut `ICMPv6` header).
//!
//! [`decode`] never panics: a truncated or malformed frame yields the layers decoded so far,
//! a final `Truncated` or `Invalid` layer, and [`Decoded::problem`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::Range;

pub mod dns;
mod fields;
mod link;
pub(crate) mod names;
mod net;
#[cfg(test)]
mod tests;
mod transport;

/// The link-layer header type of a capture (pcap `LINKTYPE_*` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum LinkType {
    /// 1: Ethernet II / 802.3.
    Ethernet,
    /// 113: Linux cooked capture v1.
    LinuxSll,
    /// 276: Linux cooked capture v2.
    LinuxSll2,
    /// 101 (and 12/14 on some systems): raw IP, version from the first nibble.
    RawIp,
    /// 228: raw IPv4.
    Ipv4,
    /// 229: raw IPv6.
    Ipv6,
    /// Anything else, by number.
    Other(i32),
}

impl LinkType {
    /// From a pcap `LINKTYPE_*`/DLT number.
    pub fn from_linktype(n: i32) -> LinkType {
        match n {
            1 => LinkType::Ethernet,
            113 => LinkType::LinuxSll,
            276 => LinkType::LinuxSll2,
            101 | 12 | 14 => LinkType::RawIp,
            228 => LinkType::Ipv4,
            229 => LinkType::Ipv6,
            n => LinkType::Other(n),
        }
    }
}

/// What the decoder should assume beyond the headers themselves.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DecodeOptions {
    /// UDP ports (source or destination) whose payload is a VXLAN header and an inner
    /// Ethernet frame. Default: `[4789, 8472]`: IANA's, and the Linux kernel's own when a
    /// vxlan device names no `dstport` (flannel's too).
    pub vxlan_ports: Vec<u16>,
    /// UDP ports whose payload is Geneve (header, options, inner frame). Default `[6081]`.
    pub geneve_ports: Vec<u16>,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            vxlan_ports: vec![4789, 8472],
            geneve_ports: vec![6081],
        }
    }
}

/// One decoded frame.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Decoded {
    /// The headers found, outermost first. After a VXLAN layer come the layers of the inner
    /// frame. Bytes after the last header appear as a `Payload` layer (and Ethernet padding
    /// as `Padding`); a cut or malformed header ends the list with a `Truncated` or `Invalid`
    /// layer.
    pub layers: Vec<Layer>,
    /// Length of the frame on the wire.
    pub wire_len: u32,
    /// Bytes captured (`data.len()`).
    pub caplen: u32,
    /// The first thing wrong with the frame, e.g. "truncated in tcp header".
    pub problem: Option<String>,
}

/// One header (or payload) of a frame.
///
/// Serializes as `name`, `range`, `fields` (what [`Layer::fields`] returns) and `info`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    /// "Ethernet", "802.3" (an Ethernet header with a length field), "LLC", "802.1Q",
    /// "802.1ad", "802.1Q-9100", "802.1Q-9200", "ARP", "RARP", "IPv4", "IP Authentication", "IPv6",
    /// "IPv6 Hop-by-Hop", "IPv6 Routing", "IPv6 Fragment", "IPv6 Destination Options",
    /// "IPv6 Authentication", "ICMP", "`ICMPv6`", "IGMP", "TCP", "UDP", "VXLAN", "Linux SLL",
    /// "Linux SLL2", "Raw IP", "Payload", "Padding", "Truncated", "Invalid".
    pub name: &'static str,
    /// The bytes of this layer's header within the frame (for hex highlighting); for
    /// `Payload`/`Padding`/`Truncated`, the bytes themselves.
    pub range: Range<usize>,
    /// Typed content.
    pub info: LayerInfo,
}

impl Layer {
    /// Name/value pairs for a detail tree, derived from [`Layer::info`] (and, for
    /// `Payload`, `Padding`, the length of [`Layer::range`]) when asked for: decoding
    /// does not build them.
    pub fn fields(&self) -> Vec<(String, String)> {
        fields::of(self)
    }
}

impl serde::Serialize for Layer {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let mut st = s.serialize_struct("Layer", 4)?;
        st.serialize_field("name", self.name)?;
        st.serialize_field("range", &self.range)?;
        st.serialize_field("fields", &self.fields())?;
        st.serialize_field("info", &self.info)?;
        st.end()
    }
}

/// A MAC (EUI-48) address; displays and serializes as `aa:bb:cc:dd:ee:ff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct MacAddr(pub [u8; 6]);

impl std::fmt::Display for MacAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [b0, b1, b2, b3, b4, b5] = self.0;
        write!(f, "{b0:02x}:{b1:02x}:{b2:02x}:{b3:02x}:{b4:02x}:{b5:02x}")
    }
}

impl serde::Serialize for MacAddr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// An address of any length (ARP hardware/protocol addresses, SLL link addresses); displays
/// and serializes as colon-separated hex bytes, `<empty>` when empty.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct HwAddr(pub Vec<u8>);

impl std::fmt::Display for HwAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return f.write_str("<empty>");
        }
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl serde::Serialize for HwAddr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl HwAddr {
    /// As an IPv4 address, when it is 4 bytes long.
    pub fn ipv4(&self) -> Option<Ipv4Addr> {
        <[u8; 4]>::try_from(self.0.as_slice())
            .ok()
            .map(Ipv4Addr::from)
    }
}

/// The SNAP part of an LLC header (DSAP = SSAP = 0xaa, UI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Snap {
    /// Organizationally unique identifier.
    pub oui: u32,
    /// Protocol id (an ethertype when `oui` is 0).
    pub pid: u16,
}

/// The offending IP packet quoted in an ICMP/ICMPv6 error message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct QuotedIp {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// Upper-layer protocol number.
    pub protocol: u8,
    /// Ports of a quoted TCP/UDP header, when its first four bytes are there.
    pub ports: Option<(u16, u16)>,
}

/// ICMP (v4) message bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "message", rename_all = "snake_case")]
pub enum IcmpBody {
    /// Echo request/reply (types 8/0), also timestamp and information messages.
    Echo { id: u16, seq: u16 },
    /// Destination unreachable (3): `next_hop_mtu` for code 4.
    Unreachable {
        next_hop_mtu: u16,
        quoted: Option<QuotedIp>,
    },
    /// Redirect (5).
    Redirect {
        gateway: Ipv4Addr,
        quoted: Option<QuotedIp>,
    },
    /// Time exceeded (11), parameter problem (12, `pointer`), source quench (4).
    Error {
        pointer: u8,
        quoted: Option<QuotedIp>,
    },
    /// Address mask reply (18).
    AddressMask { id: u16, seq: u16, mask: Ipv4Addr },
    /// Any other type: the second 32-bit word.
    Other { rest: [u8; 4] },
    /// The header was cut before its eighth byte.
    Truncated,
}

/// `ICMPv6` message bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "message", rename_all = "snake_case")]
pub enum Icmpv6Body {
    /// Echo request/reply (128/129).
    Echo { id: u16, seq: u16 },
    /// Destination unreachable (1), time exceeded (3), parameter problem (4, `pointer`).
    Error {
        pointer: u32,
        quoted: Option<QuotedIp>,
    },
    /// Packet too big (2).
    PacketTooBig { mtu: u32, quoted: Option<QuotedIp> },
    /// Router solicitation (133).
    RouterSolicitation,
    /// Router advertisement (134).
    RouterAdvertisement {
        hop_limit: u8,
        flags: u8,
        lifetime: u16,
        reachable_ms: u32,
        retrans_ms: u32,
    },
    /// Neighbour solicitation (135).
    NeighborSolicitation { target: Ipv6Addr },
    /// Neighbour advertisement (136).
    NeighborAdvertisement {
        target: Ipv6Addr,
        router: bool,
        solicited: bool,
        override_flag: bool,
    },
    /// Redirect (137).
    Redirect {
        target: Ipv6Addr,
        destination: Ipv6Addr,
    },
    /// MLD query (130): version 1 when the message is 24 bytes, version 2 (`sources` present)
    /// when 28 or more.
    MldQuery {
        max_response: u16,
        group: Ipv6Addr,
        sources: Option<u16>,
    },
    /// MLD version 1 report (131) or done (132).
    Mld { max_response: u16, group: Ipv6Addr },
    /// MLD version 2 report (143).
    MldV2Report { records: u16 },
    /// Any other type: the second 32-bit word.
    Other { rest: [u8; 4] },
    /// The message is shorter than its fixed part.
    Truncated,
}

/// TCP options, as on the wire.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TcpOption {
    Eol,
    Nop,
    Mss(u16),
    WindowScale(u8),
    SackPermitted,
    Sack(Vec<(u32, u32)>),
    Timestamp {
        val: u32,
        ecr: u32,
    },
    /// Any other kind, or a known kind with a wrong length.
    Other {
        kind: u8,
        data: Vec<u8>,
    },
    /// The option list ended inside this option.
    Malformed {
        kind: u8,
    },
}

impl std::fmt::Display for TcpOption {
    /// As tcpdump prints it: `mss 1460`, `sackOK`, `TS val 1 ecr 2`, `wscale 7`...
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = |f: &mut std::fmt::Formatter<'_>, kind: u8| match names::tcp_option(kind) {
            Some(n) => f.write_str(n),
            None => write!(f, "unknown-{kind}"),
        };
        match self {
            TcpOption::Eol => f.write_str("eol"),
            TcpOption::Nop => f.write_str("nop"),
            TcpOption::Mss(m) => write!(f, "mss {m}"),
            TcpOption::WindowScale(s) => write!(f, "wscale {s}"),
            TcpOption::SackPermitted => f.write_str("sackOK"),
            TcpOption::Sack(blocks) => {
                write!(f, "sack {} ", blocks.len())?;
                blocks
                    .iter()
                    .try_for_each(|(a, b)| write!(f, "{{{a}:{b}}}"))
            }
            TcpOption::Timestamp { val, ecr } => write!(f, "TS val {val} ecr {ecr}"),
            TcpOption::Other { kind, data } => {
                name(f, *kind)?;
                if !data.is_empty() {
                    f.write_str(" 0x")?;
                    data.iter().try_for_each(|b| write!(f, "{b:02x}"))?;
                }
                Ok(())
            }
            TcpOption::Malformed { kind } => {
                name(f, *kind)?;
                f.write_str(" [bad opt]")
            }
        }
    }
}

/// IPv6 extension header details.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "header", rename_all = "snake_case")]
pub enum Ipv6Ext {
    HopByHop,
    DestinationOptions,
    Routing {
        routing_type: u8,
        segments_left: u8,
        addresses: Vec<Ipv6Addr>,
    },
    Fragment {
        offset: u16,
        more: bool,
        id: u32,
    },
    Authentication {
        spi: u32,
        seq: u32,
    },
}

/// Why decoding stopped at an `Invalid` layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Invalid {
    /// The IP version nibble does not match the ethertype (or is neither 4 nor 6 in raw IP).
    IpVersion { expected: Option<u8>, found: u8 },
    /// IPv4 header length (IHL * 4) below 20 bytes.
    Ipv4HeaderLength { header_len: u8 },
    /// TCP data offset below 5.
    TcpHeaderLength { header_len: u8 },
    /// The link type is not one we decode.
    LinkType { link_type: i32 },
}

impl std::fmt::Display for Invalid {
    /// The problem as [`Decoded::problem`] states it, e.g. "IPv4 header length 8 is below 20".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Invalid::IpVersion { expected, found } => {
                let fits = expected.map_or(found == 4 || found == 6, |v| v == found);
                match expected {
                    // A version etherparse refused although the link layer announced it.
                    _ if fits => write!(f, "IP version {found}"),
                    Some(v) => write!(f, "IP version {found}, expected {v}"),
                    None => write!(f, "IP version {found}, expected 4 or 6"),
                }
            }
            Invalid::Ipv4HeaderLength { header_len } => {
                write!(f, "IPv4 header length {header_len} is below 20")
            }
            Invalid::TcpHeaderLength { header_len } => {
                write!(f, "TCP header length {header_len} is below 20")
            }
            Invalid::LinkType { link_type } => write!(f, "link type {link_type} is not decoded"),
        }
    }
}

/// Typed content of a layer: what the summary and the detail tree need.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LayerInfo {
    /// Ethernet II (`ether_type` > 1500) or 802.3 (`ether_type` is then the length field).
    Ethernet {
        src: MacAddr,
        dst: MacAddr,
        ether_type: u16,
        frame_len: u32,
    },
    /// 802.2 LLC header after an 802.3 length field; `available` is what the wire carried
    /// after the link header(s), `length` the length field.
    Llc {
        length: u16,
        available: u32,
        dsap: u8,
        ssap: u8,
        control: u16,
        snap: Option<Snap>,
    },
    /// One VLAN tag (802.1Q, 802.1ad...): `tpid` is the ethertype that announced it.
    Vlan {
        tpid: u16,
        pcp: u8,
        dei: bool,
        vid: u16,
        ether_type: u16,
    },
    /// Linux cooked capture, v1 (16 bytes) or v2 (20 bytes, with the interface index).
    LinuxSll {
        version: u8,
        packet_type: u16,
        arphrd: u16,
        addr: HwAddr,
        protocol: u16,
        ifindex: Option<u32>,
        frame_len: u32,
    },
    /// Raw IP link type: no link header.
    RawIp,
    /// ARP or RARP; `length` is the on-wire length of the ARP payload (padding included).
    Arp {
        hw_type: u16,
        proto_type: u16,
        hw_len: u8,
        proto_len: u8,
        op: u16,
        sender_hw: HwAddr,
        sender_proto: HwAddr,
        target_hw: HwAddr,
        target_proto: HwAddr,
        length: u32,
    },
    /// ATM ARP (RFC 2225, ARP hardware type 19): ATM numbers and subaddresses instead of
    /// hardware addresses.
    AtmArp {
        proto_type: u16,
        op: u16,
        sender_atm: HwAddr,
        sender_sub: HwAddr,
        sender_proto: HwAddr,
        target_atm: HwAddr,
        target_sub: HwAddr,
        target_proto: HwAddr,
        length: u32,
    },
    /// IPv4 header; `wire_len` is the number of bytes the wire carried from this header on.
    Ipv4 {
        src: Ipv4Addr,
        dst: Ipv4Addr,
        header_len: u8,
        tos: u8,
        total_len: u16,
        id: u16,
        dont_fragment: bool,
        more_fragments: bool,
        /// In bytes.
        fragment_offset: u16,
        ttl: u8,
        protocol: u8,
        checksum: u16,
        wire_len: u32,
    },
    /// IPv6 fixed header; `wire_len` as for IPv4.
    Ipv6 {
        src: Ipv6Addr,
        dst: Ipv6Addr,
        traffic_class: u8,
        flow_label: u32,
        payload_len: u16,
        next_header: u8,
        hop_limit: u8,
        wire_len: u32,
    },
    /// One IPv6 extension header.
    Ipv6Ext {
        next_header: u8,
        len: u16,
        ext: Ipv6Ext,
    },
    /// ICMP; `length` is the ICMP message length the IP header announces.
    Icmp {
        icmp_type: u8,
        code: u8,
        /// `None` when the capture ended before the checksum (the body is then `Truncated`).
        checksum: Option<u16>,
        length: u32,
        body: IcmpBody,
    },
    /// `ICMPv6`; `length` and `checksum` as for ICMP.
    Icmpv6 {
        icmp_type: u8,
        code: u8,
        checksum: Option<u16>,
        length: u32,
        body: Icmpv6Body,
    },
    /// IGMP; `group` is bytes 4..8, `records` the group record count of a v3 report.
    Igmp {
        igmp_type: u8,
        max_response: u8,
        group: Ipv4Addr,
        records: Option<u16>,
        length: u32,
    },
    /// TCP; `payload_len` is what the IP header announces minus the TCP header.
    Tcp {
        src_port: u16,
        dst_port: u16,
        seq: u32,
        ack: u32,
        header_len: u8,
        /// FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20, ECE 0x40, CWR 0x80,
        /// NS (AE) 0x100.
        flags: u16,
        window: u16,
        checksum: u16,
        urgent: u16,
        options: Vec<TcpOption>,
        payload_len: u32,
    },
    /// UDP; `length` is the header's length field, `ip_len` what the IP header announces.
    Udp {
        src_port: u16,
        dst_port: u16,
        length: u16,
        checksum: u16,
        ip_len: u32,
    },
    /// The ports of a TCP/UDP header cut before its end (the next layer says why).
    Ports { src_port: u16, dst_port: u16 },
    /// VXLAN header; the inner Ethernet frame's layers follow.
    Vxlan {
        flags: u8,
        vni: u32,
        /// The UDP port it was decoded on (8472 prints as tcpdump's OTV).
        port: u16,
        /// Bytes 1-3 of the header (reserved in VXLAN; OTV's overlay id).
        reserved: u32,
    },
    /// An LLDP frame: chassis and port ids (as printable text or hex), TTL and system name.
    Lldp {
        chassis: String,
        port: String,
        ttl: Option<u16>,
        system_name: Option<String>,
        length: u16,
    },
    /// A spanning-tree BPDU (802.1D, 802.1w, 802.1s; Cisco PVST in SNAP): version, type,
    /// flags, the bridge id (priority with system id, MAC) and port id; `length` is the
    /// LLC payload's.
    Stp {
        version: u8,
        bpdu_type: u8,
        flags: u8,
        root_id: u64,
        bridge_id: u64,
        port_id: u16,
        length: u16,
    },
    /// A BOOTP/DHCP message (UDP 67/68): operation (1 request, 2 reply), hardware type and
    /// length, the client's hardware address, the DHCP message type (option 53) when there.
    Bootp {
        op: u8,
        htype: u8,
        hlen: u8,
        chaddr: MacAddr,
        xid: u32,
        message_type: Option<u8>,
        /// The UDP payload's length.
        length: u16,
    },
    /// A DNS message (UDP port 53): the header, the first question, and the answers of
    /// the types tcpdump prints with their data (A, AAAA, CNAME, NS, PTR; others by type).
    Dns {
        id: u16,
        flags: u16,
        qdcount: u16,
        ancount: u16,
        nscount: u16,
        arcount: u16,
        /// The first question: (name with its trailing dot, type).
        question: Option<(String, u16)>,
        /// Answers: (type, data as tcpdump prints it, or empty).
        answers: Vec<(u16, String)>,
        /// The UDP payload's length.
        length: u16,
    },
    /// Geneve (RFC 8926): `flags` has O (0x80) and C (0x40); `options_len` in bytes;
    /// `protocol` the ethertype of what follows (0x6558: an Ethernet frame).
    Geneve {
        version: u8,
        flags: u8,
        protocol: u16,
        vni: u32,
        options_len: u16,
    },
    /// Bytes after the last header: `wire_len` of them were on the wire, the layer's `range`
    /// holds the captured ones.
    Payload { wire_len: u32 },
    /// Bytes after the end of the IP datagram or 802.3 payload (Ethernet padding).
    Padding,
    /// The capture ended inside a `protocol` header (tcpdump's `[|protocol]`).
    Truncated {
        protocol: &'static str,
        needed: u32,
        available: u32,
    },
    /// A header that cannot be decoded further.
    Invalid {
        protocol: &'static str,
        invalid: Invalid,
    },
}

/// Decode one frame. `wire_len` is its length on the wire (the pcap record's `len`), which
/// can exceed `data.len()`.
pub fn decode(link: LinkType, data: &[u8], wire_len: u32, opts: &DecodeOptions) -> Decoded {
    let caplen = u32::try_from(data.len()).unwrap_or(u32::MAX);
    let mut w = Walker {
        data,
        opts,
        // Enough for a VXLAN frame with TCP inside (eight layers): one allocation.
        layers: Vec::with_capacity(8),
        problem: None,
        depth: 0,
    };
    let wire = (wire_len.max(caplen)) as usize;
    let end = data.len();
    match link {
        LinkType::Ethernet => w.ethernet(0, end, wire),
        LinkType::LinuxSll => w.sll(0, end, wire),
        LinkType::LinuxSll2 => w.sll2(0, end, wire),
        LinkType::RawIp | LinkType::Ipv4 | LinkType::Ipv6 => {
            w.push("Raw IP", 0..0, LayerInfo::RawIp);
            let version = match link {
                LinkType::Ipv4 => Some(4),
                LinkType::Ipv6 => Some(6),
                _ => None,
            };
            w.ip(0, end, wire, version);
        }
        LinkType::Other(n) => w.invalid("link", 0, end, Invalid::LinkType { link_type: n }),
    }
    Decoded {
        layers: w.layers,
        wire_len,
        caplen,
        problem: w.problem,
    }
}

/// How deep VXLAN may nest (each level is a whole inner frame).
const MAX_DEPTH: usize = 8;

/// The decoding state of one frame. Offsets are into `data`; every unit (frame, datagram,
/// segment) is handled as `off..end` of captured bytes plus `wire` bytes it had on the wire.
struct Walker<'a> {
    data: &'a [u8],
    opts: &'a DecodeOptions,
    layers: Vec<Layer>,
    problem: Option<String>,
    depth: usize,
}

impl<'a> Walker<'a> {
    /// The captured bytes `off..end` (empty when out of range).
    fn bytes(&self, off: usize, end: usize) -> &'a [u8] {
        self.data
            .get(off..end.min(self.data.len()))
            .unwrap_or_default()
    }

    fn push(&mut self, name: &'static str, range: Range<usize>, info: LayerInfo) {
        let end = range.end.min(self.data.len());
        let start = range.start.min(end);
        self.layers.push(Layer {
            name,
            range: start..end,
            info,
        });
    }

    /// Records the first problem of the frame (formatted only when it is the first).
    fn set_problem(&mut self, p: std::fmt::Arguments<'_>) {
        if self.problem.is_none() {
            self.problem = Some(p.to_string());
        }
    }

    /// The capture ended inside a `protocol` header that needs `needed` bytes.
    fn truncated(&mut self, protocol: &'static str, off: usize, end: usize, needed: usize) {
        let available = end
            .saturating_sub(off)
            .min(self.data.len().saturating_sub(off));
        self.set_problem(format_args!(
            "truncated in {protocol} header ({available} of {needed} bytes captured)"
        ));
        self.push(
            "Truncated",
            off..end,
            LayerInfo::Truncated {
                protocol,
                needed: sat32(needed),
                available: sat32(available),
            },
        );
    }

    /// A header at `off` that cannot be decoded; the rest of the unit (up to `end`) is the
    /// layer's range.
    fn invalid(&mut self, protocol: &'static str, off: usize, end: usize, invalid: Invalid) {
        self.push(
            "Invalid",
            off..end,
            LayerInfo::Invalid { protocol, invalid },
        );
        self.set_problem(format_args!("{invalid}"));
    }

    /// The rest of a unit as an undecoded payload.
    fn payload(&mut self, off: usize, end: usize, wire: usize) {
        let captured = end.saturating_sub(off);
        if captured == 0 && wire == 0 {
            return;
        }
        self.push(
            "Payload",
            off..end,
            LayerInfo::Payload {
                wire_len: sat32(wire),
            },
        );
    }

    /// Captured bytes after the end of a datagram (`off..end`), e.g. Ethernet padding.
    fn padding(&mut self, off: usize, end: usize) {
        let end = end.min(self.data.len());
        if off < end {
            self.push("Padding", off..end, LayerInfo::Padding);
        }
    }
}

/// `usize` to `u32`, saturating.
fn sat32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Big-endian u16 at `i`.
fn be16(s: &[u8], i: usize) -> Option<u16> {
    let b = s.get(i..i.checked_add(2)?)?;
    Some(u16::from_be_bytes([*b.first()?, *b.get(1)?]))
}

/// Big-endian u32 at `i`.
fn be32(s: &[u8], i: usize) -> Option<u32> {
    let b: [u8; 4] = s.get(i..i.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_be_bytes(b))
}

/// 16 bytes at `i` as an IPv6 address.
fn ip6_at(s: &[u8], i: usize) -> Option<Ipv6Addr> {
    let b: [u8; 16] = s.get(i..i.checked_add(16)?)?.try_into().ok()?;
    Some(Ipv6Addr::from(b))
}

/// 4 bytes at `i` as an IPv4 address.
fn ip4_at(s: &[u8], i: usize) -> Option<Ipv4Addr> {
    let b: [u8; 4] = s.get(i..i.checked_add(4)?)?.try_into().ok()?;
    Some(Ipv4Addr::from(b))
}
