//! `netlens trace` on topologies built with ip/bridge in nlt- namespaces: each verdict
//! (reachable, the shim case, no default route, private siblings, vxlan without FDB), the
//! fix where there is one, and route hops that agree with `ip route get`.

use std::process::Command;

use testns::Netns;

const BIN: &str = env!("CARGO_BIN_EXE_netlens");

/// The fix's commands, as one line.
fn fix_line(v: &serde_json::Value) -> String {
    v["fix"]["commands"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

fn trace(from: &Netns, to: &str) -> (i32, serde_json::Value) {
    let o = Command::new(BIN)
        .args(["trace", "--from", &from.name, "--to", to, "--json"])
        .output()
        .expect("run netlens trace");
    let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {} {}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    });
    (o.status.code().unwrap_or(-1), v)
}

/// A lan (up0 10.0.0.1), a node (eth0 10.0.0.5, veth to the lan) and macvlan children of
/// eth0 moved into pods: (name, address, mode).
struct Topo {
    lan: Netns,
    node: Netns,
    pods: Vec<Netns>,
}

fn topo(tag: &str, pods: &[(&str, &str)]) -> Topo {
    let lan = Netns::new(&format!("{tag}l"));
    let node = Netns::new(&format!("{tag}n"));
    node.ip(&[
        "link", "add", "eth0", "type", "veth", "peer", "name", "up0", "netns", &lan.name,
    ]);
    node.ipw("addr add 10.0.0.5/24 dev eth0");
    node.ipw("link set eth0 up");
    lan.ipw("addr add 10.0.0.1/24 dev up0");
    lan.ipw("link set up0 up");
    let mut v = Vec::new();
    for (i, (ip, mode)) in pods.iter().enumerate() {
        let pod = Netns::new(&format!("{tag}p{i}"));
        node.ipw(&format!(
            "link add mv{i} link eth0 type macvlan mode {mode}"
        ));
        node.ip(&["link", "set", &format!("mv{i}"), "netns", &pod.name]);
        pod.ipw(&format!("addr add {ip}/24 dev mv{i}"));
        pod.ipw(&format!("link set mv{i} up"));
        v.push(pod);
    }
    Topo { lan, node, pods: v }
}

#[test]
fn siblings_reach_each_other_and_the_route_hop_is_the_kernels() {
    if !testns::require_root() {
        return;
    }
    let t = topo("tsb", &[("10.0.0.10", "bridge"), ("10.0.0.11", "bridge")]);
    let (code, v) = trace(&t.pods[0], "10.0.0.11");
    assert_eq!(
        (code, &v["reachable"]),
        (0, &serde_json::Value::Bool(true)),
        "{v:#}"
    );
    let got = t.pods[0].ip_json(&["route", "get", "10.0.0.11"]);
    let first = v["hops"][0]["found"].as_str().unwrap_or_default();
    for key in ["dev", "prefsrc"] {
        let want = got[0][key].as_str().unwrap_or("?");
        assert!(
            first.contains(want),
            "hop {first:?} lacks {key} {want} of ip route get"
        );
    }
    // And the lan beyond the parent.
    assert_eq!(trace(&t.pods[0], "10.0.0.1").0, 0);
}

#[test]
fn the_node_cannot_reach_its_pod_until_it_has_a_shim() {
    if !testns::require_root() {
        return;
    }
    let t = topo("tsh", &[("10.0.0.10", "bridge")]);
    let (code, v) = trace(&t.node, "10.0.0.10");
    assert_eq!(code, 1, "{v:#}");
    let reason = v["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("shim") && reason.contains("parent"),
        "{reason}"
    );
    let fix = fix_line(&v);
    let fix = fix.as_str();
    assert!(
        fix.contains("shim --parent eth0") && fix.contains("--to 10.0.0.10"),
        "{fix}"
    );
    // The pod cannot reach the node's own address either.
    assert_eq!(trace(&t.pods[0], "10.0.0.5").0, 1);
    // The shim, as `netlens plan shim` makes it.
    t.node
        .ipw("link add shim0 link eth0 type macvlan mode bridge");
    t.node.ipw("addr add 10.0.0.250/32 dev shim0");
    t.node.ipw("link set shim0 up");
    t.node.ipw("route add 10.0.0.10/32 dev shim0");
    let (code, v) = trace(&t.node, "10.0.0.10");
    assert_eq!(code, 0, "{v:#}");
}

#[test]
fn no_default_route_and_private_siblings() {
    if !testns::require_root() {
        return;
    }
    let t = topo("tdr", &[("10.0.0.10", "bridge"), ("10.0.0.11", "private")]);
    let (code, v) = trace(&t.pods[0], "192.0.2.7");
    assert_eq!(code, 1, "{v:#}");
    assert!(
        v["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("no default route"),
        "{v:#}"
    );
    // Nothing on the segment routes (the node has no default route itself): the gateway
    // is left for the user to fill.
    assert!(
        fix_line(&v).contains("route --dst default --via GATEWAY --dev mv0"),
        "{v:#}"
    );
    t.node.ipw("route add default via 10.0.0.1");
    let (_, v) = trace(&t.pods[0], "192.0.2.7");
    assert!(
        fix_line(&v).contains("route --dst default --via 10.0.0.1 --dev mv0"),
        "the gateway the node uses on the pod's segment: {v:#}"
    );
    let (code, v) = trace(&t.pods[0], "10.0.0.11");
    assert_eq!(code, 1, "{v:#}");
    assert!(
        v["reason"].as_str().unwrap_or_default().contains("private"),
        "{v:#}"
    );
    drop(t.lan);
}

#[test]
fn vxlan_without_an_fdb_entry_sends_nowhere() {
    if !testns::require_root() {
        return;
    }
    let t = topo("tvx", &[]);
    t.node
        .ipw("link add vx0 type vxlan id 42 dstport 4789 local 10.0.0.5 dev eth0 nolearning");
    t.node.ipw("addr add 10.200.0.1/24 dev vx0");
    t.node.ipw("link set vx0 up");
    t.node
        .ipw("neigh replace 10.200.0.2 lladdr 02:00:00:00:00:02 dev vx0 nud permanent");
    t.node.ipw("route add 10.244.2.0/24 via 10.200.0.2 dev vx0");
    let (code, v) = trace(&t.node, "10.244.2.7");
    assert_eq!(code, 1, "{v:#}");
    assert!(
        v["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("no FDB entry"),
        "{v:#}"
    );
    assert!(
        fix_line(&v).contains("fdb append 02:00:00:00:00:02"),
        "{v:#}"
    );
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
        "10.0.0.6",
    ]);
    // The FDB now names the VTEP, but nobody on the underlay's segment (the lan
    // namespace, a dead end) holds 10.0.0.6: the kernel's ARP for it goes unanswered.
    let (code, v) = trace(&t.node, "10.244.2.7");
    assert_eq!(code, 1, "{v:#}");
    let reason = v["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("VTEP 10.0.0.6") && reason.contains("holds 10.0.0.6"),
        "{v:#}"
    );
    // A VTEP there: the lan namespace takes the address and a vxlan of VNI 42 on 4789.
    t.lan.ipw("addr add 10.0.0.6/24 dev up0");
    t.lan
        .ipw("link add vx0 type vxlan id 42 dstport 4789 local 10.0.0.6 dev up0 nolearning");
    t.lan.ipw("link set vx0 address 02:00:00:00:00:02");
    t.lan.ipw("addr add 10.200.0.2/24 dev vx0");
    t.lan.ipw("link set vx0 up");
    let (code, v) = trace(&t.node, "10.200.0.2");
    assert_eq!(
        code, 1,
        "the reply has no ARP entry for 10.200.0.1 (nolearning): {v:#}"
    );
    assert_eq!(v["broken"], "reply", "{v:#}");
    let mac = t.node.ip_json(&["link", "show", "vx0"])[0]["address"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    t.lan.ipw(&format!(
        "neigh replace 10.200.0.1 lladdr {mac} dev vx0 nud permanent"
    ));
    testns::run(&[
        "bridge",
        "-n",
        &t.lan.name,
        "fdb",
        "append",
        &mac,
        "dev",
        "vx0",
        "dst",
        "10.0.0.5",
    ]);
    let (code, v) = trace(&t.node, "10.200.0.2");
    assert_eq!(code, 0, "{v:#}");
    assert!(
        t.node
            .exec(&["ping", "-c", "1", "-W", "2", "10.200.0.2"])
            .status
            .success(),
        "the kernel agrees"
    );
}

#[test]
fn the_protocol_and_port_reach_policy_rules_as_ip_route_get() {
    if !testns::require_root() {
        return;
    }
    let t = topo("tpr", &[]);
    t.node.ipw("rule add ipproto tcp dport 443 table 100");
    t.node.ipw("route add default via 10.0.0.1 table 100");
    for flow in [&[][..], &["tcp", "443"][..], &["udp", "53"][..]] {
        let mut ours = vec![
            "trace",
            "--from",
            &t.node.name,
            "--to",
            "192.0.2.1",
            "--json",
        ];
        let mut theirs = vec!["ip", "-n", &t.node.name, "-j", "route", "get", "192.0.2.1"];
        if let [p, port] = flow {
            ours.extend(["--proto", p, "--port", port]);
            theirs.extend(["ipproto", p, "dport", port]);
        }
        let o = Command::new(BIN).args(&ours).output().expect("run");
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
        let hop = &v["hops"][0];
        let ip = testns::output(&theirs);
        if ip.status.success() {
            let r: serde_json::Value = serde_json::from_slice(&ip.stdout).expect("ip -j");
            let via = r[0]["gateway"].as_str().unwrap_or("");
            assert_eq!(hop["status"], "ok", "{flow:?}: {v:#}");
            assert!(
                hop["found"].as_str().unwrap_or("").contains(via),
                "{flow:?}: {v:#} vs {r}"
            );
        } else {
            assert_eq!(
                hop["status"], "broken",
                "{flow:?}: ip route get failed, the trace did not: {v:#}"
            );
        }
    }
}

#[test]
fn probe_confirms_the_verdict_with_a_real_echo() {
    if !testns::require_root() {
        return;
    }
    let t = topo("tpb", &[("10.0.0.10", "bridge"), ("10.0.0.11", "bridge")]);
    let run = |from: &Netns, to: &str| {
        let o = Command::new(BIN)
            .args([
                "trace", "--from", &from.name, "--to", to, "--probe", "--json",
            ])
            .output()
            .expect("run");
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
        v
    };
    let v = run(&t.pods[0], "10.0.0.11");
    assert_eq!(
        (&v["reachable"], &v["probe"]["reply"], &v["probe"]["agrees"]),
        (&true.into(), &true.into(), &true.into()),
        "{v:#}"
    );
    let c = captured(&v);
    assert!(
        c.len() == 2
            && c[0].starts_with("on mv0:")
            && c[1].starts_with("on mv1:")
            && c[0].ends_with("echo request seen, echo reply seen"),
        "{v:#}"
    );
    // The shim case: the kernel agrees, no reply: the node asks eth0's segment who has
    // the pod's address, and nobody answers (the macvlan child never hears its parent).
    let v = run(&t.node, "10.0.0.10");
    assert_eq!(
        (&v["reachable"], &v["probe"]["reply"], &v["probe"]["agrees"]),
        (&false.into(), &false.into(), &true.into()),
        "{v:#}"
    );
    let c = captured(&v);
    assert!(
        c.len() == 1
            && c[0].starts_with("on eth0: ARP/ND requests")
            && c[0].contains("(unanswered)")
            && c[0].ends_with("echo request not seen, echo reply not seen"),
        "{v:#}"
    );
}

/// The `capture` hops of a trace.
fn captured(v: &serde_json::Value) -> Vec<String> {
    v["hops"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|h| h["what"] == "capture")
        .filter_map(|h| h["found"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn a_bridge_forwards_by_its_fdb_and_a_vxlan_reaches_its_vtep_by_the_underlay() {
    if !testns::require_root() {
        return;
    }
    let node = Netns::new("tbrn");
    let pod = Netns::new("tbrp");
    node.ipw("link add br0 type bridge");
    node.ipw("addr add 10.5.0.1/24 dev br0");
    node.ipw("link set br0 up");
    node.ip(&[
        "link", "add", "p1", "type", "veth", "peer", "name", "q1", "netns", &pod.name,
    ]);
    node.ipw("link set p1 master br0");
    node.ipw("link set p1 up");
    pod.ipw("addr add 10.5.0.2/24 dev q1");
    pod.ipw("link set q1 up");
    let bridge_hop = |v: &serde_json::Value| {
        v["hops"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|h| {
                h["what"] == "l2" && h["found"].as_str().is_some_and(|f| f.starts_with("br0:"))
            })
            .and_then(|h| h["found"].as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    let (code, v) = trace(&node, "10.5.0.2");
    assert_eq!(code, 0, "{v:#}");
    assert!(bridge_hop(&v).contains("floods"), "{v:#}");
    assert!(node
        .exec(&["ping", "-c", "1", "-W", "2", "10.5.0.2"])
        .status
        .success());
    let (_, v) = trace(&node, "10.5.0.2");
    assert!(bridge_hop(&v).contains("is on port p1"), "{v:#}");
    // A vxlan's VTEP, reached by the underlay route.
    let t = topo("tbu", &[]);
    t.node
        .ipw("link add vx0 type vxlan id 42 dstport 4789 local 10.0.0.5 dev eth0 nolearning");
    t.node.ipw("addr add 10.200.0.1/24 dev vx0");
    t.node.ipw("link set vx0 up");
    t.node
        .ipw("neigh replace 10.200.0.2 lladdr 02:00:00:00:00:02 dev vx0 nud permanent");
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
        "10.0.0.6",
    ]);
    let (_, v) = trace(&t.node, "10.200.0.2");
    let underlay = v["hops"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|h| {
            h["found"]
                .as_str()
                .is_some_and(|f| f.starts_with("underlay:") && f.contains("dev"))
        })
        .and_then(|h| h["found"].as_str().map(str::to_owned))
        .unwrap_or_default();
    assert!(
        underlay.contains("10.0.0.6") && underlay.contains("dev eth0"),
        "{v:#}"
    );
}
