//! Sandbox labs: a topology in a TOML file (namespaces, veth pairs, bridges, macvlan
//! children moved into other namespaces, vxlan devices, addresses, routes, neighbours, FDB
//! entries), built in namespaces named `nl-lab-<lab>-<node>` through the actions engine
//! (netlink, no shell, rolled back on failure), removed whole by `lab down`. Nothing of a
//! lab touches the host's own interfaces: every link it makes lives in its namespaces.

use std::net::IpAddr;
use std::path::Path;

use actions::step::{
    AddrSpec, FdbSpec, LinkAdd, LinkChange, LinkKind, LinkSet, NeighSpec, RouteSpec,
};
use actions::{Plan, Step};
use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// The labs that come with netlens (`assets/labs`).
const BUILTIN: &[(&str, &str)] = &[
    (
        "macvlan-bridge",
        include_str!("../../assets/labs/macvlan-bridge.toml"),
    ),
    (
        "macvlan-modes",
        include_str!("../../assets/labs/macvlan-modes.toml"),
    ),
    (
        "vlan-macvlan",
        include_str!("../../assets/labs/vlan-macvlan.toml"),
    ),
    (
        "vxlan-pair",
        include_str!("../../assets/labs/vxlan-pair.toml"),
    ),
];

/// A lab file. Every table names the node (namespace) it lives in; links are `NODE:DEV`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabFile {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default, rename = "node")]
    pub nodes: Vec<Node>,
    #[serde(default)]
    pub veth: Vec<Veth>,
    #[serde(default)]
    pub bridge: Vec<Bridge>,
    #[serde(default)]
    pub macvlan: Vec<Macvlan>,
    #[serde(default)]
    pub vlan: Vec<Vlan>,
    #[serde(default)]
    pub vxlan: Vec<Vxlan>,
    #[serde(default)]
    pub address: Vec<Address>,
    #[serde(default)]
    pub route: Vec<RouteDef>,
    #[serde(default)]
    pub neigh: Vec<NeighDef>,
    #[serde(default)]
    pub fdb: Vec<FdbDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    pub name: String,
    /// Route between its interfaces (`net.ipv4.ip_forward` and IPv6 forwarding set to 1
    /// inside the namespace): a router or the lan's gateway.
    #[serde(default)]
    pub forward: bool,
}

/// A veth pair: one end in each node (`NODE:DEV`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Veth {
    pub a: String,
    pub b: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bridge {
    pub node: String,
    pub name: String,
    #[serde(default)]
    pub ports: Vec<String>,
}

/// A macvlan child of `parent` (`NODE:DEV`), living in `node` as `name`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Macvlan {
    pub parent: String,
    pub node: String,
    pub name: String,
    #[serde(default)]
    pub mode: Option<String>,
    /// A macvtap (a macvlan with a tap character device) instead of a macvlan.
    #[serde(default)]
    pub tap: bool,
}

/// An 802.1Q sub-interface `name` of `parent`, in `node`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vlan {
    pub node: String,
    pub parent: String,
    pub id: u16,
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vxlan {
    pub node: String,
    pub name: String,
    pub vni: u32,
    /// Absent: the kernel's 8472 (the classic trap the walkthrough shows).
    #[serde(default)]
    pub dstport: Option<u16>,
    #[serde(default)]
    pub local: Option<IpAddr>,
    #[serde(default)]
    pub remote: Option<IpAddr>,
    #[serde(default)]
    pub dev: Option<String>,
    #[serde(default)]
    pub learning: bool,
    /// The device's MAC (what peers put in their FDB); default: the kernel's choice.
    #[serde(default)]
    pub mac: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub node: String,
    pub dev: String,
    pub cidr: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteDef {
    pub node: String,
    pub dst: String,
    #[serde(default)]
    pub via: Option<IpAddr>,
    #[serde(default)]
    pub dev: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NeighDef {
    pub node: String,
    pub dev: String,
    pub ip: IpAddr,
    pub mac: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FdbDef {
    pub node: String,
    pub dev: String,
    pub mac: String,
    pub dst: IpAddr,
}

/// The prefix of lab namespaces (`NETLENS_LAB_PREFIX`, default `nl-lab`: tests use `nlt-`).
fn prefix() -> String {
    std::env::var("NETLENS_LAB_PREFIX").unwrap_or_else(|_| "nl-lab".into())
}

pub fn ns_name(lab: &str, node: &str) -> String {
    format!("{}-{lab}-{node}", prefix())
}

fn word_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 20
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Reads a lab: a built-in name or a file; errors name the line and the key (TOML) or the
/// entry and field (references).
pub fn load(what: &str) -> Result<LabFile> {
    let (text, origin) = if let Some((_, t)) = BUILTIN.iter().find(|(n, _)| *n == what) {
        ((*t).to_owned(), format!("built-in lab {what}"))
    } else {
        let p = Path::new(what);
        let t = std::fs::read_to_string(p).with_context(|| {
            format!(
                "{what}: not a built-in lab ({}) nor a readable file",
                BUILTIN
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
        (t, p.display().to_string())
    };
    let lab: LabFile = toml::from_str(&text).map_err(|e| anyhow::anyhow!("{origin}: {e}"))?;
    validate(&lab).map_err(|e| anyhow::anyhow!("{origin}: {e}"))?;
    Ok(lab)
}

/// Every reference resolves: nodes exist, `NODE:DEV` names a node, names are plain words.
fn validate(lab: &LabFile) -> Result<()> {
    if !word_ok(&lab.name) {
        bail!(
            "name = {:?}: a lab name is 1-20 of a-z, 0-9 and -",
            lab.name
        );
    }
    let nodes: Vec<&str> = lab.nodes.iter().map(|n| n.name.as_str()).collect();
    for (i, n) in lab.nodes.iter().enumerate() {
        if nodes[..i].contains(&n.name.as_str()) {
            bail!(
                "node[{i}].name = {:?}: a second [[node]] of that name",
                n.name
            );
        }
        if !word_ok(&n.name) {
            bail!(
                "node[{i}].name = {:?}: a node name is 1-20 of a-z, 0-9 and -",
                n.name
            );
        }
    }
    let node = |field: String, n: &str| -> Result<()> {
        if nodes.contains(&n) {
            Ok(())
        } else {
            bail!("{field} = {n:?}: no [[node]] named {n}")
        }
    };
    // Device names as the kernel takes them (the actions' own check).
    let dev = |field: String, d: &str| -> Result<()> {
        actions::validate::ifname("name", d)
            .map_err(|e| anyhow::anyhow!("{field} = {d:?}: {}", e.reason))
    };
    let end = |field: String, e: &str| -> Result<()> {
        let Some((n, d)) = e.split_once(':') else {
            bail!("{field} = {e:?}: write NODE:DEV");
        };
        dev(field.clone(), d)?;
        node(field, n)
    };
    for (i, v) in lab.veth.iter().enumerate() {
        end(format!("veth[{i}].a"), &v.a)?;
        end(format!("veth[{i}].b"), &v.b)?;
    }
    for (i, b) in lab.bridge.iter().enumerate() {
        node(format!("bridge[{i}].node"), &b.node)?;
    }
    for (i, m) in lab.macvlan.iter().enumerate() {
        end(format!("macvlan[{i}].parent"), &m.parent)?;
        node(format!("macvlan[{i}].node"), &m.node)?;
        if let Some(mode) = &m.mode {
            actions::validate::mode("mode", mode)
                .map_err(|e| anyhow::anyhow!("macvlan[{i}].mode: {e}"))?;
        }
    }
    for (i, b) in lab.bridge.iter().enumerate() {
        dev(format!("bridge[{i}].name"), &b.name)?;
        for (j, p) in b.ports.iter().enumerate() {
            dev(format!("bridge[{i}].ports[{j}]"), p)?;
        }
    }
    for (i, m) in lab.macvlan.iter().enumerate() {
        dev(format!("macvlan[{i}].name"), &m.name)?;
    }
    for (i, v) in lab.vlan.iter().enumerate() {
        dev(format!("vlan[{i}].name"), &v.name)?;
        dev(format!("vlan[{i}].parent"), &v.parent)?;
    }
    for (i, v) in lab.vxlan.iter().enumerate() {
        dev(format!("vxlan[{i}].name"), &v.name)?;
        if let Some(m) = &v.mac {
            actions::validate::mac("mac", m, true)
                .map_err(|e| anyhow::anyhow!("vxlan[{i}].mac: {e}"))?;
        }
    }
    for (i, a) in lab.address.iter().enumerate() {
        dev(format!("address[{i}].dev"), &a.dev)?;
    }
    for (i, v) in lab.vlan.iter().enumerate() {
        node(format!("vlan[{i}].node"), &v.node)?;
        actions::validate::vlan_id("id", u32::from(v.id))
            .map_err(|e| anyhow::anyhow!("vlan[{i}].id: {e}"))?;
    }
    for (i, v) in lab.vxlan.iter().enumerate() {
        node(format!("vxlan[{i}].node"), &v.node)?;
    }
    for (i, a) in lab.address.iter().enumerate() {
        node(format!("address[{i}].node"), &a.node)?;
        a.cidr
            .parse::<ipnet::IpNet>()
            .map_err(|_| anyhow::anyhow!("address[{i}].cidr = {:?}: not a CIDR", a.cidr))?;
    }
    for (i, r) in lab.route.iter().enumerate() {
        node(format!("route[{i}].node"), &r.node)?;
        if r.dst != "default" {
            r.dst.parse::<ipnet::IpNet>().map_err(|_| {
                anyhow::anyhow!("route[{i}].dst = {:?}: not a CIDR nor default", r.dst)
            })?;
        }
    }
    for (i, n) in lab.neigh.iter().enumerate() {
        node(format!("neigh[{i}].node"), &n.node)?;
        n.mac
            .parse::<actions::Mac>()
            .map_err(|_| anyhow::anyhow!("neigh[{i}].mac = {:?}: not a MAC", n.mac))?;
    }
    for (i, f) in lab.fdb.iter().enumerate() {
        node(format!("fdb[{i}].node"), &f.node)?;
        f.mac
            .parse::<actions::Mac>()
            .map_err(|_| anyhow::anyhow!("fdb[{i}].mac = {:?}: not a MAC", f.mac))?;
    }
    Ok(())
}

/// (namespace, device) of a `NODE:DEV` reference (validated before).
fn at(lab: &LabFile, e: &str) -> (String, String) {
    let (n, d) = e.split_once(':').unwrap_or((e, ""));
    (ns_name(&lab.name, n), d.to_owned())
}

/// The plan that builds the lab from nothing.
pub fn plan(lab: &LabFile) -> Result<Plan> {
    let mut steps = Vec::new();
    let mut made: Vec<(String, String)> = Vec::new();
    for n in &lab.nodes {
        steps.push(Step::NetnsAdd {
            name: ns_name(&lab.name, &n.name),
        });
    }
    for v in &lab.veth {
        let ((na, da), (nb, db)) = (at(lab, &v.a), at(lab, &v.b));
        steps.push(Step::LinkAdd(LinkAdd {
            netns: na.clone(),
            name: da.clone(),
            kind: LinkKind::Veth {
                peer: db.clone(),
                peer_netns: Some(nb.clone()),
            },
            address: None,
            mtu: None,
        }));
        made.push((na, da));
        made.push((nb, db));
    }
    for b in &lab.bridge {
        let ns = ns_name(&lab.name, &b.node);
        steps.push(Step::LinkAdd(LinkAdd {
            netns: ns.clone(),
            name: b.name.clone(),
            kind: LinkKind::Bridge,
            address: None,
            mtu: None,
        }));
        made.push((ns, b.name.clone()));
    }
    for v in &lab.vlan {
        let ns = ns_name(&lab.name, &v.node);
        steps.push(Step::LinkAdd(LinkAdd {
            netns: ns.clone(),
            name: v.name.clone(),
            kind: LinkKind::Vlan {
                parent: v.parent.clone(),
                id: v.id,
                protocol: actions::types::VlanProtocol::Dot1Q,
            },
            address: None,
            mtu: None,
        }));
        made.push((ns, v.name.clone()));
    }
    for (i, m) in lab.macvlan.iter().enumerate() {
        let (pns, pdev) = at(lab, &m.parent);
        let target = ns_name(&lab.name, &m.node);
        let mode = actions::validate::mode("mode", m.mode.as_deref().unwrap_or("bridge"))
            .map_err(|e| anyhow::anyhow!("macvlan[{i}].mode: {e}"))?;
        // Made beside its parent under a name of its own, then moved and renamed.
        let tmp = format!("labmv{i}");
        steps.push(Step::LinkAdd(LinkAdd {
            netns: pns.clone(),
            name: tmp.clone(),
            kind: if m.tap {
                LinkKind::Macvtap { parent: pdev, mode }
            } else {
                LinkKind::Macvlan { parent: pdev, mode }
            },
            address: None,
            mtu: None,
        }));
        if pns != target {
            steps.push(Step::LinkSet(LinkSet {
                netns: pns.clone(),
                name: tmp.clone(),
                change: LinkChange::Netns(target.clone()),
                previous: None,
            }));
        }
        steps.push(Step::LinkSet(LinkSet {
            netns: target.clone(),
            name: tmp,
            change: LinkChange::Name(m.name.clone()),
            previous: None,
        }));
        made.push((target, m.name.clone()));
    }
    for v in &lab.vxlan {
        let ns = ns_name(&lab.name, &v.node);
        steps.push(Step::LinkAdd(LinkAdd {
            netns: ns.clone(),
            name: v.name.clone(),
            kind: LinkKind::Vxlan(actions::step::VxlanSpec {
                id: v.vni,
                dstport: v.dstport.unwrap_or(8472),
                local: v.local,
                remote: v.remote.map(actions::step::VxlanRemote::Remote),
                dev: v.dev.clone(),
                learning: v.learning,
                ttl: None,
                more: actions::step::VxlanMore::default(),
            }),
            address: v.mac.as_deref().and_then(|m| m.parse().ok()),
            mtu: None,
        }));
        made.push((ns, v.name.clone()));
    }
    for b in &lab.bridge {
        let ns = ns_name(&lab.name, &b.node);
        for p in &b.ports {
            steps.push(Step::LinkSet(LinkSet {
                netns: ns.clone(),
                name: p.clone(),
                change: LinkChange::Master(b.name.clone()),
                previous: Some(LinkChange::NoMaster),
            }));
        }
    }
    for a in &lab.address {
        let net: ipnet::IpNet = a.cidr.parse()?;
        steps.push(Step::AddrAdd(AddrSpec::new(
            ns_name(&lab.name, &a.node),
            a.dev.clone(),
            net,
        )));
    }
    for n in &lab.nodes {
        made.push((ns_name(&lab.name, &n.name), "lo".into()));
    }
    for (ns, dev) in &made {
        steps.push(Step::LinkSet(LinkSet {
            netns: ns.clone(),
            name: dev.clone(),
            change: LinkChange::Up,
            previous: Some(LinkChange::Down),
        }));
    }
    for r in &lab.route {
        // `default` in the family of the gateway (an IPv6 `via` wants ::/0).
        let dst: ipnet::IpNet = if r.dst == "default" {
            match r.via {
                Some(std::net::IpAddr::V6(_)) => ipnet::Ipv6Net::default().into(),
                _ => ipnet::Ipv4Net::default().into(),
            }
        } else {
            r.dst.parse()?
        };
        let mut spec = RouteSpec::to(&ns_name(&lab.name, &r.node), dst);
        spec.via = r.via;
        spec.dev.clone_from(&r.dev);
        steps.push(Step::RouteAdd(spec));
    }
    for n in &lab.neigh {
        steps.push(Step::NeighReplace {
            neigh: NeighSpec {
                netns: ns_name(&lab.name, &n.node),
                dst: n.ip,
                lladdr: n.mac.parse().ok(),
                dev: n.dev.clone(),
                permanent: true,
            },
            previous: None,
        });
    }
    for f in &lab.fdb {
        steps.push(Step::FdbAppend(FdbSpec {
            netns: ns_name(&lab.name, &f.node),
            mac: f
                .mac
                .parse()
                .map_err(|_| anyhow::anyhow!("fdb mac {}", f.mac))?,
            dev: f.dev.clone(),
            dst: Some(f.dst),
            vni: None,
            port: None,
            self_: true,
            master: false,
        }));
    }
    Ok(Plan::new(format!("lab {}", lab.name), actions::HOST, steps))
}

/// Where `up` records a lab's namespaces (a tmpfs, emptied at boot as `/run/netns` is), so
/// `down NAME` removes exactly them — not another lab's whose name starts the same.
fn record(lab: &str) -> std::path::PathBuf {
    Path::new("/run/netlens/labs").join(format!("{}-{lab}", prefix()))
}

/// Every namespace of the lab named `name`, made or not: as `up` recorded them, else the
/// nodes of the built-in lab of that name.
fn namespaces_of(name: &str) -> Vec<String> {
    if let Ok(t) = std::fs::read_to_string(record(name)) {
        return t
            .lines()
            .map(str::to_owned)
            .filter(|l| !l.is_empty())
            .collect();
    }
    BUILTIN
        .iter()
        .find(|(n, _)| *n == name)
        .and_then(|(_, t)| toml::from_str::<LabFile>(t).ok())
        .map(|l| l.nodes.iter().map(|n| ns_name(name, &n.name)).collect())
        .unwrap_or_default()
}

/// Those of `names` that exist now.
fn existing_in(names: &[String]) -> Vec<String> {
    names
        .iter()
        .filter(|n| Path::new("/run/netns").join(n).exists())
        .cloned()
        .collect()
}

/// The namespaces of the lab named `name` that exist now.
fn existing(name: &str) -> Vec<String> {
    existing_in(&namespaces_of(name))
}

/// Whether any namespace of the lab named `name` exists.
pub fn is_up(name: &str) -> bool {
    !existing(name).is_empty()
}

/// `lab list`.
pub fn list() {
    for (name, text) in BUILTIN {
        let about = toml::from_str::<LabFile>(text)
            .map(|l| l.description)
            .unwrap_or_default();
        println!("{name:<16} {about}");
    }
}

/// What this kernel lacks to build the lab: the missing-support message of the first
/// link kind it cannot create (module and config option named), if any.
pub fn unsupported(lab: &LabFile) -> Result<Option<String>> {
    let support = actions::KernelSupport::probe();
    Ok(plan(lab)?.steps.iter().find_map(|s| match s {
        Step::LinkAdd(l) => support.check(&l.kind).err().map(|e| e.to_string()),
        _ => None,
    }))
}

/// Turns routing on inside a node's namespace (a thread that entered it writes its
/// `/proc/sys/net`: no shell, no `sysctl` binary).
fn forwarding_on(ns: &str) -> Result<()> {
    let info = netstate::netns::find(ns)?;
    netstate::netns::run_in(&info, || {
        for f in [
            "/proc/sys/net/ipv4/ip_forward",
            "/proc/sys/net/ipv6/conf/all/forwarding",
        ] {
            std::fs::write(f, "1").map_err(|e| netstate::Error::Netns {
                name: f.into(),
                reason: e.to_string(),
            })?;
        }
        Ok(())
    })
    .with_context(|| format!("turning forwarding on in {ns}"))
}

/// Waits (at most 5 s) until every link that is up in the lab's namespaces has an
/// operational state of up or unknown: the kernel activates a device's queue (and sets its
/// operstate) from its link watcher up to a second after the carrier comes, and drops
/// what is sent before.
pub fn settle(lab: &str) {
    // The namespaces are found once; each pass only dumps them (without counters).
    let infos: Vec<netstate::NetnsInfo> = existing(lab)
        .iter()
        .filter_map(|ns| netstate::netns::find(ns).ok())
        .collect();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while std::time::Instant::now() < deadline {
        let settled = infos.iter().all(|info| {
            let Ok(st) = netstate::dump::snapshot_blocking(info, false) else {
                return true;
            };
            // IFF_UP = 1; IF_OPER_UNKNOWN = 0, IF_OPER_UP = 6.
            st.links
                .values()
                .filter(|l| l.flags & 1 != 0 && l.name != "lo")
                .all(|l| matches!(l.operstate, Some(0 | 6) | None))
        });
        if settled {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// `lab up`: builds the lab, or says it is already up.
pub fn up(what: &str) -> Result<()> {
    let lab = load(what)?;
    if let Some(why) = unsupported(&lab)? {
        bail!("lab {}: {why}; nothing was changed", lab.name);
    }
    let mine: Vec<String> = lab
        .nodes
        .iter()
        .map(|n| ns_name(&lab.name, &n.name))
        .collect();
    let have = existing_in(&mine);
    if have.len() == lab.nodes.len() && !have.is_empty() {
        eprintln!(
            "netlens: lab {} is already up ({} namespaces); nothing changed",
            lab.name,
            have.len()
        );
        settle(&lab.name);
        return status(what);
    }
    if !have.is_empty() {
        bail!(
            "lab {} is partly up ({} of {} namespaces): `netlens lab down {what}` first",
            lab.name,
            have.len(),
            lab.nodes.len()
        );
    }
    let plan = plan(&lab)?;
    let rec = record(&lab.name);
    if let Some(d) = rec.parent() {
        std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
    }
    std::fs::write(&rec, mine.join("\n") + "\n")
        .with_context(|| format!("writing {}", rec.display()))?;
    crate::plan::apply_sync(plan).with_context(|| format!("building lab {}", lab.name))?;
    for n in lab.nodes.iter().filter(|n| n.forward) {
        if let Err(e) = forwarding_on(&ns_name(&lab.name, &n.name)) {
            let _ = down(what);
            return Err(e.context(format!("lab {} removed again", lab.name)));
        }
    }
    settle(&lab.name);
    eprintln!(
        "netlens: lab {} is up: namespaces {}",
        lab.name,
        existing(&lab.name).join(" ")
    );
    Ok(())
}

/// Removes every namespace of the lab named `name`, and nothing else; how many there were.
pub fn remove(name: &str) -> Result<usize> {
    let have = existing(name);
    if have.is_empty() {
        let _ = std::fs::remove_file(record(name));
        return Ok(0);
    }
    let steps = have
        .iter()
        .map(|n| Step::NetnsDel { name: n.clone() })
        .collect();
    crate::plan::apply_sync(Plan::new(format!("lab {name} down"), actions::HOST, steps))?;
    let _ = std::fs::remove_file(record(name));
    Ok(have.len())
}

/// `lab down`: removes every namespace of the lab, and nothing else.
pub fn down(what: &str) -> Result<()> {
    let name = match load(what) {
        Ok(l) => {
            // A lab file brought up before `up` kept records: its nodes say what to remove.
            if !record(&l.name).exists() && !BUILTIN.iter().any(|(n, _)| *n == l.name) {
                let rec = record(&l.name);
                if let Some(d) = rec.parent() {
                    let _ = std::fs::create_dir_all(d);
                }
                let mine: Vec<String> = l.nodes.iter().map(|n| ns_name(&l.name, &n.name)).collect();
                let _ = std::fs::write(&rec, mine.join("\n") + "\n");
            }
            l.name
        }
        Err(_) if word_ok(what) && record(what).exists() => what.to_owned(),
        Err(e) => return Err(e),
    };
    match remove(&name)? {
        0 => eprintln!("netlens: lab {name} is not up; nothing to remove"),
        n => eprintln!("netlens: lab {name} removed ({n} namespaces)"),
    }
    Ok(())
}

/// `lab status`: which namespaces exist, and what of the file is missing in them.
pub fn status(what: &str) -> Result<()> {
    let lab = load(what)?;
    let mut missing = Vec::new();
    for n in &lab.nodes {
        let ns = ns_name(&lab.name, &n.name);
        let Ok(info) = netstate::netns::find(&ns) else {
            println!("{ns}: absent");
            missing.push(ns);
            continue;
        };
        let st = netstate::dump::snapshot_blocking(&info, false)?;
        let mut want: Vec<String> = Vec::new();
        for v in &lab.veth {
            for e in [&v.a, &v.b] {
                let (wns, dev) = at(&lab, e);
                if wns == ns {
                    want.push(dev);
                }
            }
        }
        let made = (lab.bridge.iter().map(|b| (&b.node, &b.name)))
            .chain(lab.macvlan.iter().map(|m| (&m.node, &m.name)))
            .chain(lab.vlan.iter().map(|v| (&v.node, &v.name)))
            .chain(lab.vxlan.iter().map(|v| (&v.node, &v.name)));
        want.extend(
            made.filter(|(node, _)| **node == n.name)
                .map(|(_, name)| name.clone()),
        );
        let gone: Vec<&String> = want
            .iter()
            .filter(|d| st.link_by_name(d).is_none())
            .collect();
        let addr_gone: Vec<&str> = lab
            .address
            .iter()
            .filter(|a| a.node == n.name)
            .filter(|a| {
                let Ok(net) = a.cidr.parse::<ipnet::IpNet>() else {
                    return true;
                };
                !st.addrs.values().any(|x| {
                    x.local.or(x.address) == Some(net.addr()) && x.prefixlen == net.prefix_len()
                })
            })
            .map(|a| a.cidr.as_str())
            .collect();
        if gone.is_empty() && addr_gone.is_empty() {
            println!("{ns}: up, as the file says ({} links)", want.len());
        } else {
            println!("{ns}: DRIFTED: links missing {gone:?}, addresses missing {addr_gone:?}");
            missing.push(ns);
        }
    }
    if !missing.is_empty() {
        bail!(
            "lab {}: {} namespace(s) absent or drifted",
            lab.name,
            missing.len()
        );
    }
    Ok(())
}
