//! Live capture against the real kernel, in test namespaces: ping and ARP with a BPF filter,
//! VXLAN between two namespaces with its inner ICMP, and 802.1Q/QinQ frames injected with a
//! raw packet socket (this kernel has no 8021q devices, but tagged frames cross a veth).

use std::time::{Duration, Instant};

use capture::decode::DecodeOptions;
use capture::source::{Captured, Live, LiveOptions};
use capture::summary::summary;
use testns::Pair;

fn start(ns: &str, iface: &str, filter: &str) -> Live {
    let info = netstate::netns::find(ns).expect("test namespace");
    Live::start(LiveOptions {
        iface: iface.into(),
        netns: Some(info),
        filter: filter.into(),
        decode: DecodeOptions::default(),
        ..LiveOptions::default()
    })
    .expect("start capture")
}

/// Collects packets until `done` says so or 5 s pass; each line holds the plain summary and
/// the -e one (tcpdump drops the "IP" word when -e prints the ethertype).
fn collect(live: &Live, done: impl Fn(&[String]) -> bool) -> (Vec<String>, Vec<Captured>) {
    let deadline = Instant::now() + Duration::from_secs(5);
    let (mut lines, mut pkts) = (Vec::new(), Vec::new());
    while Instant::now() < deadline && !done(&lines) {
        if let Ok(c) = live.rx.recv_timeout(Duration::from_millis(100)) {
            lines.push(format!(
                "{} || {}",
                summary(&c.decoded, Some(c.ts), false),
                summary(&c.decoded, Some(c.ts), true)
            ));
            pkts.push(c);
        }
    }
    (lines, pkts)
}

fn any(lines: &[String], needles: &[&str]) -> bool {
    lines.iter().any(|l| needles.iter().all(|n| l.contains(n)))
}

#[test]
fn ping_and_arp_with_a_bpf_filter() {
    if !testns::require_root() {
        return;
    }
    let p = Pair::new("cap");
    let mut live = start(&p.a.name, "va", "icmp or arp");
    // Let the filter be installed before the traffic.
    std::thread::sleep(Duration::from_millis(200));
    let out =
        p.a.exec(&["ping", "-c", "2", "-i", "0.2", "-W", "2", "10.1.0.2"]);
    assert!(out.status.success(), "ping failed");
    // A UDP packet the filter must keep out.
    let _ = p.a.exec(&[
        "sh",
        "-c",
        "echo x > /dev/udp/10.1.0.2/9 2>/dev/null || true",
    ]);
    let (lines, _) = collect(&live, |l| any(l, &["ICMP echo reply"]) && l.len() >= 4);
    live.stop().expect("stop");
    assert!(
        any(
            &lines,
            &["ARP", "Request who-has 10.1.0.2", "tell 10.1.0.1"]
        ),
        "no ARP request: {lines:#?}"
    );
    assert!(
        any(&lines, &["ARP", "Reply 10.1.0.2 is-at"]),
        "no ARP reply: {lines:#?}"
    );
    assert!(
        any(&lines, &["IP 10.1.0.1 > 10.1.0.2: ICMP echo request"]),
        "no echo request: {lines:#?}"
    );
    assert!(
        any(&lines, &["IP 10.1.0.2 > 10.1.0.1: ICMP echo reply"]),
        "no echo reply: {lines:#?}"
    );
    assert!(
        !lines.iter().any(|l| l.contains("UDP")),
        "the filter let UDP through: {lines:#?}"
    );
    let v = live.counters.values();
    assert!(v.packets >= 4, "{v:?}");
    assert_eq!(v.our_dropped, 0);
}

#[test]
fn vxlan_between_two_namespaces_decodes_the_inner_icmp() {
    if !testns::require_root() {
        return;
    }
    let p = Pair::new("vxc");
    for (ns, dev, local, remote, overlay) in [
        (&p.a, "va", "10.1.0.1", "10.1.0.2", "10.42.0.1/24"),
        (&p.b, "vb", "10.1.0.2", "10.1.0.1", "10.42.0.2/24"),
    ] {
        ns.ip(&[
            "link", "add", "vx0", "type", "vxlan", "id", "42", "dstport", "4789", "local", local,
            "remote", remote, "dev", dev,
        ]);
        ns.ip(&["addr", "add", overlay, "dev", "vx0"]);
        ns.ip(&["link", "set", "vx0", "up"]);
    }
    let mut live = start(&p.a.name, "va", "udp port 4789");
    std::thread::sleep(Duration::from_millis(200));
    let out =
        p.a.exec(&["ping", "-c", "2", "-i", "0.2", "-W", "2", "10.42.0.2"]);
    assert!(out.status.success(), "ping over the overlay failed");
    let (lines, _) = collect(&live, |l| any(l, &["VXLAN", "ICMP echo reply"]));
    live.stop().expect("stop");
    assert!(
        any(
            &lines,
            &[
                "10.1.0.1",
                "10.1.0.2",
                "VXLAN",
                "vni 42",
                "IP 10.42.0.1 > 10.42.0.2: ICMP echo request"
            ]
        ),
        "no decoded VXLAN echo request: {lines:#?}"
    );
    assert!(
        any(
            &lines,
            &[
                "VXLAN",
                "vni 42",
                "IP 10.42.0.2 > 10.42.0.1: ICMP echo reply"
            ]
        ),
        "{lines:#?}"
    );
}

/// Sends raw frames out of `iface` in namespace `ns` through a packet socket (pcap inject).
fn inject(ns: &str, iface: &str, frames: Vec<Vec<u8>>) {
    let info = netstate::netns::find(ns).expect("ns");
    let iface = iface.to_owned();
    netstate::netns::run_in(&info, move || {
        let mut cap = pcap::Capture::from_device(iface.as_str())
            .and_then(pcap::Capture::open)
            .expect("open for inject");
        for f in &frames {
            cap.sendpacket(f.as_slice()).expect("inject frame");
        }
        Ok(())
    })
    .expect("inject in namespace");
}

fn tagged(tags: &[(u16, u16)], inner_type: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0xff; 6];
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x99]);
    for (tpid, vid) in tags {
        f.extend_from_slice(&tpid.to_be_bytes());
        f.extend_from_slice(&vid.to_be_bytes());
    }
    f.extend_from_slice(&inner_type.to_be_bytes());
    f.extend_from_slice(payload);
    f.resize(f.len().max(60), 0);
    f
}

fn arp_request() -> Vec<u8> {
    let mut a = vec![0, 1, 8, 0, 6, 4, 0, 1];
    a.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x99, 10, 9, 0, 1]);
    a.extend_from_slice(&[0, 0, 0, 0, 0, 0, 10, 9, 0, 2]);
    a
}

#[test]
fn vlan_and_qinq_tagged_frames_cross_a_veth_and_decode_with_their_tags() {
    if !testns::require_root() {
        return;
    }
    let p = Pair::new("vlan");
    let mut live = start(&p.a.name, "va", "");
    std::thread::sleep(Duration::from_millis(200));
    let arp = arp_request();
    inject(
        &p.b.name,
        "vb",
        vec![
            tagged(&[(0x8100, 100)], 0x0806, &arp),
            tagged(&[(0x88a8, 200), (0x8100, 2001)], 0x0806, &arp),
        ],
    );
    let (lines, _) = collect(&live, |l| any(l, &["vlan 200"]) && any(l, &["vlan 100"]));
    live.stop().expect("stop");
    assert!(
        any(
            &lines,
            &[
                "802.1Q",
                "vlan 100",
                "Request who-has 10.9.0.2 tell 10.9.0.1"
            ]
        ),
        "{lines:#?}"
    );
    assert!(
        any(
            &lines,
            &[
                "802.1Q-QinQ",
                "vlan 200",
                "vlan 2001",
                "Request who-has 10.9.0.2"
            ]
        ),
        "{lines:#?}"
    );
}

#[test]
fn a_missing_interface_is_named() {
    if !testns::require_root() {
        return;
    }
    let p = Pair::new("noif");
    let info = netstate::netns::find(&p.a.name).expect("ns");
    let err = Live::start(LiveOptions {
        iface: "nosuch0".into(),
        netns: Some(info),
        ..LiveOptions::default()
    })
    .err()
    .expect("capturing on a missing interface fails");
    let msg = err.to_string();
    assert!(msg.contains("nosuch0") && msg.contains(&p.a.name), "{msg}");
}

/// A capture on a VLAN sub-interface sees the frames untagged; one on its parent sees the
/// same frames with their 802.1Q tag (vlan 100), and the inner ICMP decoded.
#[test]
#[ignore = "needs the kernel's 8021q (this machine's kernel lacks it): ./scripts/test-kernels runs it"]
fn vlan_capture_on_the_sub_interface_and_its_parent() {
    if !testns::require_root() {
        return;
    }
    let p = Pair::new("cvl");
    p.a.ip(&[
        "link", "add", "link", "va", "name", "va.100", "type", "vlan", "id", "100",
    ]);
    p.b.ip(&[
        "link", "add", "link", "vb", "name", "vb.100", "type", "vlan", "id", "100",
    ]);
    p.a.ip(&["addr", "add", "10.100.0.1/24", "dev", "va.100"]);
    p.b.ip(&["addr", "add", "10.100.0.2/24", "dev", "vb.100"]);
    p.a.ip(&["link", "set", "va.100", "up"]);
    p.b.ip(&["link", "set", "vb.100", "up"]);
    let sub = start(&p.a.name, "va.100", "icmp");
    let parent = start(&p.a.name, "va", "vlan 100 and icmp");
    std::thread::sleep(Duration::from_millis(200));
    let out =
        p.a.exec(&["ping", "-c", "2", "-i", "0.2", "-W", "2", "10.100.0.2"]);
    assert!(out.status.success(), "ping across VLAN 100 failed");
    let (lines, _) = collect(&sub, |l| l.len() >= 2);
    assert!(
        any(&lines, &["10.100.0.1 > 10.100.0.2: ICMP echo request"]),
        "{lines:#?}"
    );
    assert!(
        lines.iter().all(|l| !l.contains("vlan 100")),
        "the sub-interface shows frames untagged: {lines:#?}"
    );
    let (lines, _) = collect(&parent, |l| l.len() >= 2);
    assert!(
        any(
            &lines,
            &["vlan 100", "10.100.0.1 > 10.100.0.2: ICMP echo request"]
        ),
        "the parent sees the tag and the inner ICMP: {lines:#?}"
    );
}
