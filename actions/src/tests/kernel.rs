//! Kernel support and errno explanations.

use super::cli::run_with;
use crate::step::{AddrSpec, LinkAdd, LinkKind, Step};
use crate::{explain_errno, missing_support, KernelSupport, VlanProtocol};

fn vlan_add() -> Step {
    Step::LinkAdd(LinkAdd {
        netns: "host".into(),
        name: "eth0.100".into(),
        kind: LinkKind::Vlan {
            parent: "eth0".into(),
            id: 100,
            protocol: VlanProtocol::Dot1Q,
        },
        address: None,
        mtu: None,
    })
}

#[test]
fn missing_8021q_is_said_plainly() {
    let support = KernelSupport {
        vlan: false,
        ..KernelSupport::all()
    };
    let err = run_with("vlan --parent eth0 --id 200", support).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("this kernel lacks VLAN support"), "{text}");
    assert!(text.contains("module 8021q"), "{text}");
    assert!(text.contains("CONFIG_VLAN_8021Q"), "{text}");
    assert!(
        !text.contains("95") && !text.to_lowercase().contains("errno"),
        "{text}"
    );
    assert_eq!(err.field, "type");
    insta::assert_snapshot!("missing_8021q", text);
}

#[test]
fn eopnotsupp_on_vlan_add_is_the_same_message() {
    assert_eq!(explain_errno(&vlan_add(), 95), missing_support("vlan"));
    let support = KernelSupport {
        vlan: false,
        ..KernelSupport::all()
    };
    let err = run_with("vlan --parent eth0 --id 200", support).unwrap_err();
    assert_eq!(err.reason, explain_errno(&vlan_add(), 95));
}

#[test]
fn other_kinds_name_their_module() {
    for (flag, line, module) in [
        (
            "vxlan",
            "vxlan --name vx1 --vni 43 --local 10.0.0.5 --dev eth0 --ip 10.245.0.1/24",
            "CONFIG_VXLAN",
        ),
        (
            "macvlan",
            "shim --parent eth0 --ip 10.0.0.99",
            "CONFIG_MACVLAN",
        ),
        (
            "veth",
            "attach --parent br0 --target red --ip 192.168.50.2/24 --gateway 192.168.50.1 --veth",
            "CONFIG_VETH",
        ),
    ] {
        let mut support = KernelSupport::all();
        match flag {
            "vxlan" => support.vxlan = false,
            "macvlan" => support.macvlan = false,
            _ => support.veth = false,
        }
        let err = run_with(line, support).unwrap_err();
        assert!(err.reason.contains(module), "{line}: {err}");
    }
}

#[test]
fn errnos_are_explained() {
    let addr = Step::AddrAdd(AddrSpec::new(
        "red",
        "mv-red",
        "10.0.0.60/24".parse().unwrap(),
    ));
    assert!(explain_errno(&vlan_add(), 17).contains("eth0.100 already exists in namespace host"));
    assert!(explain_errno(&vlan_add(), 17).contains("VLAN with id 100"));
    assert!(explain_errno(&vlan_add(), 19).contains("eth0"));
    assert!(explain_errno(&vlan_add(), 1).contains("CAP_NET_ADMIN"));
    assert!(explain_errno(&vlan_add(), 13).contains("CAP_NET_ADMIN"));
    assert!(explain_errno(&addr, 17).contains("10.0.0.60/24 is already on mv-red in namespace red"));
    assert!(explain_errno(&addr, 95).contains("not supported"));
    assert!(explain_errno(&addr, 100).contains("down"));
    assert_eq!(explain_errno(&addr, 4242), "the kernel answered errno 4242");
}
