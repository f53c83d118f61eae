//! A plan: the ordered steps of one action, its preview and its undo.

use serde::{Deserialize, Serialize};

use crate::step::Step;
use crate::types::HOST;

/// An ordered list of steps, validated together before any is applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// What the plan does, in a few words (the preview's title, the script's header).
    pub title: String,
    /// The namespace the action is about (`host` for the host).
    pub netns: String,
    pub steps: Vec<Step>,
    /// Some step changes the host namespace: such a plan runs under a confirm timer.
    pub touches_host: bool,
    /// Some step removes a host address or replaces/deletes a host default route:
    /// a remote session may drop if the plan stops half-way.
    pub moves_host_address_or_default_route: bool,
}

impl Plan {
    /// A plan whose two flags are computed from its steps.
    pub fn new(title: impl Into<String>, netns: impl Into<String>, steps: Vec<Step>) -> Plan {
        let touches_host = steps
            .iter()
            .any(|s| s.changes_netns_state() && s.netns() == HOST);
        let moves = steps
            .iter()
            .any(|s| s.netns() == HOST && moves_address_or_default(s));
        Plan {
            title: title.into(),
            netns: netns.into(),
            steps,
            touches_host,
            moves_host_address_or_default_route: moves,
        }
    }

    /// Whether the plan removes an address or replaces or deletes a default route, in any
    /// namespace: the changes that can cut off the session that applies them (over SSH, or
    /// into a namespace a lab calls its host).
    pub fn moves_address_or_default_route(&self) -> bool {
        self.moves_host_address_or_default_route || self.steps.iter().any(moves_address_or_default)
    }

    /// How long the plan, once applied, waits for a confirmation before it is reverted —
    /// the one rule every front end applies: `requested` (a `--confirm SECS`, a walkthrough
    /// step that teaches the timer) for any plan, else `default` for a plan that
    /// [moves an address or default route](Plan::moves_address_or_default_route); none
    /// with `no_confirm`.
    pub fn confirm_secs(
        &self,
        requested: Option<u64>,
        no_confirm: bool,
        default: u64,
    ) -> Option<u64> {
        if no_confirm {
            return None;
        }
        requested.or(self.moves_address_or_default_route().then_some(default))
    }

    /// One shell line per step, every value quoted where it needs it.
    pub fn commands(&self) -> Vec<String> {
        self.steps.iter().map(Step::command_line).collect()
    }

    /// The inverse steps in reverse order. Steps with no inverse are left out:
    /// [`Plan::irreversible`] lists them.
    #[must_use]
    pub fn undo(&self) -> Plan {
        self.undo_except(&[])
    }

    /// The undo of every step but those at `skip` (steps whose effect drifted: undoing
    /// them would overwrite what changed since).
    #[must_use]
    pub fn undo_except(&self, skip: &[usize]) -> Plan {
        // Deleting a link the plan made takes its addresses, routes, neighbours and FDB
        // entries with it, and setting it down first can already flush some (IPv6
        // addresses go when a link goes down): undoing those one by one could only fail.
        let made: Vec<(&str, &str)> = self
            .steps
            .iter()
            .filter_map(|s| match s {
                Step::LinkAdd(l) => Some((l.netns.as_str(), l.name.as_str())),
                _ => None,
            })
            .collect();
        let on_made = |netns: &str, dev: Option<&str>| {
            dev.is_some_and(|d| made.iter().any(|(n, m)| *n == netns && *m == d))
        };
        let steps = self
            .steps
            .iter()
            .enumerate()
            .rev()
            .filter(|(i, _)| !skip.contains(i))
            .filter_map(|(_, s)| s.inverse())
            .filter(|s| match s {
                Step::LinkSet(l) => {
                    !(on_made(&l.netns, Some(&l.name))
                        && matches!(l.change, crate::step::LinkChange::Down))
                }
                Step::AddrDel(a) => !on_made(&a.netns, Some(&a.dev)),
                Step::RouteDel(r) => !on_made(&r.netns, r.dev.as_deref()),
                Step::NeighDel(n) => !on_made(&n.netns, Some(&n.dev)),
                Step::FdbDel(f) => !on_made(&f.netns, Some(&f.dev)),
                _ => true,
            })
            .collect();
        let mut undo = Plan::new(format!("undo: {}", self.title), self.netns.clone(), steps);
        undo.moves_host_address_or_default_route |= self.moves_host_address_or_default_route;
        undo
    }

    /// Steps that change something the undo cannot reverse.
    pub fn irreversible(&self) -> Vec<&Step> {
        self.steps
            .iter()
            .filter(|s| s.inverse().is_none() && !s.is_noop())
            .collect()
    }
}

fn moves_address_or_default(step: &Step) -> bool {
    match step {
        Step::AddrDel(_) => true,
        Step::RouteDel(r) => r.dst.prefix_len() == 0,
        Step::RouteReplace { route, previous } => {
            route.dst.prefix_len() == 0 && previous.as_ref() != Some(route)
        }
        _ => false,
    }
}
