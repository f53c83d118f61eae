//! What `doctor`, `trace` and `topo` share: the host's kernel as the diagnosis asks it
//! (netlink, sysctls, and ARP probes through pcap), namespace patterns, and a one-shot
//! inventory.

use std::net::Ipv4Addr;
use std::time::Duration;

use anyhow::{bail, Result};
use netstate::inventory::Inventory;
use netstate::lookup::{NoRoute, RouteQuery, Rule};
use netstate::model::Route;
use netstate::{netns, NetnsInfo, NsId};

/// The live kernel, with ARP probes sent through pcap.
#[derive(Debug, Clone, Copy, Default)]
pub struct HostKernel;

impl diagnose::Kernel for HostKernel {
    fn route(&self, ns: &NetnsInfo, q: &RouteQuery) -> netstate::Result<Result<Route, NoRoute>> {
        diagnose::Live.route(ns, q)
    }

    fn rules(&self, ns: &NetnsInfo, family: u8) -> netstate::Result<Vec<Rule>> {
        diagnose::Live.rules(ns, family)
    }

    fn sysctl(&self, ns: &NetnsInfo, key: &str) -> Option<String> {
        diagnose::Live.sysctl(ns, key)
    }

    fn arp_answers(&self, ns: &NetnsInfo, dev: &str, mac: [u8; 6], ip: Ipv4Addr) -> Option<bool> {
        capture::arp::answers(ns, dev, mac, ip, Duration::from_millis(300)).ok()
    }
}

/// Whether `s` is a glob (`pod-*`, `nl-lab-?-host`) rather than a name.
fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// The namespaces `pattern` names among `inv`'s: a glob over their names and labels, or
/// one namespace as `--netns` takes it. An error names the pattern when nothing matches.
pub fn select(inv: &Inventory, pattern: &str) -> Result<Vec<NsId>> {
    if !is_glob(pattern) {
        let info = netns::find(pattern)?;
        if inv.get(info.id).is_none() {
            bail!("--netns {pattern}: found, but it could not be read (see the messages above)");
        }
        return Ok(vec![info.id]);
    }
    let p = glob::Pattern::new(pattern)
        .map_err(|e| anyhow::anyhow!("--netns {pattern}: not a valid pattern: {e}"))?;
    let v: Vec<NsId> = inv
        .namespaces
        .iter()
        .filter(|e| p.matches(&e.info.name) || p.matches(&e.info.label()))
        .map(|e| e.info.id)
        .collect();
    if v.is_empty() {
        bail!("--netns {pattern}: no namespace matches (`netlens dump --all` lists them)");
    }
    Ok(v)
}

/// Reads every namespace once into an inventory (relations across namespaces resolved);
/// what cannot be read is said on stderr and left out.
pub async fn inventory_once() -> Result<Inventory> {
    inventory_once_needs(netstate::dump::Needs::ALL).await
}

/// [`inventory_once`] of what `needs` asks of each namespace.
pub async fn inventory_once_needs(needs: netstate::dump::Needs) -> Result<Inventory> {
    tokio::task::spawn_blocking(move || {
        let (inv, said) = inventory_blocking_needs(needs)?;
        for p in said {
            eprintln!("netlens: {p}");
        }
        Ok(inv)
    })
    .await?
}

/// [`inventory_once`] off the async runtime, silently: what could not be read comes back
/// as messages, for the caller to show (the UI never writes to its terminal).
pub fn inventory_blocking() -> Result<(Inventory, Vec<String>)> {
    inventory_blocking_needs(netstate::dump::Needs::ALL)
}

fn inventory_blocking_needs(needs: netstate::dump::Needs) -> Result<(Inventory, Vec<String>)> {
    let d = netns::discover();
    let mut said = d.problems.clone();
    let (inv, errors) = Inventory::read_blocking_needs(d, needs);
    said.extend(errors.iter().map(ToString::to_string));
    if inv.namespaces.is_empty() {
        bail!("no namespace could be read");
    }
    Ok((inv, said))
}
