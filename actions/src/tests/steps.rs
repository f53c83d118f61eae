//! Command rendering, serde, derived names and the apply seam.

use super::{cli, example_plans, fixture};
use crate::step::{FdbSpec, LinkAdd, LinkChange, LinkKind, LinkSet, RouteSpec, VxlanSpec};
use crate::{
    apply_plan, export_batch, export_sh, recreate_vxlan, Apply, MacvlanMode, NsView, Plan, Step,
};

fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(ToString::to_string).collect()
}

#[test]
fn macvlan_in_a_namespace_renders_as_documented() {
    let step = Step::LinkAdd(LinkAdd {
        netns: "NS".into(),
        name: "shim0".into(),
        kind: LinkKind::Macvlan {
            parent: "eth0".into(),
            mode: MacvlanMode::Bridge,
        },
        address: None,
        mtu: None,
    });
    assert_eq!(
        step.command(),
        argv(&[
            "ip", "-n", "NS", "link", "add", "name", "shim0", "link", "eth0", "type", "macvlan",
            "mode", "bridge"
        ])
    );
}

#[test]
fn vxlan_always_names_dstport() {
    let mut spec = VxlanSpec {
        more: crate::step::VxlanMore::default(),
        id: 7,
        dstport: 8472,
        local: None,
        remote: None,
        dev: None,
        learning: true,
        ttl: None,
    };
    let step = |spec: &VxlanSpec| {
        Step::LinkAdd(LinkAdd {
            netns: "host".into(),
            name: "vx9".into(),
            kind: LinkKind::Vxlan(spec.clone()),
            address: None,
            mtu: None,
        })
    };
    assert_eq!(
        step(&spec).command_line(),
        "ip link add name vx9 type vxlan id 7 dstport 8472 learning"
    );
    spec.dstport = 4789;
    assert!(step(&spec).command_line().contains("dstport 4789"));

    let plan = cli::run("vxlan --name vx1 --vni 43 --local 10.0.0.5 --dev eth0 --ip 10.245.0.1/24")
        .unwrap();
    assert!(
        plan.commands()[0].contains(" dstport 4789 "),
        "{}",
        plan.commands()[0]
    );
    assert!(plan.commands()[0].ends_with(" nolearning"));
    assert!(export_sh(&plan).unwrap().contains(" dstport 4789 "));
    assert!(export_batch(&plan).unwrap()[0]
        .text
        .contains(" dstport 4789 "));
    let host = fixture::host();
    let again = recreate_vxlan(NsView::host(&host), "vx0", false).unwrap();
    assert!(again.commands()[0].contains(" dstport 4789 "));
}

#[test]
fn host_namespace_is_pid_1_and_bridge_takes_n() {
    let back = Step::LinkSet(LinkSet {
        netns: "red".into(),
        name: "mv-red".into(),
        change: LinkChange::Netns("host".into()),
        previous: None,
    });
    assert_eq!(back.command_line(), "ip -n red link set dev mv-red netns 1");
    let fdb = Step::FdbAppend(FdbSpec {
        netns: "red".into(),
        mac: "02:00:00:00:00:2c".parse().unwrap(),
        dev: "vx0".into(),
        dst: Some("10.0.0.7".parse().unwrap()),
        vni: Some(42),
        port: Some(4789),
        self_: true,
        master: false,
    });
    assert_eq!(
        fdb.command_line(),
        "bridge -n red fdb append 02:00:00:00:00:2c dev vx0 dst 10.0.0.7 vni 42 port 4789 self"
    );
}

#[test]
fn default_routes_of_both_families() {
    let v4 = RouteSpec::default_via("host", "10.0.0.1".parse().unwrap(), "eth0");
    assert_eq!(
        v4.args("add").join(" "),
        "route add default via 10.0.0.1 dev eth0"
    );
    let v6 = RouteSpec::default_via("host", "2001:db8::1".parse().unwrap(), "eth0");
    assert_eq!(
        v6.args("add").join(" "),
        "route add ::/0 via 2001:db8::1 dev eth0"
    );
    assert_eq!(v6.metric_value(), 1024);
}

#[test]
fn plans_survive_json() {
    for (name, plan) in example_plans() {
        let json = serde_json::to_string(&plan).unwrap();
        let back: Plan = serde_json::from_str(&json).unwrap();
        assert_eq!(back, plan, "{name}");
    }
}

#[test]
fn derived_names_fit_in_15_bytes() {
    use crate::builders::derived_name;
    assert_eq!(derived_name("shim-", "eth0", ""), "shim-eth0");
    assert_eq!(
        derived_name("shim-", "enp0s31f6abcdef", ""),
        "shim-enp0s31f6a"
    );
    assert_eq!(derived_name("", "verylongname0", ".100"), "verylongnam.100");
    assert_eq!(derived_name("mv-", "ééééééééé", ""), "mv-éééééé");
}

#[test]
fn secondary_addresses_move_first() {
    let mut host = fixture::host();
    let mut sec = fixture::addr(2, "10.0.0.8/24");
    sec.flags = 1;
    host.addrs.insert(sec.key(), sec);
    let input = crate::ShimInput {
        parent: "eth0".into(),
        move_host_ip: true,
        ..Default::default()
    };
    let plan = crate::shim(NsView::host(&host), &input, &crate::KernelSupport::all()).unwrap();
    let addrs = |add: bool| -> Vec<String> {
        plan.steps
            .iter()
            .filter_map(|s| match s {
                Step::AddrAdd(a) if add => Some(a.addr.to_string()),
                Step::AddrDel(a) if !add => Some(a.addr.to_string()),
                _ => None,
            })
            .collect()
    };
    assert_eq!(addrs(false), ["10.0.0.8/24", "10.0.0.5/24"]);
    // On the shim the primary comes first, so it stays the primary.
    assert_eq!(addrs(true), ["10.0.0.5/24", "10.0.0.8/24"]);
}

fn move_with(edit: impl Fn(&mut netstate::model::Addr), name: Option<&str>) -> crate::Result<Plan> {
    let mut host = fixture::host();
    let mut a = fixture::addr(2, "10.0.0.8/24");
    a.flags = 1;
    edit(&mut a);
    host.addrs.insert(a.key(), a);
    let input = crate::ShimInput {
        parent: "eth0".into(),
        name: name.map(Into::into),
        move_host_ip: true,
        ..Default::default()
    };
    crate::shim(NsView::host(&host), &input, &crate::KernelSupport::all())
}

#[test]
fn moved_addresses_keep_their_label_and_noprefixroute_and_undo_restores_them() {
    let plan = move_with(
        |a| {
            a.label = Some("eth0:web".into());
            a.flags |= 0x200;
            a.broadcast = Some("10.0.0.255".parse().unwrap());
        },
        None,
    )
    .unwrap();
    let cmds: Vec<String> = plan.steps.iter().map(|s| s.command().join(" ")).collect();
    assert!(
        cmds.contains(
            &"ip addr add 10.0.0.8/24 dev shim-eth0 broadcast 10.0.0.255 label shim-eth0:web noprefixroute"
                .into()
        ),
        "{cmds:#?}"
    );
    assert!(
        cmds.contains(&"ip addr del 10.0.0.8/24 dev eth0".into()),
        "{cmds:#?}"
    );
    // The primary, labelled as its device, carries no label.
    assert!(
        cmds.contains(&"ip addr add 10.0.0.5/24 dev shim-eth0".into()),
        "{cmds:#?}"
    );
    let undo: Vec<String> = plan
        .steps
        .iter()
        .rev()
        .filter_map(Step::inverse)
        .map(|s| s.command().join(" "))
        .collect();
    assert!(
        undo.contains(
            &"ip addr add 10.0.0.8/24 dev eth0 broadcast 10.0.0.255 label eth0:web noprefixroute"
                .into()
        ),
        "{undo:#?}"
    );
}

#[test]
fn dynamic_addresses_and_labels_that_cannot_follow_are_refused_by_name() {
    for (edit, why) in [
        (
            (|a: &mut netstate::model::Addr| a.address = Some("10.0.0.9".parse().unwrap()))
                as fn(&mut netstate::model::Addr),
            "peer",
        ),
        (|a| a.preferred_lft = Some(0), "deprecated"),
    ] {
        let e = move_with(edit, None).unwrap_err();
        assert!(e.to_string().contains(why), "{e}");
    }
    let dynamic = move_with(|a| a.valid_lft = Some(3521), None).unwrap_err();
    assert_eq!(dynamic.field, "--move-host-ip");
    assert!(
        dynamic.to_string().contains("10.0.0.8/24") && dynamic.to_string().contains("DHCP"),
        "{dynamic}"
    );
    assert!(move_with(|a| a.valid_lft = Some(u32::MAX), None).is_ok());
    let foreign = move_with(|a| a.label = Some("web".into()), None).unwrap_err();
    assert_eq!(
        (foreign.field, foreign.value.as_str()),
        ("--move-host-ip", "web")
    );
    let long = move_with(|a| a.label = Some("eth0:webserver".into()), None).unwrap_err();
    assert!(long.to_string().contains("15 bytes"), "{long}");
    assert!(move_with(|a| a.label = Some("eth0:webserver".into()), Some("s0")).is_ok());
}

/// Applies steps into a log and fails at one index.
struct Recorder {
    fail_at: usize,
    log: Vec<Step>,
}

impl Apply for Recorder {
    type Error = i32;

    fn apply(&mut self, step: &Step) -> Result<(), i32> {
        if self.log.len() == self.fail_at {
            self.fail_at = usize::MAX;
            return Err(17);
        }
        self.log.push(step.clone());
        Ok(())
    }
}

#[test]
fn a_failed_step_rolls_back_what_was_done() {
    let (_, plan) = example_plans()
        .into_iter()
        .find(|(n, _)| *n == "shim")
        .unwrap();
    let mut rec = Recorder {
        fail_at: 3,
        log: Vec::new(),
    };
    let failure = apply_plan(&plan, &mut rec).unwrap_err();
    assert_eq!((failure.index, failure.error), (3, 17));
    assert!(failure.rolled_back_cleanly());
    let undone: Vec<Step> = plan.steps[..3]
        .iter()
        .rev()
        .filter_map(Step::inverse)
        .collect();
    assert_eq!(rec.log[3..], undone[..]);
    let mut ok = Recorder {
        fail_at: usize::MAX,
        log: Vec::new(),
    };
    apply_plan(&plan, &mut ok).unwrap();
    assert_eq!(ok.log, plan.steps);
}

#[test]
fn vxlan_peer_undo_deletes_over_a_learned_entry_and_restores_a_static_one() {
    let peer = |state: u16, lladdr: Option<Vec<u8>>| {
        let mut host = fixture::host();
        let n = netstate::model::Neigh {
            family: 2,
            ifindex: 3,
            dst: Some("10.244.0.2".parse().unwrap()),
            lladdr,
            state,
            flags: 0,
            ext_flags: 0,
            protocol: None,
        };
        host.neighs.insert(n.key(), n);
        let input = crate::VxlanPeerInput {
            dev: "vx0".into(),
            overlay_ip: "10.244.0.2".into(),
            mac: "02:00:00:00:00:2c".into(),
            underlay: "10.0.0.7".into(),
            routes: Vec::new(),
        };
        let plan = crate::vxlan_peer(NsView::host(&host), &input).unwrap();
        plan.steps
            .iter()
            .find_map(|s| match s {
                Step::NeighReplace { .. } => s.inverse(),
                _ => None,
            })
            .unwrap()
            .command()
            .join(" ")
    };
    let ll = Some(vec![2, 0, 0, 0, 0, 0x77]);
    // FAILED (no address), INCOMPLETE, REACHABLE, STALE: the kernel's cache.
    for (state, lladdr) in [
        (0x20, None),
        (0x01, None),
        (0x02, ll.clone()),
        (0x04, ll.clone()),
    ] {
        assert_eq!(
            peer(state, lladdr),
            "ip neigh del 10.244.0.2 dev vx0",
            "state {state:#x}"
        );
    }
    assert_eq!(
        peer(0x80, ll),
        "ip neigh replace 10.244.0.2 lladdr 02:00:00:00:00:77 dev vx0 nud permanent"
    );
}

#[test]
fn plans_that_move_an_address_or_default_route_run_under_the_timer_in_any_namespace() {
    use crate::step::{AddrSpec, Step};
    let del = Step::AddrDel(AddrSpec::new(
        "lab-host",
        "eth0".to_owned(),
        "10.0.0.5/24".parse::<ipnet::IpNet>().expect("cidr"),
    ));
    let p = crate::Plan::new("move", "lab-host", vec![del]);
    assert!(!p.moves_host_address_or_default_route);
    assert_eq!(p.confirm_secs(None, false, 60), Some(60));
    assert_eq!(p.confirm_secs(Some(5), false, 60), Some(5));
    assert_eq!(p.confirm_secs(Some(5), true, 60), None);
    let quiet = crate::Plan::new("quiet", "lab-host", Vec::new());
    assert_eq!(quiet.confirm_secs(None, false, 60), None);
    assert_eq!(quiet.confirm_secs(Some(9), false, 60), Some(9));
}
