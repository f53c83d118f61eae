//! A tiny stand-in for the app's CLI: `"shim --parent eth0 --ip 10.0.0.99"`
//! becomes the builder's input, run against the fixture.

use super::fixture;
use crate::{
    attach, shim, vlan, vxlan, vxlan_peer, AttachInput, KernelSupport, NsView, Plan, ShimInput,
    VlanInput, VxlanInput, VxlanPeerInput,
};

const SWITCHES: [&str; 4] = ["--move-host-ip", "--promisc", "--learning", "--veth"];

/// Runs a command line against the fixture host (and `red`).
pub fn run(line: &str) -> crate::Result<Plan> {
    run_with(line, KernelSupport::all())
}

/// Runs a command line with the given kernel support.
pub fn run_with(line: &str, support: KernelSupport) -> crate::Result<Plan> {
    let host = fixture::host();
    let red = fixture::red();
    let words = shlex::split(line).expect("test line");
    let (action, mut rest) = words.split_first().expect("an action");
    let mut flags: Vec<(&str, String)> = Vec::new();
    while let Some((flag, tail)) = rest.split_first() {
        if SWITCHES.contains(&flag.as_str()) {
            flags.push((flag, String::new()));
            rest = tail;
        } else {
            let (value, tail) = tail.split_first().expect("a flag value");
            flags.push((flag, value.clone()));
            rest = tail;
        }
    }
    let get = |f: &str| flags.iter().find(|(k, _)| *k == f).map(|(_, v)| v.clone());
    let all = |f: &str| -> Vec<String> {
        flags
            .iter()
            .filter(|(k, _)| *k == f)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let num = |f: &str| get(f).map(|v| v.parse::<u32>().expect("a number"));
    let on = |f: &str| get(f).is_some();
    let ns = NsView::host(&host);
    match action.as_str() {
        "shim" => shim(
            ns,
            &ShimInput {
                parent: get("--parent").unwrap_or_default(),
                name: get("--name"),
                ip: get("--ip"),
                to: all("--to"),
                move_host_ip: on("--move-host-ip"),
            },
            &support,
        ),
        "vlan" => vlan(
            ns,
            &VlanInput {
                parent: get("--parent").unwrap_or_default(),
                id: num("--id").unwrap_or(0),
                name: get("--name"),
                ip: get("--ip"),
                promisc: on("--promisc"),
                mtu: num("--mtu"),
            },
            &support,
        ),
        "vxlan" => vxlan(
            ns,
            &VxlanInput {
                name: get("--name").unwrap_or_default(),
                vni: num("--vni").unwrap_or(0),
                port: num("--port"),
                local: get("--local").unwrap_or_default(),
                dev: get("--dev").unwrap_or_default(),
                learning: on("--learning"),
                ip: get("--ip").unwrap_or_default(),
                mac: get("--mac"),
                mtu: num("--mtu"),
            },
            &support,
        ),
        "vxlan-peer" => vxlan_peer(
            ns,
            &VxlanPeerInput {
                dev: get("--dev").unwrap_or_default(),
                overlay_ip: get("--overlay-ip").unwrap_or_default(),
                mac: get("--mac").unwrap_or_default(),
                underlay: get("--underlay").unwrap_or_default(),
                routes: all("--route"),
            },
        ),
        "attach" => {
            let target = get("--target").unwrap_or_default();
            attach(
                ns,
                (target == "red").then_some(&red),
                &AttachInput {
                    parent: get("--parent").unwrap_or_default(),
                    target_ns: target,
                    ip: get("--ip").unwrap_or_default(),
                    gateway: get("--gateway").unwrap_or_default(),
                    mode: get("--mode"),
                    veth: on("--veth"),
                    name: get("--name"),
                    mtu: num("--mtu"),
                },
                &support,
            )
        }
        other => panic!("unknown action {other}"),
    }
}
