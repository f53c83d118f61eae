//! Plans against the real kernel, in test namespaces: the twin oracle (netlink apply in one
//! set of namespaces, the exported script with real ip/bridge in a twin), rollback from a
//! failure at every step, connectivity, the missing-8021q message and shell quoting.

use std::collections::BTreeSet;
use std::process::Command;

use actions::netlink::NetlinkApplier;
use actions::{apply_plan, AddrSpec, Apply, KernelSupport, NsView, Plan, Step};
use serde_json::Value;
use testns::Netns;

fn state(ns: &str) -> netstate::NsState {
    let info = netstate::netns::find(ns).expect("namespace");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(netstate::live::snapshot(&info)).expect("dump")
}

fn s(v: &Value) -> String {
    match v {
        Value::String(x) => x.clone(),
        Value::Null => "-".into(),
        x => x.to_string(),
    }
}

/// The namespace's state as iproute2 shows it, without what differs between twins by
/// nature (ifindexes, random MACs and what derives from them, counters, timers).
fn normalized(ns: &Netns) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let links = ns.ip_json(&["-d", "link", "show"]);
    for l in links.as_array().into_iter().flatten() {
        let info = &l["linkinfo"];
        let data = &info["info_data"];
        out.insert(format!(
            "link {} mtu={} flags={} master={} link={} kind={} mode={} id={} protocol={} port={} learning={} local={} dev={} slave={}",
            s(&l["ifname"]),
            s(&l["mtu"]),
            s(&l["flags"]),
            s(&l["master"]),
            s(&l["link"]),
            s(&info["info_kind"]),
            s(&data["mode"]),
            s(&data["id"]),
            s(&data["protocol"]),
            s(&data["port"]),
            s(&data["learning"]),
            s(&data["local"]),
            s(&data["link"]),
            s(&info["info_slave_kind"]),
        ));
    }
    for l in ns.ip_json(&["addr"]).as_array().into_iter().flatten() {
        // The order matters: the first address of a subnet is its primary, the source
        // `ip route get` picks.
        let order: Vec<String> = l["addr_info"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| s(&a["local"]))
            .filter(|a| !a.starts_with("fe80"))
            .collect();
        out.insert(format!(
            "addr-order {} {}",
            s(&l["ifname"]),
            order.join(",")
        ));
        for a in l["addr_info"].as_array().into_iter().flatten() {
            if s(&a["local"]).starts_with("fe80") {
                continue;
            }
            out.insert(format!(
                "addr {} {}/{} {} brd={} label={} noprefixroute={}",
                s(&l["ifname"]),
                s(&a["local"]),
                s(&a["prefixlen"]),
                s(&a["scope"]),
                s(&a["broadcast"]),
                s(&a["label"]),
                a.get("noprefixroute").is_some()
            ));
        }
    }
    for r in ns
        .ip_json(&["route", "show", "table", "all"])
        .as_array()
        .into_iter()
        .flatten()
    {
        if s(&r["dst"]).starts_with("fe80") {
            continue;
        }
        out.insert(format!(
            "route {} {} via={} dev={} table={} proto={} scope={} metric={}",
            s(&r["type"]),
            s(&r["dst"]),
            s(&r["gateway"]),
            s(&r["dev"]),
            s(&r["table"]),
            s(&r["protocol"]),
            s(&r["scope"]),
            s(&r["metric"])
        ));
    }
    // What the kernel would pick to reach a few destinations (the source address follows
    // the address order).
    for dst in ["10.0.0.1", "10.0.0.50", "10.200.0.2"] {
        let o = testns::output(&["ip", "-n", &ns.name, "-j", "route", "get", dst]);
        let v: Value = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
        out.insert(format!(
            "route-get {dst} dev={} src={} via={}",
            s(&v[0]["dev"]),
            s(&v[0]["prefsrc"]),
            s(&v[0]["gateway"])
        ));
    }
    for n in ns.ip_json(&["neigh"]).as_array().into_iter().flatten() {
        if s(&n["state"]).contains("PERMANENT") {
            out.insert(format!(
                "neigh {} {} {}",
                s(&n["dst"]),
                s(&n["dev"]),
                s(&n["lladdr"])
            ));
        }
    }
    for f in ns
        .bridge_json(&["fdb", "show"])
        .as_array()
        .into_iter()
        .flatten()
    {
        if f.get("dst").is_some() || s(&f["state"]) == "static" {
            out.insert(format!(
                "fdb {} {} dst={} {}",
                s(&f["mac"]),
                s(&f["ifname"]),
                s(&f["dst"]),
                s(&f["flags"])
            ));
        }
    }
    out
}

fn apply_netlink(plan: &Plan) {
    let mut ap = NetlinkApplier::new().expect("applier");
    if let Err(f) = apply_plan(plan, &mut ap) {
        panic!("netlink apply failed at step {}: {}", f.index + 1, f.error);
    }
}

fn run_script(plan: &Plan) {
    run_sh(plan, &actions::export_sh(plan).expect("export"));
}

/// Runs the plan's exported undo script.
fn run_undo_script(plan: &Plan) {
    run_sh(plan, &actions::export_undo_sh(plan).expect("export undo"));
}

/// Runs the plan's `ip -batch` / `bridge -batch` files, in order.
fn run_batches(plan: &Plan) {
    for b in actions::export_batch(plan).expect("export batch") {
        let mut cmd = Command::new(b.tool.as_str());
        if b.netns != actions::HOST {
            cmd.args(["-n", &b.netns]);
        }
        let out = cmd
            .args(["-batch", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write as _;
                if let Some(mut i) = c.stdin.take() {
                    i.write_all(b.text.as_bytes())?;
                }
                c.wait_with_output()
            })
            .expect("batch");
        assert!(
            out.status.success(),
            "the -batch file failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            b.text
        );
    }
}

fn run_sh(plan: &Plan, script: &str) {
    let dir =
        std::env::temp_dir().join(format!("nlt-script-{}-{}", std::process::id(), plan.netns));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("plan.sh");
    std::fs::write(&path, script).expect("write script");
    let out = Command::new("sh")
        .arg(&path)
        .current_dir(&dir)
        .output()
        .expect("sh");
    assert!(
        out.status.success(),
        "the exported script failed: {}\n{script}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn host(tag: &str) -> (Netns, Netns) {
    let h = testns::Host::new(tag);
    (h.host, h.lan)
}

type Builder = fn(&str, &netstate::NsState) -> Plan;

fn shim_with(ns: &str, st: &netstate::NsState, input: &actions::ShimInput) -> Plan {
    let view = NsView {
        name: ns,
        state: st,
    };
    actions::shim(view, input, &KernelSupport::all())
        .unwrap_or_else(|e| panic!("valid shim {input:?}: {e}"))
}

fn shim_plan(ns: &str, st: &netstate::NsState) -> Plan {
    let input = actions::ShimInput {
        parent: "eth0".into(),
        name: None,
        ip: Some("10.0.0.99".into()),
        to: vec!["10.0.0.50".into()],
        move_host_ip: false,
    };
    shim_with(ns, st, &input)
}

/// An IPv6 shim: its undo once set the link down first, which flushed the address the
/// next undo step then failed to delete.
fn shim_v6_plan(ns: &str, st: &netstate::NsState) -> Plan {
    let input = actions::ShimInput {
        parent: "eth0".into(),
        name: None,
        ip: Some("fd00:99::99".into()),
        to: vec!["fd00:99::50".into()],
        move_host_ip: false,
    };
    shim_with(ns, st, &input)
}

fn shim_move_plan(ns: &str, st: &netstate::NsState) -> Plan {
    let input = actions::ShimInput {
        parent: "eth0".into(),
        name: Some("shim0".into()),
        ip: None,
        to: vec!["10.0.0.50".into()],
        move_host_ip: true,
    };
    shim_with(ns, st, &input)
}

/// Host addresses a move must carry as they are: a labelled secondary with a broadcast
/// address, and a link-scope one without a prefix route.
fn extra_host_addrs(ns: &str, _st: &netstate::NsState) -> Plan {
    let mut labelled = AddrSpec::new(ns, "eth0", "10.0.0.6/24".parse().expect("cidr"));
    labelled.label = Some("eth0:web".into());
    labelled.broadcast = Some("10.0.0.255".parse().expect("ip"));
    let mut bare = AddrSpec::new(ns, "eth0", "10.0.1.5/24".parse().expect("cidr"));
    bare.noprefixroute = true;
    bare.scope = Some(253);
    Plan::new(
        "extra host addresses",
        ns,
        vec![Step::AddrAdd(labelled), Step::AddrAdd(bare)],
    )
}

fn vxlan_plan(ns: &str, st: &netstate::NsState) -> Plan {
    let input = actions::VxlanInput {
        name: "vx0".into(),
        vni: 42,
        port: None,
        local: "10.0.0.5".into(),
        dev: "eth0".into(),
        learning: false,
        ip: "10.200.0.1/24".into(),
        mac: Some("02:00:00:00:00:01".into()),
        mtu: None,
    };
    actions::vxlan(
        NsView {
            name: ns,
            state: st,
        },
        &input,
        &KernelSupport::all(),
    )
    .expect("valid vxlan")
}

fn peer_plan(ns: &str, st: &netstate::NsState) -> Plan {
    let input = actions::VxlanPeerInput {
        dev: "vx0".into(),
        overlay_ip: "10.200.0.2".into(),
        mac: "02:00:00:00:00:02".into(),
        underlay: "10.0.0.6".into(),
        routes: vec!["10.244.2.0/24".into()],
    };
    actions::vxlan_peer(
        NsView {
            name: ns,
            state: st,
        },
        &input,
    )
    .expect("valid vxlan-peer")
}

/// Builds the same action for a namespace and two twins; applies it through netlink in
/// one, runs its exported sh script in the second and its -batch files in the third, and
/// compares; then undoes it (netlink undo, exported undo script, the undo's -batch files)
/// and checks each is back exactly where it was, address order included.
fn twin(tag: &str, prepare: &[Builder], action: impl Fn(&str, &netstate::NsState) -> Plan) {
    let (a, _la) = host(&format!("{tag}a"));
    let (b, _lb) = host(&format!("{tag}b"));
    let (c, _lc) = host(&format!("{tag}c"));
    for p in prepare {
        apply_netlink(&p(&a.name, &state(&a.name)));
        run_script(&p(&b.name, &state(&b.name)));
        run_script(&p(&c.name, &state(&c.name)));
    }
    let before = normalized(&a);
    assert_eq!(before, normalized(&b), "twins differ before the action");
    assert_eq!(before, normalized(&c), "twins differ before the action");
    let (pa, pb, pc) = (
        action(&a.name, &state(&a.name)),
        action(&b.name, &state(&b.name)),
        action(&c.name, &state(&c.name)),
    );
    apply_netlink(&pa);
    run_script(&pb);
    run_batches(&pc);
    for ns in [&a, &b, &c] {
        ns.wait_dad();
    }
    let (na, nb, nc) = (normalized(&a), normalized(&b), normalized(&c));
    assert_ne!(na, before, "the action changed nothing");
    assert_eq!(na, nb, "netlink apply and the exported script disagree");
    assert_eq!(na, nc, "netlink apply and the -batch files disagree");
    apply_netlink(&pa.undo());
    run_undo_script(&pb);
    run_batches(&pc.undo());
    for ns in [&a, &b, &c] {
        ns.wait_dad();
    }
    for (what, ns) in [
        ("netlink undo", &a),
        ("the undo script", &b),
        ("the undo -batch files", &c),
    ] {
        let after = normalized(ns);
        let diff: Vec<_> = before.symmetric_difference(&after).collect();
        assert!(
            diff.is_empty(),
            "{what} did not restore the namespace: {diff:#?}"
        );
    }
}

#[test]
fn twin_oracle_shim() {
    if testns::require_root() {
        twin("tws", &[], shim_plan);
    }
}

#[test]
fn twin_oracle_shim_ipv6() {
    if testns::require_root() {
        twin("tw6", &[], shim_v6_plan);
    }
}

/// Names `ip` could read as keywords, and names a shell would read as code: the exported
/// script, its undo and the -batch files must reach what netlink apply reaches.
#[test]
fn twin_oracle_keyword_and_hostile_names() {
    if !testns::require_root() {
        return;
    }
    for (i, name) in [
        "up",
        "dev",
        "type",
        "name",
        "mtu",
        "link",
        "help",
        "a$b;c`d'e",
    ]
    .into_iter()
    .enumerate()
    {
        let shim = move |ns: &str, st: &netstate::NsState| {
            let input = actions::ShimInput {
                parent: "eth0".into(),
                name: Some(name.into()),
                ip: Some("10.0.0.99".into()),
                to: vec!["10.0.0.50".into()],
                move_host_ip: false,
            };
            shim_with(ns, st, &input)
        };
        twin(&format!("kw{i}"), &[], shim);
        let vxlan = move |ns: &str, st: &netstate::NsState| {
            let input = actions::VxlanInput {
                name: name.into(),
                vni: 42,
                port: None,
                local: "10.0.0.5".into(),
                dev: "eth0".into(),
                learning: false,
                ip: "10.200.0.1/24".into(),
                mac: Some("02:00:00:00:00:01".into()),
                mtu: None,
            };
            actions::vxlan(
                NsView {
                    name: ns,
                    state: st,
                },
                &input,
                &KernelSupport::all(),
            )
            .expect("valid vxlan")
        };
        twin(&format!("kx{i}"), &[], vxlan);
    }
}

#[test]
fn twin_oracle_shim_move_host_ip() {
    if testns::require_root() {
        twin("twm", &[extra_host_addrs], shim_move_plan);
    }
}

#[test]
fn twin_oracle_vxlan_and_peer() {
    if testns::require_root() {
        twin("twv", &[], vxlan_plan);
        twin("twp", &[vxlan_plan], peer_plan);
    }
}

/// Fails at step `at`, applies everything else through netlink.
struct FailAt {
    at: usize,
    n: usize,
    inner: NetlinkApplier,
}

impl Apply for FailAt {
    type Error = String;
    fn apply(&mut self, step: &Step) -> Result<(), String> {
        let i = self.n;
        self.n += 1;
        if i == self.at {
            return Err("injected failure".into());
        }
        self.inner.apply(step).map_err(|e| e.to_string())
    }
}

fn rollback_everywhere(tag: &str, prepare: &[Builder], action: Builder) {
    let (h, _l) = host(tag);
    for p in prepare {
        apply_netlink(&p(&h.name, &state(&h.name)));
    }
    let plan = action(&h.name, &state(&h.name));
    fail_at_every_step(&h, &plan, |_| {});
}

/// Applies `plan` once per step with a failure injected at that step; each time the
/// rollback must be clean and leave `h` as it was; `also` checks more after each.
fn fail_at_every_step(h: &Netns, plan: &Plan, also: impl Fn(usize)) {
    let before = normalized(h);
    for at in 0..plan.steps.len() {
        let mut ap = FailAt {
            at,
            n: 0,
            inner: NetlinkApplier::new().expect("applier"),
        };
        let f = apply_plan(plan, &mut ap).expect_err("the injected failure stops the plan");
        assert_eq!(f.index, at);
        assert!(
            f.rolled_back_cleanly(),
            "rollback from step {} failed: {:?}",
            at + 1,
            f.rollback
        );
        assert_eq!(
            normalized(h),
            before,
            "state after a failure at step {} differs",
            at + 1
        );
        also(at);
    }
}

#[test]
fn rollback_from_every_step() {
    if !testns::require_root() {
        return;
    }
    rollback_everywhere("rbs", &[], shim_plan);
    rollback_everywhere("rbm", &[extra_host_addrs], shim_move_plan);
    rollback_everywhere("rbv", &[], vxlan_plan);
    rollback_everywhere("rbp", &[vxlan_plan], peer_plan);
}

fn pings(ns: &Netns, ip: &str) -> bool {
    ns.exec(&["ping", "-c", "1", "-W", "1", ip])
        .status
        .success()
}

#[test]
fn shim_lets_the_host_reach_its_macvlan_container() {
    if !testns::require_root() {
        return;
    }
    let (h, _lan) = host("conn");
    let pod = Netns::new("connp");
    h.ip(&[
        "link", "add", "mvpod", "link", "eth0", "type", "macvlan", "mode", "bridge",
    ]);
    h.ip(&["link", "set", "mvpod", "netns", &pod.name]);
    pod.ip(&["addr", "add", "10.0.0.50/24", "dev", "mvpod"]);
    pod.ip(&["link", "set", "mvpod", "up"]);
    assert!(
        !pings(&h, "10.0.0.50"),
        "the host reaches its macvlan child without a shim?"
    );
    apply_netlink(&shim_plan(&h.name, &state(&h.name)));
    assert!(
        pings(&h, "10.0.0.50"),
        "the shim did not make the container reachable"
    );
}

fn vlan_input() -> actions::VlanInput {
    actions::VlanInput {
        parent: "eth0".into(),
        id: 100,
        name: None,
        ip: Some("10.100.0.1/24".into()),
        promisc: true,
        mtu: Some(1400),
    }
}

fn vlan_plan(ns: &str, st: &netstate::NsState) -> Plan {
    actions::vlan(
        NsView {
            name: ns,
            state: st,
        },
        &vlan_input(),
        &KernelSupport::all(),
    )
    .expect("valid vlan")
}

/// Without 8021q the plan is refused before anything changes, naming the module and the
/// config option; on a kernel that really lacks it, netlink's EOPNOTSUPP gets the same
/// words.
#[test]
fn vlan_refused_clearly_without_8021q() {
    if !testns::require_root() {
        return;
    }
    let (h, _l) = host("vlan");
    let st = state(&h.name);
    let no_vlan = KernelSupport {
        vlan: false,
        ..KernelSupport::all()
    };
    let e = actions::vlan(
        NsView {
            name: &h.name,
            state: &st,
        },
        &vlan_input(),
        &no_vlan,
    )
    .expect_err("refused without 8021q");
    let msg = e.to_string();
    assert!(
        msg.contains("8021q") && msg.contains("CONFIG_VLAN_8021Q"),
        "{msg}"
    );
    if KernelSupport::probe().vlan {
        eprintln!(
            "note: this kernel has 8021q: the kernel's own refusal is tested where it lacks it"
        );
    } else {
        // Forced through netlink, the kernel's EOPNOTSUPP is explained in the same words.
        let before = normalized(&h);
        let plan = vlan_plan(&h.name, &st);
        let mut ap = NetlinkApplier::new().expect("applier");
        let f = apply_plan(&plan, &mut ap).expect_err("no 8021q in this kernel");
        assert!(f.error.message.contains("8021q"), "{}", f.error);
        assert_eq!(normalized(&h), before, "a failed plan left changes");
    }
}

/// The vlan action through netlink, its exported script and its -batch files end equal
/// (VLAN id and protocol, promiscuity, MTU, address), and each undo restores the namespace.
#[test]
#[ignore = "needs the kernel's 8021q (this machine's kernel lacks it): ./scripts/test-kernels runs it"]
fn vlan_twin_oracle() {
    if testns::require_root() {
        twin("twl", &[], vlan_plan);
    }
}

/// A failure injected at every step of the vlan plan is rolled back to the namespace as it
/// was.
#[test]
#[ignore = "needs the kernel's 8021q (this machine's kernel lacks it): ./scripts/test-kernels runs it"]
fn vlan_rollback_from_every_step() {
    if testns::require_root() {
        rollback_everywhere("rbl", &[], vlan_plan);
    }
}

/// A macvlan on eth0.100 reaches the lan's VLAN 100 (and only it): frames leave tagged.
#[test]
#[ignore = "needs the kernel's 8021q (this machine's kernel lacks it): ./scripts/test-kernels runs it"]
fn vlan_macvlan_on_a_sub_interface_reaches_its_vlan() {
    if !testns::require_root() {
        return;
    }
    let (h, l) = host("vmv");
    apply_netlink(&vlan_plan(&h.name, &state(&h.name)));
    // The lan side of the trunk: its own VLAN 100 with the gateway.
    l.ip(&[
        "link", "add", "link", "up0", "name", "lan.100", "type", "vlan", "id", "100",
    ]);
    l.ip(&["addr", "add", "10.100.0.254/24", "dev", "lan.100"]);
    l.ip(&["link", "set", "lan.100", "up"]);
    h.ip(&["addr", "flush", "dev", "eth0.100"]);
    h.ip(&[
        "link", "add", "link", "eth0.100", "name", "mv100", "type", "macvlan", "mode", "bridge",
    ]);
    h.ip(&["addr", "add", "10.100.0.7/24", "dev", "mv100"]);
    h.ip(&["link", "set", "mv100", "up"]);
    assert!(
        pings(&h, "10.100.0.254"),
        "the macvlan on eth0.100 does not reach VLAN 100"
    );
    let st = state(&h.name);
    let mv = st.link_by_name("mv100").expect("mv100 in the model");
    let parent = mv.parent.and_then(|p| st.link_name(p));
    assert_eq!(
        parent,
        Some("eth0.100"),
        "the model names the macvlan's parent"
    );
}

#[test]
fn exported_script_quotes_hostile_names() {
    if !testns::require_root() {
        return;
    }
    let ns = Netns::new("quote");
    let hostile = ["x$(id>q)", "a;b", "c`id>q`"];
    for (i, name) in hostile.iter().enumerate() {
        ns.ip(&[
            "link",
            "add",
            name,
            "type",
            "veth",
            "peer",
            "name",
            &format!("peer{i}"),
        ]);
    }
    let st = state(&ns.name);
    for (i, parent) in hostile.iter().enumerate() {
        let input = actions::ShimInput {
            parent: (*parent).into(),
            name: Some(format!("s{i}$(id>q)")),
            ip: Some(format!("10.7.0.{}", i + 1)),
            to: vec![],
            move_host_ip: false,
        };
        let plan = actions::shim(
            NsView {
                name: &ns.name,
                state: &st,
            },
            &input,
            &KernelSupport::all(),
        )
        .expect("valid plan on a hostile name");
        let script = actions::export_sh(&plan).expect("export");
        let dir = std::env::temp_dir().join(format!("nlt-quote-{}-{i}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("plan.sh"), &script).expect("write");
        let out = Command::new("sh")
            .arg("plan.sh")
            .current_dir(&dir)
            .output()
            .expect("sh");
        assert!(
            out.status.success(),
            "{}\n{script}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !dir.join("q").exists(),
            "the script ran a command hidden in a name:\n{script}"
        );
        let _ = std::fs::remove_dir_all(&dir);
        let shim = format!("s{i}$(id>q)");
        let links = ns.ip_json(&["-d", "link", "show", &shim]);
        assert_eq!(links[0]["link"], *parent, "the shim is not on {parent:?}");
    }
}

fn sysctl_forward(ns: &Netns) {
    let o = ns.exec(&["sysctl", "-qw", "net.ipv4.ip_forward=1"]);
    assert!(o.status.success(), "ip_forward in {}", ns.name);
}

/// node with underlay `ul` on eth0 and a pod namespace behind veth `pv`.
fn node(n: &Netns, pod: &Netns, pod_net: &str) {
    n.ip(&[
        "link", "add", "pv", "type", "veth", "peer", "name", "eth0", "netns", &pod.name,
    ]);
    n.ip(&[
        "addr",
        "add",
        &format!("10.244.{pod_net}.1/24"),
        "dev",
        "pv",
    ]);
    n.ip(&["link", "set", "pv", "up"]);
    pod.ip(&[
        "addr",
        "add",
        &format!("10.244.{pod_net}.2/24"),
        "dev",
        "eth0",
    ]);
    pod.ip(&["link", "set", "eth0", "up"]);
    pod.ip(&[
        "route",
        "add",
        "default",
        "via",
        &format!("10.244.{pod_net}.1"),
    ]);
    sysctl_forward(n);
}

#[test]
fn pods_ping_across_nodes_after_vxlan_and_peer_on_both_sides() {
    if !testns::require_root() {
        return;
    }
    let (n1, n2) = (Netns::new("vxn1"), Netns::new("vxn2"));
    n1.ip(&[
        "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", &n2.name,
    ]);
    n1.ip(&["addr", "add", "10.0.0.5/24", "dev", "eth0"]);
    n2.ip(&["addr", "add", "10.0.0.6/24", "dev", "eth0"]);
    n1.ip(&["link", "set", "eth0", "up"]);
    n2.ip(&["link", "set", "eth0", "up"]);
    let (p1, p2) = (Netns::new("vxp1"), Netns::new("vxp2"));
    node(&n1, &p1, "1");
    node(&n2, &p2, "2");
    let k = KernelSupport::all();
    for (n, local, ip, mac) in [
        (&n1, "10.0.0.5", "10.200.0.1/24", "02:00:00:00:00:01"),
        (&n2, "10.0.0.6", "10.200.0.2/24", "02:00:00:00:00:02"),
    ] {
        let input = actions::VxlanInput {
            name: "vx0".into(),
            vni: 42,
            port: None,
            local: local.into(),
            dev: "eth0".into(),
            learning: false,
            ip: ip.into(),
            mac: Some(mac.into()),
            mtu: None,
        };
        apply_netlink(
            &actions::vxlan(
                NsView {
                    name: &n.name,
                    state: &state(&n.name),
                },
                &input,
                &k,
            )
            .expect("vxlan"),
        );
    }
    assert!(
        !pings(&p1, "10.244.2.2"),
        "pods reach each other before any peer is set"
    );
    for (n, overlay, mac, underlay, route) in [
        (
            &n1,
            "10.200.0.2",
            "02:00:00:00:00:02",
            "10.0.0.6",
            "10.244.2.0/24",
        ),
        (
            &n2,
            "10.200.0.1",
            "02:00:00:00:00:01",
            "10.0.0.5",
            "10.244.1.0/24",
        ),
    ] {
        let input = actions::VxlanPeerInput {
            dev: "vx0".into(),
            overlay_ip: overlay.into(),
            mac: mac.into(),
            underlay: underlay.into(),
            routes: vec![route.into()],
        };
        apply_netlink(
            &actions::vxlan_peer(
                NsView {
                    name: &n.name,
                    state: &state(&n.name),
                },
                &input,
            )
            .expect("vxlan-peer"),
        );
    }
    assert!(
        pings(&p1, "10.244.2.2"),
        "pods do not reach each other over the vxlan"
    );
}

#[test]
fn attached_namespace_reaches_beyond_its_subnet_only_with_its_default_route() {
    if !testns::require_root() {
        return;
    }
    let h = Netns::new("ath");
    let r = Netns::new("atr");
    h.ip(&[
        "link", "add", "eth0", "type", "veth", "peer", "name", "lan", "netns", &r.name,
    ]);
    h.ip(&["link", "set", "eth0", "up"]);
    r.ip(&["addr", "add", "10.9.0.1/24", "dev", "lan"]);
    r.ip(&["addr", "add", "10.99.0.1/32", "dev", "lo"]);
    r.ip(&["link", "set", "lan", "up"]);
    let target = format!("{}-t", h.name);
    let input = actions::AttachInput {
        parent: "eth0".into(),
        target_ns: target.clone(),
        ip: "10.9.0.50/24".into(),
        gateway: "10.9.0.1".into(),
        mode: Some("bridge".into()),
        veth: false,
        name: None,
        mtu: None,
    };
    let plan = actions::attach(
        NsView {
            name: &h.name,
            state: &state(&h.name),
        },
        None,
        &input,
        &KernelSupport::all(),
    )
    .expect("attach");
    apply_netlink(&plan);
    // The namespace was created by the plan: remove it with the test.
    let t = Netns { name: target };
    assert!(
        pings(&t, "10.9.0.1"),
        "the attached namespace does not reach its subnet"
    );
    assert!(
        pings(&t, "10.99.0.1"),
        "the attached namespace does not reach beyond its subnet"
    );
    t.ip(&["route", "del", "default"]);
    assert!(
        !pings(&t, "10.99.0.1"),
        "it reaches beyond its subnet without a default route?"
    );
}

#[test]
fn twin_oracle_attach() {
    if !testns::require_root() {
        return;
    }
    let mut targets = Vec::new();
    let mut befores = Vec::new();
    let mut plans = Vec::new();
    // The lans stay up to the end: deleting one deletes the host's eth0 and its macvlans.
    let mut lans = Vec::new();
    for (i, how) in ["netlink", "script"].iter().enumerate() {
        let (h, l) = host(&format!("twa{i}"));
        lans.push(l);
        befores.push(normalized(&h));
        let target = format!("{}-t", h.name);
        let plan = attach_plan(&h.name, &target);
        if *how == "netlink" {
            apply_netlink(&plan);
        } else {
            run_script(&plan);
        }
        let t = Netns { name: target };
        targets.push((normalized(&t), t, h));
        plans.push(plan);
    }
    assert!(
        targets[0].0.iter().any(|l| l.starts_with("link mv0")),
        "{:?}",
        targets[0].0
    );
    assert_eq!(
        targets[0].0, targets[1].0,
        "attach through netlink and its script disagree"
    );
    // Undone (netlink, then the undo script): the host exactly as it was, the namespace
    // made by the plan gone.
    apply_netlink(&plans[0].undo());
    run_undo_script(&plans[1]);
    for (i, (_, t, h)) in targets.iter().enumerate() {
        let after = normalized(h);
        let diff: Vec<_> = befores[i].symmetric_difference(&after).collect();
        assert!(
            diff.is_empty(),
            "undo {i} did not restore the host: {diff:#?}"
        );
        let list = testns::run(&["ip", "netns", "list"]);
        assert!(
            !list
                .lines()
                .any(|l| l.split_whitespace().next() == Some(t.name.as_str())),
            "undo {i} left the namespace {}",
            t.name
        );
    }
}

#[test]
fn attach_rolls_back_from_every_step_including_the_new_namespace() {
    if !testns::require_root() {
        return;
    }
    let (h, _l) = host("rba");
    let target = format!("{}-t", h.name);
    let plan = attach_plan(&h.name, &target);
    fail_at_every_step(&h, &plan, |at| {
        let listed = testns::run(&["ip", "netns", "list"]);
        assert!(
            !listed
                .lines()
                .any(|l| l.split_whitespace().next() == Some(target.as_str())),
            "the new namespace outlived a failure at step {}",
            at + 1
        );
    });
}

/// Attach a macvlan `mv0` on `eth0` of `host` into a new namespace `target`, 10.0.0.60/24.
fn attach_plan(host: &str, target: &str) -> Plan {
    let input = actions::AttachInput {
        parent: "eth0".into(),
        target_ns: target.to_owned(),
        ip: "10.0.0.60/24".into(),
        gateway: "10.0.0.1".into(),
        mode: Some("bridge".into()),
        veth: false,
        name: Some("mv0".into()),
        mtu: None,
    };
    actions::attach(
        NsView {
            name: host,
            state: &state(host),
        },
        None,
        &input,
        &KernelSupport::all(),
    )
    .expect("attach")
}

/// `ip -d -j link show vx0`'s vxlan options, without what differs between namespaces.
fn vxlan_options(ns: &Netns) -> Value {
    let l = ns.ip_json(&["-d", "link", "show", "vx0"]);
    let mut d = l[0]["linkinfo"]["info_data"].clone();
    if let Some(o) = d.as_object_mut() {
        o.remove("link");
    }
    d
}

#[test]
fn recreate_carries_every_vxlan_option_or_says_what_it_cannot() {
    if !testns::require_root() {
        return;
    }
    let (a, _la) = host("rca");
    let (b, _lb) = host("rcb");
    let (c, _lc) = host("rcc");
    a.ip(&[
        "link",
        "add",
        "vx0",
        "type",
        "vxlan",
        "id",
        "42",
        "dstport",
        "4789",
        "local",
        "10.0.0.5",
        "dev",
        "eth0",
        "ttl",
        "10",
        "tos",
        "0x10",
        "srcport",
        "5000",
        "6000",
        "ageing",
        "120",
        "maxaddress",
        "50",
        "proxy",
        "rsc",
        "l2miss",
        "l3miss",
        "noudpcsum",
        "nolearning",
    ]);
    let st = state(&a.name);
    let plan_for = |ns: &str| {
        actions::recreate_vxlan(
            NsView {
                name: ns,
                state: &st,
            },
            "vx0",
            false,
        )
        .expect("recreate")
    };
    apply_netlink(&plan_for(&b.name));
    run_script(&plan_for(&c.name));
    let want = vxlan_options(&a);
    assert_eq!(vxlan_options(&b), want, "netlink recreate lost options");
    assert_eq!(vxlan_options(&c), want, "the recreate script lost options");
    // What netlens cannot carry is named, and refused unless --lossy.
    a.ip(&["link", "del", "vx0"]);
    a.ip(&[
        "link", "add", "vx0", "type", "vxlan", "id", "42", "dstport", "4789", "local", "10.0.0.5",
        "dev", "eth0", "gbp",
    ]);
    let st = state(&a.name);
    let e = actions::recreate_vxlan(
        NsView {
            name: &a.name,
            state: &st,
        },
        "vx0",
        false,
    )
    .expect_err("gbp cannot be carried");
    assert!(
        e.to_string().contains("gbp") && e.to_string().contains("--lossy"),
        "{e}"
    );
    assert!(actions::recreate_vxlan(
        NsView {
            name: &a.name,
            state: &st
        },
        "vx0",
        true
    )
    .is_ok());
}
