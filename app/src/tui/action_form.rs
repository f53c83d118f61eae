//! Guided actions in the UI: a form per action with a live preview of its commands,
//! validated against the namespace's live state, applied (after a yes) through netlink,
//! recorded for undo, and confirmed within the timer when it moves the host's address.

use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use netstate::{NetnsInfo, NsState};

use crate::plan_cmd::{self, Action};

/// The actions the form offers, in the order PgUp/PgDn cycles them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Shim,
    Vlan,
    Vxlan,
    VxlanPeer,
    Attach,
}

impl Kind {
    const ALL: [Kind; 5] = [
        Kind::Shim,
        Kind::Vlan,
        Kind::Vxlan,
        Kind::VxlanPeer,
        Kind::Attach,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Kind::Shim => "shim: let the host reach its macvlan containers",
            Kind::Vlan => "vlan: a VLAN sub-interface",
            Kind::Vxlan => "vxlan: the local VTEP",
            Kind::VxlanPeer => "vxlan-peer: one peer on a vxlan device",
            Kind::Attach => "attach: give a namespace a macvlan/veth, address and default route",
        }
    }

    /// (label, help) of each field.
    fn fields(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Kind::Shim => &[
                ("parent", "the NIC the containers' macvlans sit on"),
                ("name", "empty: derived from the parent"),
                ("ip", "the shim's address, a /32"),
                ("to", "container IPs or CIDRs, comma-separated"),
                (
                    "move-host-ip",
                    "yes: move the parent's address and routes onto the shim",
                ),
            ],
            Kind::Vlan => &[
                ("parent", ""),
                ("id", "1-4094"),
                ("name", "empty: PARENT.ID"),
                ("ip", "CIDR, optional"),
                ("promisc", "yes/no"),
            ],
            Kind::Vxlan => &[
                ("name", ""),
                ("vni", "0-16777215"),
                ("port", "empty: 4789 (always written as dstport)"),
                ("local", "underlay address"),
                ("dev", "underlay device"),
                ("learning", "yes/no (default no)"),
                ("ip", "overlay CIDR"),
                ("mac", "optional"),
            ],
            Kind::VxlanPeer => &[
                ("dev", "the vxlan device"),
                ("overlay-ip", "the peer's overlay address"),
                ("mac", "the peer's vxlan MAC"),
                ("underlay", "the peer's underlay address"),
                ("routes", "CIDRs behind the peer, comma-separated"),
            ],
            Kind::Attach => &[
                ("parent", ""),
                ("target", "namespace (created if missing)"),
                ("ip", "CIDR"),
                ("gateway", "default route via"),
                ("mode", "bridge|private|vepa|passthru"),
                ("veth", "yes: a veth end instead of a macvlan"),
            ],
        }
    }
}

fn yes(s: &str) -> bool {
    matches!(s.trim(), "yes" | "y" | "true" | "1" | "on")
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

fn list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

fn num(label: &str, s: &str) -> Result<u32, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("--{label} {s}: not a number"))
}

/// What the form is doing.
pub enum Phase {
    Editing,
    /// Asked "apply? y/n".
    AskApply,
    Applying {
        rx: Receiver<anyhow::Result<String>>,
        secs: Option<u64>,
    },
    /// Applied under a confirm timer: `y` keeps it.
    AwaitingConfirm {
        id: String,
        deadline: Instant,
    },
    Done,
}

pub struct ActionForm {
    pub kind: Kind,
    pub values: Vec<String>,
    pub focused: usize,
    pub netns: NetnsInfo,
    pub phase: Phase,
    pub status: Option<String>,
    pub closed: bool,
    parent_hint: String,
}

impl ActionForm {
    /// A form for `kind` in `netns`, with `parent` (the selected link) filled in.
    pub fn new(kind: Kind, netns: &NetnsInfo, parent: &str) -> ActionForm {
        let mut f = ActionForm {
            kind,
            values: Vec::new(),
            focused: 0,
            netns: netns.clone(),
            phase: Phase::Editing,
            status: None,
            closed: false,
            parent_hint: parent.to_owned(),
        };
        f.reset_values();
        f
    }

    fn reset_values(&mut self) {
        self.values = self
            .kind
            .fields()
            .iter()
            .map(|(l, _)| {
                if matches!(*l, "parent" | "dev") {
                    self.parent_hint.clone()
                } else {
                    String::new()
                }
            })
            .collect();
        self.focused = 0;
    }

    pub fn fields(&self) -> Vec<widgets::form::Field<'_>> {
        self.kind
            .fields()
            .iter()
            .zip(&self.values)
            .map(|((label, help), value)| widgets::form::Field { label, value, help })
            .collect()
    }

    fn v(&self, i: usize) -> &str {
        self.values.get(i).map_or("", String::as_str)
    }

    /// The CLI action these values make.
    fn action(&self) -> Result<Action, String> {
        Ok(match self.kind {
            Kind::Shim => Action::Shim {
                parent: self.v(0).trim().to_owned(),
                name: opt(self.v(1)),
                ip: opt(self.v(2)),
                to: list(self.v(3)),
                move_host_ip: yes(self.v(4)),
            },
            Kind::Vlan => Action::Vlan {
                parent: self.v(0).trim().to_owned(),
                id: num("id", self.v(1))?,
                name: opt(self.v(2)),
                ip: opt(self.v(3)),
                promisc: yes(self.v(4)),
                mtu: None,
            },
            Kind::Vxlan => Action::Vxlan {
                name: self.v(0).trim().to_owned(),
                vni: num("vni", self.v(1))?,
                port: opt(self.v(2)).map(|p| num("port", &p)).transpose()?,
                local: self.v(3).trim().to_owned(),
                dev: self.v(4).trim().to_owned(),
                learning: yes(self.v(5)),
                ip: self.v(6).trim().to_owned(),
                mac: opt(self.v(7)),
                mtu: None,
            },
            Kind::VxlanPeer => Action::VxlanPeer {
                dev: self.v(0).trim().to_owned(),
                overlay_ip: self.v(1).trim().to_owned(),
                mac: self.v(2).trim().to_owned(),
                underlay: self.v(3).trim().to_owned(),
                routes: list(self.v(4)),
            },
            Kind::Attach => Action::Attach {
                parent: self.v(0).trim().to_owned(),
                target: self.v(1).trim().to_owned(),
                ip: self.v(2).trim().to_owned(),
                gateway: self.v(3).trim().to_owned(),
                mode: opt(self.v(4)),
                veth: yes(self.v(5)),
                name: None,
            },
        })
    }

    /// The plan for the current values against the namespace's live state, or why not.
    pub fn plan(&self, state: &NsState, target: Option<&NsState>) -> Result<actions::Plan, String> {
        let a = self.action()?;
        plan_cmd::build(&self.netns, state, target, &a).map_err(|e| e.to_string())
    }

    /// Polls a running apply; returns whether anything changed.
    pub fn poll(&mut self) -> bool {
        match &self.phase {
            Phase::Applying { rx, secs } => match rx.try_recv() {
                Ok(Ok(id)) => {
                    self.status = Some(format!(
                        "applied as plan {id} (undo: netlens plan undo {id})"
                    ));
                    match *secs {
                        Some(s) => self.start_confirm(id, s),
                        None => self.phase = Phase::Done,
                    }
                    true
                }
                Ok(Err(e)) => {
                    self.status = Some(format!("not applied: {e:#}"));
                    self.phase = Phase::Editing;
                    true
                }
                Err(_) => false,
            },
            Phase::AwaitingConfirm { deadline, id } if Instant::now() >= *deadline => {
                self.status = Some(format!(
                    "not confirmed in time: the guard reverts plan {id}"
                ));
                self.phase = Phase::Done;
                true
            }
            Phase::AwaitingConfirm { deadline, id } => {
                let left = deadline.saturating_duration_since(Instant::now()).as_secs();
                self.status = Some(format!(
                    "applied as plan {id}: press y within {left} s to keep it, or it is reverted"
                ));
                true
            }
            _ => false,
        }
    }

    /// Handles a key; `plan` is the current preview.
    pub fn on_key(&mut self, k: KeyEvent, plan: Result<actions::Plan, String>) -> bool {
        match (&self.phase, k.code) {
            (Phase::AskApply, KeyCode::Char('y')) => {
                if let Ok(plan) = plan {
                    let secs = plan.moves_host_address_or_default_route.then_some(60);
                    let (tx, rx) = channel();
                    std::thread::spawn(move || {
                        let r = plan_cmd::apply_and_record(plan, secs);
                        let _ = tx.send(r);
                    });
                    self.status = Some("applying…".into());
                    self.phase = Phase::Applying { rx, secs };
                }
            }
            (Phase::AskApply, _) => {
                self.phase = Phase::Editing;
                self.status = Some("not applied".into());
            }
            (Phase::AwaitingConfirm { id, .. }, KeyCode::Char('y')) => {
                let id = id.clone();
                self.status = Some(match plan_cmd::confirm(Some(&id)) {
                    Ok(()) => format!("plan {id} confirmed"),
                    Err(e) => format!("{e:#}"),
                });
                self.phase = Phase::Done;
            }
            (Phase::Applying { .. }, _) => return false,
            (_, KeyCode::Esc) => self.closed = true,
            (_, KeyCode::Tab | KeyCode::Down) => {
                self.focused = (self.focused + 1) % self.values.len().max(1);
            }
            (_, KeyCode::BackTab | KeyCode::Up) => {
                self.focused =
                    (self.focused + self.values.len().max(1) - 1) % self.values.len().max(1);
            }
            (_, KeyCode::PageDown | KeyCode::PageUp) => {
                let i = Kind::ALL.iter().position(|x| *x == self.kind).unwrap_or(0);
                let n = Kind::ALL.len();
                self.kind = Kind::ALL[if k.code == KeyCode::PageDown {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                }];
                self.reset_values();
                self.phase = Phase::Editing;
                self.status = None;
            }
            (_, KeyCode::Enter) => match plan {
                Ok(p) => {
                    self.phase = Phase::AskApply;
                    let timer = if p.moves_host_address_or_default_route {
                        " (under a 60 s confirm timer)"
                    } else {
                        ""
                    };
                    self.status = Some(format!("apply these {} steps{timer}? y/n", p.steps.len()));
                }
                Err(e) => self.status = Some(format!("cannot apply: {e}")),
            },
            (_, KeyCode::Backspace) => {
                if let Some(v) = self.values.get_mut(self.focused) {
                    v.pop();
                }
                self.phase = Phase::Editing;
            }
            (_, KeyCode::Char('u')) if k.modifiers.contains(KeyModifiers::CONTROL) => {
                if let Some(v) = self.values.get_mut(self.focused) {
                    v.clear();
                }
            }
            (_, KeyCode::Char(_)) if k.modifiers.contains(KeyModifiers::CONTROL) => return false,
            (_, KeyCode::Char(c)) => {
                if let Some(v) = self.values.get_mut(self.focused) {
                    v.push(c);
                }
                self.phase = Phase::Editing;
            }
            _ => return false,
        }
        true
    }

    /// After an apply under a timer: wait for `y` (the guard process holds the real timer).
    fn start_confirm(&mut self, id: String, secs: u64) {
        self.phase = Phase::AwaitingConfirm {
            id,
            deadline: Instant::now() + Duration::from_secs(secs),
        };
    }
}
