//! Transport layer: TCP, UDP (and VXLAN inside it), ICMP, `ICMPv6`, IGMP.

use std::net::Ipv4Addr;

use etherparse::err::tcp::{HeaderError as TcpHeaderError, HeaderSliceError as TcpSliceError};
use etherparse::{Icmpv4Slice, Icmpv6Slice, IgmpSlice, TcpSlice, TransportSlice, UdpSlice};

use super::net::quoted_ip;
use super::{
    be16, be32, ip4_at, ip6_at, sat32, IcmpBody, Icmpv6Body, Invalid, LayerInfo, TcpOption, Walker,
    MAX_DEPTH,
};

/// The first bytes of an ICMP/ICMPv6 message.
struct IcmpHead<'b> {
    icmp_type: u8,
    code: u8,
    checksum: u16,
    /// Bytes 4..8.
    rest: [u8; 4],
    header_len: usize,
    /// After the header.
    body: &'b [u8],
}

impl<'a> Walker<'a> {
    /// The upper-layer protocol `proto` at `off..end` (captured), `wire` bytes long as the
    /// IP header announces. `pre` is etherparse's slice of it when `LaxSlicedPacket` made one.
    pub(super) fn transport(
        &mut self,
        proto: u8,
        off: usize,
        end: usize,
        wire: usize,
        pre: Option<&TransportSlice<'a>>,
    ) {
        match proto {
            6 => self.tcp(off, end, wire, pre),
            17 => self.udp(off, end, wire, pre),
            1 => self.icmp(off, end, wire, pre),
            58 => self.icmpv6(off, end, wire, pre),
            2 => self.igmp(off, end, wire, pre),
            _ => self.payload(off, end, wire),
        }
    }

    /// Ports of a cut TCP/UDP header, when its first four bytes are there.
    fn ports(&mut self, name: &'static str, off: usize, end: usize) {
        let b = self.bytes(off, end);
        if let (Some(src_port), Some(dst_port)) = (be16(b, 0), be16(b, 2)) {
            self.push(name, off..off + 4, LayerInfo::Ports { src_port, dst_port });
        }
    }

    fn tcp(&mut self, off: usize, end: usize, wire: usize, pre: Option<&TransportSlice<'a>>) {
        let t = match pre {
            Some(TransportSlice::Tcp(t)) => Ok(t.clone()),
            _ => TcpSlice::from_slice(self.bytes(off, end)),
        };
        let t = match t {
            Ok(t) => t,
            Err(TcpSliceError::Len(e)) => {
                self.ports("TCP", off, end);
                self.truncated("tcp", off, end, e.required_len);
                return;
            }
            Err(TcpSliceError::Content(TcpHeaderError::DataOffsetTooSmall { data_offset })) => {
                self.ports("TCP", off, end);
                let header_len = data_offset * 4;
                self.invalid("tcp", off, end, Invalid::TcpHeaderLength { header_len });
                return;
            }
        };
        let hlen = t.header_len();
        let flags = [
            t.fin(),
            t.syn(),
            t.rst(),
            t.psh(),
            t.ack(),
            t.urg(),
            t.ece(),
            t.cwr(),
            t.ns(),
        ]
        .iter()
        .enumerate()
        .fold(
            0u16,
            |acc, (i, &set)| if set { acc | (1 << i) } else { acc },
        );
        let options = tcp_options(t.options());
        let payload_len = wire.saturating_sub(hlen);
        let info = LayerInfo::Tcp {
            src_port: t.source_port(),
            dst_port: t.destination_port(),
            seq: t.sequence_number(),
            ack: t.acknowledgment_number(),
            header_len: u8::try_from(hlen).unwrap_or(u8::MAX),
            flags,
            window: t.window_size(),
            checksum: t.checksum(),
            urgent: t.urgent_pointer(),
            options,
            payload_len: sat32(payload_len),
        };
        self.push("TCP", off..off + hlen, info);
        self.payload(off + hlen, end, payload_len);
    }

    fn udp(&mut self, off: usize, end: usize, wire: usize, pre: Option<&TransportSlice<'a>>) {
        let u = match pre {
            Some(TransportSlice::Udp(u)) => Ok(u.clone()),
            _ => UdpSlice::from_slice_lax(self.bytes(off, end)),
        };
        let u = match u {
            Ok(u) => u,
            Err(e) => {
                self.ports("UDP", off, end);
                self.truncated("udp", off, end, e.required_len);
                return;
            }
        };
        let (src_port, dst_port, length) = (u.source_port(), u.destination_port(), u.length());
        self.push(
            "UDP",
            off..off + 8,
            LayerInfo::Udp {
                src_port,
                dst_port,
                length,
                checksum: u.checksum(),
                ip_len: sat32(wire),
            },
        );
        // The payload: as long as the UDP length says, unless the IP datagram is shorter.
        let ulen = usize::from(length);
        let pl_wire = if ulen >= 8 { ulen.min(wire) } else { wire }.saturating_sub(8);
        let pl_end = off + u.slice().len();
        let on = |ports: &[u16]| {
            if ports.contains(&dst_port) {
                Some(dst_port)
            } else if ports.contains(&src_port) {
                Some(src_port)
            } else {
                None
            }
        };
        let vxlan = on(&self.opts.vxlan_ports);
        let geneve = on(&self.opts.geneve_ports);
        match (vxlan, geneve) {
            (Some(port), _) if self.depth < MAX_DEPTH => {
                self.vxlan(off + 8, pl_end, pl_wire, port);
            }
            (None, Some(_)) if self.depth < MAX_DEPTH => self.geneve(off + 8, pl_end, pl_wire),
            _ if (src_port == 53 || dst_port == 53) && self.dns(off + 8, pl_end, pl_wire) => {}
            _ if (matches!(src_port, 67 | 68) || matches!(dst_port, 67 | 68))
                && self.bootp(off + 8, pl_end, pl_wire) => {}
            _ => self.payload(off + 8, pl_end, pl_wire),
        }
    }

    /// A BOOTP/DHCP message at `off`; false (nothing pushed) when too short for its fixed
    /// header up to the client's hardware address.
    fn bootp(&mut self, off: usize, end: usize, wire: usize) -> bool {
        let b = self.bytes(off, end);
        let (Some(&op), Some(&htype), Some(&hlen), Some(xid), Some(ch)) =
            (b.first(), b.get(1), b.get(2), be32(b, 4), b.get(28..34))
        else {
            return false;
        };
        let mut chaddr = [0u8; 6];
        chaddr.copy_from_slice(ch);
        // Options after the magic cookie (at 236): 53 is the DHCP message type.
        let mut message_type = None;
        if b.get(236..240) == Some(&[99, 130, 83, 99][..]) {
            let mut i = 240;
            while let Some(&code) = b.get(i) {
                match code {
                    0 => i += 1,
                    255 => break,
                    _ => {
                        let Some(&len) = b.get(i + 1) else { break };
                        if code == 53 {
                            message_type = b.get(i + 2).copied();
                        }
                        i += 2 + usize::from(len);
                    }
                }
            }
        }
        self.push(
            "BOOTP/DHCP",
            off..end,
            LayerInfo::Bootp {
                op,
                htype,
                hlen,
                chaddr: crate::decode::MacAddr(chaddr),
                xid,
                message_type,
                length: u16::try_from(wire).unwrap_or(u16::MAX),
            },
        );
        true
    }

    /// A DNS message at `off`; false (nothing pushed) when it does not parse.
    fn dns(&mut self, off: usize, end: usize, wire: usize) -> bool {
        let b = self.bytes(off, end);
        let Some(info) = super::dns::parse(b, u16::try_from(wire).unwrap_or(u16::MAX)) else {
            return false;
        };
        self.push("DNS", off..end, info);
        true
    }

    /// Geneve: version and options length, O and C flags, protocol, 24-bit VNI, reserved,
    /// options; then what the protocol says (an Ethernet frame, IPv4 or IPv6).
    fn geneve(&mut self, off: usize, end: usize, wire: usize) {
        let b = self.bytes(off, end);
        let (Some(&b0), Some(&flags), Some(word)) = (b.first(), b.get(1), be32(b, 4)) else {
            self.truncated("geneve", off, end, 8);
            return;
        };
        let protocol = u16::from_be_bytes([
            b.get(2).copied().unwrap_or(0),
            b.get(3).copied().unwrap_or(0),
        ]);
        let options_len = u16::from(b0 & 0x3f) * 4;
        let hdr = 8 + usize::from(options_len);
        if b.len() < hdr {
            self.truncated("geneve", off, end, hdr);
            return;
        }
        self.push(
            "Geneve",
            off..off + hdr,
            LayerInfo::Geneve {
                version: b0 >> 6,
                flags,
                protocol,
                vni: word >> 8,
                options_len,
            },
        );
        self.depth += 1;
        let (inner, inner_wire) = (off + hdr, wire.saturating_sub(hdr));
        match protocol {
            0x6558 => self.ethernet(inner, end, inner_wire),
            0x0800 => self.ip(inner, end, inner_wire, Some(4)),
            0x86dd => self.ip(inner, end, inner_wire, Some(6)),
            _ => self.payload(inner, end, inner_wire),
        }
        self.depth -= 1;
    }

    /// VXLAN: flags byte, 3 reserved, 24-bit VNI, 1 reserved; then an Ethernet frame.
    fn vxlan(&mut self, off: usize, end: usize, wire: usize, port: u16) {
        let b = self.bytes(off, end);
        let (Some(&flags), Some(word), Some(first)) = (b.first(), be32(b, 4), be32(b, 0)) else {
            self.truncated("vxlan", off, end, 8);
            return;
        };
        let vni = word >> 8;
        self.push(
            "VXLAN",
            off..off + 8,
            LayerInfo::Vxlan {
                flags,
                vni,
                port,
                reserved: first & 0x00ff_ffff,
            },
        );
        self.depth += 1;
        self.ethernet(off + 8, end, wire.saturating_sub(8));
        self.depth -= 1;
    }

    /// The header of an ICMP/ICMPv6 message: etherparse's when it accepts the slice, else
    /// read by hand when at least 8 bytes are there (etherparse insists on exact lengths for
    /// some types), else `None`.
    fn icmp_head(&self, off: usize, end: usize, pre: Option<IcmpHead<'a>>) -> Option<IcmpHead<'a>> {
        if pre.is_some() {
            return pre;
        }
        let b = self.bytes(off, end);
        let head = b.get(..8)?;
        let (&icmp_type, &code) = (head.first()?, head.get(1)?);
        Some(IcmpHead {
            icmp_type,
            code,
            checksum: be16(head, 2)?,
            rest: head.get(4..8)?.try_into().ok()?,
            header_len: 8,
            body: b.get(8..).unwrap_or_default(),
        })
    }

    /// A message shorter than the 8-byte ICMP/ICMPv6 header: type and code when present.
    fn icmp_cut(&mut self, v6: bool, off: usize, end: usize, wire: usize) {
        let b = self.bytes(off, end);
        let tag = if v6 { "icmp6" } else { "icmp" };
        if let Some(&icmp_type) = b.first() {
            let code = b.get(1).copied().unwrap_or(0);
            let length = sat32(wire);
            let (name, info) = if v6 {
                (
                    "ICMPv6",
                    LayerInfo::Icmpv6 {
                        icmp_type,
                        code,
                        checksum: None,
                        length,
                        body: Icmpv6Body::Truncated,
                    },
                )
            } else {
                (
                    "ICMP",
                    LayerInfo::Icmp {
                        icmp_type,
                        code,
                        checksum: None,
                        length,
                        body: IcmpBody::Truncated,
                    },
                )
            };
            self.push(name, off..end, info);
        }
        self.truncated(tag, off, end, 8);
    }

    fn icmp(&mut self, off: usize, end: usize, wire: usize, pre: Option<&TransportSlice<'a>>) {
        let pre = match pre {
            Some(TransportSlice::Icmpv4(i)) => Some(i.clone()),
            _ => Icmpv4Slice::from_slice(self.bytes(off, end)).ok(),
        }
        .map(|i| IcmpHead {
            icmp_type: i.type_u8(),
            code: i.code_u8(),
            checksum: i.checksum(),
            rest: i.bytes5to8(),
            header_len: i.header_len(),
            body: i.payload(),
        });
        let Some(h) = self.icmp_head(off, end, pre) else {
            self.icmp_cut(false, off, end, wire);
            return;
        };
        let [r0, r1, r2, r3] = h.rest;
        let (id, seq) = (u16::from_be_bytes([r0, r1]), u16::from_be_bytes([r2, r3]));
        let body = match h.icmp_type {
            0 | 8 | 13 | 14 | 15 | 16 | 17 => IcmpBody::Echo { id, seq },
            3 => IcmpBody::Unreachable {
                next_hop_mtu: seq,
                quoted: quoted_ip(h.body),
            },
            5 => IcmpBody::Redirect {
                gateway: Ipv4Addr::from(h.rest),
                quoted: quoted_ip(h.body),
            },
            4 | 11 | 12 => IcmpBody::Error {
                pointer: r0,
                quoted: quoted_ip(h.body),
            },
            18 => ip4_at(h.body, 0).map_or(IcmpBody::Other { rest: h.rest }, |mask| {
                IcmpBody::AddressMask { id, seq, mask }
            }),
            _ => IcmpBody::Other { rest: h.rest },
        };
        let info = LayerInfo::Icmp {
            icmp_type: h.icmp_type,
            code: h.code,
            checksum: Some(h.checksum),
            length: sat32(wire),
            body,
        };
        self.push("ICMP", off..off + h.header_len, info);
        self.payload(off + h.header_len, end, wire.saturating_sub(h.header_len));
    }

    fn icmpv6(&mut self, off: usize, end: usize, wire: usize, pre: Option<&TransportSlice<'a>>) {
        let pre = match pre {
            Some(TransportSlice::Icmpv6(i)) => Some(i.clone()),
            _ => Icmpv6Slice::from_slice(self.bytes(off, end)).ok(),
        }
        .map(|i| IcmpHead {
            icmp_type: i.type_u8(),
            code: i.code_u8(),
            checksum: i.checksum(),
            rest: i.bytes5to8(),
            header_len: 8,
            body: i.payload(),
        });
        let Some(h) = self.icmp_head(off, end, pre) else {
            self.icmp_cut(true, off, end, wire);
            return;
        };
        let [r0, r1, r2, r3] = h.rest;
        let (w0, w1) = (u16::from_be_bytes([r0, r1]), u16::from_be_bytes([r2, r3]));
        let word = u32::from_be_bytes(h.rest);
        let p = h.body;
        let cut = Icmpv6Body::Truncated;
        let body = match h.icmp_type {
            128 | 129 => Icmpv6Body::Echo { id: w0, seq: w1 },
            1 | 3 => Icmpv6Body::Error {
                pointer: 0,
                quoted: quoted_ip(p),
            },
            4 => Icmpv6Body::Error {
                pointer: word,
                quoted: quoted_ip(p),
            },
            2 => Icmpv6Body::PacketTooBig {
                mtu: word,
                quoted: quoted_ip(p),
            },
            133 => Icmpv6Body::RouterSolicitation,
            134 => match (be32(p, 0), be32(p, 4)) {
                (Some(reachable_ms), Some(retrans_ms)) => Icmpv6Body::RouterAdvertisement {
                    hop_limit: r0,
                    flags: r1,
                    lifetime: w1,
                    reachable_ms,
                    retrans_ms,
                },
                _ => cut,
            },
            135 => ip6_at(p, 0).map_or(cut, |target| Icmpv6Body::NeighborSolicitation { target }),
            136 => ip6_at(p, 0).map_or(cut, |target| Icmpv6Body::NeighborAdvertisement {
                target,
                router: r0 & 0x80 != 0,
                solicited: r0 & 0x40 != 0,
                override_flag: r0 & 0x20 != 0,
            }),
            137 => match (ip6_at(p, 0), ip6_at(p, 16)) {
                (Some(target), Some(destination)) => Icmpv6Body::Redirect {
                    target,
                    destination,
                },
                _ => cut,
            },
            // MLDv1 queries are 24 bytes, MLDv2 ones 28 and more (RFC 3810 section 8.1).
            130 => ip6_at(p, 0).map_or(cut, |group| Icmpv6Body::MldQuery {
                max_response: w0,
                group,
                sources: if wire >= 28 { be16(p, 18) } else { None },
            }),
            131 | 132 => ip6_at(p, 0).map_or(cut, |group| Icmpv6Body::Mld {
                max_response: w0,
                group,
            }),
            143 => Icmpv6Body::MldV2Report { records: w1 },
            _ => Icmpv6Body::Other { rest: h.rest },
        };
        if body == Icmpv6Body::Truncated {
            self.set_problem(format_args!(
                "truncated in icmp6 message ({} bytes captured)",
                end.saturating_sub(off)
            ));
        }
        let info = LayerInfo::Icmpv6 {
            icmp_type: h.icmp_type,
            code: h.code,
            checksum: Some(h.checksum),
            length: sat32(wire),
            body,
        };
        self.push("ICMPv6", off..off + h.header_len, info);
        self.payload(off + h.header_len, end, wire.saturating_sub(h.header_len));
    }

    fn igmp(&mut self, off: usize, end: usize, wire: usize, pre: Option<&TransportSlice<'a>>) {
        let b = self.bytes(off, end);
        // etherparse insists on exact lengths per type; fall back to the fixed 8 bytes.
        let parsed = match pre {
            Some(TransportSlice::Igmp(i)) => Some(i.clone()),
            _ => IgmpSlice::from_slice(b).ok(),
        };
        let head = parsed
            .map(|i| (i.type_u8(), i.max_resp_code_or_reserved(), i.bytes4to7()))
            .or_else(|| {
                let h: [u8; 8] = b.get(..8)?.try_into().ok()?;
                let [t, m, _, _, g0, g1, g2, g3] = h;
                Some((t, m, [g0, g1, g2, g3]))
            });
        let Some((igmp_type, max_response, word)) = head else {
            self.truncated("igmp", off, end, 8);
            return;
        };
        let [_, _, n0, n1] = word;
        let records = (igmp_type == 0x22).then(|| u16::from_be_bytes([n0, n1]));
        let group = Ipv4Addr::from(word);
        self.push(
            "IGMP",
            off..off + 8,
            LayerInfo::Igmp {
                igmp_type,
                max_response,
                group,
                records,
                length: sat32(wire),
            },
        );
        self.payload(off + 8, end, wire.saturating_sub(8));
    }
}

/// TCP options as on the wire; unlike etherparse's iterator this keeps going over kinds it
/// does not know.
fn tcp_options(mut o: &[u8]) -> Vec<TcpOption> {
    let mut out = Vec::new();
    while let Some((&kind, rest)) = o.split_first() {
        match kind {
            0 => {
                out.push(TcpOption::Eol);
                break;
            }
            1 => {
                out.push(TcpOption::Nop);
                o = rest;
            }
            _ => {
                let len = rest.first().map_or(0, |&l| usize::from(l));
                let Some(data) = o.get(2..len.max(2)).filter(|_| len >= 2) else {
                    out.push(TcpOption::Malformed { kind });
                    break;
                };
                out.push(match (kind, data) {
                    (2, &[a, b]) => TcpOption::Mss(u16::from_be_bytes([a, b])),
                    (3, &[s]) => TcpOption::WindowScale(s),
                    (4, &[]) => TcpOption::SackPermitted,
                    (5, d) if !d.is_empty() && d.len() % 8 == 0 => TcpOption::Sack(
                        d.chunks_exact(8)
                            .filter_map(|c| Some((be32(c, 0)?, be32(c, 4)?)))
                            .collect(),
                    ),
                    (8, d) if d.len() == 8 => match (be32(d, 0), be32(d, 4)) {
                        (Some(val), Some(ecr)) => TcpOption::Timestamp { val, ecr },
                        _ => TcpOption::Other {
                            kind,
                            data: d.to_vec(),
                        },
                    },
                    _ => TcpOption::Other {
                        kind,
                        data: data.to_vec(),
                    },
                });
                o = o.get(len..).unwrap_or_default();
            }
        }
    }
    out
}
