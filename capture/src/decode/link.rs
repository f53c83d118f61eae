//! Link layer: Ethernet II / 802.3 with LLC/SNAP, VLAN tags (any number), Linux cooked
//! captures v1 and v2.

use etherparse::{Ethernet2Slice, SingleVlanSlice};

use super::{be16, be32, sat32, HwAddr, LayerInfo, MacAddr, Snap, Walker};

/// Ethernet header length.
const ETH_LEN: usize = 14;
/// Largest value of an 802.3 length field; above it the field is an ethertype.
const MAX_802_3_LEN: u16 = 1500;

impl Walker<'_> {
    /// An Ethernet frame at `off`.
    pub(super) fn ethernet(&mut self, off: usize, end: usize, wire: usize) {
        let Ok(eth) = Ethernet2Slice::from_slice_without_fcs(self.bytes(off, end)) else {
            self.truncated("ether", off, end, ETH_LEN);
            return;
        };
        let ether_type = eth.ether_type().0;
        let (src, dst) = (MacAddr(eth.source()), MacAddr(eth.destination()));
        let is_len = ether_type <= MAX_802_3_LEN;
        self.push(
            if is_len { "802.3" } else { "Ethernet" },
            off..off + ETH_LEN,
            LayerInfo::Ethernet {
                src,
                dst,
                ether_type,
                frame_len: sat32(wire),
            },
        );
        let (off, wire) = (off + ETH_LEN, wire.saturating_sub(ETH_LEN));
        if is_len {
            self.llc(ether_type, off, end, wire);
        } else {
            self.ethertype(ether_type, off, end, wire);
        }
    }

    /// The payload of an ethertype: VLAN tags (as many as there are), ARP, IP, or raw.
    pub(super) fn ethertype(&mut self, ether_type: u16, off: usize, end: usize, wire: usize) {
        let (mut et, mut off, mut wire) = (ether_type, off, wire);
        loop {
            match et {
                0x8100 | 0x88a8 | 0x9100 | 0x9200 => {
                    let Ok(v) = SingleVlanSlice::from_slice(self.bytes(off, end)) else {
                        self.truncated("vlan", off, end, 4);
                        return;
                    };
                    let (pcp, dei, vid, inner) = (
                        v.priority_code_point().value(),
                        v.drop_eligible_indicator(),
                        v.vlan_identifier().value(),
                        v.ether_type().0,
                    );
                    let name = match et {
                        0x8100 => "802.1Q",
                        0x88a8 => "802.1ad",
                        0x9100 => "802.1Q-9100",
                        _ => "802.1Q-9200",
                    };
                    self.push(
                        name,
                        off..off + 4,
                        LayerInfo::Vlan {
                            tpid: et,
                            pcp,
                            dei,
                            vid,
                            ether_type: inner,
                        },
                    );
                    off += 4;
                    wire = wire.saturating_sub(4);
                    et = inner;
                    if et <= MAX_802_3_LEN {
                        self.llc(et, off, end, wire);
                        return;
                    }
                }
                0x0806 | 0x8035 => return self.arp(et, off, end, wire),
                0x0800 => return self.ip(off, end, wire, Some(4)),
                0x86dd => return self.ip(off, end, wire, Some(6)),
                0x88cc if self.lldp(off, end, wire) => return,
                _ => return self.payload(off, end, wire),
            }
        }
    }

    /// An 802.2 LLC header (and SNAP) after an 802.3 `length` field.
    pub(super) fn llc(&mut self, length: u16, off: usize, end: usize, wire: usize) {
        // As tcpdump: the length field bounds the payload when it is below what the wire
        // carried; the rest is padding.
        let len = usize::from(length);
        let (unit_wire, unit_end) = if len < wire {
            (len, end.min(off.saturating_add(len)))
        } else {
            (wire, end)
        };
        let b = self.bytes(off, unit_end);
        let (Some(&dsap), Some(&ssap), Some(&c0)) = (b.first(), b.get(1), b.get(2)) else {
            self.truncated("llc", off, unit_end, 3);
            return;
        };
        // Unnumbered frames have a one-byte control field, I and S frames two.
        let (control, mut hlen) = if c0 & 3 == 3 {
            (u16::from(c0), 3)
        } else if let Some(&c1) = b.get(3) {
            (u16::from_le_bytes([c0, c1]), 4)
        } else {
            self.truncated("llc", off, unit_end, 4);
            return;
        };
        let mut snap = None;
        if dsap == 0xaa && ssap == 0xaa && control == 0x03 {
            let Some(&[o0, o1, o2, p0, p1]) = b.get(3..8) else {
                self.truncated("snap", off, unit_end, 8);
                return;
            };
            snap = Some(Snap {
                oui: u32::from_be_bytes([0, o0, o1, o2]),
                pid: u16::from_be_bytes([p0, p1]),
            });
            hlen = 8;
        }
        self.push(
            "LLC",
            off..off + hlen,
            LayerInfo::Llc {
                length,
                available: sat32(wire),
                dsap,
                ssap,
                control,
                snap,
            },
        );
        let (next, next_wire) = (off + hlen, unit_wire.saturating_sub(hlen));
        let stp = (dsap == 0x42 && ssap == 0x42 && snap.is_none())
            || snap.is_some_and(|s| s.oui == 0x0000_000c && s.pid == 0x010b);
        match snap {
            // RFC 1042: an ethertype in SNAP.
            Some(Snap { oui: 0, pid }) if pid > MAX_802_3_LEN => {
                self.ethertype(pid, next, unit_end, next_wire);
            }
            _ if stp && self.stp(next, unit_end, next_wire) => {}
            _ => self.payload(next, unit_end, next_wire),
        }
        self.padding(unit_end, end);
    }

    /// An LLDP frame's TLVs (chassis id, port id, TTL, system name); false when they do
    /// not parse.
    fn lldp(&mut self, off: usize, end: usize, wire: usize) -> bool {
        let b = self.bytes(off, end);
        let text = |v: &[u8]| -> String {
            if !v.is_empty() && v.iter().all(|c| c.is_ascii_graphic() || *c == b' ') {
                String::from_utf8_lossy(v).into_owned()
            } else {
                v.iter()
                    .map(|x| format!("{x:02x}"))
                    .collect::<Vec<_>>()
                    .join(":")
            }
        };
        let (mut chassis, mut port, mut ttl, mut system_name) = (None, None, None, None);
        let mut i = 0;
        while let Some(head) = be16(b, i) {
            let (t, len) = (head >> 9, usize::from(head & 0x1ff));
            let Some(v) = b.get(i + 2..i + 2 + len) else {
                break;
            };
            match t {
                0 => break,
                // Chassis and port ids start with a subtype byte.
                1 => chassis = v.get(1..).map(text),
                2 => port = v.get(1..).map(text),
                3 => ttl = be16(v, 0),
                5 => system_name = Some(String::from_utf8_lossy(v).into_owned()),
                _ => {}
            }
            i += 2 + len;
        }
        let (Some(chassis), Some(port)) = (chassis, port) else {
            return false;
        };
        self.push(
            "LLDP",
            off..end,
            LayerInfo::Lldp {
                chassis,
                port,
                ttl,
                system_name,
                length: u16::try_from(wire).unwrap_or(u16::MAX),
            },
        );
        true
    }

    /// A spanning-tree BPDU at `off`; false (nothing pushed) when it is not one or too
    /// short.
    fn stp(&mut self, off: usize, end: usize, wire: usize) -> bool {
        let b = self.bytes(off, end);
        let (Some(0), Some(&version), Some(&bpdu_type)) = (be16(b, 0), b.get(2), b.get(3)) else {
            return false;
        };
        let u64_at = |i: usize| -> Option<u64> {
            let s = b.get(i..i + 8)?;
            let mut a = [0u8; 8];
            a.copy_from_slice(s);
            Some(u64::from_be_bytes(a))
        };
        let (flags, root_id, bridge_id, port_id) = if bpdu_type == 0x80 {
            (0, 0, 0, 0)
        } else {
            let (Some(&f), Some(r), Some(br), Some(p)) =
                (b.get(4), u64_at(5), u64_at(17), be16(b, 25))
            else {
                return false;
            };
            (f, r, br, p)
        };
        self.push(
            "STP",
            off..end,
            LayerInfo::Stp {
                version,
                bpdu_type,
                flags,
                root_id,
                bridge_id,
                port_id,
                length: u16::try_from(wire).unwrap_or(u16::MAX),
            },
        );
        true
    }

    /// Linux cooked capture v1: packet type, ARPHRD type, address length, 8 address bytes,
    /// protocol. (etherparse's `LinuxSllSlice` rejects ARPHRD types it does not know, so
    /// this is read by hand.)
    pub(super) fn sll(&mut self, off: usize, end: usize, wire: usize) {
        const LEN: usize = 16;
        let b = self.bytes(off, end);
        let (Some(packet_type), Some(arphrd), Some(halen), Some(protocol)) =
            (be16(b, 0), be16(b, 2), be16(b, 4), be16(b, 14))
        else {
            self.truncated("sll", off, end, LEN);
            return;
        };
        let addr = HwAddr(
            b.get(6..6 + usize::from(halen).min(8))
                .unwrap_or_default()
                .to_vec(),
        );
        self.push(
            "Linux SLL",
            off..off + LEN,
            LayerInfo::LinuxSll {
                version: 1,
                packet_type,
                arphrd,
                addr,
                protocol,
                ifindex: None,
                frame_len: sat32(wire),
            },
        );
        self.sll_payload(protocol, arphrd, off + LEN, end, wire.saturating_sub(LEN));
    }

    /// Linux cooked capture v2: protocol, reserved, interface index, ARPHRD type, packet
    /// type, address length, 8 address bytes (etherparse has no SLL2).
    pub(super) fn sll2(&mut self, off: usize, end: usize, wire: usize) {
        const LEN: usize = 20;
        let b = self.bytes(off, end);
        let (Some(protocol), Some(ifindex), Some(arphrd), Some(&pt), Some(&halen)) =
            (be16(b, 0), be32(b, 4), be16(b, 8), b.get(10), b.get(11))
        else {
            self.truncated("sll2", off, end, LEN);
            return;
        };
        if b.len() < LEN {
            self.truncated("sll2", off, end, LEN);
            return;
        }
        let packet_type = u16::from(pt);
        let addr = HwAddr(
            b.get(12..12 + usize::from(halen).min(8))
                .unwrap_or_default()
                .to_vec(),
        );
        self.push(
            "Linux SLL2",
            off..off + LEN,
            LayerInfo::LinuxSll {
                version: 2,
                packet_type,
                arphrd,
                addr,
                protocol,
                ifindex: Some(ifindex),
                frame_len: sat32(wire),
            },
        );
        self.sll_payload(protocol, arphrd, off + LEN, end, wire.saturating_sub(LEN));
    }

    /// What follows a cooked header: an ethertype, 802.2 LLC (protocol 4), or else raw.
    fn sll_payload(&mut self, protocol: u16, arphrd: u16, off: usize, end: usize, wire: usize) {
        /// `ARPHRD_NETLINK`: the protocol is a netlink family, not an ethertype.
        const ARPHRD_NETLINK: u16 = 824;
        match protocol {
            _ if arphrd == ARPHRD_NETLINK => self.payload(off, end, wire),
            p if p > MAX_802_3_LEN => self.ethertype(p, off, end, wire),
            0x0004 => self.llc(u16::try_from(wire).unwrap_or(u16::MAX), off, end, wire),
            _ => self.payload(off, end, wire),
        }
    }
}
