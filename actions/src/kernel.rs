//! What the kernel supports, and what its errno answers mean for a step.

use crate::step::{LinkChange, LinkKind, Step};
use crate::validate::{Result, ValidationError};

/// Which link kinds the running kernel can create (probed elsewhere: a loaded
/// or loadable module, or built in).
#[allow(
    clippy::struct_excessive_bools,
    reason = "one flag per independent kernel feature"
)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KernelSupport {
    pub macvlan: bool,
    pub macvtap: bool,
    /// 802.1Q (`8021q`).
    pub vlan: bool,
    pub vxlan: bool,
    pub veth: bool,
    pub bridge: bool,
}

impl KernelSupport {
    /// Every kind supported.
    pub fn all() -> Self {
        KernelSupport {
            macvlan: true,
            macvtap: true,
            vlan: true,
            vxlan: true,
            veth: true,
            bridge: true,
        }
    }

    /// Whether the kernel can create a link of this kind.
    pub fn supports(&self, kind: &LinkKind) -> bool {
        match kind {
            LinkKind::Macvlan { .. } => self.macvlan,
            LinkKind::Macvtap { .. } => self.macvtap,
            LinkKind::Vlan { .. } => self.vlan,
            LinkKind::Vxlan(_) => self.vxlan,
            LinkKind::Veth { .. } => self.veth,
            LinkKind::Bridge => self.bridge,
        }
    }

    /// Fails with the missing-support message when the kind is unsupported
    /// (field `type`, value the kind).
    pub fn check(&self, kind: &LinkKind) -> Result<()> {
        if self.supports(kind) {
            Ok(())
        } else {
            Err(ValidationError::new(
                "type",
                kind.type_name(),
                missing_support(kind.type_name()),
            ))
        }
    }
}

impl Default for KernelSupport {
    /// Until probed, assume every kind is there.
    fn default() -> Self {
        KernelSupport::all()
    }
}

/// The message for a kind the kernel lacks: "this kernel lacks VLAN support
/// (module 8021q, `CONFIG_VLAN_8021Q`): ...".
pub fn missing_support(kind: &str) -> String {
    let (what, module, config) = match kind {
        "vlan" => ("VLAN", "8021q", "CONFIG_VLAN_8021Q"),
        "vxlan" => ("VXLAN", "vxlan", "CONFIG_VXLAN"),
        "macvlan" => ("macvlan", "macvlan", "CONFIG_MACVLAN"),
        "macvtap" => ("macvtap", "macvtap", "CONFIG_MACVTAP"),
        "veth" => ("veth", "veth", "CONFIG_VETH"),
        "bridge" => ("bridge", "bridge", "CONFIG_BRIDGE"),
        other => return format!("this kernel cannot create links of type {other}"),
    };
    format!(
        "this kernel lacks {what} support (module {module}, {config}): load it with \"modprobe {module}\", or use a kernel built with {config}"
    )
}

/// What an errno from applying `step` means, in the user's terms.
pub fn explain_errno(step: &Step, errno: i32) -> String {
    let ns = step.netns();
    let devs = devices(step).join(", ");
    match errno {
        1 | 13 => format!(
            "permission denied: changing the network state of namespace {ns} needs CAP_NET_ADMIN; run as root or grant the capability"
        ),
        95 | 93 => match step {
            Step::LinkAdd(l) => missing_support(l.kind.type_name()),
            _ => "operation not supported by this device or kernel".into(),
        },
        17 => match step {
            Step::LinkAdd(l) => {
                let vni = match &l.kind {
                    LinkKind::Vxlan(v) => format!(
                        ", or another VXLAN device already uses VNI {} on dstport {}",
                        v.id, v.dstport
                    ),
                    LinkKind::Vlan { parent, id, .. } => {
                        format!(", or {parent} already has a VLAN with id {id}")
                    }
                    _ => String::new(),
                };
                format!("{} already exists in namespace {ns}{vni}", l.name)
            }
            Step::AddrAdd(a) => format!("{} is already on {} in namespace {ns}", a.addr, a.dev),
            Step::RouteAdd(r) => format!(
                "a route to {} with the same table and metric already exists in namespace {ns}: delete it first, or use route replace",
                r.dst_text()
            ),
            Step::NeighAdd(n) => format!(
                "a neighbour entry for {} on {} already exists: use neigh replace",
                n.dst, n.dev
            ),
            Step::NetnsAdd { name } => format!("namespace {name} already exists"),
            _ => format!("the object already exists in namespace {ns}"),
        },
        19 => format!("no such device in namespace {ns} (one of: {devs})"),
        2 => match step {
            Step::NetnsDel { name } => format!("namespace {name} does not exist"),
            Step::LinkSet(s) if matches!(s.change, LinkChange::Netns(_)) => {
                "the target namespace does not exist".into()
            }
            _ => format!("not found in namespace {ns}"),
        },
        3 => format!("no such route or entry in namespace {ns}: it may already be gone"),
        16 => format!(
            "device busy ({devs}): a passthru macvlan may own the parent, or the device is in use"
        ),
        22 | 34 => match step {
            Step::LinkSet(s) if matches!(s.change, LinkChange::Mtu(_)) => format!(
                "the MTU is out of the range {} accepts (a macvlan or VLAN takes at most its parent's MTU)",
                s.name
            ),
            _ => "the kernel refused a parameter (invalid argument): run the command by hand for the kernel's own message".into(),
        },
        97 => format!("the address family is not supported in namespace {ns} (is IPv6 disabled?)"),
        98 => "address in use: another VXLAN device or socket already uses this UDP port and local address".into(),
        99 => format!("the address is not available in namespace {ns}: it is not on that device, or a source address is not local"),
        100 => format!("the device is down ({devs}): bring it up first"),
        101 => "the gateway is not reachable: no connected route covers it on that device; add an address in its subnet first".into(),
        n => format!("the kernel answered errno {n}"),
    }
}

/// The device names a step refers to.
fn devices(step: &Step) -> Vec<String> {
    let mut out = Vec::new();
    match step {
        Step::LinkAdd(l) => {
            out.push(l.name.clone());
            if let Some(p) = l.kind.parent() {
                out.push(p.to_string());
            }
            if let LinkKind::Vxlan(v) = &l.kind {
                out.extend(v.dev.clone());
            }
        }
        Step::LinkSet(s) => {
            out.push(s.name.clone());
            if let LinkChange::Master(m) = &s.change {
                out.push(m.clone());
            }
        }
        Step::LinkDel(s) => out.push(s.name.clone()),
        Step::AddrAdd(a) | Step::AddrDel(a) => out.push(a.dev.clone()),
        Step::RouteAdd(r) | Step::RouteDel(r) | Step::RouteReplace { route: r, .. } => {
            out.extend(r.dev.clone());
        }
        Step::NeighAdd(n) | Step::NeighDel(n) | Step::NeighReplace { neigh: n, .. } => {
            out.push(n.dev.clone());
        }
        Step::FdbAppend(f) | Step::FdbDel(f) => out.push(f.dev.clone()),
        Step::NetnsAdd { .. } | Step::NetnsDel { .. } => {}
    }
    out
}

impl KernelSupport {
    /// What the running kernel supports, as far as can be told without changing anything:
    /// 8021q is there when `/proc/net/vlan` exists (loaded or built in) or when the
    /// kernel's module lists name it (the kernel loads it on the first vlan link). The
    /// other kinds are assumed present; if one is not, applying fails and
    /// [`explain_errno`] says why. `NETLENS_KERNEL_LACKS=8021q` in the environment makes
    /// it answer as a kernel without 8021q would (tests of the refusal, on any kernel).
    pub fn probe() -> Self {
        let lacks = std::env::var("NETLENS_KERNEL_LACKS").unwrap_or_default();
        let pretend_no_vlan = lacks.split(',').any(|m| m.trim() == "8021q");
        KernelSupport {
            vlan: !pretend_no_vlan
                && (std::path::Path::new("/proc/net/vlan").exists() || module_available("8021q")),
            ..KernelSupport::all()
        }
    }
}

/// Whether `modules.dep` or `modules.builtin` of the running kernel lists `name`.
fn module_available(name: &str) -> bool {
    let Ok(release) = std::fs::read_to_string("/proc/sys/kernel/osrelease") else {
        return false;
    };
    let dir = std::path::Path::new("/lib/modules").join(release.trim());
    let file = format!("/{name}.ko");
    ["modules.dep", "modules.builtin"].iter().any(|f| {
        std::fs::read_to_string(dir.join(f)).is_ok_and(|t| {
            t.lines().any(|l| {
                l.split(':')
                    .next()
                    .is_some_and(|p| p.ends_with(&file) || p.contains(&format!("{file}.")))
            })
        })
    })
}
