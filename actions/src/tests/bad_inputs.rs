//! Bad inputs across the actions: each error names the field it is about.

use test_case::test_case;

use super::cli::run;

// shim
#[test_case("shim --parent eth9 --ip 10.0.0.99", "--parent" ; "shim parent missing")]
#[test_case("shim --parent lo --ip 10.0.0.99", "--parent" ; "shim parent loopback")]
#[test_case("shim --parent ppp0 --ip 10.0.0.99", "--parent" ; "shim parent not ethernet")]
#[test_case("shim --parent eth0 --ip 10.0.0.99/24", "--ip" ; "shim ip not a /32")]
#[test_case("shim --parent eth0 --ip 10.0.0.5", "--ip" ; "shim ip in use")]
#[test_case("shim --parent eth0 --ip 10.0.0.256", "--ip" ; "shim ip invalid")]
#[test_case("shim --parent eth0", "--ip" ; "shim ip missing")]
#[test_case("shim --parent eth0 --ip 10.0.0.99 --name eth0", "--name" ; "shim name taken")]
#[test_case("shim --parent eth0 --ip 10.0.0.99 --name 'a b'", "--name" ; "shim name whitespace")]
#[test_case("shim --parent eth0 --ip 10.0.0.99 --name sixteen-chars-xx", "--name" ; "shim name too long")]
#[test_case("shim --parent eth0 --ip 10.0.0.99 --name a/b", "--name" ; "shim name slash")]
#[test_case("shim --parent eth0 --ip 10.0.0.99 --name a:b", "--name" ; "shim name colon")]
#[test_case("shim --parent eth0 --ip 10.0.0.99 --name ..", "--name" ; "shim name dotdot")]
#[test_case("shim --parent eth0 --ip 10.0.0.99 --name ''", "--name" ; "shim name empty")]
#[test_case("shim --parent eth0 --ip 10.0.0.99 --to 10.0.0.0/33", "--to" ; "shim to bad prefix")]
#[test_case("shim --parent eth0 --ip 10.0.0.99 --to 10.0.0.7/24", "--to" ; "shim to host bits")]
#[test_case("shim --parent eth0 --ip 10.0.0.99 --to 10.244.1.0/24", "--to" ; "shim to conflicts")]
#[test_case("shim --parent eth0 --ip 10.0.0.99 --to 10.0.0.50 --to 10.0.0.50/32", "--to" ; "shim to twice")]
#[test_case("shim --parent br0 --move-host-ip", "--move-host-ip" ; "shim nothing to move")]
// vlan
#[test_case("vlan --parent eth0 --id 0", "--id" ; "vlan id zero")]
#[test_case("vlan --parent eth0 --id 4095", "--id" ; "vlan id reserved")]
#[test_case("vlan --parent eth0 --id 100 --name v100", "--id" ; "vlan id exists on parent")]
#[test_case("vlan --parent lo --id 5", "--parent" ; "vlan on loopback")]
#[test_case("vlan --parent eth0 --id 5 --ip 10.1.0.1", "--ip" ; "vlan ip without prefix")]
#[test_case("vlan --parent eth0 --id 5 --ip 10.0.0.5/24", "--ip" ; "vlan ip in use")]
#[test_case("vlan --parent eth0 --id 5 --mtu 9000", "--mtu" ; "vlan mtu above parent")]
#[test_case("vlan --parent eth0 --id 5 --mtu 67", "--mtu" ; "vlan mtu too small")]
#[test_case("vlan --parent eth0 --id 5 --name eth0.100", "--name" ; "vlan name taken")]
// vxlan
#[test_case("vxlan --name vx1 --vni 16777216 --local 10.0.0.5 --dev eth0 --ip 10.245.0.1/24", "--vni" ; "vxlan vni too big")]
#[test_case("vxlan --name vx1 --vni 42 --local 10.0.0.5 --dev eth0 --ip 10.245.0.1/24", "--vni" ; "vxlan vni in use")]
#[test_case("vxlan --name vx1 --vni 43 --port 0 --local 10.0.0.5 --dev eth0 --ip 10.245.0.1/24", "--port" ; "vxlan port zero")]
#[test_case("vxlan --name vx1 --vni 43 --port 65536 --local 10.0.0.5 --dev eth0 --ip 10.245.0.1/24", "--port" ; "vxlan port too big")]
#[test_case("vxlan --name vx1 --vni 43 --local 10.0.0.77 --dev eth0 --ip 10.245.0.1/24", "--local" ; "vxlan local not ours")]
#[test_case("vxlan --name vx1 --vni 43 --local nonsense --dev eth0 --ip 10.245.0.1/24", "--local" ; "vxlan local invalid")]
#[test_case("vxlan --name vx1 --vni 43 --local 10.244.0.1 --dev eth0 --ip 10.245.0.1/24", "--local" ; "vxlan local on another device")]
#[test_case("vxlan --name vx1 --vni 43 --local 10.0.0.5 --dev eth0 --ip 10.0.0.200/24", "--ip" ; "vxlan overlay in the underlay subnet")]
#[test_case("vxlan --name vx1 --vni 43 --local 10.0.0.5 --dev eth0 --ip 10.0.0.0/8", "--ip" ; "vxlan overlay around the underlay subnet")]
// route
#[test_case("route --dst 10.50.0.0/16 --via 10.9.9.9", "--via" ; "route gateway off link")]
#[test_case("route --dst 10.50.0.0/16 --via 10.0.0.1 --dev eth9", "--dev" ; "route dev missing")]
#[test_case("route --dst 10.50.0.1/16 --via 10.0.0.1", "--dst" ; "route dst host bits")]
#[test_case("route --dst 10.50.0.0/16", "--via" ; "route neither via nor dev")]
#[test_case("route --dst 10.50.0.0/16 --via 2001:db8::1", "--via" ; "route family mismatch")]
#[test_case("route --dst 10.50.0.0/16 --via 0.0.0.0", "--via" ; "route gateway unspecified")]
#[test_case("shim --parent eth0 --ip 0.0.0.0", "--ip" ; "shim unspecified")]
#[test_case("shim --parent eth0 --ip 255.255.255.255", "--ip" ; "shim limited broadcast")]
#[test_case("shim --parent eth0 --ip 224.0.0.5", "--ip" ; "shim multicast")]
#[test_case("shim --parent eth0 --ip 127.0.0.2", "--ip" ; "shim loopback")]
#[test_case("shim --parent eth0 --ip ::", "--ip" ; "shim unspecified v6")]
#[test_case("vxlan-peer --dev vx0 --overlay-ip 10.244.0.9 --mac 02:00:00:00:00:09 --underlay 0.0.0.0", "--underlay" ; "peer underlay unspecified")]
#[test_case("attach --parent eth0 --target red --ip 10.0.0.70/24 --gateway 127.0.0.1", "--gateway" ; "attach gateway loopback")]
#[test_case("vxlan --name vx1 --vni 43 --local 10.0.0.5 --dev vx0 --ip 10.245.0.1/24", "--dev" ; "vxlan over a vxlan")]
#[test_case("vxlan --name vx1 --vni 43 --local 10.0.0.5 --dev eth9 --ip 10.245.0.1/24", "--dev" ; "vxlan dev missing")]
#[test_case("vxlan --name vx0 --vni 43 --local 10.0.0.5 --dev eth0 --ip 10.245.0.1/24", "--name" ; "vxlan name taken")]
#[test_case("vxlan --name vx1 --vni 43 --local 10.0.0.5 --dev eth0 --ip 10.244.0.1/24", "--ip" ; "vxlan ip in use")]
#[test_case("vxlan --name vx1 --vni 43 --local 10.0.0.5 --dev eth0 --ip 10.245.0.1/24 --mac 01:00:5e:00:00:01", "--mac" ; "vxlan mac multicast")]
#[test_case("vxlan --name vx1 --vni 43 --local 10.0.0.5 --dev eth0 --ip 10.245.0.1/24 --mac 00:00:00:00:00:00", "--mac" ; "vxlan mac zero")]
#[test_case("vxlan --name vx1 --vni 43 --local 10.0.0.5 --dev eth0 --ip 10.245.0.1/24 --mac 02:00:00:00:00", "--mac" ; "vxlan mac short")]
#[test_case("vxlan --name vx1 --vni 43 --local 10.0.0.5 --dev eth0 --ip 10.245.0.1/24 --mtu 1480", "--mtu" ; "vxlan mtu above underlay")]
// vxlan-peer
#[test_case("vxlan-peer --dev eth0 --overlay-ip 10.244.0.2 --mac 02:00:00:00:00:2c --underlay 10.0.0.7", "--dev" ; "peer dev not vxlan")]
#[test_case("vxlan-peer --dev vx9 --overlay-ip 10.244.0.2 --mac 02:00:00:00:00:2c --underlay 10.0.0.7", "--dev" ; "peer dev missing")]
#[test_case("vxlan-peer --dev vx0 --overlay-ip 10.9.9.9 --mac 02:00:00:00:00:2c --underlay 10.0.0.7", "--overlay-ip" ; "peer overlay outside subnet")]
#[test_case("vxlan-peer --dev vx0 --overlay-ip 10.244.0.1 --mac 02:00:00:00:00:2c --underlay 10.0.0.7", "--overlay-ip" ; "peer overlay is ours")]
#[test_case("vxlan-peer --dev vx0 --overlay-ip 10.244.0.2 --mac ff:ff:ff:ff:ff:ff --underlay 10.0.0.7", "--mac" ; "peer mac broadcast")]
#[test_case("vxlan-peer --dev vx0 --overlay-ip 10.244.0.2 --mac 02:00:00:00:00:2a --underlay 10.0.0.7", "--mac" ; "peer mac is ours")]
#[test_case("vxlan-peer --dev vx0 --overlay-ip 10.244.0.2 --mac 02:00:00:00:00:2c --underlay fe80::zz", "--underlay" ; "peer underlay invalid")]
#[test_case("vxlan-peer --dev vx0 --overlay-ip 10.244.0.2 --mac 02:00:00:00:00:2c --underlay 2001:db8::7", "--underlay" ; "peer underlay family")]
#[test_case("vxlan-peer --dev vx0 --overlay-ip 10.244.0.2 --mac 02:00:00:00:00:2c --underlay 10.0.0.5", "--underlay" ; "peer underlay is ours")]
#[test_case("vxlan-peer --dev vx0 --overlay-ip 10.244.0.2 --mac 02:00:00:00:00:2c --underlay 10.0.0.7 --route 10.244.1.0/24", "--route" ; "peer route conflicts")]
#[test_case("vxlan-peer --dev vx0 --overlay-ip 10.244.0.2 --mac 02:00:00:00:00:2c --underlay 10.0.0.7 --route 2001:db8::/64", "--route" ; "peer route family")]
// attach
#[test_case("attach --parent eth0 --target red --ip 10.0.0.60 --gateway 10.0.0.1", "--ip" ; "attach ip without prefix")]
#[test_case("attach --parent eth0 --target red --ip 10.0.0.5/24 --gateway 10.0.0.1", "--ip" ; "attach ip in use on host")]
#[test_case("attach --parent eth0 --target red --ip 10.0.0.60/24 --gateway 192.168.1.1", "--gateway" ; "attach gateway outside")]
#[test_case("attach --parent eth0 --target red --ip 10.0.0.60/24 --gateway 2001:db8::1", "--gateway" ; "attach gateway family")]
#[test_case("attach --parent eth0 --target red --ip 10.0.0.60/24 --gateway 10.0.0.60", "--gateway" ; "attach gateway is own ip")]
#[test_case("attach --parent eth0 --target red --ip 10.0.0.60/24 --gateway 10.0.0.1 --mode loud", "--mode" ; "attach bad mode")]
#[test_case("attach --parent eth0 --target red --ip 10.0.0.60/24 --gateway 10.0.0.1 --mode passthru", "--mode" ; "attach passthru beside macvlans")]
#[test_case("attach --parent br0 --target red --ip 10.0.0.60/24 --gateway 10.0.0.1 --veth --mode vepa", "--mode" ; "attach mode with veth")]
#[test_case("attach --parent eth0 --target red --ip 10.0.0.60/24 --gateway 10.0.0.1 --veth", "--parent" ; "attach veth needs bridge")]
#[test_case("attach --parent eth0 --target a/b --ip 10.0.0.60/24 --gateway 10.0.0.1", "--target" ; "attach target slash")]
#[test_case("attach --parent eth0 --target host --ip 10.0.0.60/24 --gateway 10.0.0.1", "--target" ; "attach target is parent ns")]
#[test_case("attach --parent eth0 --target red --ip 10.0.0.60/24 --gateway 10.0.0.1 --name lo", "--name" ; "attach name taken in target")]
#[test_case("attach --parent eth0 --target red --ip 10.0.0.60/24 --gateway 10.0.0.1 --name mv0", "--name" ; "attach name taken beside parent")]
#[test_case("attach --parent eth0 --target red --ip 10.0.0.60/24 --gateway 10.0.0.1 --mtu 1501", "--mtu" ; "attach mtu above parent")]
fn bad_input_names_its_field(line: &str, field: &str) {
    let err = run(line).expect_err("the input is bad");
    assert_eq!(err.field, field, "{line}: {err}");
    assert!(err.to_string().starts_with(field), "{err}");
    assert!(!err.reason.is_empty());
}

#[test]
fn message_reads_like_the_design() {
    let err = run("shim --parent eth9 --ip 10.0.0.99").unwrap_err();
    assert_eq!(
        err.to_string(),
        "--parent eth9: no such interface in namespace host"
    );
}

#[test]
fn shim_prefix_message_says_why() {
    let err = run("shim --parent eth0 --ip 10.0.0.99/24").unwrap_err();
    assert!(
        err.reason.contains("connected route for 10.0.0.0/24"),
        "{err}"
    );
}

#[test]
fn empty_value_is_shown_as_empty() {
    let err = run("shim --parent eth0 --ip 10.0.0.99 --name ''").unwrap_err();
    assert!(err.to_string().starts_with("--name (empty): "), "{err}");
}

#[test]
fn a_peer_route_already_there_is_accepted_and_not_added_again() {
    let mut st = super::fixture::host();
    let r = super::fixture::route(Some("10.244.5.0/24"), Some("10.244.0.2"), 3, 3);
    st.routes.insert(r.key(), r);
    let input = crate::VxlanPeerInput {
        dev: "vx0".into(),
        overlay_ip: "10.244.0.2".into(),
        mac: "02:00:00:00:00:2c".into(),
        underlay: "10.0.0.7".into(),
        routes: vec!["10.244.5.0/24".into()],
    };
    let plan = crate::vxlan_peer(crate::NsView::host(&st), &input)
        .expect("the identical route is not a conflict");
    assert!(
        !plan
            .steps
            .iter()
            .any(|s| matches!(s, crate::Step::RouteAdd(_))),
        "{:?}",
        plan.commands()
    );
}
