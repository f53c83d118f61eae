//! Network layer: ARP/RARP, IPv4, IPv6 and its extension headers.

use etherparse::err::ip::{HeaderError, LaxHeaderSliceError};
use etherparse::err::Layer as EpLayer;
use etherparse::{
    ArpPacketSlice, IpAuthHeaderSlice, Ipv6ExtensionSlice, Ipv6FragmentHeaderSlice,
    Ipv6RawExtHeaderSlice, LaxIpv4Slice, LaxIpv6Slice, LaxNetSlice, LaxSlicedPacket,
    TransportSlice,
};

use super::{be16, ip6_at, sat32, HwAddr, Invalid, Ipv6Ext, LayerInfo, Walker};

impl<'a> Walker<'a> {
    /// ARP (ethertype 0x0806) or RARP (0x8035), any hardware/protocol address lengths.
    pub(super) fn arp(&mut self, ether_type: u16, off: usize, end: usize, wire: usize) {
        let name = if ether_type == 0x8035 { "RARP" } else { "ARP" };
        if be16(self.bytes(off, end), 0) == Some(ARPHRD_ATM) {
            self.atm_arp(name, off, end, wire);
            return;
        }
        let a = match ArpPacketSlice::from_slice(self.bytes(off, end)) {
            Ok(a) => a,
            Err(e) => {
                self.truncated("arp", off, end, e.required_len);
                return;
            }
        };
        let (hw_type, proto_type, op) =
            (a.hw_addr_type().0, a.proto_addr_type().0, a.operation().0);
        let sender_hw = HwAddr(a.sender_hw_addr().to_vec());
        let sender_proto = HwAddr(a.sender_protocol_addr().to_vec());
        let target_hw = HwAddr(a.target_hw_addr().to_vec());
        let target_proto = HwAddr(a.target_protocol_addr().to_vec());
        let hlen = a.slice().len();
        let info = LayerInfo::Arp {
            hw_type,
            proto_type,
            hw_len: a.hw_addr_size(),
            proto_len: a.proto_addr_size(),
            op,
            sender_hw,
            sender_proto,
            target_hw,
            target_proto,
            length: sat32(wire),
        };
        self.push(name, off..off + hlen, info);
        self.padding(off + hlen, end);
    }

    /// ATM ARP: hardware type, protocol type, source ATM number and subaddress type/lengths,
    /// operation, source protocol length, target ATM number and subaddress type/lengths,
    /// target protocol length, then the addresses (etherparse reads the Ethernet layout).
    fn atm_arp(&mut self, name: &'static str, off: usize, end: usize, wire: usize) {
        const FIXED: usize = 12;
        let b = self.bytes(off, end);
        let (Some(proto_type), Some(op), Some(lens)) = (be16(b, 2), be16(b, 6), b.get(4..FIXED))
        else {
            self.truncated("arp", off, end, FIXED);
            return;
        };
        let &[shtl, sstl, _, _, spln, thtl, tstl, tpln] = lens else {
            return;
        };
        let lens = [
            shtl & 0x3f,
            sstl & 0x3f,
            spln,
            thtl & 0x3f,
            tstl & 0x3f,
            tpln,
        ]
        .map(usize::from);
        let total = FIXED + lens.iter().sum::<usize>();
        if b.len() < total {
            self.truncated("arp", off, end, total);
            return;
        }
        let mut pos = FIXED;
        let mut addrs = lens.iter().map(|&n| {
            let a = HwAddr(b.get(pos..pos + n).unwrap_or_default().to_vec());
            pos += n;
            a
        });
        let mut next = || addrs.next().unwrap_or_default();
        let (sender_atm, sender_sub, sender_proto, target_atm, target_sub, target_proto) =
            (next(), next(), next(), next(), next(), next());
        let info = LayerInfo::AtmArp {
            proto_type,
            op,
            sender_atm,
            sender_sub,
            sender_proto,
            target_atm,
            target_sub,
            target_proto,
            length: sat32(wire),
        };
        self.push(name, off..off + total, info);
        self.padding(off + total, end);
    }

    /// An IP datagram at `off`; `version` is what the link layer announced (None: raw IP,
    /// take the first nibble).
    pub(super) fn ip(&mut self, off: usize, end: usize, wire: usize, version: Option<u8>) {
        let b = self.bytes(off, end);
        let tag = if version == Some(6) { "ip6" } else { "ip" };
        let Some(&first) = b.first() else {
            self.truncated(tag, off, end, if version == Some(6) { 40 } else { 20 });
            return;
        };
        let found = first >> 4;
        let expected_ok = match version {
            Some(v) => found == v,
            None => found == 4 || found == 6,
        };
        if !expected_ok {
            self.invalid(
                tag,
                off,
                end,
                Invalid::IpVersion {
                    expected: version,
                    found,
                },
            );
            return;
        }
        let tag = if found == 6 { "ip6" } else { "ip" };
        let packet = match LaxSlicedPacket::from_ip(b) {
            Ok(p) => p,
            Err(LaxHeaderSliceError::Len(e)) => {
                self.truncated(tag, off, end, e.required_len);
                return;
            }
            Err(LaxHeaderSliceError::Content(HeaderError::Ipv4HeaderLengthSmallerThanHeader {
                ihl,
            })) => {
                let header_len = ihl * 4;
                self.invalid(tag, off, end, Invalid::Ipv4HeaderLength { header_len });
                return;
            }
            Err(LaxHeaderSliceError::Content(HeaderError::UnsupportedIpVersion {
                version_number,
            })) => {
                self.invalid(
                    tag,
                    off,
                    end,
                    Invalid::IpVersion {
                        expected: version,
                        found: version_number,
                    },
                );
                return;
            }
        };
        // Was the stop caused by an extension header (as opposed to the transport layer,
        // which we slice again ourselves)?
        let ext_stop = packet
            .stop_err
            .as_ref()
            .and_then(|(_, layer)| ext_tag(*layer));
        let transport = packet.transport.clone();
        match &packet.net {
            Some(LaxNetSlice::Ipv4(s)) => self.ipv4(off, end, wire, s, transport.as_ref()),
            Some(LaxNetSlice::Ipv6(s)) => {
                self.ipv6(off, end, wire, s, ext_stop, transport.as_ref());
            }
            _ => self.payload(off, end, wire),
        }
    }

    fn ipv4(
        &mut self,
        off: usize,
        end: usize,
        wire: usize,
        s: &LaxIpv4Slice<'a>,
        transport: Option<&TransportSlice<'a>>,
    ) {
        let h = s.header();
        let hlen = h.slice().len();
        let total = usize::from(h.total_len());
        let fragment_offset = h.fragments_offset().value().saturating_mul(8);
        let protocol = h.protocol().0;
        let (src, dst) = (h.source_addr(), h.destination_addr());
        let info = LayerInfo::Ipv4 {
            src,
            dst,
            header_len: u8::try_from(hlen).unwrap_or(u8::MAX),
            tos: (h.dcp().value() << 2) | h.ecn().value(),
            total_len: h.total_len(),
            id: h.identification(),
            dont_fragment: h.dont_fragment(),
            more_fragments: h.more_fragments(),
            fragment_offset,
            ttl: h.ttl(),
            protocol,
            checksum: h.header_checksum(),
            wire_len: sat32(wire),
        };
        self.push("IPv4", off..off + hlen, info);
        // The datagram's length as tcpdump takes it: the total length, unless the wire
        // carried less (then the wire), or unless it is below the header (then the wire).
        let datagram = if total > wire {
            self.set_problem(format_args!(
                "IPv4 total length {total} exceeds the {wire} bytes on the wire"
            ));
            wire
        } else if total < hlen {
            self.set_problem(format_args!(
                "IPv4 total length {total} is below the header length {hlen}"
            ));
            wire
        } else {
            total
        };
        let mut l4_wire = datagram.saturating_sub(hlen);
        let payload = s.payload();
        let mut l4_off = off + hlen;
        if let Some(auth) = s.extensions().auth {
            let len = auth.slice().len();
            let ext = Ipv6Ext::Authentication {
                spi: auth.spi(),
                seq: auth.sequence_number(),
            };
            self.push(
                "IP Authentication",
                l4_off..l4_off + len,
                LayerInfo::Ipv6Ext {
                    next_header: auth.next_header().0,
                    len: u16::try_from(len).unwrap_or(u16::MAX),
                    ext,
                },
            );
            l4_off += len;
            l4_wire = l4_wire.saturating_sub(len);
        }
        let l4_end = l4_off + payload.payload.len();
        if fragment_offset != 0 {
            self.payload(l4_off, l4_end, l4_wire);
        } else {
            self.transport(payload.ip_number.0, l4_off, l4_end, l4_wire, transport);
        }
        self.padding(l4_end, end);
    }

    fn ipv6(
        &mut self,
        off: usize,
        end: usize,
        wire: usize,
        s: &LaxIpv6Slice<'a>,
        ext_stop: Option<&'static str>,
        transport: Option<&TransportSlice<'a>>,
    ) {
        const HLEN: usize = 40;
        let h = s.header();
        let (src, dst) = (h.source_addr(), h.destination_addr());
        let payload_len = usize::from(h.payload_length());
        let next_header = h.next_header().0;
        let info = LayerInfo::Ipv6 {
            src,
            dst,
            traffic_class: h.traffic_class(),
            flow_label: h.flow_label().value(),
            payload_len: h.payload_length(),
            next_header,
            hop_limit: h.hop_limit(),
            wire_len: sat32(wire),
        };
        self.push("IPv6", off..off + HLEN, info);
        let on_wire = wire.saturating_sub(HLEN);
        if payload_len > on_wire {
            self.set_problem(format_args!(
                "IPv6 payload length {payload_len} exceeds the {on_wire} bytes on the wire"
            ));
        }
        let exts = ipv6_exts(next_header, s.extensions().slice());
        // A payload length of 0 announces a jumbogram (RFC 2675): the length is in a Jumbo
        // Payload option of the hop-by-hop header. Without one there is nothing.
        let jumbo = match exts.first() {
            Some(Ipv6ExtensionSlice::HopByHop(h)) if payload_len == 0 => jumbo_len(h.payload()),
            _ => None,
        };
        if payload_len == 0 && jumbo.is_none() && on_wire > 0 {
            self.set_problem(format_args!(
                "IPv6 payload length 0 without a jumbo payload option"
            ));
        }
        let mut l4_wire = jumbo
            .map_or(payload_len, |j| usize::try_from(j).unwrap_or(usize::MAX))
            .min(on_wire);
        let mut cur = off + HLEN;
        let mut first_fragment = true;
        for ext in exts {
            let (name, len, next, ext) = ipv6_ext(&ext);
            if matches!(ext, Ipv6Ext::Fragment { offset, .. } if offset != 0) {
                first_fragment = false;
            }
            let len16 = u16::try_from(len).unwrap_or(u16::MAX);
            self.push(
                name,
                cur..cur + len,
                LayerInfo::Ipv6Ext {
                    next_header: next,
                    len: len16,
                    ext,
                },
            );
            cur += len;
            l4_wire = l4_wire.saturating_sub(len);
        }
        let payload = s.payload();
        let l4_end = cur + payload.payload.len();
        if let Some(tag) = ext_stop {
            // The next extension header is cut.
            self.truncated(tag, cur, l4_end, 8);
        } else if !first_fragment {
            self.payload(cur, l4_end, l4_wire);
        } else {
            self.transport(payload.ip_number.0, cur, l4_end, l4_wire, transport);
        }
        self.padding(l4_end, end);
    }
}

/// The Jumbo Payload option (type 0xc2, 4 bytes) among hop-by-hop options.
fn jumbo_len(mut options: &[u8]) -> Option<u32> {
    while let Some((&kind, rest)) = options.split_first() {
        if kind == 0 {
            // Pad1
            options = rest;
            continue;
        }
        let len = usize::from(*rest.first()?);
        let data = rest.get(1..1 + len)?;
        if kind == 0xc2 && len == 4 {
            return super::be32(data, 0);
        }
        options = rest.get(1 + len..)?;
    }
    None
}

/// ARP hardware type of ATM (RFC 2225), whose packets have their own layout.
const ARPHRD_ATM: u16 = 19;

/// tcpdump's truncation tag for an extension header layer.
fn ext_tag(layer: EpLayer) -> Option<&'static str> {
    Some(match layer {
        EpLayer::Ipv6HopByHopHeader => "hbhopt",
        EpLayer::Ipv6DestOptionsHeader => "dstopt",
        EpLayer::Ipv6RouteHeader => "rt6",
        EpLayer::Ipv6FragHeader => "frag6",
        EpLayer::IpAuthHeader => "ah",
        _ => return None,
    })
}

/// The extension headers etherparse validated (`exts`, starting with header type `first`),
/// walked with its checked constructors. (Its own `Ipv6ExtensionSliceIter` must not be used:
/// when lax slicing stopped inside the chain, the last header's "next header" is another
/// extension header whose bytes are not there, and the iterator reads them anyway with
/// `from_slice_unchecked`, out of bounds. The garbage-frame test below found it.)
fn ipv6_exts(first: u8, exts: &[u8]) -> Vec<Ipv6ExtensionSlice<'_>> {
    let mut out = Vec::new();
    let (mut next, mut rest) = (first, exts);
    while !rest.is_empty() {
        let ext = match next {
            0 => Ipv6RawExtHeaderSlice::from_slice(rest)
                .ok()
                .map(Ipv6ExtensionSlice::HopByHop),
            60 => Ipv6RawExtHeaderSlice::from_slice(rest)
                .ok()
                .map(Ipv6ExtensionSlice::DestinationOptions),
            43 => Ipv6RawExtHeaderSlice::from_slice(rest)
                .ok()
                .map(Ipv6ExtensionSlice::Routing),
            44 => Ipv6FragmentHeaderSlice::from_slice(rest)
                .ok()
                .map(Ipv6ExtensionSlice::Fragment),
            51 => IpAuthHeaderSlice::from_slice(rest)
                .ok()
                .map(Ipv6ExtensionSlice::Authentication),
            _ => None,
        };
        let Some(ext) = ext else { break };
        let (_, len, nh, _) = ipv6_ext(&ext);
        next = nh;
        rest = rest.get(len..).unwrap_or_default();
        out.push(ext);
    }
    out
}

/// Name, length, next header and details of one IPv6 extension header.
fn ipv6_ext(ext: &Ipv6ExtensionSlice<'_>) -> (&'static str, usize, u8, Ipv6Ext) {
    match ext {
        Ipv6ExtensionSlice::HopByHop(r) => (
            "IPv6 Hop-by-Hop",
            r.slice().len(),
            r.next_header().0,
            Ipv6Ext::HopByHop,
        ),
        Ipv6ExtensionSlice::DestinationOptions(r) => (
            "IPv6 Destination Options",
            r.slice().len(),
            r.next_header().0,
            Ipv6Ext::DestinationOptions,
        ),
        Ipv6ExtensionSlice::Routing(r) => {
            // Payload: routing type, segments left, then type-specific data; types 0
            // (deprecated), 2 (mobility) and 4 (segment routing) carry addresses from byte 6.
            let p = r.payload();
            let routing_type = p.first().copied().unwrap_or(0);
            let segments_left = p.get(1).copied().unwrap_or(0);
            let addresses = match routing_type {
                0 | 2 | 4 => p
                    .get(6..)
                    .unwrap_or_default()
                    .chunks_exact(16)
                    .filter_map(|c| ip6_at(c, 0))
                    .collect(),
                _ => Vec::new(),
            };
            (
                "IPv6 Routing",
                r.slice().len(),
                r.next_header().0,
                Ipv6Ext::Routing {
                    routing_type,
                    segments_left,
                    addresses,
                },
            )
        }
        Ipv6ExtensionSlice::Fragment(f) => (
            "IPv6 Fragment",
            f.slice().len(),
            f.next_header().0,
            Ipv6Ext::Fragment {
                offset: f.fragment_offset().value().saturating_mul(8),
                more: f.more_fragments(),
                id: f.identification(),
            },
        ),
        Ipv6ExtensionSlice::Authentication(a) => (
            "IPv6 Authentication",
            a.slice().len(),
            a.next_header().0,
            Ipv6Ext::Authentication {
                spi: a.spi(),
                seq: a.sequence_number(),
            },
        ),
    }
}

/// The IP packet quoted in an ICMP error message, as far as it was captured.
pub(super) fn quoted_ip(b: &[u8]) -> Option<super::QuotedIp> {
    let (ip, _) = etherparse::LaxIpSlice::from_slice(b).ok()?;
    let protocol = ip.payload_ip_number().0;
    let pl = ip.payload().payload;
    let ports = if matches!(protocol, 6 | 17 | 132 | 33) {
        be16(pl, 0).zip(be16(pl, 2))
    } else {
        None
    };
    Some(super::QuotedIp {
        src: ip.source_addr(),
        dst: ip.destination_addr(),
        protocol,
        ports,
    })
}
