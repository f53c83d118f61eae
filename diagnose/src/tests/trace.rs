//! Trace rules, each on a host built for it.

use actions::{ActionInput, Step};
use netstate::consts::{
    MACVLAN_MODE_BRIDGE, MACVLAN_MODE_PRIVATE, NUD_FAILED, NUD_REACHABLE, RTN_PROHIBIT,
    RT_TABLE_MAIN,
};
use netstate::lookup::{Rule, RuleDoes};

use super::{assert_verdict, macvlans, run, shows};
use crate::report::Fix;
use crate::synth::Host;
use crate::trace::{Direction, HopKind, Query, Status, Verdict};

fn ip(s: &str) -> std::net::IpAddr {
    s.parse().unwrap()
}

/// Two namespaces joined by a veth.
fn pair() -> (
    Host,
    netstate::NsId,
    netstate::NsId,
    netstate::l2::LinkAt,
    netstate::l2::LinkAt,
) {
    let mut h = Host::new();
    let a = h.ns("a");
    let b = h.ns("b");
    let (x, y) = h.veth(a, "veth0", b, "eth0");
    h.addr(x, "10.61.0.1/24");
    h.addr(y, "10.61.0.2/24");
    (h, a, b, x, y)
}

#[test]
fn a_peer_that_is_down_breaks_the_path_and_its_fix_sets_it_up() {
    let (mut h, a, _b, _x, y) = pair();
    assert_verdict(
        &run(&h, Query::new(a, ip("10.61.0.2"))),
        Verdict::Reachable,
        None,
    );
    h.down(y);
    let t = run(&h, Query::new(a, ip("10.61.0.2")));
    assert_verdict(&t, Verdict::Broken, Some(Direction::Forward));
    assert!(
        t.reason.contains("no carrier") && t.reason.contains("eth0 in b is down"),
        "{}",
        shows(&t)
    );
    match &t.fix {
        Some(Fix::Steps { netns, steps, .. }) => {
            assert_eq!(netns, "b");
            assert!(
                matches!(&steps[..], [Step::LinkSet(s)] if s.name == "eth0"),
                "{steps:?}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_owner_down_on_a_bridge_breaks_the_path() {
    let mut h = Host::new();
    let br_ns = h.ns("sw");
    let a = h.ns("a");
    let b = h.ns("b");
    let br = h.bridge(br_ns, "br0");
    let (pa, xa) = h.veth(br_ns, "pa", a, "eth0");
    let (pb, xb) = h.veth(br_ns, "pb", b, "eth0");
    h.master(pa, br);
    h.master(pb, br);
    h.addr(xa, "10.1.0.1/24");
    h.addr(xb, "10.1.0.2/24");
    let t = run(&h, Query::new(a, ip("10.1.0.2")));
    assert_verdict(&t, Verdict::Reachable, None);
    assert!(
        t.hops
            .iter()
            .any(|x| x.what == HopKind::L2 && x.found.contains("bridge br0")),
        "{}",
        shows(&t)
    );
    h.down(xb);
    let t = run(&h, Query::new(a, ip("10.1.0.2")));
    assert_verdict(&t, Verdict::Broken, Some(Direction::Forward));
    assert!(
        t.reason.contains("pb in sw has no carrier"),
        "{}",
        shows(&t)
    );
}

#[test]
fn host_to_its_own_macvlan_pod_is_the_shim_case_even_with_a_failed_neighbour() {
    let mut m = macvlans(&[("10.0.0.10", MACVLAN_MODE_BRIDGE)]);
    // An SRE pings first: the kernel left a FAILED entry.
    m.h.neigh(m.eth0, "10.0.0.10", None, NUD_FAILED);
    let t = run(&m.h, Query::new(m.host, ip("10.0.0.10")));
    assert_verdict(&t, Verdict::Broken, Some(Direction::Forward));
    assert!(t.reason.contains("macvlan child of eth0"), "{}", shows(&t));
    assert!(
        t.hops
            .iter()
            .any(|h| h.what == HopKind::Neighbour && h.status == Status::Note)
            || !t
                .hops
                .iter()
                .any(|h| h.what == HopKind::Neighbour && h.status == Status::Broken),
        "{}",
        shows(&t)
    );
    let Some(Fix::Plan {
        netns,
        input: ActionInput::Shim(s),
    }) = &t.fix
    else {
        panic!("{}", shows(&t));
    };
    assert_eq!((netns.as_str(), s.parent.as_str()), ("host", "eth0"));
    assert_eq!(s.to, vec!["10.0.0.10".to_owned()]);
    // The free address: none held on the segment, the top of the subnet.
    assert_eq!(s.ip.as_deref(), Some("10.0.0.254"));
    // And the other way: the pod to the host's own address.
    let t = run(&m.h, Query::new(m.pods[0].0, ip("10.0.0.5")));
    assert_verdict(&t, Verdict::Broken, Some(Direction::Forward));
    assert!(t.reason.contains("macvlan"), "{}", shows(&t));
}

#[test]
fn a_free_address_skips_held_and_answering_ones() {
    let mut m = macvlans(&[("10.0.0.254", MACVLAN_MODE_BRIDGE)]);
    m.h.sim.arp.push("10.0.0.253".parse().unwrap());
    let f = netstate::l2::Fabric::new(&m.h.sim.inv);
    assert_eq!(
        crate::fill::free_ip(&f, &m.h.sim, m.eth0),
        Some(ip("10.0.0.252"))
    );
}

#[test]
fn a_shim_makes_the_pod_reachable_and_lost_host_routes_get_their_own_fix() {
    let mut m = macvlans(&[("10.0.0.10", MACVLAN_MODE_BRIDGE)]);
    let shim =
        m.h.macvlan(m.eth0, m.host, "shim-eth0", MACVLAN_MODE_BRIDGE);
    m.h.addr(shim, "10.0.0.250/32");
    // The host routes are gone (the shim went down and up).
    let t = run(&m.h, Query::new(m.host, ip("10.0.0.10")));
    assert_verdict(&t, Verdict::Broken, Some(Direction::Forward));
    let Some(Fix::Steps { steps, .. }) = &t.fix else {
        panic!("{}", shows(&t))
    };
    assert!(
        matches!(&steps[..], [Step::RouteAdd(r)] if r.dev.as_deref() == Some("shim-eth0") && r.dst.to_string() == "10.0.0.10/32"),
        "{steps:?}"
    );
    m.h.route(shim, "10.0.0.10/32", None, None);
    let t = run(&m.h, Query::new(m.host, ip("10.0.0.10")));
    assert_verdict(&t, Verdict::Reachable, None);
}

#[test]
fn private_siblings_do_not_talk() {
    let m = macvlans(&[
        ("10.0.0.10", MACVLAN_MODE_PRIVATE),
        ("10.0.0.11", MACVLAN_MODE_BRIDGE),
    ]);
    let t = run(&m.h, Query::new(m.pods[0].0, ip("10.0.0.11")));
    assert_verdict(&t, Verdict::Broken, Some(Direction::Forward));
    assert!(t.reason.contains("private"), "{}", shows(&t));
}

/// client (10.1.0.2) — router (10.1.0.1 | 10.2.0.1) — pod (10.2.0.2).
fn routed(pod_route_back: bool, forwarding: bool) -> (Host, netstate::NsId, netstate::NsId) {
    let mut h = Host::new();
    let client = h.ns("client");
    let router = h.ns("router");
    let pod = h.ns("pod");
    let (c, r1) = h.veth(client, "eth0", router, "r1");
    let (r2, p) = h.veth(router, "r2", pod, "eth0");
    h.addr(c, "10.1.0.2/24");
    h.addr(r1, "10.1.0.1/24");
    h.addr(r2, "10.2.0.1/24");
    h.addr(p, "10.2.0.2/24");
    h.route(c, "default", Some("10.1.0.1"), None);
    if pod_route_back {
        h.route(p, "default", Some("10.2.0.1"), None);
    }
    if forwarding {
        h.router(router);
    }
    (h, client, pod)
}

#[test]
fn a_routed_path_is_traced_there_and_back() {
    let (h, client, _) = routed(true, true);
    let t = run(&h, Query::new(client, ip("10.2.0.2")));
    assert_verdict(&t, Verdict::Reachable, None);
    assert!(
        t.hops.iter().any(|x| x.direction == Direction::Reply),
        "{}",
        shows(&t)
    );
}

#[test]
fn no_route_back_breaks_the_reply() {
    let (h, client, _) = routed(false, true);
    let t = run(&h, Query::new(client, ip("10.2.0.2")));
    assert_verdict(&t, Verdict::Broken, Some(Direction::Reply));
    assert!(
        t.reason.contains("reply") && t.reason.contains("no default route"),
        "{}",
        shows(&t)
    );
    // Its gateway is filled from the model: the router's address on the pod's subnet.
    let Some(Fix::Plan {
        netns,
        input: ActionInput::Route(r),
    }) = &t.fix
    else {
        panic!("{}", shows(&t))
    };
    assert_eq!(
        (netns.as_str(), r.via.as_deref()),
        ("pod", Some("10.2.0.1"))
    );
}

#[test]
fn a_router_that_does_not_forward_is_named() {
    let (h, client, _) = routed(true, false);
    let t = run(&h, Query::new(client, ip("10.2.0.2")));
    assert_verdict(&t, Verdict::Broken, Some(Direction::Forward));
    assert!(
        t.reason.contains("does not forward") && t.reason.contains("ip_forward"),
        "{}",
        shows(&t)
    );
}

#[test]
fn a_prohibit_rule_is_named_and_no_default_route_is_proposed() {
    let (mut h, client, _) = routed(true, true);
    h.rule(
        client,
        Rule {
            family: 2,
            priority: 100,
            action: RuleDoes::Prohibit,
            table: 0,
            src: None,
            dst: Some((ip("10.2.0.0"), 16)),
            iif: None,
            oif: None,
            fwmark: None,
            ipproto: None,
            sport: None,
            dport: None,
            invert: false,
            suppress_prefixlen: None,
            goto: None,
        },
    );
    let t = run(&h, Query::new(client, ip("10.2.0.2")));
    assert_verdict(&t, Verdict::Broken, Some(Direction::Forward));
    assert!(
        t.reason.contains("policy rule") && t.reason.contains("prohibit"),
        "{}",
        shows(&t)
    );
    assert!(t.fix.is_none(), "{}", shows(&t));
}

#[test]
fn a_prohibit_route_is_named() {
    let (mut h, client, _) = routed(true, true);
    h.special_route(client, "10.2.0.0/24", RTN_PROHIBIT, RT_TABLE_MAIN);
    let t = run(&h, Query::new(client, ip("10.2.0.2")));
    assert_verdict(&t, Verdict::Broken, Some(Direction::Forward));
    assert!(t.reason.contains("prohibit route"), "{}", shows(&t));
}

#[test]
fn src_must_be_an_address_of_the_namespace_and_of_the_family() {
    let (h, client, _) = routed(true, true);
    let mut q = Query::new(client, ip("10.2.0.2"));
    q.src = Some(ip("10.1.0.2"));
    assert_verdict(&run(&h, q), Verdict::Reachable, None);
    q.src = Some(ip("10.9.9.9"));
    let e = crate::trace::trace(&h.sim.inv, &h.sim, &q)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("--src 10.9.9.9") && e.contains("10.1.0.2"),
        "{e}"
    );
    q.src = Some(ip("fd00::1"));
    let e = crate::trace::trace(&h.sim.inv, &h.sim, &q)
        .unwrap_err()
        .to_string();
    assert!(e.contains("different families"), "{e}");
}

#[test]
fn a_lan_beyond_a_nic_leaves_the_host() {
    let mut h = Host::new();
    let host = h.ns("host");
    let nic = h.nic(host, "enp1s0");
    h.addr(nic, "192.168.1.5/24");
    h.route(nic, "default", Some("192.168.1.1"), None);
    let t = run(&h, Query::new(host, ip("8.8.8.8")));
    assert_verdict(&t, Verdict::LeavesHost, None);
    assert_eq!(t.exit_code(), 0);
}

/// The by-hand VXLAN pair: node1 and node2 joined by an underlay veth, vx0 (VNI 42,
/// dstport 4899, nolearning) on each with static ARP and FDB entries.
fn vxlan_pair(h: &mut Host, tag: &str, port2: u16) -> (netstate::NsId, netstate::NsId) {
    let n1 = h.ns(&format!("{tag}1"));
    let n2 = h.ns(&format!("{tag}2"));
    let (u1, u2) = h.veth(n1, "eth0", n2, "eth0");
    h.addr(u1, "192.168.50.1/24");
    h.addr(u2, "192.168.50.2/24");
    let v1 = h.vxlan(n1, "vx0", 42, 4899, "192.168.50.1", u1, false);
    let v2 = h.vxlan(n2, "vx0", 42, port2, "192.168.50.2", u2, false);
    h.addr(v1, "10.9.0.1/24");
    h.addr(v2, "10.9.0.2/24");
    h.neigh_to(v1, "10.9.0.2", v2);
    h.neigh_to(v2, "10.9.0.1", v1);
    let (m1, m2) = (h.mac(v1), h.mac(v2));
    h.fdb(v1, m2, "192.168.50.2");
    h.fdb(v2, m1, "192.168.50.1");
    (n1, n2)
}

#[test]
fn repeated_addresses_in_isolated_copies_never_cross() {
    let mut h = Host::new();
    let (good1, _) = vxlan_pair(&mut h, "good", 4899);
    let (bad1, _) = vxlan_pair(&mut h, "bad", 4789);
    let t = run(&h, Query::new(good1, ip("10.9.0.2")));
    assert_verdict(&t, Verdict::Reachable, None);
    assert!(
        t.hops.iter().all(|x| !x.netns.starts_with("bad")),
        "{}",
        shows(&t)
    );
    let t = run(&h, Query::new(bad1, ip("10.9.0.2")));
    assert_verdict(&t, Verdict::Broken, Some(Direction::Forward));
    assert!(
        t.reason.contains("listens on UDP 4789") && t.reason.contains("bad2"),
        "{}",
        shows(&t)
    );
    assert!(
        t.hops.iter().all(|x| !x.netns.starts_with("good")),
        "{}",
        shows(&t)
    );
}

#[test]
fn a_vxlan_without_its_fdb_entry_gets_the_entry_toward_the_peer() {
    let mut h = Host::new();
    let (n1, _) = vxlan_pair(&mut h, "n", 4899);
    // A typo in the FDB entry's MAC.
    let e = h
        .sim
        .inv
        .namespaces
        .iter_mut()
        .find(|e| e.info.id == n1)
        .unwrap();
    let (k, mut entry) = e
        .state
        .fdb
        .iter()
        .next()
        .map(|(k, v)| (k.clone(), v.clone()))
        .unwrap();
    e.state.fdb.remove(&k);
    entry.mac = vec![2, 0, 0, 0, 0xde, 0xad];
    e.state.fdb.insert(entry.key(), entry);
    let t = run(&h, Query::new(n1, ip("10.9.0.2")));
    assert_verdict(&t, Verdict::Broken, Some(Direction::Forward));
    let Some(Fix::Steps { steps, .. }) = &t.fix else {
        panic!("{}", shows(&t))
    };
    assert!(
        matches!(&steps[0], Step::FdbAppend(f) if f.dst == Some(ip("192.168.50.2"))),
        "{steps:?}"
    );
    assert!(
        steps
            .iter()
            .any(|s| matches!(s, Step::FdbDel(f) if f.mac.to_string() == "02:00:00:00:de:ad")),
        "{steps:?}"
    );
}

#[test]
fn a_wrong_static_neighbour_mac_breaks_and_is_replaced() {
    let (mut h, a, _b, x, _y) = pair();
    h.neigh(
        x,
        "10.61.0.2",
        Some([2, 0, 0, 0, 0xbe, 0xef]),
        NUD_REACHABLE,
    );
    let t = run(&h, Query::new(a, ip("10.61.0.2")));
    assert_verdict(&t, Verdict::Broken, Some(Direction::Forward));
    assert!(
        matches!(&t.fix, Some(Fix::Steps { steps, .. }) if matches!(&steps[..], [Step::NeighReplace { .. }])),
        "{}",
        shows(&t)
    );
}

#[test]
fn the_probe_disagreeing_changes_the_exit_status() {
    let (h, a, _b, _x, _y) = pair();
    let mut t = run(&h, Query::new(a, ip("10.61.0.2")));
    t.set_probe(false, None);
    assert_eq!(t.exit_code(), 3);
    t.set_probe(true, Some(0.1));
    assert_eq!(t.exit_code(), 0);
}
