//! Unit tests on synthetic hosts (no root): every trace rule and doctor check, and each case
#![allow(clippy::unwrap_used, clippy::format_push_string, reason = "tests")]
//! the diagnosis issue lists.

mod doctor;
mod topo;
mod trace;

use netstate::consts::{MACVLAN_MODE_BRIDGE, NUD_FAILED};
use netstate::l2::LinkAt;
use netstate::NsId;

use crate::synth::Host;
use crate::trace::{Direction, Query, Trace, Verdict};

/// A LAN (`lan`, up0 10.0.0.1, the router), a host (eth0 10.0.0.5, default via
/// 10.0.0.1) and macvlan pods on eth0 with the given addresses and modes.
pub(crate) struct Macvlans {
    pub h: Host,
    pub lan: NsId,
    pub host: NsId,
    pub eth0: LinkAt,
    pub up0: LinkAt,
    pub pods: Vec<(NsId, LinkAt)>,
}

pub(crate) fn macvlans(pods: &[(&str, u32)]) -> Macvlans {
    let mut h = Host::new();
    let lan = h.ns("lan");
    let host = h.ns("host");
    let (eth0, up0) = h.veth(host, "eth0", lan, "up0");
    h.addr(eth0, "10.0.0.5/24");
    h.addr(up0, "10.0.0.1/24");
    h.route(eth0, "default", Some("10.0.0.1"), None);
    let mut v = Vec::new();
    for (i, (ip, mode)) in pods.iter().enumerate() {
        let pod = h.ns(&format!("pod{i}"));
        let mv = h.macvlan(eth0, pod, &format!("mv{i}"), *mode);
        h.addr(mv, &format!("{ip}/24"));
        v.push((pod, mv));
    }
    Macvlans {
        h,
        lan,
        host,
        eth0,
        up0,
        pods: v,
    }
}

pub(crate) fn run(h: &Host, q: Query) -> Trace {
    crate::trace::trace(&h.sim.inv, &h.sim, &q).unwrap_or_else(|e| panic!("trace failed: {e}"))
}

pub(crate) fn shows(t: &Trace) -> String {
    let mut s = String::new();
    for h in &t.hops {
        s.push_str(&format!(
            "[{:?} {}] {:?}: {} — {:?}\n",
            h.direction, h.netns, h.what, h.found, h.status
        ));
    }
    s.push_str(&format!(
        "{:?} ({:?}): {}\nfix: {:?}",
        t.verdict,
        t.broken,
        t.reason,
        t.fix.as_ref().map(crate::Fix::line)
    ));
    s
}

pub(crate) fn assert_verdict(t: &Trace, v: Verdict, dir: Option<Direction>) {
    assert_eq!((t.verdict, t.broken), (v, dir), "{}", shows(t));
}

#[test]
fn bridge_mode_siblings_reach_each_other_and_the_lan() {
    let m = macvlans(&[
        ("10.0.0.10", MACVLAN_MODE_BRIDGE),
        ("10.0.0.11", MACVLAN_MODE_BRIDGE),
    ]);
    let t = run(&m.h, Query::new(m.pods[0].0, "10.0.0.11".parse().unwrap()));
    assert_verdict(&t, Verdict::Reachable, None);
    let t = run(&m.h, Query::new(m.pods[0].0, "10.0.0.1".parse().unwrap()));
    assert_verdict(&t, Verdict::Reachable, None);
    let _ = (m.lan, m.up0, NUD_FAILED);
}
