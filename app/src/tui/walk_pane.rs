//! The walkthrough side panel (`netlens walkthrough NAME`): the step's title and
//! explanation, its plan (Enter opens it in the action form: preview, y/n, confirm timer),
//! and its checks, run by an effect and shown as they finish. `n`/`p` move between steps;
//! the tables (and the capture pane, for a step with a capture check) follow the step.

use crate::walkthrough::{Check, CheckKind, Expect, Outcome, StepDef, Walkthrough};

/// Where one check stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckState {
    Running,
    Done(Outcome),
    /// It could not run (a namespace gone, no permission…).
    Error(String),
}

impl CheckState {
    /// Whether it met its expectation (`None` while running or on error).
    pub fn met(&self, c: &Check) -> Option<bool> {
        match self {
            CheckState::Done(o) => Some(o.passed == (c.expect == Expect::Pass)),
            _ => None,
        }
    }
}

/// What the panel asks, when it asks something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// "Leave: remove the lab?"
    Leave,
    /// The lab is being removed.
    Removing,
}

pub struct WalkPane {
    pub w: Walkthrough,
    /// The lab's name (namespaces are `lab::ns_name(lab, node)`).
    pub lab: String,
    pub step: usize,
    /// The generation of the latest check run: older results are ignored.
    pub gen: u64,
    /// One per check of the step on screen.
    pub results: Vec<CheckState>,
    /// Whether each step's plan was applied (in this session).
    pub applied: Vec<bool>,
    /// The step whose plan is in the action form (Enter): an apply then is that plan's.
    pub applying: Option<usize>,
    pub ask: Option<Ask>,
    /// The capture pane was opened by the walkthrough (it closes it on the next step).
    pub opened_capture: bool,
    /// The first step was shown (once the lab's namespaces were discovered).
    pub started: bool,
    /// The step's checks wait for the capture of this generation to start, so that the
    /// pane sees the packets the checks send (since when: after 3 s they run anyway).
    pub checks_after_capture: Option<(u64, std::time::Instant)>,
}

impl WalkPane {
    pub fn new(w: Walkthrough, lab: String) -> WalkPane {
        let n = w.steps.len();
        WalkPane {
            w,
            lab,
            step: 0,
            gen: 0,
            results: Vec::new(),
            applied: vec![false; n],
            applying: None,
            ask: None,
            opened_capture: false,
            started: false,
            checks_after_capture: None,
        }
    }

    pub fn current(&self) -> Option<&StepDef> {
        self.w.steps.get(self.step)
    }

    /// The namespace of a lab node.
    pub fn ns(&self, node: &str) -> String {
        crate::lab::ns_name(&self.lab, node)
    }

    /// Starts a new run of the step's checks: the effect that runs them.
    pub fn run_checks(&mut self) -> Option<super::event::Effect> {
        let checks = self.current()?.checks.clone();
        if checks.is_empty() {
            self.results.clear();
            return None;
        }
        self.gen += 1;
        self.results = vec![CheckState::Running; checks.len()];
        Some(super::event::Effect::RunChecks {
            gen: self.gen,
            lab: self.lab.clone(),
            checks,
        })
    }

    /// A check's result came back.
    pub fn checked(&mut self, gen: u64, index: usize, r: Result<Outcome, String>) -> bool {
        if gen != self.gen {
            return false;
        }
        let Some(slot) = self.results.get_mut(index) else {
            return false;
        };
        *slot = match r {
            Ok(o) => CheckState::Done(o),
            Err(e) => CheckState::Error(e),
        };
        true
    }

    /// The namespace and device the step is about: its capture's interface, a check's
    /// device, or the plan's `--parent`/`--dev`, in the step's node.
    pub fn focus(&self) -> Option<(String, Option<String>)> {
        // The pane's interface, so the tables and the capture show the same one.
        if let Some((ns, dev, _)) = self.capture() {
            return Some((ns, Some(dev)));
        }
        let s = self.current()?;
        let node = s
            .node
            .as_deref()
            .or(s.checks.first().map(|c| c.from.as_str()))?;
        let from_plan = s.plan.as_deref().and_then(|p| {
            let words: Vec<&str> = p.split_whitespace().collect();
            words
                .windows(2)
                .find(|w| w[0] == "--parent" || w[0] == "--dev")
                .map(|w| w[1].to_owned())
        });
        let dev = from_plan.or_else(|| {
            s.checks
                .iter()
                .find(|c| c.from == node)
                .and_then(|c| c.dev.clone())
        });
        Some((self.ns(node), dev))
    }

    /// The capture check of the step, if any (the first expected to see something, else
    /// the first): (namespace, interface, filter).
    pub fn capture(&self) -> Option<(String, String, String)> {
        let checks = &self.current()?.checks;
        let captures = || checks.iter().filter(|c| c.kind == CheckKind::Capture);
        let c = captures()
            .find(|c| c.expect == Expect::Pass)
            .or_else(|| captures().next())?;
        let (node, dev) = c.on.as_deref()?.split_once(':')?;
        Some((
            self.ns(node),
            dev.to_owned(),
            c.filter.clone().unwrap_or_default(),
        ))
    }

    /// `(met, total)` of the checks that finished.
    pub fn tally(&self) -> (usize, usize) {
        let Some(s) = self.current() else {
            return (0, 0);
        };
        let met = s
            .checks
            .iter()
            .zip(&self.results)
            .filter(|(c, r)| r.met(c) == Some(true))
            .count();
        (met, s.checks.len())
    }
}
