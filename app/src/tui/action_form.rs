//! Guided actions in the UI: a form per action, made from the same clap definition as
//! `netlens plan ACTION` (`actions::ActionInput`: the fields are its flags, with their
//! help), filled in from the selected object, previewed against the namespace's live
//! state, applied (after a yes) through netlink, recorded for undo, and confirmed within
//! the timer when it moves the host's address.

use std::time::{Duration, Instant};

use actions::{ActionInput, Plan};
use clap::{ArgAction, CommandFactory as _, FromArgMatches as _, Subcommand as _};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use netstate::model::{KindInfo, Link};
use netstate::{NetnsInfo, NsState};

use super::event::{Effect, PaneKey as Key};

/// How long the UI waits for `y` after a plan that moves the host's address.
pub const CONFIRM_SECS: u64 = 60;

/// One action of the form: its name and the flags it takes.
#[derive(Debug, Clone)]
pub struct ActionDef {
    pub name: String,
    pub about: String,
    pub fields: Vec<FieldDef>,
}

/// One flag of an action, as the form shows it.
#[derive(Debug, Clone)]
pub struct FieldDef {
    /// The long flag, without `--` (`parent`, `overlay-ip`).
    pub long: String,
    pub help: String,
    /// A switch (`--veth`): "yes" turns it on.
    pub switch: bool,
    /// Repeatable (`--to`): comma-separated in the form.
    pub many: bool,
    pub required: bool,
}

/// The actions, read from the clap definition.
pub fn definitions() -> Vec<ActionDef> {
    #[derive(clap::Parser)]
    struct Root {
        #[command(subcommand)]
        a: ActionInput,
    }
    let _ = ActionInput::has_subcommand("shim");
    Root::command()
        .get_subcommands()
        .map(|sc| ActionDef {
            name: sc.get_name().to_owned(),
            about: sc.get_about().map(ToString::to_string).unwrap_or_default(),
            fields: sc
                .get_arguments()
                .filter_map(|a| {
                    let long = a.get_long()?.to_owned();
                    if long == "help" {
                        return None;
                    }
                    let switch = matches!(a.get_action(), ArgAction::SetTrue);
                    let many = matches!(a.get_action(), ArgAction::Append);
                    let mut help = a.get_help().map(ToString::to_string).unwrap_or_default();
                    if switch {
                        help = format!("yes/no: {help}");
                    }
                    Some(FieldDef {
                        long,
                        help,
                        switch,
                        many,
                        required: a.is_required_set(),
                    })
                })
                .collect(),
        })
        .collect()
}

fn yes(s: &str) -> bool {
    matches!(s.trim(), "yes" | "y" | "true" | "1" | "on")
}

/// What the form is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    Editing,
    /// Asked "apply? y/n".
    AskApply,
    Applying {
        confirm_secs: Option<u64>,
    },
    /// Applied under a confirm timer: `y` keeps it.
    AwaitingConfirm {
        id: String,
        deadline: Instant,
    },
    Confirming,
    /// Applied (and confirmed, if it had to be): the preview shows what was done.
    Done,
}

pub struct ActionForm {
    pub defs: Vec<ActionDef>,
    /// The action shown (index into `defs`).
    pub kind: usize,
    /// One value per field of the action shown.
    pub values: Vec<String>,
    pub focused: usize,
    pub netns: NetnsInfo,
    pub phase: Phase,
    pub status: Option<String>,
    /// The plan for the current values, or why there is none: computed by `update` when the
    /// values or the namespace change, never while drawing.
    pub preview: Result<Plan, String>,
    /// The link selected when the form opened (defaults come from it).
    selected: Option<Link>,
    /// How long a plan that moves the host's address waits for `y` (settings).
    pub confirm_secs: u64,
    /// Every plan runs under the confirm timer (a walkthrough step that teaches it).
    pub force_confirm: bool,
    /// A fix's own steps: no fields, this plan is the preview.
    fixed: Option<Plan>,
}

impl ActionForm {
    /// A form for the first action in `netns`, filled in from the `selected` link.
    pub fn new(netns: &NetnsInfo, st: &NsState, selected: Option<&Link>) -> ActionForm {
        let mut f = ActionForm {
            defs: definitions(),
            kind: 0,
            values: Vec::new(),
            focused: 0,
            netns: netns.clone(),
            phase: Phase::Editing,
            status: None,
            preview: Err("(nothing yet)".into()),
            selected: selected.cloned(),
            confirm_secs: CONFIRM_SECS,
            force_confirm: false,
            fixed: None,
        };
        f.reset_values(st);
        f
    }

    /// Shows `action` with these flags filled in (`--to` given twice becomes `a, b`), as a
    /// fix the doctor or the trace proposes.
    pub fn prefill(&mut self, st: &NsState, action: &str, flags: &[(String, Option<String>)]) {
        if let Some(k) = self.defs.iter().position(|d| d.name == action) {
            self.kind = k;
            self.reset_values(st);
        }
        let Some(def) = self.defs.get(self.kind).cloned() else {
            return;
        };
        for (flag, value) in flags {
            let Some(i) = def.fields.iter().position(|f| f.long == *flag) else {
                continue;
            };
            let Some(slot) = self.values.get_mut(i) else {
                continue;
            };
            let v = value.clone().unwrap_or_else(|| "yes".into());
            if def.fields[i].many && !slot.is_empty() {
                slot.push_str(", ");
                slot.push_str(&v);
            } else {
                *slot = v;
            }
        }
        self.status = Some("a proposed fix: check the values (FREE_IP, …), Enter applies".into());
    }

    /// Shows a proposed action (a doctor's or trace's fix), its flags filled in.
    pub fn prefill_input(&mut self, st: &NsState, input: &ActionInput) {
        let args = input.to_args();
        let Some((action, mut rest)) = args.split_first() else {
            return;
        };
        let switches: Vec<String> = self
            .defs
            .iter()
            .find(|d| d.name == *action)
            .map(|d| {
                d.fields
                    .iter()
                    .filter(|f| f.switch)
                    .map(|f| f.long.clone())
                    .collect()
            })
            .unwrap_or_default();
        let mut flags = Vec::new();
        while let Some((flag, tail)) = rest.split_first() {
            let name = flag.trim_start_matches("--").to_owned();
            if switches.contains(&name) {
                flags.push((name, None));
                rest = tail;
            } else {
                flags.push((name, tail.first().cloned()));
                rest = tail.get(1..).unwrap_or_default();
            }
        }
        self.prefill(st, action, &flags);
        let blanks: Vec<&str> = diagnose::report::BLANKS
            .iter()
            .copied()
            .filter(|b| self.values.iter().any(|v| v.contains(b)))
            .collect();
        self.status = Some(if blanks.is_empty() {
            "a proposed fix, filled in from the live state: Enter previews it and asks y/n".into()
        } else {
            format!(
                "a proposed fix: fill in {} (netlens could not tell), then Enter",
                blanks.join(", ")
            )
        });
    }

    /// Shows a fix made of plain steps: nothing to fill in, the plan is the preview.
    pub fn fixed(&mut self, plan: Plan) {
        self.defs = vec![ActionDef {
            name: "fix".into(),
            about: plan.title.clone(),
            fields: Vec::new(),
        }];
        self.kind = 0;
        self.values.clear();
        self.focused = 0;
        self.preview = Ok(plan.clone());
        self.fixed = Some(plan);
        self.status = Some("a proposed fix: Enter asks y/n before applying these steps".into());
    }

    /// A fix's own steps, not an action's fields.
    pub fn is_fixed(&self) -> bool {
        self.fixed.is_some()
    }

    pub fn def(&self) -> Option<&ActionDef> {
        self.defs.get(self.kind)
    }

    /// Fills the fields with what the selected object suggests.
    fn reset_values(&mut self, st: &NsState) {
        let defaults = self
            .def()
            .map(|d| defaults(&d.name, st, self.selected.as_ref()))
            .unwrap_or_default();
        self.values = self
            .def()
            .map(|d| {
                d.fields
                    .iter()
                    .map(|fd| {
                        defaults
                            .iter()
                            .find(|(k, _)| *k == fd.long)
                            .map(|(_, v)| v.clone())
                            .unwrap_or_default()
                    })
                    .collect()
            })
            .unwrap_or_default();
        self.focused = 0;
    }

    pub fn fields(&self) -> Vec<widgets::form::Field<'_>> {
        self.def()
            .map(|d| {
                d.fields
                    .iter()
                    .zip(&self.values)
                    .map(|(fd, value)| widgets::form::Field {
                        label: &fd.long,
                        value,
                        help: &fd.help,
                        required: fd.required,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The action these values make, parsed by the CLI's own definition; a bad value is
    /// named by its flag.
    pub fn input(&self) -> Result<ActionInput, String> {
        let def = self.def().ok_or("no action")?;
        let mut argv = vec!["plan".to_owned(), def.name.clone()];
        for (fd, v) in def.fields.iter().zip(&self.values) {
            let v = v.trim();
            if fd.switch {
                if yes(v) {
                    argv.push(format!("--{}", fd.long));
                }
            } else if fd.many {
                for item in v.split(',').map(str::trim).filter(|x| !x.is_empty()) {
                    argv.push(format!("--{}={item}", fd.long));
                }
            } else if !v.is_empty() {
                argv.push(format!("--{}={v}", fd.long));
            }
        }
        let cmd = ActionInput::augment_subcommands(clap::Command::new("plan"))
            .no_binary_name(false)
            .disable_help_subcommand(true);
        let m = cmd
            .try_get_matches_from(argv)
            .map_err(|e| clap_message(&e))?;
        ActionInput::from_arg_matches(&m).map_err(|e| clap_message(&e))
    }

    /// Computes the preview against the live state of its namespace (and of attach's
    /// target), with what the kernel supports (`None`: not known yet).
    pub fn refresh(
        &mut self,
        st: &NsState,
        target: impl Fn(&str) -> Option<NsState>,
        kernel: Option<actions::KernelSupport>,
        inv: Option<&netstate::inventory::Inventory>,
    ) {
        if matches!(
            self.phase,
            Phase::Done | Phase::Applying { .. } | Phase::AwaitingConfirm { .. }
        ) {
            return;
        }
        if let Some(p) = &self.fixed {
            self.preview = Ok(p.clone());
            return;
        }
        let Some(kernel) = kernel else {
            self.preview = Err("checking what this kernel supports…".into());
            return;
        };
        self.preview = self.input().and_then(|input| {
            let t = input.target_ns().and_then(&target);
            crate::plan::build_with(
                &self.netns,
                st,
                t.as_ref(),
                &crate::plan::Action::Build(input),
                kernel,
                inv,
            )
            .map_err(|e| e.to_string())
        });
    }

    /// A plan was applied (or not).
    pub fn applied(&mut self, r: Result<String, String>, now: Instant) {
        let Phase::Applying { confirm_secs } = self.phase else {
            return;
        };
        match r {
            Ok(id) => {
                if let Some(s) = confirm_secs {
                    self.status = Some(format!(
                        "applied as plan {id}: press y within {s} s to keep it, or it is reverted"
                    ));
                    self.phase = Phase::AwaitingConfirm {
                        id,
                        deadline: now + Duration::from_secs(s),
                    };
                } else {
                    self.status = Some(format!(
                        "applied as plan {id} (undo: netlens plan undo {id}); Esc closes, any other key edits again"
                    ));
                    self.phase = Phase::Done;
                }
            }
            Err(e) => {
                self.status = Some(format!("not applied: {e}"));
                self.phase = Phase::Editing;
            }
        }
    }

    /// A confirmation came back.
    pub fn confirmed(&mut self, r: Result<String, String>) {
        self.status = Some(match r {
            Ok(id) => format!("plan {id} confirmed: it stays"),
            Err(e) => e,
        });
        self.phase = Phase::Done;
    }

    /// Time passed: counts the confirm timer down. Returns whether the status changed.
    pub fn tick(&mut self, now: Instant) -> bool {
        let Phase::AwaitingConfirm { id, deadline } = &self.phase else {
            return false;
        };
        if now >= *deadline {
            self.status = Some(format!(
                "not confirmed in time: the guard reverts plan {id}"
            ));
            self.phase = Phase::Done;
        } else {
            let left = deadline.saturating_duration_since(now).as_secs();
            self.status = Some(format!(
                "applied as plan {id}: press y within {left} s to keep it, or it is reverted"
            ));
        }
        true
    }

    /// Handles a key.
    pub fn on_key(&mut self, k: KeyEvent, st: &NsState) -> Key {
        let n = self.values.len().max(1);
        match (&self.phase, k.code) {
            (Phase::AskApply, KeyCode::Char('y')) => {
                if let Ok(plan) = &self.preview {
                    let confirm_secs = plan.confirm_secs(
                        self.force_confirm.then_some(self.confirm_secs),
                        false,
                        self.confirm_secs,
                    );
                    self.status = Some("applying…".into());
                    self.phase = Phase::Applying { confirm_secs };
                    return Key::Effect(Box::new(Effect::ApplyPlan {
                        plan: Box::new(plan.clone()),
                        confirm_secs,
                    }));
                }
                self.phase = Phase::Editing;
            }
            (Phase::AskApply, _) => {
                self.phase = Phase::Editing;
                self.status = Some("not applied".into());
            }
            (Phase::AwaitingConfirm { id, .. }, KeyCode::Char('y')) => {
                let id = id.clone();
                self.status = Some(format!("confirming plan {id}…"));
                self.phase = Phase::Confirming;
                return Key::Effect(Box::new(Effect::ConfirmPlan { id }));
            }
            (Phase::Applying { .. } | Phase::Confirming | Phase::AwaitingConfirm { .. }, _) => {
                return Key::Unused
            }
            (_, KeyCode::Esc) => return Key::Close,
            (Phase::Done, _) => {
                // Back to editing: the next plan starts from these values.
                self.phase = Phase::Editing;
                self.status = None;
            }
            (_, KeyCode::Tab | KeyCode::Down) => self.focused = (self.focused + 1) % n,
            (_, KeyCode::BackTab | KeyCode::Up) => self.focused = (self.focused + n - 1) % n,
            (_, KeyCode::PageDown | KeyCode::PageUp) if self.fixed.is_none() => {
                let m = self.defs.len().max(1);
                self.kind = if k.code == KeyCode::PageDown {
                    (self.kind + 1) % m
                } else {
                    (self.kind + m - 1) % m
                };
                self.reset_values(st);
                self.phase = Phase::Editing;
                self.status = None;
            }
            (_, KeyCode::Enter) => match &self.preview {
                Ok(p) => {
                    self.phase = Phase::AskApply;
                    let timer = match p.confirm_secs(
                        self.force_confirm.then_some(self.confirm_secs),
                        false,
                        self.confirm_secs,
                    ) {
                        Some(s) => format!(" (under a {s} s confirm timer: it moves an address or the default route)"),
                        None => String::new(),
                    };
                    self.status = Some(format!("apply these {} steps{timer}? y/n", p.steps.len()));
                }
                Err(e) => self.status = Some(format!("cannot apply: {e}")),
            },
            (_, KeyCode::Backspace) => {
                if let Some(v) = self.values.get_mut(self.focused) {
                    v.pop();
                }
            }
            (_, KeyCode::Char('u')) if k.modifiers.contains(KeyModifiers::CONTROL) => {
                if let Some(v) = self.values.get_mut(self.focused) {
                    v.clear();
                }
            }
            (_, KeyCode::Char(_)) if k.modifiers.contains(KeyModifiers::CONTROL) => {
                return Key::Unused
            }
            (_, KeyCode::Char(c)) => {
                if let Some(v) = self.values.get_mut(self.focused) {
                    v.push(c);
                }
            }
            _ => return Key::Unused,
        }
        Key::Changed
    }
}

/// clap's error as one message naming the flag at fault, without its usage lines.
fn clap_message(e: &clap::Error) -> String {
    let s = e.to_string();
    let body: Vec<&str> = s
        .lines()
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    body.join(" ")
        .trim_start_matches("error: ")
        .replace("'plan ", "'")
}

/// The values an action's fields start with, from the selected link: the parent for
/// shim/vlan/attach (a macvlan's own parent when a macvlan is selected); for vxlan, the
/// underlay and its address (a selected vxlan's own underlay, never the vxlan itself, else
/// the selected link, else the device of the default route); for vxlan-peer, the vxlan.
fn defaults(action: &str, st: &NsState, sel: Option<&Link>) -> Vec<(&'static str, String)> {
    let name = |i: u32| st.link_name(i).map(str::to_owned);
    let first_v4 = |ifindex: u32| {
        st.addrs
            .values()
            .find(|a| a.ifindex == ifindex && a.family == 2)
            .and_then(|a| a.local.or(a.address))
            .map(|a| a.to_string())
    };
    let is_vxlan = |l: &Link| matches!(l.info, KindInfo::Vxlan(_));
    let default_dev = || {
        st.routes
            .values()
            .find(|r| r.dst.is_none() && r.family == 2 && r.table == 254)
            .and_then(|r| r.oif)
    };
    let mut out = Vec::new();
    match action {
        "route" => {
            if let Some(l) = sel {
                out.push(("dev", l.name.clone()));
            }
        }
        "shim" | "vlan" | "attach" => {
            let parent = sel.map(|l| match (&l.info, l.parent, l.link_netnsid) {
                (KindInfo::Macvlan { .. }, Some(p), None) => name(p).unwrap_or(l.name.clone()),
                _ => l.name.clone(),
            });
            if let Some(p) = parent {
                out.push(("parent", p));
            }
        }
        "vxlan" => {
            let underlay = match sel {
                Some(l) if is_vxlan(l) => match &l.info {
                    KindInfo::Vxlan(v) => v.link,
                    _ => None,
                },
                Some(l) => Some(l.ifindex),
                None => default_dev(),
            };
            if let Some(u) = underlay {
                if let Some(n) = name(u) {
                    out.push(("dev", n));
                }
                if let Some(a) = first_v4(u) {
                    out.push(("local", a));
                }
            }
        }
        "vxlan-peer" => {
            let dev = match sel {
                Some(l) if is_vxlan(l) => Some(l.name.clone()),
                _ => st
                    .links
                    .values()
                    .find(|l| is_vxlan(l))
                    .map(|l| l.name.clone()),
            };
            if let Some(d) = dev {
                out.push(("dev", d));
            }
        }
        _ => {}
    }
    out
}
