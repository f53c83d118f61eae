//! Neighbour (ARP/NDP) and bridge FDB steps.

use std::net::IpAddr;

use netstate::model::{Fdb, Neigh, NsState, NTF_MASTER, NTF_SELF};
use serde::{Deserialize, Serialize};

use crate::types::Mac;

/// `NUD_PERMANENT`.
pub const NUD_PERMANENT: u16 = 0x80;
/// `NUD_NOARP`.
pub const NUD_NOARP: u16 = 0x40;

/// `ip [-n NS] neigh add|replace|del IP [lladdr MAC] dev DEV [nud permanent]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeighSpec {
    pub netns: String,
    pub dst: IpAddr,
    pub lladdr: Option<Mac>,
    pub dev: String,
    /// `nud permanent`: a static entry that never expires.
    pub permanent: bool,
}

impl NeighSpec {
    /// Reads an entry from the model; `None` when its device is unnamed.
    pub fn from_model(netns: &str, n: &Neigh, ns: &NsState) -> Option<NeighSpec> {
        Some(NeighSpec {
            netns: netns.to_string(),
            dst: n.dst?,
            lladdr: n.lladdr.as_deref().and_then(Mac::from_bytes),
            dev: ns.link_name(n.ifindex)?.to_string(),
            permanent: n.state & NUD_PERMANENT != 0,
        })
    }

    /// The words after `ip [-n NS]`, for `verb` `add`, `replace` or `del`.
    pub fn args(&self, verb: &str) -> Vec<String> {
        let mut a: Vec<String> = vec!["neigh".into(), verb.into(), self.dst.to_string()];
        if verb != "del" {
            if let Some(mac) = self.lladdr {
                a.extend(["lladdr".into(), mac.to_string()]);
            }
        }
        a.extend(["dev".into(), self.dev.clone()]);
        if verb != "del" && self.permanent {
            a.extend(["nud".into(), "permanent".into()]);
        }
        a
    }
}

/// `bridge [-n NS] fdb append|del MAC dev DEV [dst IP] [vni N] [port N] [self] [master]`
///
/// Without a state keyword `bridge fdb` adds a permanent entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FdbSpec {
    pub netns: String,
    pub mac: Mac,
    pub dev: String,
    /// The remote VTEP (underlay address) of a vxlan entry.
    pub dst: Option<IpAddr>,
    pub vni: Option<u32>,
    pub port: Option<u16>,
    /// `self`: the device's own table (the default when neither flag is given).
    #[serde(rename = "self")]
    pub self_: bool,
    /// `master`: the table of the bridge the device is a port of.
    pub master: bool,
}

impl FdbSpec {
    /// Reads an entry from the model; `None` when its device is unnamed.
    pub fn from_model(netns: &str, f: &Fdb, ns: &NsState) -> Option<FdbSpec> {
        Some(FdbSpec {
            netns: netns.to_string(),
            mac: Mac::from_bytes(&f.mac)?,
            dev: ns.link_name(f.ifindex)?.to_string(),
            dst: f.dst,
            vni: f.vni,
            port: f.port,
            self_: f.flags & NTF_SELF != 0,
            master: f.flags & NTF_MASTER != 0,
        })
    }

    /// The words after `bridge [-n NS]`, for `verb` `append` or `del`.
    pub fn args(&self, verb: &str) -> Vec<String> {
        let mut a: Vec<String> = vec![
            "fdb".into(),
            verb.into(),
            self.mac.to_string(),
            "dev".into(),
            self.dev.clone(),
        ];
        if let Some(dst) = self.dst {
            a.extend(["dst".into(), dst.to_string()]);
        }
        if let Some(vni) = self.vni {
            a.extend(["vni".into(), vni.to_string()]);
        }
        if let Some(port) = self.port {
            a.extend(["port".into(), port.to_string()]);
        }
        if self.self_ {
            a.push("self".into());
        }
        if self.master {
            a.push("master".into());
        }
        a
    }
}
