//! `netlens doctor` against faults planted with ip/bridge in nlt- namespaces: each check
//! finds its fault, is quiet once the fault is fixed, and a clean namespace has nothing.

use std::process::Command;

use testns::Netns;

const BIN: &str = env!("CARGO_BIN_EXE_netlens");

/// Runs the doctor on `ns`: the exit status and the checks found.
fn doctor(ns: &Netns) -> (i32, Vec<String>, String) {
    let o = Command::new(BIN)
        .args(["doctor", "--netns", &ns.name, "--json"])
        .output()
        .expect("run netlens doctor");
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {text} {}",
            String::from_utf8_lossy(&o.stderr)
        )
    });
    let checks = v
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["check"].as_str().map(str::to_owned))
        .collect();
    (o.status.code().unwrap_or(-1), checks, text)
}

fn has(ns: &Netns, check: &str) -> bool {
    doctor(ns).1.iter().any(|c| c == check)
}

/// node's eth0 (10.0.0.5/24, a veth whose peer is in a lan namespace) and a macvlan child
/// of it moved into a pod with 10.0.0.10/24.
struct MacvlanPod {
    _lan: Netns,
    node: Netns,
    pod: Netns,
}

fn macvlan_pod(tag: &str) -> MacvlanPod {
    let lan = Netns::new(&format!("{tag}l"));
    let node = Netns::new(&format!("{tag}n"));
    let pod = Netns::new(&format!("{tag}p"));
    node.ip(&[
        "link", "add", "eth0", "type", "veth", "peer", "name", "up0", "netns", &lan.name,
    ]);
    node.ipw("addr add 10.0.0.5/24 dev eth0");
    node.ipw("link set eth0 up");
    lan.ipw("link set up0 up");
    node.ipw("link add mv0 link eth0 type macvlan mode bridge");
    node.ip(&["link", "set", "mv0", "netns", &pod.name]);
    pod.ipw("addr add 10.0.0.10/24 dev mv0");
    pod.ipw("link set mv0 up");
    MacvlanPod {
        _lan: lan,
        node,
        pod,
    }
}

#[test]
fn a_clean_namespace_has_no_finding() {
    if !testns::require_root() {
        return;
    }
    let ns = Netns::new("dcl");
    let (code, checks, text) = doctor(&ns);
    assert_eq!((code, checks.len()), (0, 0), "{text}");
}

#[test]
fn no_shim_and_no_default_route_until_fixed() {
    if !testns::require_root() {
        return;
    }
    let t = macvlan_pod("dsh");
    let (code, checks, text) = doctor(&t.node);
    assert!(checks.contains(&"no-shim".to_owned()), "{text}");
    assert_eq!(code, 1, "warnings only: {text}");
    assert!(
        text.contains("--to 10.0.0.10"),
        "the fix names the container: {text}"
    );
    assert!(has(&t.pod, "no-default-route"));
    // The fixes.
    t.node
        .ipw("link add shim0 link eth0 type macvlan mode bridge");
    t.node.ipw("addr add 10.0.0.250/32 dev shim0");
    t.pod.ipw("route add default via 10.0.0.1");
    assert!(!has(&t.node, "no-shim"));
    assert!(!has(&t.pod, "no-default-route"));
}

#[test]
fn a_parent_down_and_a_stale_neighbour() {
    if !testns::require_root() {
        return;
    }
    let t = macvlan_pod("dpd");
    // A neighbour entry for the pod's address with a MAC the pod does not have.
    t.node
        .ipw("neigh replace 10.0.0.10 lladdr 02:de:ad:00:00:01 dev eth0 nud reachable");
    assert!(has(&t.node, "stale-neighbour"));
    t.node.ipw("link set eth0 down");
    let (code, checks, text) = doctor(&t.pod);
    assert!(checks.contains(&"parent-down".to_owned()), "{text}");
    assert_eq!(code, 2, "an error: {text}");
    t.node.ipw("link set eth0 up");
    assert!(!has(&t.pod, "parent-down"));
}

#[test]
fn one_address_twice_on_one_l2() {
    if !testns::require_root() {
        return;
    }
    let t = macvlan_pod("ddu");
    let other = Netns::new("ddu2");
    t.node
        .ipw("link add mv1 link eth0 type macvlan mode bridge");
    t.node.ip(&["link", "set", "mv1", "netns", &other.name]);
    other.ipw("addr add 10.0.0.10/24 dev mv1");
    assert!(has(&t.pod, "duplicate-address"));
    other.ipw("addr del 10.0.0.10/24 dev mv1");
    assert!(!has(&t.pod, "duplicate-address"));
}

#[test]
fn unresolved_neighbours() {
    if !testns::require_root() {
        return;
    }
    let t = macvlan_pod("dnb");
    t.node.ipw("neigh replace 10.0.0.77 dev eth0 nud failed");
    assert!(has(&t.node, "neighbour-unresolved"));
    t.node.ipw("neigh del 10.0.0.77 dev eth0");
    assert!(!has(&t.node, "neighbour-unresolved"));
}

/// vx0 (VNI 42, dstport 4789, nolearning) on node's eth0 with 10.200.0.1/24, a static ARP
/// entry for the peer 10.200.0.2 (02:00:00:00:00:02) and a route via it.
fn vxlan_node(tag: &str) -> MacvlanPod {
    let t = macvlan_pod(tag);
    t.node
        .ipw("link add vx0 type vxlan id 42 dstport 4789 local 10.0.0.5 dev eth0 nolearning");
    t.node.ipw("addr add 10.200.0.1/24 dev vx0");
    t.node.ipw("link set vx0 up");
    t.node
        .ipw("neigh replace 10.200.0.2 lladdr 02:00:00:00:00:02 dev vx0 nud permanent");
    t.node.ipw("route add 10.244.2.0/24 via 10.200.0.2 dev vx0");
    t
}

#[test]
fn vxlan_peers_without_fdb_with_a_mistyped_mac_and_without_arp() {
    if !testns::require_root() {
        return;
    }
    let t = vxlan_node("dvx");
    let bridge = |args: &str| {
        let mut v = vec!["bridge", "-n", &t.node.name];
        v.extend(args.split_whitespace());
        testns::run(&v);
    };
    assert!(has(&t.node, "vxlan-no-fdb"));
    // The FDB entry with a typo in the MAC.
    bridge("fdb append 02:00:00:00:00:20 dev vx0 dst 10.0.0.6");
    let (_, checks, text) = doctor(&t.node);
    assert!(checks.contains(&"arp-fdb-mismatch".to_owned()), "{text}");
    bridge("fdb append 02:00:00:00:00:02 dev vx0 dst 10.0.0.6");
    let (_, checks, text) = doctor(&t.node);
    assert!(
        !checks
            .iter()
            .any(|c| c == "arp-fdb-mismatch" || c == "vxlan-no-fdb"),
        "{text}"
    );
    // A route via a peer with no ARP entry.
    t.node.ipw("route add 10.244.3.0/24 via 10.200.0.3 dev vx0");
    assert!(has(&t.node, "vxlan-no-arp"));
}

#[test]
fn vxlan_ports_and_mtu() {
    if !testns::require_root() {
        return;
    }
    let t = vxlan_node("dvp");
    assert!(!has(&t.node, "vxlan-legacy-port"));
    t.node
        .ipw("link add vx1 type vxlan id 43 local 10.0.0.5 dev eth0");
    assert!(has(&t.node, "vxlan-legacy-port"));
    // The same VNI on another port, in another namespace of the host: not a fault by
    // itself (an isolated copy)...
    t.pod
        .ipw("link add vx9 type vxlan id 42 dstport 4790 local 10.0.0.10 dev mv0");
    assert!(!has(&t.node, "vni-port-mismatch"));
    // ...but once vx0 sends to it, neither hears the other. (A node reaches its pod's
    // macvlan only through a shim: the underlay must get there.)
    t.node
        .ipw("link add shim0 link eth0 type macvlan mode bridge");
    t.node.ipw("addr add 10.0.0.250/32 dev shim0");
    t.node.ipw("link set shim0 up");
    t.node.ipw("route add 10.0.0.10/32 dev shim0");
    testns::run(&[
        "bridge",
        "-n",
        &t.node.name,
        "fdb",
        "append",
        "02:00:00:00:00:02",
        "dev",
        "vx0",
        "dst",
        "10.0.0.10",
    ]);
    assert!(has(&t.node, "vni-port-mismatch"));
    // The underlay's MTU lowered under the vxlan's.
    assert!(!has(&t.node, "vxlan-mtu"));
    t.node.ipw("link set eth0 mtu 1400");
    assert!(has(&t.node, "vxlan-mtu"));
}

#[test]
fn strict_rp_filter_against_a_shims_host_routes() {
    if !testns::require_root() {
        return;
    }
    let t = macvlan_pod("drp");
    t.node
        .ipw("link add shim0 link eth0 type macvlan mode bridge");
    t.node.ipw("addr add 10.0.0.250/32 dev shim0");
    t.node.ipw("link set shim0 up");
    t.node.ipw("route add 10.0.0.10/32 dev shim0");
    let sysctl = |v: &str| {
        testns::run(&[
            "ip",
            "netns",
            "exec",
            &t.node.name,
            "sysctl",
            "-qw",
            &format!("net.ipv4.conf.all.rp_filter={v}"),
            &format!("net.ipv4.conf.eth0.rp_filter={v}"),
        ]);
    };
    sysctl("1");
    let (_, checks, text) = doctor(&t.node);
    assert!(checks.contains(&"rp-filter".to_owned()), "{text}");
    assert!(text.contains("10.0.0.10"), "{text}");
    sysctl("2");
    assert!(!has(&t.node, "rp-filter"));
}

#[test]
fn a_doctor_that_cannot_run_says_so_with_its_own_status() {
    if !testns::require_root() {
        return;
    }
    for pattern in ["nlt-no-such-namespace", "nlt-no-such-*"] {
        let o = Command::new(BIN)
            .args(["doctor", "--netns", pattern])
            .output()
            .expect("run netlens doctor");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(3), "{err}");
        assert!(err.contains(pattern), "{err}");
    }
}
