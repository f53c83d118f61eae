//! Unit tests of the decoder (and the summaries) with hand-built frames, for what the
//! capture corpus does not have: stacked VLAN tags, VXLAN on a non-default port, neighbour
//! advertisements, SLL2, and empty/short/garbage input.

use std::net::Ipv6Addr;

use super::{
    decode, DecodeOptions, Decoded, Icmpv6Body, Invalid, Ipv6Ext, LayerInfo, LinkType, MacAddr,
};
use crate::summary::{summary, Timestamp};

const MAC_A: [u8; 6] = [0x02, 0, 0, 0, 0, 0x0a];
const MAC_B: [u8; 6] = [0x02, 0, 0, 0, 0, 0x0b];

fn eth(dst: [u8; 6], src: [u8; 6], ether_type: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&ether_type.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// A VLAN tag: TCI (priority, DEI, VLAN id) then the next ethertype.
fn tag(pcp: u8, vid: u16, next: u16) -> Vec<u8> {
    let tci = (u16::from(pcp) << 13) | (vid & 0x0fff);
    [tci.to_be_bytes(), next.to_be_bytes()].concat()
}

fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, payload: &[u8]) -> Vec<u8> {
    let total = u16::try_from(20 + payload.len()).unwrap_or(u16::MAX);
    let mut h = vec![0x45, 0, 0, 0, 0x12, 0x34, 0x40, 0, 64, proto, 0, 0];
    h.splice(2..4, total.to_be_bytes());
    h.extend_from_slice(&src);
    h.extend_from_slice(&dst);
    h.extend_from_slice(payload);
    h
}

fn ipv6(src: Ipv6Addr, dst: Ipv6Addr, next: u8, payload: &[u8]) -> Vec<u8> {
    let plen = u16::try_from(payload.len()).unwrap_or(u16::MAX);
    let mut h = vec![0x60, 0, 0, 0];
    h.extend_from_slice(&plen.to_be_bytes());
    h.push(next);
    h.push(255);
    h.extend_from_slice(&src.octets());
    h.extend_from_slice(&dst.octets());
    h.extend_from_slice(payload);
    h
}

fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let len = u16::try_from(8 + payload.len()).unwrap_or(u16::MAX);
    [
        &sport.to_be_bytes()[..],
        &dport.to_be_bytes(),
        &len.to_be_bytes(),
        &[0, 0],
        payload,
    ]
    .concat()
}

fn icmp_echo(request: bool, id: u16, seq: u16, data: &[u8]) -> Vec<u8> {
    [
        &[if request { 8 } else { 0 }, 0, 0, 0][..],
        &id.to_be_bytes(),
        &seq.to_be_bytes(),
        data,
    ]
    .concat()
}

fn vxlan(vni: u32, inner: &[u8]) -> Vec<u8> {
    let v = (vni << 8).to_be_bytes();
    [&[0x08, 0, 0, 0][..], &v, inner].concat()
}

fn names(d: &Decoded) -> Vec<&'static str> {
    d.layers.iter().map(|l| l.name).collect()
}

fn dec(link: LinkType, f: &[u8]) -> Decoded {
    decode(
        link,
        f,
        u32::try_from(f.len()).unwrap_or(u32::MAX),
        &DecodeOptions::default(),
    )
}

fn ll(d: &Decoded) -> String {
    summary(d, None, true)
}

#[test]
fn qinq_88a8_over_8100() {
    let ip = ipv4([10, 0, 0, 1], [10, 0, 0, 2], 17, &udp(1234, 53, b"abcd"));
    let payload = [tag(3, 100, 0x8100), tag(0, 200, 0x0800), ip].concat();
    let f = eth(MAC_B, MAC_A, 0x88a8, &payload);
    let d = dec(LinkType::Ethernet, &f);
    assert_eq!(
        names(&d),
        ["Ethernet", "802.1ad", "802.1Q", "IPv4", "UDP", "Payload"]
    );
    assert_eq!(d.problem, None);
    let tags: Vec<(u16, u8, u16)> = d
        .layers
        .iter()
        .filter_map(|l| match l.info {
            LayerInfo::Vlan { tpid, pcp, vid, .. } => Some((tpid, pcp, vid)),
            _ => None,
        })
        .collect();
    assert_eq!(tags, [(0x88a8, 3, 100), (0x8100, 0, 200)]);
    assert_eq!(d.layers[1].range, 14..18);
    assert_eq!(d.layers[2].range, 18..22);
    assert_eq!(
        ll(&d),
        "02:00:00:00:00:0a > 02:00:00:00:00:0b, ethertype 802.1Q-QinQ (0x88a8), length 54: vlan 100, p 3, \
         ethertype 802.1Q (0x8100), vlan 200, p 0, ethertype IPv4 (0x0800), 10.0.0.1.1234 > 10.0.0.2.53: UDP, length 4"
    );
    assert_eq!(
        summary(&d, None, false),
        "IP 10.0.0.1.1234 > 10.0.0.2.53: UDP, length 4"
    );
}

#[test]
fn any_number_of_tags() {
    // Four tags: more than etherparse's three link extensions.
    let arp = [
        &[0, 1, 8, 0, 6, 4, 0, 1][..],
        &MAC_A,
        &[192, 168, 1, 1],
        &[0; 6],
        &[192, 168, 1, 1], // gratuitous
    ]
    .concat();
    let payload = [
        tag(1, 10, 0x9100),
        tag(2, 20, 0x8100),
        tag(3, 30, 0x8100),
        tag(4, 40, 0x0806),
        arp,
    ]
    .concat();
    let d = dec(LinkType::Ethernet, &eth([0xff; 6], MAC_A, 0x88a8, &payload));
    assert_eq!(
        names(&d),
        [
            "Ethernet",
            "802.1ad",
            "802.1Q-9100",
            "802.1Q",
            "802.1Q",
            "ARP"
        ]
    );
    assert_eq!(
        ll(&d),
        "02:00:00:00:00:0a > ff:ff:ff:ff:ff:ff, ethertype 802.1Q-QinQ (0x88a8), length 58: vlan 10, p 1, \
         ethertype 802.1Q-9100 (0x9100), vlan 20, p 2, ethertype 802.1Q (0x8100), vlan 30, p 3, ethertype 802.1Q (0x8100), \
         vlan 40, p 4, ethertype ARP (0x0806), Request who-has 192.168.1.1 tell 192.168.1.1, length 28"
    );
    assert_eq!(
        summary(&d, None, false),
        "ARP, Request who-has 192.168.1.1 tell 192.168.1.1, length 28"
    );
}

#[test]
fn vxlan_on_a_non_default_port() {
    let inner_ip = ipv4(
        [192, 168, 0, 1],
        [192, 168, 0, 2],
        1,
        &icmp_echo(true, 7, 1, &[0; 8]),
    );
    let inner = eth(MAC_B, MAC_A, 0x0800, &inner_ip);
    let outer_ip = ipv4(
        [10, 1, 0, 1],
        [10, 1, 0, 2],
        17,
        &udp(40000, 4899, &vxlan(4242, &inner)),
    );
    let f = eth(
        [0x02, 0, 0, 0, 0, 0x02],
        [0x02, 0, 0, 0, 0, 0x01],
        0x0800,
        &outer_ip,
    );
    let wire = u32::try_from(f.len()).unwrap_or(0);

    // Not in the default list: plain UDP.
    let plain = decode(LinkType::Ethernet, &f, wire, &DecodeOptions::default());
    assert_eq!(names(&plain), ["Ethernet", "IPv4", "UDP", "Payload"]);
    assert_eq!(
        summary(&plain, None, false),
        "IP 10.1.0.1.40000 > 10.1.0.2.4899: UDP, length 58"
    );

    let opts = DecodeOptions {
        vxlan_ports: vec![4789, 4899],
        ..DecodeOptions::default()
    };
    let d = decode(LinkType::Ethernet, &f, wire, &opts);
    assert_eq!(
        names(&d),
        ["Ethernet", "IPv4", "UDP", "VXLAN", "Ethernet", "IPv4", "ICMP", "Payload"]
    );
    assert_eq!(d.problem, None);
    let vxlan_layer = &d.layers[3];
    assert_eq!(
        vxlan_layer.info,
        LayerInfo::Vxlan {
            flags: 0x08,
            vni: 4242,
            port: 4899,
            reserved: 0
        }
    );
    assert_eq!(vxlan_layer.range, 42..50);
    // The inner layers' ranges are offsets into the whole frame.
    assert_eq!(d.layers[4].range, 50..64);
    assert!(matches!(
        d.layers[4].info,
        LayerInfo::Ethernet {
            src: MacAddr(MAC_A),
            dst: MacAddr(MAC_B),
            ether_type: 0x0800,
            frame_len: 50
        }
    ));
    assert_eq!(
        summary(&d, Some(Timestamp { secs: 3_600 + 61, nanos: 5_000 }), true),
        "01:01:01.000005 02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype IPv4 (0x0800), length 100: \
         10.1.0.1.40000 > 10.1.0.2.4899: VXLAN, flags [I] (0x08), vni 4242\n\
         02:00:00:00:00:0a > 02:00:00:00:00:0b, ethertype IPv4 (0x0800), length 50: 192.168.0.1 > 192.168.0.2: \
         ICMP echo request, id 7, seq 1, length 16"
    );
    assert_eq!(
        summary(&d, None, false),
        "IP 10.1.0.1.40000 > 10.1.0.2.4899: VXLAN, flags [I] (0x08), vni 4242\n\
         IP 192.168.0.1 > 192.168.0.2: ICMP echo request, id 7, seq 1, length 16"
    );
    // VXLAN cut short.
    let cut = decode(LinkType::Ethernet, &f[..46], wire, &opts);
    assert_eq!(names(&cut), ["Ethernet", "IPv4", "UDP", "Truncated"]);
    assert!(cut
        .problem
        .as_deref()
        .is_some_and(|p| p.starts_with("truncated in vxlan header")));
}

#[test]
fn icmpv6_neighbour_advertisement() {
    let (router, host): (Ipv6Addr, Ipv6Addr) = (
        "fe80::1".parse().unwrap_or(Ipv6Addr::LOCALHOST),
        "fe80::2".parse().unwrap_or(Ipv6Addr::LOCALHOST),
    );
    // Type 136, code 0, checksum, flags R|S|O, reserved, target, target link-layer option.
    let na = [
        &[136, 0, 0, 0, 0xe0, 0, 0, 0][..],
        &router.octets(),
        &[2, 1],
        &MAC_A,
    ]
    .concat();
    let f = eth(MAC_B, MAC_A, 0x86dd, &ipv6(router, host, 58, &na));
    let d = dec(LinkType::Ethernet, &f);
    assert_eq!(names(&d), ["Ethernet", "IPv6", "ICMPv6", "Payload"]);
    let LayerInfo::Icmpv6 {
        icmp_type,
        length,
        body,
        ..
    } = &d.layers[2].info
    else {
        panic!("{:?}", d.layers[2])
    };
    assert_eq!((*icmp_type, *length), (136, 32));
    assert_eq!(
        *body,
        Icmpv6Body::NeighborAdvertisement {
            target: router,
            router: true,
            solicited: true,
            override_flag: true
        }
    );
    assert_eq!(
        summary(&d, None, false),
        "IP6 fe80::1 > fe80::2: ICMP6, neighbor advertisement, tgt is fe80::1, length 32"
    );

    // And a solicitation for it, from the unspecified address (DAD).
    let ns = [&[135, 0, 0, 0, 0, 0, 0, 0][..], &host.octets()].concat();
    let f = eth(
        [0x33, 0x33, 0xff, 0, 0, 2],
        MAC_A,
        0x86dd,
        &ipv6(
            Ipv6Addr::UNSPECIFIED,
            "ff02::1:ff00:2".parse().unwrap_or(Ipv6Addr::LOCALHOST),
            58,
            &ns,
        ),
    );
    let d = dec(LinkType::Ethernet, &f);
    assert_eq!(
        summary(&d, None, false),
        "IP6 :: > ff02::1:ff00:2: ICMP6, neighbor solicitation, who has fe80::2, length 24"
    );
}

#[test]
fn sll2() {
    let syn = [
        &40000u16.to_be_bytes()[..],
        &80u16.to_be_bytes(),
        &1u32.to_be_bytes(),
        &0u32.to_be_bytes(),
        &[0x60, 0x02], // data offset 6, SYN
        &64240u16.to_be_bytes(),
        &[0, 0, 0, 0],
        &[2, 4, 0x05, 0xb4], // mss 1460
    ]
    .concat();
    let ip = ipv4([10, 0, 0, 1], [10, 0, 0, 2], 6, &syn);
    // protocol, reserved, ifindex 7, ARPHRD_ETHER, outgoing, address length 6, address (8).
    let hdr = [
        &0x0800u16.to_be_bytes()[..],
        &[0, 0],
        &7u32.to_be_bytes(),
        &1u16.to_be_bytes(),
        &[4, 6],
        &MAC_A,
        &[0, 0],
    ]
    .concat();
    let f = [hdr, ip].concat();
    let d = dec(LinkType::LinuxSll2, &f);
    assert_eq!(names(&d), ["Linux SLL2", "IPv4", "TCP"]);
    assert_eq!(d.layers[0].range, 0..20);
    let LayerInfo::LinuxSll {
        version,
        packet_type,
        ifindex,
        protocol,
        addr,
        ..
    } = &d.layers[0].info
    else {
        panic!()
    };
    assert_eq!(
        (
            *version,
            *packet_type,
            *ifindex,
            *protocol,
            addr.0.as_slice()
        ),
        (2, 4, Some(7), 0x0800, &MAC_A[..])
    );
    assert_eq!(
        ll(&d),
        "Out ifindex 7 02:00:00:00:00:0a ethertype IPv4 (0x0800), length 64: 10.0.0.1.40000 > 10.0.0.2.80: \
         Flags [S], seq 1, win 64240, options [mss 1460], length 0"
    );
    assert_eq!(summary(&d, None, false), "Out IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S], seq 1, win 64240, options [mss 1460], length 0");
    // Cut inside the cooked header.
    let cut = dec(LinkType::LinuxSll2, &f[..12]);
    assert_eq!(names(&cut), ["Truncated"]);
    assert_eq!(ll(&cut), " [|sll2]");
}

#[test]
fn sll_v1_with_unknown_arphrd() {
    // etherparse refuses ARPHRD types it does not know; ours does not care.
    let ip = ipv4([10, 0, 0, 1], [10, 0, 0, 2], 17, &udp(1, 2, &[]));
    let hdr = [
        &0u16.to_be_bytes()[..],
        &0xfffeu16.to_be_bytes(),
        &0u16.to_be_bytes(),
        &[0; 8],
        &0x0800u16.to_be_bytes(),
    ]
    .concat();
    let d = dec(LinkType::LinuxSll, &[hdr, ip].concat());
    assert_eq!(names(&d), ["Linux SLL", "IPv4", "UDP"]);
    assert_eq!(
        ll(&d),
        " In ethertype IPv4 (0x0800), length 44: 10.0.0.1.1 > 10.0.0.2.2: UDP, length 0"
    );
}

#[test]
fn ipv6_extension_headers_and_fragments() {
    let (a, b): (Ipv6Addr, Ipv6Addr) = (
        "2001:db8::1".parse().unwrap_or(Ipv6Addr::LOCALHOST),
        "2001:db8::2".parse().unwrap_or(Ipv6Addr::LOCALHOST),
    );
    let dgram = udp(5000, 6000, b"hello");
    // Hop-by-hop (next: destination options), destination options (next: fragment),
    // fragment offset 0 with more fragments (next: UDP).
    let hbh = [60, 0, 1, 4, 0, 0, 0, 0];
    let dst = [44, 0, 1, 4, 0, 0, 0, 0];
    let frag = [17, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef];
    let payload = [&hbh[..], &dst, &frag, &dgram].concat();
    let d = dec(
        LinkType::Ethernet,
        &eth(MAC_B, MAC_A, 0x86dd, &ipv6(a, b, 0, &payload)),
    );
    assert_eq!(
        names(&d),
        [
            "Ethernet",
            "IPv6",
            "IPv6 Hop-by-Hop",
            "IPv6 Destination Options",
            "IPv6 Fragment",
            "UDP",
            "Payload"
        ]
    );
    assert!(matches!(
        d.layers[4].info,
        LayerInfo::Ipv6Ext {
            ext: Ipv6Ext::Fragment {
                offset: 0,
                more: true,
                id: 0xdead_beef
            },
            ..
        }
    ));
    assert_eq!(
        summary(&d, None, false),
        "IP6 2001:db8::1 > 2001:db8::2: HBH DSTOPT frag (0|13) 5000 > 6000: UDP, length 5"
    );
    // A later fragment: no transport header.
    let frag2 = [17, 0, 0x05, 0x29, 0xde, 0xad, 0xbe, 0xef]; // offset 165 * 8
    let d = dec(
        LinkType::Ethernet,
        &eth(
            MAC_B,
            MAC_A,
            0x86dd,
            &ipv6(a, b, 44, &[&frag2[..], b"tail"].concat()),
        ),
    );
    assert_eq!(names(&d), ["Ethernet", "IPv6", "IPv6 Fragment", "Payload"]);
    assert_eq!(
        summary(&d, None, false),
        "IP6 2001:db8::1 > 2001:db8::2: frag (1320|4)"
    );
}

#[test]
fn ipv6_jumbogram() {
    let (a, b): (Ipv6Addr, Ipv6Addr) = (
        "2001:db8::1".parse().unwrap_or(Ipv6Addr::LOCALHOST),
        "2001:db8::2".parse().unwrap_or(Ipv6Addr::LOCALHOST),
    );
    let data = vec![7u8; 70_000];
    let segment = [
        &1u16.to_be_bytes()[..],
        &2u16.to_be_bytes(),
        &[0; 8],
        &[0x50, 0x10, 1, 0, 0, 0, 0, 0],
        &data,
    ]
    .concat();
    let jumbo = u32::try_from(8 + segment.len()).unwrap_or(0).to_be_bytes();
    // Hop-by-hop header with a Jumbo Payload option; IPv6 payload length 0.
    let hbh = [&[6, 0, 0xc2, 4][..], &jumbo].concat();
    let mut ip = ipv6(a, b, 0, &[hbh, segment].concat());
    ip[4] = 0;
    ip[5] = 0;
    let d = dec(LinkType::Ethernet, &eth(MAC_B, MAC_A, 0x86dd, &ip));
    assert_eq!(d.problem, None);
    assert_eq!(summary(&d, None, false), "IP6 2001:db8::1 > 2001:db8::2: HBH 1 > 2: Flags [.], seq 0:70000, ack 0, win 256, length 70000");
}

#[test]
fn ipv4_fragments_and_bad_headers() {
    let mut first = ipv4([10, 0, 0, 1], [10, 0, 0, 2], 17, &udp(7, 9, &[0; 16]));
    first[6] = 0x20; // MF, offset 0
    let d = dec(LinkType::Ethernet, &eth(MAC_B, MAC_A, 0x0800, &first));
    assert_eq!(names(&d), ["Ethernet", "IPv4", "UDP", "Payload"]);
    let mut later = ipv4([10, 0, 0, 1], [10, 0, 0, 2], 17, &[0; 16]);
    later[6] = 0x00;
    later[7] = 0x03; // offset 24
    let d = dec(LinkType::Ethernet, &eth(MAC_B, MAC_A, 0x0800, &later));
    assert_eq!(names(&d), ["Ethernet", "IPv4", "Payload"]);
    assert_eq!(
        summary(&d, None, false),
        "IP 10.0.0.1 > 10.0.0.2: ip-proto-17"
    );

    let mut bad_ihl = ipv4([10, 0, 0, 1], [10, 0, 0, 2], 17, &[0; 8]);
    bad_ihl[0] = 0x44;
    let d = dec(LinkType::Ethernet, &eth(MAC_B, MAC_A, 0x0800, &bad_ihl));
    assert_eq!(names(&d), ["Ethernet", "Invalid"]);
    assert!(matches!(
        d.layers[1].info,
        LayerInfo::Invalid {
            invalid: Invalid::Ipv4HeaderLength { header_len: 16 },
            ..
        }
    ));
    assert_eq!(summary(&d, None, false), "IP bad-hlen 16");

    let mut zero_len = ipv4([10, 0, 0, 1], [10, 0, 0, 2], 1, &icmp_echo(true, 1, 1, &[]));
    zero_len[2] = 0;
    zero_len[3] = 0;
    let d = dec(LinkType::Ethernet, &eth(MAC_B, MAC_A, 0x0800, &zero_len));
    assert!(d.problem.is_some());
    assert_eq!(summary(&d, None, false), "IP bad-len 0");

    let v6_in_v4 = ipv6(Ipv6Addr::LOCALHOST, Ipv6Addr::LOCALHOST, 59, &[]);
    let d = dec(LinkType::Ethernet, &eth(MAC_B, MAC_A, 0x0800, &v6_in_v4));
    assert_eq!(
        summary(&d, None, false),
        "IP IP6, wrong link-layer encapsulation (invalid)"
    );
}

#[test]
fn arp_variants() {
    let arp = |op: u16, hrd: u16, pro: u16, hln: u8| {
        let mut a = [hrd.to_be_bytes(), pro.to_be_bytes()].concat();
        a.extend_from_slice(&[hln, 4]);
        a.extend_from_slice(&op.to_be_bytes());
        a.extend(std::iter::repeat_n(0x11, usize::from(hln)));
        a.extend_from_slice(&[10, 0, 0, 1]);
        a.extend(std::iter::repeat_n(0x22, usize::from(hln)));
        a.extend_from_slice(&[10, 0, 0, 2]);
        a
    };
    let s = |a: Vec<u8>| {
        summary(
            &dec(LinkType::Ethernet, &eth([0xff; 6], MAC_A, 0x0806, &a)),
            None,
            false,
        )
    };
    assert_eq!(
        s(arp(2, 1, 0x0800, 6)),
        "ARP, Reply 10.0.0.1 is-at 11:11:11:11:11:11, length 28"
    );
    assert_eq!(
        s(arp(1, 1, 0x0800, 6)),
        "ARP, Request who-has 10.0.0.2 (22:22:22:22:22:22) tell 10.0.0.1, length 28"
    );
    assert_eq!(
        s(arp(3, 1, 0x0800, 6)),
        "ARP, Reverse Request who-is 22:22:22:22:22:22 tell 11:11:11:11:11:11, length 28"
    );
    assert_eq!(
        s(arp(4, 1, 0x0800, 6)),
        "ARP, Reverse Reply 22:22:22:22:22:22 at 10.0.0.2, length 28"
    );
    assert_eq!(
        s(arp(1, 1, 0x0801, 6)),
        "ARP, Ethernet (len 6), Unknown Protocol (0x0801) (len 4), length 28"
    );
    assert_eq!(
        s(arp(1, 99, 0x0800, 0)),
        "ARP, Unknown Hardware (99) (len 0), IPv4 (len 4), length 16"
    );
    assert_eq!(s(arp(7, 1, 0x0800, 6)), "ARP, Unknown (7)");
    assert_eq!(s(arp(1, 1, 0x0800, 6)[..20].to_vec()), " [|arp]");
    // The RARP ethertype.
    let d = dec(
        LinkType::Ethernet,
        &eth([0xff; 6], MAC_A, 0x8035, &arp(3, 1, 0x0800, 6)),
    );
    assert_eq!(names(&d), ["Ethernet", "RARP"]);
}

#[test]
fn llc_and_snap() {
    // 802.3 with LLC/SNAP carrying IPv4 (RFC 1042), and STP.
    let ip = ipv4([10, 0, 0, 1], [10, 0, 0, 2], 17, &udp(1, 2, b"x"));
    let snap = [&[0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00][..], &ip].concat();
    let len = u16::try_from(snap.len()).unwrap_or(0);
    let d = dec(LinkType::Ethernet, &eth(MAC_B, MAC_A, len, &snap));
    assert_eq!(names(&d), ["802.3", "LLC", "IPv4", "UDP", "Payload"]);
    assert_eq!(
        ll(&d),
        "02:00:00:00:00:0a > 02:00:00:00:00:0b, 802.3, length 37: LLC, dsap SNAP (0xaa) Individual, ssap SNAP (0xaa) Command, \
         ctrl 0x03: oui Ethernet (0x000000), pid IPv4 (0x0800), length 29: 10.0.0.1.1 > 10.0.0.2.2: UDP, length 1"
    );
    let stp = [&[0x42, 0x42, 0x03][..], &[0; 35]].concat();
    let mut f = eth([0x01, 0x80, 0xc2, 0, 0, 0], MAC_A, 38, &stp);
    f.extend_from_slice(&[0; 8]); // padding
    let d = dec(LinkType::Ethernet, &f);
    assert_eq!(names(&d), ["802.3", "LLC", "STP", "Padding"]);
    assert_eq!(
        ll(&d),
        "02:00:00:00:00:0a > 01:80:c2:00:00:00, 802.3, length 38: LLC, dsap STP (0x42) Individual, ssap STP (0x42) Command, \
         ctrl 0x03: STP 802.1d, Config, Flags [none], bridge-id 0000.00:00:00:00:00:00.0000, length 35"
    );
}

#[test]
fn truncated_tcp_keeps_ports() {
    let syn = [&1234u16.to_be_bytes()[..], &80u16.to_be_bytes(), &[0; 16]].concat();
    let f = eth(
        MAC_B,
        MAC_A,
        0x0800,
        &ipv4([1, 2, 3, 4], [5, 6, 7, 8], 6, &syn),
    );
    let cut = &f[..14 + 20 + 10];
    let d = decode(
        LinkType::Ethernet,
        cut,
        u32::try_from(f.len()).unwrap_or(0),
        &DecodeOptions::default(),
    );
    assert_eq!(names(&d), ["Ethernet", "IPv4", "TCP", "Truncated"]);
    assert_eq!(
        d.problem.as_deref(),
        Some("truncated in tcp header (10 of 20 bytes captured)")
    );
    assert_eq!(
        summary(&d, None, false),
        "IP 1.2.3.4.1234 > 5.6.7.8.80:  [|tcp]"
    );
}

/// Every layer range lies inside the frame, in order of start.
fn check_ranges(d: &Decoded, len: usize) {
    for l in &d.layers {
        assert!(
            l.range.start <= l.range.end && l.range.end <= len,
            "{l:?} outside 0..{len}"
        );
    }
}

/// Decoding, both summaries and the JSON form of everything: must not panic.
fn exercise(link: LinkType, f: &[u8], wire: u32, opts: &DecodeOptions) {
    let d = decode(link, f, wire, opts);
    check_ranges(&d, f.len());
    let _ = summary(
        &d,
        Some(Timestamp {
            secs: -1,
            nanos: u32::MAX,
        }),
        true,
    );
    let _ = summary(&d, None, false);
    assert!(serde_json::to_string(&d).is_ok());
}

#[test]
fn empty_short_and_garbage_frames_do_not_panic() {
    let links = [
        LinkType::Ethernet,
        LinkType::LinuxSll,
        LinkType::LinuxSll2,
        LinkType::RawIp,
        LinkType::Ipv4,
        LinkType::Ipv6,
        LinkType::Other(147),
    ];
    let opts = DecodeOptions {
        vxlan_ports: vec![4789, 8472, 0, 65535],
        geneve_ports: vec![6081, 0, 65535],
    };
    for link in links {
        for f in [
            &[][..],
            &[0x45],
            &[0x60],
            &[0xff],
            &[0; 13],
            &[0xff; 64],
            &[0; 64],
        ] {
            for wire in [0, 1, 64, u32::MAX] {
                exercise(link, f, wire, &opts);
            }
        }
    }
    let empty = dec(LinkType::Ethernet, &[]);
    assert_eq!(
        summary(&empty, Some(Timestamp::default()), true),
        "[Invalid header: caplen==0, len==0]"
    );
    let one = dec(LinkType::Ethernet, &[0x45]);
    assert_eq!(names(&one), ["Truncated"]);
    assert_eq!(
        summary(&one, Some(Timestamp { secs: 0, nanos: 0 }), true),
        "00:00:00.000000  [|ether]"
    );

    // Every prefix of valid frames, and random corruptions of them (a fixed xorshift, so the
    // test is reproducible).
    let inner = eth(
        MAC_B,
        MAC_A,
        0x0800,
        &ipv4(
            [1, 1, 1, 1],
            [2, 2, 2, 2],
            1,
            &icmp_echo(true, 1, 2, &[9; 12]),
        ),
    );
    let seeds: Vec<(LinkType, Vec<u8>)> = vec![
        (
            LinkType::Ethernet,
            eth(
                MAC_B,
                MAC_A,
                0x0800,
                &ipv4(
                    [10, 0, 0, 1],
                    [10, 0, 0, 2],
                    17,
                    &udp(1, 4789, &vxlan(1, &inner)),
                ),
            ),
        ),
        (
            LinkType::Ethernet,
            eth(
                MAC_B,
                MAC_A,
                0x88a8,
                &[
                    tag(1, 2, 0x8100),
                    tag(3, 4, 0x86dd),
                    ipv6(
                        Ipv6Addr::LOCALHOST,
                        Ipv6Addr::LOCALHOST,
                        0,
                        &[
                            43, 2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                            0, 6, 0, 0, 0, 0, 0, 0, 0,
                        ],
                    ),
                ]
                .concat(),
            ),
        ),
        (
            LinkType::Ethernet,
            eth(
                MAC_B,
                MAC_A,
                0x0806,
                &[0, 0x13, 8, 0, 20, 0, 0, 1, 4, 20, 0, 4, 1, 2, 3],
            ),
        ),
        (
            LinkType::RawIp,
            ipv4(
                [1, 2, 3, 4],
                [5, 6, 7, 8],
                6,
                &[
                    0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x12, 0, 0, 0, 0, 0, 0, 2, 4, 5,
                    0xb4, 3, 3, 7, 5, 10, 1, 2, 3, 4, 5, 6, 7, 8, 254, 2, 8, 0, 0, 0, 0, 0, 0, 0,
                    0, 0,
                ],
            ),
        ),
        (
            LinkType::LinuxSll,
            [
                &[0, 4, 0, 1, 0, 6][..],
                &MAC_A,
                &[0, 0, 0x86, 0xdd],
                &ipv6(
                    Ipv6Addr::LOCALHOST,
                    Ipv6Addr::LOCALHOST,
                    58,
                    &[
                        143, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 0, 0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                        0, 0, 0, 0, 0x16,
                    ],
                ),
            ]
            .concat(),
        ),
    ];
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut rand = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for (link, frame) in &seeds {
        let wire = u32::try_from(frame.len()).unwrap_or(0);
        for cut in 0..=frame.len() {
            exercise(*link, &frame[..cut], wire, &opts);
        }
        for _ in 0..3000 {
            let mut f = frame.clone();
            for _ in 0..=(rand() % 4) {
                let i = usize::try_from(rand() % f.len() as u64).unwrap_or(0);
                if let Some(b) = f.get_mut(i) {
                    *b = (rand() & 0xff) as u8;
                }
            }
            let cut = usize::try_from(rand() % (f.len() as u64 + 1)).unwrap_or(0);
            let wire = u32::try_from(rand() % 70_000).unwrap_or(0);
            exercise(*link, &f[..cut], wire, &opts);
        }
    }
    // Pure noise.
    for _ in 0..5000 {
        let len = usize::try_from(rand() % 200).unwrap_or(0);
        let f: Vec<u8> = (0..len).map(|_| (rand() & 0xff) as u8).collect();
        for link in links {
            exercise(link, &f, u32::try_from(len).unwrap_or(0), &opts);
        }
    }
}

/// The detail fields are derived from the typed layers on demand, and the JSON form carries
/// them.
#[test]
fn detail_fields_and_json() {
    let tcp = [
        &[0x9c, 0x40, 0, 80][..],
        &1000u32.to_be_bytes(),
        &2000u32.to_be_bytes(),
        &[0x60, 0x12, 0xff, 0xff, 0xab, 0xcd, 0, 0],
        &[2, 4, 0x05, 0xb4],
        b"hi",
    ]
    .concat();
    let f = eth(
        MAC_B,
        MAC_A,
        0x0800,
        &ipv4([10, 0, 0, 1], [10, 0, 0, 2], 6, &tcp),
    );
    let d = dec(LinkType::Ethernet, &f);
    assert_eq!(names(&d), ["Ethernet", "IPv4", "TCP", "Payload"]);
    let pairs = |i: usize| -> Vec<(String, String)> { d.layers[i].fields() };
    let want = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    };
    assert_eq!(
        pairs(0),
        want(&[
            ("destination", "02:00:00:00:00:0b"),
            ("source", "02:00:00:00:00:0a"),
            ("type", "IPv4 (0x0800)"),
        ])
    );
    assert_eq!(
        pairs(1),
        want(&[
            ("version", "4"),
            ("header length", "20"),
            ("tos", "0x00"),
            ("total length", "46"),
            ("identification", "0x1234 (4660)"),
            ("flags", "DF"),
            ("fragment offset", "0"),
            ("ttl", "64"),
            ("protocol", "TCP (6)"),
            ("checksum", "0x0000"),
            ("source", "10.0.0.1"),
            ("destination", "10.0.0.2"),
        ])
    );
    assert_eq!(
        pairs(2),
        want(&[
            ("source port", "40000"),
            ("destination port", "80"),
            ("sequence number", "1000"),
            ("acknowledgment number", "2000"),
            ("header length", "24"),
            ("flags", "0x012 [SYN ACK]"),
            ("window", "65535"),
            ("checksum", "0xabcd"),
            ("urgent pointer", "0"),
            ("options", "mss 1460"),
            ("payload length", "2"),
        ])
    );
    assert_eq!(pairs(3), want(&[("length", "2"), ("captured", "2")]));
    let json = serde_json::to_value(&d).unwrap_or_default();
    assert_eq!(
        json["layers"][2]["fields"][5],
        serde_json::json!(["flags", "0x012 [SYN ACK]"])
    );
    assert_eq!(json["layers"][2]["name"], "TCP");
    assert_eq!(json["layers"][2]["range"]["end"], 58);
    assert_eq!(json["layers"][2]["info"]["kind"], "tcp");

    // A cut frame: the problem is stated once, and the Truncated layer says the same.
    let cut = decode(
        LinkType::Ethernet,
        &f[..40],
        u32::try_from(f.len()).unwrap_or(0),
        &DecodeOptions::default(),
    );
    assert_eq!(
        cut.problem.as_deref(),
        Some("truncated in tcp header (6 of 20 bytes captured)")
    );
    let last = cut.layers.last().map(super::Layer::fields);
    assert_eq!(
        last,
        Some(want(&[
            ("protocol", "tcp"),
            ("needed", "20"),
            ("captured", "6")
        ]))
    );
}

/// `summary_into` appends, and trims only what it appended.
#[test]
fn summary_into_appends() {
    let f = eth(
        MAC_B,
        MAC_A,
        0x0800,
        &ipv4([10, 0, 0, 1], [10, 0, 0, 2], 17, &udp(1, 2, b"x")),
    );
    let d = dec(LinkType::Ethernet, &f);
    let mut out = String::from("> ");
    crate::summary::summary_into(&mut out, &d, None, false);
    out.push('|');
    crate::summary::summary_into(
        &mut out,
        &d,
        Some(Timestamp {
            secs: 3661,
            nanos: 7000,
        }),
        false,
    );
    assert_eq!(
        out,
        "> IP 10.0.0.1.1 > 10.0.0.2.2: UDP, length 1|01:01:01.000007 IP 10.0.0.1.1 > 10.0.0.2.2: UDP, length 1"
    );
    assert_eq!(
        summary(&d, None, false),
        "IP 10.0.0.1.1 > 10.0.0.2.2: UDP, length 1"
    );
}
