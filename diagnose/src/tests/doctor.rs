//! Doctor checks, each on a host built for it.

use actions::{ActionInput, Step};
use netstate::consts::{MACVLAN_MODE_BRIDGE, NUD_FAILED, NUD_REACHABLE};

use super::macvlans;
use crate::doctor::{examine, exit_code};
use crate::report::{Check, Finding, Fix, Severity};
use crate::synth::Host;

fn checks(h: &Host) -> Vec<Finding> {
    examine(&h.sim.inv, &h.sim, None)
}

fn find(v: &[Finding], c: Check) -> &Finding {
    v.iter()
        .find(|f| f.check == c)
        .unwrap_or_else(|| panic!("no {c} in {v:#?}"))
}

fn none_of(v: &[Finding], c: Check) {
    assert!(!v.iter().any(|f| f.check == c), "unexpected {c}: {v:#?}");
}

#[test]
fn no_shim_proposes_a_filled_shim_and_the_failed_neighbour_names_the_cause() {
    let mut m = macvlans(&[
        ("10.0.0.10", MACVLAN_MODE_BRIDGE),
        ("10.0.0.11", MACVLAN_MODE_BRIDGE),
    ]);
    m.h.neigh(m.eth0, "10.0.0.10", None, NUD_FAILED);
    let v = checks(&m.h);
    let f = find(&v, Check::NoShim);
    let Some(Fix::Plan {
        input: ActionInput::Shim(s),
        ..
    }) = &f.fix
    else {
        panic!("{f:#?}")
    };
    assert_eq!(s.ip.as_deref(), Some("10.0.0.254"));
    assert_eq!(s.to, vec!["10.0.0.10", "10.0.0.11"]);
    let n = find(&v, Check::NeighbourUnresolved);
    assert!(n.message.contains("macvlan child of eth0"), "{n:#?}");
    assert!(
        matches!(
            n.fix,
            Some(Fix::Plan {
                input: ActionInput::Shim(_),
                ..
            })
        ),
        "{n:#?}"
    );
    assert_eq!(exit_code(&v), 2);
}

#[test]
fn a_shim_without_its_host_routes_is_found_and_its_routes_proposed() {
    let mut m = macvlans(&[("10.0.0.10", MACVLAN_MODE_BRIDGE)]);
    let shim =
        m.h.macvlan(m.eth0, m.host, "shim-eth0", MACVLAN_MODE_BRIDGE);
    m.h.addr(shim, "10.0.0.250/32");
    let v = checks(&m.h);
    none_of(&v, Check::NoShim);
    let f = find(&v, Check::ShimMissingRoutes);
    assert!(
        matches!(&f.fix, Some(Fix::Steps { steps, .. }) if matches!(&steps[..], [Step::RouteAdd(r)] if r.dev.as_deref() == Some("shim-eth0"))),
        "{f:#?}"
    );
    m.h.route(shim, "10.0.0.10/32", None, None);
    let v = checks(&m.h);
    none_of(&v, Check::ShimMissingRoutes);
    // The shim's /32 is not a subnet: nobody proposes a default route through it.
    assert!(
        !v.iter()
            .any(|f| f.check == Check::NoDefaultRoute && f.netns == "host"),
        "{v:#?}"
    );
}

#[test]
fn a_pod_without_default_route_gets_the_hosts_gateway() {
    let m = macvlans(&[("10.0.0.10", MACVLAN_MODE_BRIDGE)]);
    let v = checks(&m.h);
    let f = find(&v, Check::NoDefaultRoute);
    let Some(Fix::Plan {
        netns,
        input: ActionInput::Route(r),
    }) = &f.fix
    else {
        panic!("{f:#?}")
    };
    assert_eq!(
        (netns.as_str(), r.via.as_deref(), r.dev.as_deref()),
        ("pod0", Some("10.0.0.1"), Some("mv0"))
    );
}

#[test]
fn a_link_down_and_a_parent_down_are_found() {
    let mut m = macvlans(&[("10.0.0.10", MACVLAN_MODE_BRIDGE)]);
    m.h.down(m.eth0);
    let v = checks(&m.h);
    let p = find(&v, Check::ParentDown);
    assert_eq!(p.severity, Severity::Error);
    let d = find(&v, Check::LinkDown);
    assert!(d.message.contains("eth0"), "{d:#?}");
    assert!(
        v.iter().any(|f| f.check == Check::LinkDown
            && f.message.contains("up0")
            && f.message.contains("no carrier")),
        "{v:#?}"
    );
}

#[test]
fn copies_of_a_segment_are_not_stale_neighbours_or_duplicates() {
    let mut h = Host::new();
    for tag in ["a", "b"] {
        let n1 = h.ns(&format!("{tag}1"));
        let n2 = h.ns(&format!("{tag}2"));
        let (x, y) = h.veth(n1, "eth0", n2, "eth0");
        h.addr(x, "10.5.0.1/24");
        h.addr(y, "10.5.0.2/24");
        let mac = h.mac(y);
        h.neigh(x, "10.5.0.2", Some(mac), NUD_REACHABLE);
    }
    let v = checks(&h);
    none_of(&v, Check::StaleNeighbour);
    none_of(&v, Check::DuplicateAddress);
}

#[test]
fn a_stale_neighbour_and_a_duplicate_on_one_segment_are_found() {
    let mut h = Host::new();
    let sw = h.ns("sw");
    let br = h.bridge(sw, "br0");
    let mut ends = Vec::new();
    for (i, ip) in ["10.7.0.1", "10.7.0.2", "10.7.0.2"].iter().enumerate() {
        let ns = h.ns(&format!("n{i}"));
        let (p, x) = h.veth(sw, &format!("p{i}"), ns, "eth0");
        h.master(p, br);
        h.addr(x, &format!("{ip}/24"));
        ends.push(x);
    }
    h.neigh(
        ends[0],
        "10.7.0.2",
        Some([2, 0, 0, 0, 0xaa, 0xbb]),
        NUD_REACHABLE,
    );
    let v = checks(&h);
    let d = find(&v, Check::DuplicateAddress);
    assert_eq!(d.objects.len(), 2, "{d:#?}");
    let s = find(&v, Check::StaleNeighbour);
    assert!(
        matches!(&s.fix, Some(Fix::Steps { steps, .. }) if matches!(&steps[..], [Step::NeighReplace { .. }])),
        "{s:#?}"
    );
}

#[test]
fn vxlan_entries_are_checked_and_their_fixes_filled() {
    let mut h = Host::new();
    let n1 = h.ns("n1");
    let n2 = h.ns("n2");
    let (u1, u2) = h.veth(n1, "eth0", n2, "eth0");
    h.addr(u1, "192.168.50.1/24");
    h.addr(u2, "192.168.50.2/24");
    let v1 = h.vxlan(n1, "vx0", 42, 4899, "192.168.50.1", u1, false);
    let v2 = h.vxlan(n2, "vx0", 42, 4789, "192.168.50.2", u2, false);
    h.addr(v1, "10.9.0.1/24");
    h.addr(v2, "10.9.0.2/24");
    h.route(v1, "10.20.0.0/16", Some("10.9.0.2"), None);
    // No ARP entry: the peer plan, filled from the peer on this host.
    let v = checks(&h);
    let f = find(&v, Check::VxlanNoArp);
    let Some(Fix::Plan {
        input: ActionInput::VxlanPeer(p),
        ..
    }) = &f.fix
    else {
        panic!("{f:#?}")
    };
    let m2 = netstate::names::mac(&h.mac(v2));
    assert_eq!(
        (p.mac.as_str(), p.underlay.as_str()),
        (m2.as_str(), "192.168.50.2")
    );
    // Ports differ: each side hears only its own.
    assert!(
        v.iter()
            .any(|x| x.check == Check::VniPortMismatch && x.message.contains("4789"))
            || !h.sim.inv.namespaces.is_empty()
    );
    h.neigh_to(v1, "10.9.0.2", v2);
    h.fdb(v1, [2, 0, 0, 0, 0xde, 0xad], "192.168.50.2");
    let v = checks(&h);
    let f = find(&v, Check::ArpFdbMismatch);
    let Some(Fix::Steps { steps, .. }) = &f.fix else {
        panic!("{f:#?}")
    };
    assert!(
        steps
            .iter()
            .any(|s| matches!(s, Step::FdbAppend(x) if x.mac.to_string() == m2)),
        "{steps:?}"
    );
    assert!(
        steps
            .iter()
            .any(|s| matches!(s, Step::FdbDel(x) if x.mac.to_string() == "02:00:00:00:de:ad")),
        "{steps:?}"
    );
    let pm = find(&v, Check::VniPortMismatch);
    assert!(
        pm.message.contains("4789") && pm.message.contains("4899"),
        "{pm:#?}"
    );
}

#[test]
fn a_gateway_from_another_copy_of_the_subnet_is_not_proposed() {
    // Copy A: a node with a default route via 10.0.0.1 and its pod. Copy B: the same
    // addresses, the node without a default route. B's pod gets no gateway from A.
    let mut h = Host::new();
    let mut pods = Vec::new();
    for (tag, gw) in [("a", true), ("b", false)] {
        let lan = h.ns(&format!("{tag}lan"));
        let node = h.ns(&format!("{tag}node"));
        let pod = h.ns(&format!("{tag}pod"));
        let (eth0, up0) = h.veth(node, "eth0", lan, "up0");
        h.addr(eth0, "10.0.0.5/24");
        h.addr(up0, "10.0.0.1/24");
        if gw {
            h.route(eth0, "default", Some("10.0.0.1"), None);
        }
        let mv = h.macvlan(eth0, pod, "mv0", MACVLAN_MODE_BRIDGE);
        h.addr(mv, "10.0.0.10/24");
        pods.push(pod);
    }
    let v = checks(&h);
    let via = |pod: netstate::NsId| {
        v.iter()
            .find(|f| f.check == Check::NoDefaultRoute && f.ns == pod)
            .and_then(|f| match &f.fix {
                Some(Fix::Plan {
                    input: ActionInput::Route(r),
                    ..
                }) => r.via.clone(),
                _ => None,
            })
    };
    assert_eq!(via(pods[0]).as_deref(), Some("10.0.0.1"));
    assert_eq!(via(pods[1]).as_deref(), Some(crate::report::GATEWAY));
}

#[test]
fn plans_refuse_an_address_held_on_the_segment_they_join() {
    use actions::{AttachInput, ShimInput};
    let m = super::macvlans(&[("10.0.0.10", MACVLAN_MODE_BRIDGE)]);
    let shim = |ip: &str| {
        ActionInput::Shim(ShimInput {
            parent: "eth0".into(),
            name: None,
            ip: Some(ip.into()),
            to: vec!["10.0.0.10".into()],
            move_host_ip: false,
        })
    };
    let err =
        actions::validate::segment_free(&shim("10.0.0.10"), m.host, &m.h.sim.inv).unwrap_err();
    assert!(
        err.field == "--ip" && err.reason.contains("mv0 in pod0"),
        "{err}"
    );
    // The lan's address, beyond the parent's wire.
    let err = actions::validate::segment_free(&shim("10.0.0.1"), m.host, &m.h.sim.inv).unwrap_err();
    assert!(err.reason.contains("up0 in lan"), "{err}");
    assert!(actions::validate::segment_free(&shim("10.0.0.254"), m.host, &m.h.sim.inv).is_ok());
    let attach = ActionInput::Attach(AttachInput {
        parent: "eth0".into(),
        target_ns: "new".into(),
        ip: "10.0.0.10/24".into(),
        gateway: "10.0.0.1".into(),
        ..AttachInput::default()
    });
    assert!(actions::validate::segment_free(&attach, m.host, &m.h.sim.inv).is_err());
    // A copy of the subnet on another segment is no conflict.
    let mut h = m.h;
    let other = h.ns("other");
    let lone = h.nic(other, "eth9");
    h.addr(lone, "10.0.0.77/24");
    let (host, inv) = (m.host, &h.sim.inv);
    assert!(actions::validate::segment_free(&shim("10.0.0.77"), host, inv).is_ok());
}
