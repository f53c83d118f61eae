//! Tests of the pure layer against a hand-built model.
#![allow(clippy::unwrap_used, reason = "tests")]

mod bad_inputs;
mod cli;
mod export;
mod fixture;
mod kernel;
mod snapshots;
mod steps;
mod undo;

/// The builder command lines the snapshot, undo and export tests share.
pub const EXAMPLES: [(&str, &str); 7] = [
    ("shim", "shim --parent eth0 --ip 10.0.0.99 --to 10.0.0.50 --to 10.0.0.128/25"),
    ("shim_move_host_ip", "shim --parent eth0 --move-host-ip --to 10.0.0.50"),
    ("vlan", "vlan --parent eth0 --id 200 --ip 192.168.200.2/24 --promisc"),
    ("vxlan", "vxlan --name vx1 --vni 43 --local 10.0.0.5 --dev eth0 --ip 10.245.0.1/24 --mac 02:00:00:00:01:2a"),
    ("vxlan_peer", "vxlan-peer --dev vx0 --overlay-ip 10.244.0.2 --mac 02:00:00:00:00:2c --underlay 10.0.0.7 --route 10.244.2.0/24"),
    ("attach_macvlan_new_ns", "attach --parent eth0 --target blue --ip 10.0.0.60/24 --gateway 10.0.0.1"),
    ("attach_veth_existing_ns", "attach --parent br0 --target red --ip 192.168.50.2/24 --gateway 192.168.50.1 --veth"),
];

/// Every example plan, with `recreate_vxlan` of the fixture's vx0.
pub fn example_plans() -> Vec<(&'static str, crate::Plan)> {
    let mut out: Vec<(&str, crate::Plan)> = EXAMPLES
        .iter()
        .map(|(name, line)| {
            (
                *name,
                cli::run(line).unwrap_or_else(|e| panic!("{line}: {e}")),
            )
        })
        .collect();
    let host = fixture::host();
    out.push((
        "recreate_vxlan",
        crate::recreate_vxlan(crate::NsView::host(&host), "vx0", false).unwrap(),
    ));
    out
}
