//! One change to the kernel's network state: its `ip`/`bridge` command and its inverse.
//!
//! A step is plain data. The netlink layer reads the typed fields (names, not
//! ifindexes: it resolves them in the step's namespace when it applies); the
//! command text is for the user, the exported script and the iproute2 oracle.

mod describe;
mod link;
mod neigh;
mod route;

use serde::{Deserialize, Serialize};

pub use link::{
    LinkAdd, LinkChange, LinkDel, LinkKind, LinkSet, VxlanMore, VxlanRemote, VxlanSpec,
};
pub use neigh::{FdbSpec, NeighSpec, NUD_NOARP, NUD_PERMANENT};
pub use route::{AddrSpec, RouteSpec, MAIN_TABLE, SCOPE_LINK};

use crate::types::{shell_quote, HOST};

/// The program a step's command runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tool {
    Ip,
    Bridge,
}

impl Tool {
    /// The program name.
    pub fn as_str(self) -> &'static str {
        match self {
            Tool::Ip => "ip",
            Tool::Bridge => "bridge",
        }
    }
}

/// One operation of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Step {
    /// `ip [-n NS] link add NAME [link PARENT] type KIND ...`
    LinkAdd(LinkAdd),
    /// `ip [-n NS] link set NAME up|down|promisc on|off|master BR|nomaster|netns NS|mtu N|address MAC|name NEW`
    LinkSet(LinkSet),
    /// `ip [-n NS] link del NAME`
    LinkDel(LinkDel),
    /// `ip [-n NS] addr add CIDR dev DEV`
    AddrAdd(AddrSpec),
    /// `ip [-n NS] addr del CIDR dev DEV`
    AddrDel(AddrSpec),
    /// `ip [-n NS] route add DST [via GW] [dev DEV] [table T] [metric M] [src IP] [scope S]`
    RouteAdd(RouteSpec),
    /// `ip [-n NS] route del DST [via GW] [dev DEV] [table T] [metric M] ...`
    RouteDel(RouteSpec),
    /// `ip [-n NS] route replace DST ...`; `previous`: the route it replaces
    /// (`None`: there was none, and the inverse deletes the new one).
    RouteReplace {
        route: RouteSpec,
        previous: Option<RouteSpec>,
    },
    /// `ip [-n NS] neigh add IP lladdr MAC dev DEV [nud permanent]`
    NeighAdd(NeighSpec),
    /// `ip [-n NS] neigh replace IP lladdr MAC dev DEV [nud permanent]`;
    /// `previous` as for `RouteReplace`.
    NeighReplace {
        neigh: NeighSpec,
        previous: Option<NeighSpec>,
    },
    /// `ip [-n NS] neigh del IP dev DEV`
    NeighDel(NeighSpec),
    /// `bridge [-n NS] fdb append MAC dev DEV [dst IP] [vni N] [port N] [self] [master]`
    FdbAppend(FdbSpec),
    /// `bridge [-n NS] fdb del MAC dev DEV [dst IP] [vni N] [port N] [self] [master]`
    FdbDel(FdbSpec),
    /// `ip netns add NAME` (runs from the host; `name` is the namespace created)
    NetnsAdd { name: String },
    /// `ip netns del NAME`
    NetnsDel { name: String },
}

impl Step {
    /// The namespace the step runs in: `-n NS` unless it is the host.
    /// `netns add|del` run from the host.
    pub fn netns(&self) -> &str {
        match self {
            Step::LinkAdd(s) => &s.netns,
            Step::LinkSet(s) => &s.netns,
            Step::LinkDel(s) => &s.netns,
            Step::AddrAdd(s) | Step::AddrDel(s) => &s.netns,
            Step::RouteAdd(s) | Step::RouteDel(s) | Step::RouteReplace { route: s, .. } => &s.netns,
            Step::NeighAdd(s) | Step::NeighDel(s) | Step::NeighReplace { neigh: s, .. } => &s.netns,
            Step::FdbAppend(s) | Step::FdbDel(s) => &s.netns,
            Step::NetnsAdd { .. } | Step::NetnsDel { .. } => HOST,
        }
    }

    /// Whether the step changes a namespace's network state (`netns add|del`
    /// only create or remove the namespace itself).
    pub fn changes_netns_state(&self) -> bool {
        !matches!(self, Step::NetnsAdd { .. } | Step::NetnsDel { .. })
    }

    /// `ip` or `bridge`.
    pub fn tool(&self) -> Tool {
        match self {
            Step::FdbAppend(_) | Step::FdbDel(_) => Tool::Bridge,
            _ => Tool::Ip,
        }
    }

    /// The words after `ip [-n NS]` / `bridge [-n NS]`: a line of `-batch` input.
    pub fn args(&self) -> Vec<String> {
        match self {
            Step::LinkAdd(s) => s.args(),
            Step::LinkSet(s) => s.args(),
            Step::LinkDel(s) => vec!["link".into(), "del".into(), "dev".into(), s.name.clone()],
            Step::AddrAdd(s) => s.args("add"),
            Step::AddrDel(s) => s.args("del"),
            Step::RouteAdd(s) => s.args("add"),
            Step::RouteDel(s) => s.args("del"),
            Step::RouteReplace { route, .. } => route.args("replace"),
            Step::NeighAdd(s) => s.args("add"),
            Step::NeighReplace { neigh, .. } => neigh.args("replace"),
            Step::NeighDel(s) => s.args("del"),
            Step::FdbAppend(s) => s.args("append"),
            Step::FdbDel(s) => s.args("del"),
            Step::NetnsAdd { name } => vec!["netns".into(), "add".into(), name.clone()],
            Step::NetnsDel { name } => vec!["netns".into(), "del".into(), name.clone()],
        }
    }

    /// The argv of the exact command, e.g.
    /// `["ip", "-n", "red", "link", "set", "mv-red", "up"]`.
    pub fn command(&self) -> Vec<String> {
        let mut argv = vec![self.tool().as_str().to_string()];
        if self.netns() != HOST {
            argv.extend(["-n".to_string(), self.netns().to_string()]);
        }
        argv.extend(self.args());
        argv
    }

    /// The command as one shell line, each word quoted where it needs it.
    pub fn command_line(&self) -> String {
        self.command()
            .iter()
            .map(|w| shell_quote(w))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The step changes nothing: a `link set` to the value recorded as its
    /// `previous`.
    pub fn is_noop(&self) -> bool {
        matches!(self, Step::LinkSet(s) if s.previous.as_ref() == Some(&s.change))
    }

    /// The step that undoes this one; `None` only where nothing can undo it
    /// (a `link del` without a recorded `previous`, a `netns del`, a `link set`
    /// whose previous value is unknown or unchanged).
    pub fn inverse(&self) -> Option<Step> {
        Some(match self {
            Step::LinkAdd(s) => Step::LinkDel(s.inverse()),
            Step::LinkSet(s) => Step::LinkSet(s.inverse()?),
            Step::LinkDel(s) => Step::LinkAdd(s.previous.clone()?),
            Step::AddrAdd(s) => Step::AddrDel(s.clone()),
            Step::AddrDel(s) => Step::AddrAdd(s.clone()),
            Step::RouteAdd(s) => Step::RouteDel(s.clone()),
            Step::RouteDel(s) => Step::RouteAdd(s.clone()),
            Step::RouteReplace { route, previous } => match previous {
                Some(p) => Step::RouteReplace {
                    route: p.clone(),
                    previous: Some(route.clone()),
                },
                None => Step::RouteDel(route.clone()),
            },
            Step::NeighAdd(s) => Step::NeighDel(s.clone()),
            Step::NeighReplace { neigh, previous } => match previous {
                Some(p) => Step::NeighReplace {
                    neigh: p.clone(),
                    previous: Some(neigh.clone()),
                },
                None => Step::NeighDel(neigh.clone()),
            },
            Step::NeighDel(s) => {
                s.lladdr?;
                Step::NeighAdd(s.clone())
            }
            Step::FdbAppend(s) => Step::FdbDel(s.clone()),
            Step::FdbDel(s) => Step::FdbAppend(s.clone()),
            Step::NetnsAdd { name } => Step::NetnsDel { name: name.clone() },
            Step::NetnsDel { .. } => return None,
        })
    }
}
