//! What a diagnosis says: findings with their severity, check, objects, evidence and fix.
//! A fix is data — a guided action's input or a list of `ip`/`bridge` steps — that the CLI
//! prints, the UI opens in its form, and a plan applies; never a command line to parse.

use actions::{ActionInput, Step};
use netstate::l2::LinkAt;
use netstate::NsId;
use serde::{Serialize, Serializer};

/// How bad a finding is. The doctor's exit status is the worst one's: 0 none, 1 warnings,
/// 2 errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// The doctor's checks, by the stable names the JSON and the README use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// A parent with bridge-mode macvlan children elsewhere, an address, and no shim.
    NoShim,
    /// A shim whose host routes to the containers are gone (its link went down and up).
    ShimMissingRoutes,
    /// A container namespace with an address and no default route.
    NoDefaultRoute,
    /// A route via a vxlan peer with no ARP entry for it (nolearning).
    VxlanNoArp,
    /// A route via a vxlan peer with no FDB entry with a destination.
    VxlanNoFdb,
    /// The ARP entry's MAC has no FDB entry while others do (a typo).
    ArpFdbMismatch,
    /// A vxlan device on the kernel's legacy port 8472.
    VxlanLegacyPort,
    /// A vxlan MTU the underlay cannot carry.
    VxlanMtu,
    /// Strict reverse-path filtering against a shim's host routes.
    RpFilter,
    /// A neighbour entry that does not resolve (FAILED, INCOMPLETE), with its cause.
    NeighbourUnresolved,
    /// A macvlan or vlan whose parent is down.
    ParentDown,
    /// A link with addresses that is down or has no carrier.
    LinkDown,
    /// A neighbour entry whose MAC is not the holder's.
    StaleNeighbour,
    /// One address twice on one L2 segment.
    DuplicateAddress,
    /// One VNI on different UDP ports on this host.
    VniPortMismatch,
}

impl Check {
    /// The stable name (`no-shim`).
    pub fn name(self) -> &'static str {
        match self {
            Check::NoShim => "no-shim",
            Check::ShimMissingRoutes => "shim-missing-routes",
            Check::NoDefaultRoute => "no-default-route",
            Check::VxlanNoArp => "vxlan-no-arp",
            Check::VxlanNoFdb => "vxlan-no-fdb",
            Check::ArpFdbMismatch => "arp-fdb-mismatch",
            Check::VxlanLegacyPort => "vxlan-legacy-port",
            Check::VxlanMtu => "vxlan-mtu",
            Check::RpFilter => "rp-filter",
            Check::NeighbourUnresolved => "neighbour-unresolved",
            Check::ParentDown => "parent-down",
            Check::LinkDown => "link-down",
            Check::StaleNeighbour => "stale-neighbour",
            Check::DuplicateAddress => "duplicate-address",
            Check::VniPortMismatch => "vni-port-mismatch",
        }
    }
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// An object a finding or hop is about: a link in a namespace, or a value on it (an
/// address, a MAC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Obj {
    /// The namespace's label.
    pub netns: String,
    #[serde(skip)]
    pub ns: NsId,
    /// The link's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ifindex: Option<u32>,
    /// An address, MAC or route on it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl Obj {
    /// The link at `at`, named through `f`.
    pub fn link(f: &netstate::l2::Fabric<'_>, at: LinkAt) -> Obj {
        Obj {
            netns: f.entry(at.ns).map(|e| e.info.label()).unwrap_or_default(),
            ns: at.ns,
            link: f.link(at).map(|l| l.name.clone()),
            ifindex: Some(at.ifindex),
            value: None,
        }
    }

    /// A value (address, MAC) on the link at `at`.
    pub fn value(f: &netstate::l2::Fabric<'_>, at: LinkAt, v: &impl ToString) -> Obj {
        Obj {
            value: Some(v.to_string()),
            ..Obj::link(f, at)
        }
    }

    /// Where the UI jumps for this object: its namespace and link.
    pub fn target(&self) -> (NsId, Option<u32>) {
        (self.ns, self.ifindex)
    }

    /// `eth0@node1`, `10.0.0.5 on eth0@node1`.
    pub fn label(&self) -> String {
        let at = match &self.link {
            Some(l) => format!("{l}@{}", self.netns),
            None => self.netns.clone(),
        };
        match &self.value {
            Some(v) if self.link.is_some() => format!("{v} on {at}"),
            Some(v) => format!("{v} in {at}"),
            None => at,
        }
    }
}

/// How to fix what a finding or trace found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fix {
    /// A guided action in `netns` (what `netlens plan --netns NS …` builds).
    Plan { netns: String, input: ActionInput },
    /// Plain steps (each an `ip`/`bridge` command netlens applies as a plan).
    Steps {
        title: String,
        netns: String,
        steps: Vec<Step>,
    },
    /// Something netlens does not change itself (a sysctl, a device to recreate by
    /// hand): the command to run.
    Manual(String),
}

impl Fix {
    /// The commands as a user would type them.
    pub fn commands(&self) -> Vec<String> {
        match self {
            Fix::Plan { netns, input } => vec![input.command_line(netns)],
            Fix::Steps { steps, .. } => steps.iter().map(Step::command_line).collect(),
            Fix::Manual(s) => vec![s.clone()],
        }
    }

    /// The fix as one line (commands joined with `; `).
    pub fn line(&self) -> String {
        self.commands().join("; ")
    }

    /// Values the model could not fill, still to be typed ([`BLANKS`]).
    pub fn blanks(&self) -> Vec<&'static str> {
        let line = self.line();
        BLANKS
            .iter()
            .copied()
            .filter(|b| line.contains(b))
            .collect()
    }
}

/// The placeholders a fix carries where the model had no value: the form asks for them.
pub const BLANKS: [&str; 4] = [FREE_IP, GATEWAY, PEER_UNDERLAY_IP, PEER_VXLAN_MAC];
/// An unused address on the subnet.
pub const FREE_IP: &str = "FREE_IP";
/// The gateway of the subnet.
pub const GATEWAY: &str = "GATEWAY";
/// The peer VTEP's underlay address.
pub const PEER_UNDERLAY_IP: &str = "PEER_UNDERLAY_IP";
/// The MAC of the peer's vxlan device.
pub const PEER_VXLAN_MAC: &str = "PEER_VXLAN_MAC";

impl Serialize for Fix {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Fix", 4)?;
        match self {
            Fix::Plan { netns, input } => {
                st.serialize_field("kind", "plan")?;
                st.serialize_field("netns", netns)?;
                st.serialize_field("action", input.name())?;
                st.serialize_field("args", &input.to_args())?;
            }
            Fix::Steps {
                title,
                netns,
                steps,
            } => {
                st.serialize_field("kind", "steps")?;
                st.serialize_field("netns", netns)?;
                st.serialize_field("title", title)?;
                st.serialize_field("steps", steps)?;
            }
            Fix::Manual(_) => st.serialize_field("kind", "manual")?,
        }
        st.serialize_field("commands", &self.commands())?;
        st.end()
    }
}

/// One thing the doctor found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub check: Check,
    /// The namespace it is about (its label).
    pub netns: String,
    #[serde(skip)]
    pub ns: NsId,
    /// The objects involved, the first the one to look at.
    pub objects: Vec<Obj>,
    /// What is wrong, in a sentence.
    pub message: String,
    /// What in the model shows it.
    pub evidence: String,
    pub fix: Option<Fix>,
}

impl Finding {
    /// Whether `needle` (lower case) appears in the finding's namespace, check, message,
    /// evidence or objects: the UI's `/` filter.
    pub fn matches(&self, needle: &str) -> bool {
        let hay = [
            self.netns.as_str(),
            self.check.name(),
            self.message.as_str(),
            self.evidence.as_str(),
        ];
        hay.iter().any(|h| h.to_lowercase().contains(needle))
            || self
                .objects
                .iter()
                .any(|o| o.label().to_lowercase().contains(needle))
    }
}
