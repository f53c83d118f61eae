//! The diagnosis on hosts as SREs meet them, each case planted with ip/bridge in nlt-
//! namespaces: the verdict of `trace` must agree with what `ping` sees (the kernel is the
//! oracle), and the proposed fix, run as proposed, must make ping work.

use std::process::Command;

use testns::Netns;

const BIN: &str = env!("CARGO_BIN_EXE_netlens");

fn trace(args: &[&str]) -> (i32, serde_json::Value) {
    let o = Command::new(BIN)
        .arg("trace")
        .args(args)
        .arg("--json")
        .output()
        .expect("run netlens trace");
    let v = serde_json::from_slice(&o.stdout).unwrap_or(serde_json::Value::Null);
    if v.is_null() {
        return (
            o.status.code().unwrap_or(-1),
            serde_json::json!({"stderr": String::from_utf8_lossy(&o.stderr)}),
        );
    }
    (o.status.code().unwrap_or(-1), v)
}

fn pings(from: &Netns, to: &str) -> bool {
    from.exec(&["ping", "-c", "2", "-i", "0.2", "-W", "1", to])
        .status
        .success()
}

/// Traces `from` → `to` and checks the verdict against ping: returns the trace.
fn agrees(from: &Netns, to: &str) -> serde_json::Value {
    let (code, v) = trace(&["--from", &from.name, "--to", to]);
    let ok = pings(from, to);
    assert_eq!(code == 0, ok, "trace says {code}, ping says {ok}: {v:#}");
    v
}

fn reason(v: &serde_json::Value) -> String {
    v["reason"].as_str().unwrap_or_default().to_owned()
}

/// Runs a fix as proposed: `netlens plan …` with `--apply --no-confirm`, `ip`/`bridge`
/// lines as they are.
fn apply_fix(v: &serde_json::Value) {
    let cmds: Vec<String> = v["fix"]["commands"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c.as_str().map(str::to_owned))
        .collect();
    assert!(!cmds.is_empty(), "no fix: {v:#}");
    for c in cmds {
        let mut words = shlex::split(&c).unwrap_or_else(|| panic!("{c}: not shell words"));
        if words.first().map(String::as_str) == Some("netlens") {
            BIN.clone_into(&mut words[0]);
            words.extend(["--apply".to_owned(), "--no-confirm".to_owned()]);
        }
        let refs: Vec<&str> = words.iter().map(String::as_str).collect();
        testns::run(&refs);
    }
}

#[test]
fn the_owners_link_down_is_not_reachable_until_set_up() {
    if !testns::require_root() {
        return;
    }
    let a = Netns::new("dla");
    let b = Netns::new("dlb");
    a.ip(&[
        "link", "add", "veth0", "type", "veth", "peer", "name", "eth0", "netns", &b.name,
    ]);
    a.ipw("addr add 10.61.0.1/24 dev veth0");
    b.ipw("addr add 10.61.0.2/24 dev eth0");
    a.ipw("link set veth0 up");
    b.ipw("link set eth0 up");
    agrees(&a, "10.61.0.2");
    b.ipw("link set eth0 down");
    let v = agrees(&a, "10.61.0.2");
    assert!(reason(&v).contains("is down"), "{v:#}");
    apply_fix(&v);
    let v = agrees(&a, "10.61.0.2");
    assert_eq!(v["verdict"], "reachable", "{v:#}");
}

/// One copy of the by-hand VXLAN pair: n1 and n2 on an underlay veth, vx0 (VNI 42,
/// nolearning) with static ARP and FDB entries; n2's vx0 listens on `port2`.
struct Pair {
    n1: Netns,
    n2: Netns,
}

fn vxlan_pair(tag: &str, port2: u16) -> Pair {
    let n1 = Netns::new(&format!("{tag}1"));
    let n2 = Netns::new(&format!("{tag}2"));
    n1.ip(&[
        "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", &n2.name,
    ]);
    for (n, me, port, mac) in [
        (&n1, "1", 4899, "02:00:00:00:42:01"),
        (&n2, "2", port2, "02:00:00:00:42:02"),
    ] {
        n.ipw(&format!("addr add 192.168.50.{me}/24 dev eth0"));
        n.ipw("link set eth0 up");
        n.ipw(&format!("link add vx0 type vxlan id 42 dstport {port} local 192.168.50.{me} dev eth0 nolearning"));
        n.ipw(&format!("link set vx0 address {mac}"));
        n.ipw(&format!("addr add 10.9.0.{me}/24 dev vx0"));
        n.ipw("link set vx0 up");
    }
    n1.ipw("neigh replace 10.9.0.2 lladdr 02:00:00:00:42:02 dev vx0 nud permanent");
    n2.ipw("neigh replace 10.9.0.1 lladdr 02:00:00:00:42:01 dev vx0 nud permanent");
    n1.bridgew("fdb append 02:00:00:00:42:02 dev vx0 dst 192.168.50.2");
    n2.bridgew("fdb append 02:00:00:00:42:01 dev vx0 dst 192.168.50.1");
    Pair { n1, n2 }
}

#[test]
fn addresses_repeated_in_an_isolated_copy_never_cross() {
    if !testns::require_root() {
        return;
    }
    let good = vxlan_pair("dcg", 4899);
    let bad = vxlan_pair("dcb", 4789);
    let v = agrees(&good.n1, "10.9.0.2");
    assert_eq!(v["verdict"], "reachable", "{v:#}");
    let v = agrees(&bad.n1, "10.9.0.2");
    assert!(
        reason(&v).contains("listens on UDP 4789") && reason(&v).contains(&bad.n2.name),
        "{v:#}"
    );
    let text = v.to_string();
    assert!(
        !text.contains(&good.n2.name),
        "the other copy is never on the path: {v:#}"
    );
    // --probe agrees with the verdict: exit 1, not 0.
    let (code, v) = trace(&["--from", &bad.n1.name, "--to", "10.9.0.2", "--probe"]);
    assert_eq!((code, &v["probe"]["agrees"]), (1, &true.into()), "{v:#}");
    // The doctor: no correct entry called stale; the port is named.
    for n in [&good.n1, &good.n2] {
        let o = Command::new(BIN)
            .args(["doctor", "--netns", &n.name, "--json"])
            .output()
            .expect("doctor");
        let s = String::from_utf8_lossy(&o.stdout);
        assert!(
            !s.contains("stale-neighbour") && !s.contains("vni-port-mismatch"),
            "{s}"
        );
    }
    let o = Command::new(BIN)
        .args(["doctor", "--netns", &bad.n1.name, "--json"])
        .output()
        .expect("doctor");
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(
        s.contains("vni-port-mismatch") && !s.contains("stale-neighbour"),
        "{s}"
    );
}

/// client (10.1.0.2) — router (10.1.0.1 | 10.2.0.1, forwarding) — pod (10.2.0.2).
struct Routed {
    client: Netns,
    router: Netns,
    pod: Netns,
}

fn routed(tag: &str) -> Routed {
    let client = Netns::new(&format!("{tag}c"));
    let router = Netns::new(&format!("{tag}r"));
    let pod = Netns::new(&format!("{tag}p"));
    client.ip(&[
        "link",
        "add",
        "eth0",
        "type",
        "veth",
        "peer",
        "name",
        "r1",
        "netns",
        &router.name,
    ]);
    router.ip(&[
        "link", "add", "r2", "type", "veth", "peer", "name", "eth0", "netns", &pod.name,
    ]);
    client.ipw("addr add 10.1.0.2/24 dev eth0");
    router.ipw("addr add 10.1.0.1/24 dev r1");
    router.ipw("addr add 10.2.0.1/24 dev r2");
    pod.ipw("addr add 10.2.0.2/24 dev eth0");
    for (n, d) in [
        (&client, "eth0"),
        (&router, "r1"),
        (&router, "r2"),
        (&pod, "eth0"),
    ] {
        n.ip(&["link", "set", d, "up"]);
    }
    client.ipw("route add default via 10.1.0.1");
    router.exec(&["sysctl", "-qw", "net.ipv4.ip_forward=1"]);
    Routed {
        client,
        router,
        pod,
    }
}

#[test]
fn a_pod_without_a_route_back_breaks_the_reply() {
    if !testns::require_root() {
        return;
    }
    let t = routed("drb");
    let v = agrees(&t.client, "10.2.0.2");
    assert_eq!(
        (&v["verdict"], &v["broken"]),
        (&"broken".into(), &"reply".into()),
        "{v:#}"
    );
    assert!(
        v["fix"]["commands"][0]
            .as_str()
            .unwrap_or_default()
            .contains("--via 10.2.0.1"),
        "{v:#}"
    );
    apply_fix(&v);
    let v = agrees(&t.client, "10.2.0.2");
    assert_eq!(v["verdict"], "reachable", "{v:#}");
    // Forwarding off on the router: named, and ping agrees.
    t.router.exec(&["sysctl", "-qw", "net.ipv4.ip_forward=0"]);
    let v = agrees(&t.client, "10.2.0.2");
    assert!(reason(&v).contains("does not forward"), "{v:#}");
    drop(t.pod);
}

#[test]
fn policy_rules_and_src_are_the_kernels() {
    if !testns::require_root() {
        return;
    }
    let t = routed("dpr");
    t.pod.ipw("route add default via 10.2.0.1");
    t.client.ipw("addr add 10.1.0.3/24 dev eth0");
    t.client.ipw("rule add to 10.2.0.0/16 prohibit pref 100");
    let v = agrees(&t.client, "10.2.0.2");
    let r = reason(&v);
    assert!(
        r.contains("policy rule") && r.contains("prohibit") && !r.contains("default route"),
        "{v:#}"
    );
    assert!(v["fix"].is_null(), "no default route to add: {v:#}");
    t.client.ipw("rule del pref 100");
    // --src one of the namespace's own addresses: what `ping -I` does.
    let (code, v) = trace(&[
        "--from",
        &t.client.name,
        "--to",
        "10.2.0.2",
        "--src",
        "10.1.0.3",
    ]);
    let ok = t
        .client
        .exec(&["ping", "-c", "1", "-W", "1", "-I", "10.1.0.3", "10.2.0.2"])
        .status
        .success();
    assert_eq!((code, ok), (0, true), "{v:#}");
    // Not an address of it, or of the other family: refused plainly.
    for bad in ["10.9.9.9", "fd00::1"] {
        let (code, v) = trace(&["--from", &t.client.name, "--to", "10.2.0.2", "--src", bad]);
        let err = v["stderr"].as_str().unwrap_or_default();
        assert!(
            code == 2 && err.contains("--src") && !err.contains("default route"),
            "{code} {v:#}"
        );
    }
    drop((t.router, t.pod));
}

/// node (eth0 10.0.0.5/24 to a lan at 10.0.0.1) and a bridge-mode macvlan pod 10.0.0.10.
struct Macvlan {
    _lan: Netns,
    node: Netns,
    pod: Netns,
}

fn macvlan(tag: &str) -> Macvlan {
    let lan = Netns::new(&format!("{tag}l"));
    let node = Netns::new(&format!("{tag}n"));
    let pod = Netns::new(&format!("{tag}p"));
    node.ip(&[
        "link", "add", "eth0", "type", "veth", "peer", "name", "up0", "netns", &lan.name,
    ]);
    node.ipw("addr add 10.0.0.5/24 dev eth0");
    node.ipw("link set eth0 up");
    lan.ipw("addr add 10.0.0.1/24 dev up0");
    lan.ipw("link set up0 up");
    node.ipw("link add mv0 link eth0 type macvlan mode bridge");
    node.ip(&["link", "set", "mv0", "netns", &pod.name]);
    pod.ipw("addr add 10.0.0.10/24 dev mv0");
    pod.ipw("link set mv0 up");
    Macvlan {
        _lan: lan,
        node,
        pod,
    }
}

#[test]
fn a_failed_ping_first_still_names_the_macvlan_rule_and_the_shim_fixes_it() {
    if !testns::require_root() {
        return;
    }
    let t = macvlan("dmv");
    assert!(!pings(&t.node, "10.0.0.10"));
    let v = agrees(&t.node, "10.0.0.10");
    assert!(reason(&v).contains("macvlan child of eth0"), "{v:#}");
    // The neighbour cache is read where the trace goes: the failed entry is its evidence.
    assert!(
        v["hops"].as_array().is_some_and(|h| h.iter().any(|h| {
            h["what"] == "neighbour"
                && h["found"]
                    .as_str()
                    .is_some_and(|f| f.contains("the evidence"))
        })),
        "the failed neighbour is shown as evidence: {v:#}"
    );
    let cmd = v["fix"]["commands"][0].as_str().unwrap_or_default();
    assert!(
        cmd.contains("shim --parent eth0") && !cmd.contains("FREE_IP"),
        "the address is filled in: {v:#}"
    );
    apply_fix(&v);
    let v = agrees(&t.node, "10.0.0.10");
    assert_eq!(v["verdict"], "reachable", "{v:#}");
    // The shim's link goes down and up: the kernel deletes its host routes.
    t.node.ipw("link set shim-eth0 down");
    t.node.ipw("link set shim-eth0 up");
    let out = Command::new(BIN)
        .args(["doctor", "--netns", &t.node.name, "--json"])
        .output()
        .expect("doctor");
    let found: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let finding = found
        .as_array()
        .into_iter()
        .flatten()
        .find(|x| x["check"] == "shim-missing-routes")
        .cloned()
        .unwrap_or_else(|| panic!("no shim-missing-routes: {found:#}"));
    let v = agrees(&t.node, "10.0.0.10");
    assert!(
        v["fix"]["commands"][0]
            .as_str()
            .unwrap_or_default()
            .contains("route add 10.0.0.10/32 dev shim-eth0"),
        "{v:#}"
    );
    apply_fix(&finding);
    let v = agrees(&t.node, "10.0.0.10");
    assert_eq!(v["verdict"], "reachable", "{v:#}");
    drop(t.pod);
}
