//! Relations across namespaces: a macvlan, vlan or vxlan whose parent, or a veth whose
//! peer, lives in another namespace (`IFLA_LINK` + `IFLA_LINK_NETNSID`), resolved through
//! the namespace the id names to the link there.

use crate::inventory::{Inventory, NsEntry};
use crate::model::{Link, NsState};
use crate::netns::NsId;

/// The other end of a link, in another namespace.
#[derive(Debug, Clone, Copy)]
pub struct Elsewhere<'a> {
    /// The namespace, when netlens knows which one the id names.
    pub netns: Option<&'a NsEntry>,
    /// The link there, when that namespace is loaded.
    pub link: Option<&'a Link>,
    pub ifindex: u32,
    pub nsid: i32,
}

impl Elsewhere<'_> {
    /// `eth0@node1`; `if2@node1` when the namespace is known but not its links;
    /// `if2@nsid0` when the namespace is not known.
    pub fn label(&self, l: &Link) -> String {
        let name = self
            .link
            .map_or_else(|| format!("if{}", self.ifindex), |p| p.name.clone());
        match (&l.link_netns, self.netns) {
            (_, Some(e)) => format!("{name}@{}", e.info.name),
            (Some(r), None) => format!("{name}@{}", r.name),
            (None, None) => format!("{name}@nsid{}", self.nsid),
        }
    }

    /// `eth0 in node1`, for sentences.
    pub fn describe(&self, l: &Link) -> String {
        let label = self.label(l);
        match label.rsplit_once('@') {
            Some((n, ns)) if l.link_netns.is_some() || self.netns.is_some() => {
                format!("{n} in {ns}")
            }
            Some((n, _)) => format!("{n} in the namespace with id {}", self.nsid),
            None => label,
        }
    }
}

impl Inventory {
    /// The other end of `l` when it lives in another namespace.
    pub fn elsewhere(&self, l: &Link) -> Option<Elsewhere<'_>> {
        let nsid = l.link_netnsid?;
        let ifindex = l.parent?;
        let netns = l.link_netns.as_ref().and_then(|r| self.get(r.id));
        Some(Elsewhere {
            netns,
            link: netns.and_then(|e| e.state.links.get(&ifindex)),
            ifindex,
            nsid,
        })
    }

    /// The children of link `ifindex` of namespace `ns` (macvlan, macvtap, vlan, vxlan...),
    /// in every namespace: those beside it and those moved into other namespaces.
    pub fn children(&self, ns: NsId, ifindex: u32) -> Vec<(&NsEntry, &Link)> {
        let mut out = Vec::new();
        for e in &self.namespaces {
            for l in e.state.links.values() {
                if l.parent != Some(ifindex) || l.kind.as_deref() == Some("veth") {
                    continue;
                }
                let here = match &l.link_netns {
                    Some(r) => l.link_netnsid.is_some() && r.id == ns,
                    None => l.link_netnsid.is_none() && e.info.id == ns,
                };
                if here {
                    out.push((e, l));
                }
            }
        }
        out
    }
}

/// How the PARENT column names `l`'s parent or peer: `eth0`, or across namespaces
/// `eth0@node1` (see [`Elsewhere::label`]). Without an inventory, the other namespace's
/// links are not known: `if2@node1`.
pub fn parent_label(l: &Link, ns: &NsState, inv: Option<&Inventory>) -> Option<String> {
    let p = l.parent?;
    if let Some(nsid) = l.link_netnsid {
        let e = inv.and_then(|i| i.elsewhere(l)).unwrap_or(Elsewhere {
            netns: None,
            link: None,
            ifindex: p,
            nsid,
        });
        return Some(e.label(l));
    }
    Some(
        ns.link_name(p)
            .map_or_else(|| format!("if{p}"), str::to_owned),
    )
}
