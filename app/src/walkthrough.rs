//! Guided walkthroughs (`assets/walkthroughs/*.toml`): a lab to start from, then steps,
//! each with an explanation, an optional plan (a `netlens plan` action, applied through the
//! actions engine) and checks netlens runs itself — an ICMP echo from a namespace (a raw
//! socket netlens opens there, no `ping`), a route, neighbour or FDB entry present, a
//! capture that sees a packet matching a BPF filter — each stating what it expects (a check
//! that "fails before the fix" expects to fail). `--auto` runs it headless; the UI shows it
//! as a side panel (`netlens walkthrough NAME`).

use std::net::IpAddr;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::{FromArgMatches as _, Subcommand as _};
use serde::Deserialize;

const BUILTIN: &[(&str, &str)] = &[
    (
        "macvlan-bridge",
        include_str!("../../assets/walkthroughs/macvlan-bridge.toml"),
    ),
    (
        "host-isolation",
        include_str!("../../assets/walkthroughs/host-isolation.toml"),
    ),
    (
        "vxlan-by-hand",
        include_str!("../../assets/walkthroughs/vxlan-by-hand.toml"),
    ),
    (
        "vlan-macvlan",
        include_str!("../../assets/walkthroughs/vlan-macvlan.toml"),
    ),
    (
        "macvlan-modes",
        include_str!("../../assets/walkthroughs/macvlan-modes.toml"),
    ),
];

/// Exit status of `walkthrough --auto` when this kernel lacks what the lab needs.
pub const EXIT_UNSUPPORTED: i32 = 3;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Walkthrough {
    pub name: String,
    pub title: String,
    /// The lab it starts from (a built-in lab's name).
    pub lab: String,
    #[serde(rename = "step")]
    pub steps: Vec<StepDef>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepDef {
    pub title: String,
    pub explain: String,
    /// A `netlens plan` action line (`shim --parent eth0 --ip …`) applied in `node`.
    #[serde(default)]
    pub plan: Option<String>,
    /// The node the step is about: its plan applies there, the UI shows its namespace.
    #[serde(default)]
    pub node: Option<String>,
    /// The UI applies the plan under the confirm timer (as it does for the host's own
    /// address), to show how a risky change is kept or reverted.
    #[serde(default)]
    pub confirm: bool,
    #[serde(default, rename = "check")]
    pub checks: Vec<Check>,
}

/// What a check looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckKind {
    /// An ICMP echo from `from` to `to` gets its reply.
    Ping,
    /// The kernel of `from` has a route to `to` (its answer to `ip route get`).
    Route,
    /// `from` has a usable neighbour entry for `to` (on `dev` when given).
    Neigh,
    /// `from`'s device `dev` has an FDB entry for the MAC `to`.
    Fdb,
    /// A capture on `on` (`NODE:DEV`) sees a packet matching `filter` within `secs`
    /// seconds while `from` sends an ICMP echo to `to`.
    Capture,
    /// netlens's own trace from `from` to `to` finds the path there and back open (it
    /// passes for `reachable` and for a path that leaves the host).
    Trace,
}

impl CheckKind {
    fn word(self) -> &'static str {
        match self {
            CheckKind::Ping => "ping",
            CheckKind::Route => "route",
            CheckKind::Neigh => "neigh",
            CheckKind::Fdb => "fdb",
            CheckKind::Capture => "capture",
            CheckKind::Trace => "trace",
        }
    }
}

/// What a check is expected to show at its step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    Pass,
    Fail,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    pub kind: CheckKind,
    pub from: String,
    /// An address (a MAC for `fdb`).
    pub to: String,
    /// The device (`neigh`, `fdb`; for `route`, the device the route must leave by).
    #[serde(default)]
    pub dev: Option<String>,
    /// Where a capture listens: `NODE:DEV`.
    #[serde(default)]
    pub on: Option<String>,
    /// A capture's BPF filter (tcpdump's syntax).
    #[serde(default)]
    pub filter: Option<String>,
    /// How long a capture waits, in seconds (default 2).
    #[serde(default)]
    pub secs: Option<u64>,
    pub expect: Expect,
    /// Why, in words (shown with the result).
    #[serde(default)]
    pub why: String,
}

impl Check {
    /// One line saying what the check does: `ping pod1 → 10.10.0.12`.
    pub fn describe(&self) -> String {
        match self.kind {
            CheckKind::Capture => format!(
                "capture on {} [{}] while {} pings {}",
                self.on.as_deref().unwrap_or("?"),
                self.filter.as_deref().unwrap_or(""),
                self.from,
                self.to
            ),
            CheckKind::Fdb | CheckKind::Neigh => format!(
                "{} {} has {}{}",
                self.kind.word(),
                self.from,
                self.to,
                self.dev
                    .as_deref()
                    .map(|d| format!(" on {d}"))
                    .unwrap_or_default()
            ),
            CheckKind::Route => format!(
                "route {} → {}{}",
                self.from,
                self.to,
                self.dev
                    .as_deref()
                    .map(|d| format!(" dev {d}"))
                    .unwrap_or_default()
            ),
            CheckKind::Ping => format!("ping {} → {}", self.from, self.to),
            CheckKind::Trace => {
                format!("netlens trace {} → {}, there and back", self.from, self.to)
            }
        }
    }
}

fn names() -> String {
    BUILTIN
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads a walkthrough: a built-in name or a file. Errors name the line and key (TOML) or
/// the step, check and field.
pub fn load(what: &str) -> Result<Walkthrough> {
    let text = if let Some((_, t)) = BUILTIN.iter().find(|(n, _)| *n == what) {
        (*t).to_owned()
    } else {
        std::fs::read_to_string(what).with_context(|| {
            format!(
                "{what}: not a built-in walkthrough ({}) nor a readable file",
                names()
            )
        })?
    };
    let w: Walkthrough = toml::from_str(&text).map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
    let lab = crate::lab::load(&w.lab).map_err(|e| anyhow::anyhow!("{what}: lab: {e}"))?;
    let nodes: Vec<&str> = lab.nodes.iter().map(|n| n.name.as_str()).collect();
    let node_ok = |field: String, n: &str| -> Result<()> {
        if nodes.contains(&n) {
            Ok(())
        } else {
            bail!(
                "{what}: {field} = {n:?}: lab {} has no node {n} ({})",
                lab.name,
                nodes.join(", ")
            )
        }
    };
    for (i, s) in w.steps.iter().enumerate() {
        let at = format!("step[{i}]");
        if let Some(n) = &s.node {
            node_ok(format!("{at}.node"), n)?;
        }
        if s.plan.is_some() && s.node.is_none() {
            bail!("{what}: {at}.plan: a step with a plan names its node");
        }
        if let Some(p) = &s.plan {
            parse_plan_line(p).map_err(|e| anyhow::anyhow!("{what}: {at}.plan: {e}"))?;
        }
        for (j, c) in s.checks.iter().enumerate() {
            let at = format!("{at}.check[{j}]");
            node_ok(format!("{at}.from"), &c.from)?;
            if c.kind == CheckKind::Fdb {
                c.to.parse::<actions::Mac>()
                    .map_err(|_| anyhow::anyhow!("{what}: {at}.to = {:?}: a MAC", c.to))?;
                if c.dev.is_none() {
                    bail!("{what}: {at}.dev: an fdb check names the device");
                }
            } else {
                c.to.parse::<IpAddr>()
                    .map_err(|_| anyhow::anyhow!("{what}: {at}.to = {:?}: an address", c.to))?;
            }
            if c.kind == CheckKind::Capture {
                let Some(on) = &c.on else {
                    bail!("{what}: {at}.on: a capture check names NODE:DEV");
                };
                let Some((n, _)) = on.split_once(':') else {
                    bail!("{what}: {at}.on = {on:?}: write NODE:DEV");
                };
                node_ok(format!("{at}.on"), n)?;
                let f = c.filter.as_deref().unwrap_or("");
                capture::source::check_filter(1, f)
                    .map_err(|e| anyhow::anyhow!("{what}: {at}.filter = {f:?}: {e}"))?;
            }
        }
    }
    Ok(w)
}

/// `walkthrough list`.
pub fn list() {
    for (name, text) in BUILTIN {
        let w = toml::from_str::<Walkthrough>(text);
        let (title, steps) = w.map(|w| (w.title, w.steps.len())).unwrap_or_default();
        println!("{name:<16} {steps:>2} steps  {title}");
    }
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub passed: bool,
    /// What it saw, in words.
    pub saw: String,
}

/// One dump of the namespace, without counters (no runtime needed: the dump is blocking).
fn snapshot(info: &netstate::NetnsInfo) -> Result<netstate::NsState> {
    Ok(netstate::dump::snapshot_blocking(info, false)?)
}

/// Runs one check in the lab `lab` (blocking: up to a few seconds).
pub fn run_check(lab: &str, c: &Check) -> Result<Outcome> {
    let ns = crate::lab::ns_name(lab, &c.from);
    let info = netstate::netns::find(&ns).with_context(|| format!("check from {}", c.from))?;
    let out = |passed, saw: String| Ok(Outcome { passed, saw });
    match c.kind {
        CheckKind::Ping => {
            let to: IpAddr = c.to.parse()?;
            match netstate::probe::echo(&info, to, None, Duration::from_secs(1)) {
                Ok(Some(d)) => out(
                    true,
                    format!("echo reply in {:.1} ms", d.as_secs_f64() * 1000.0),
                ),
                Ok(None) => out(false, "no echo reply within 1 s".into()),
                // No route: the echo cannot even leave, which is the check failing.
                Err(e) if e.to_string().contains("unreachable") => {
                    out(false, format!("the echo cannot leave: {e}"))
                }
                Err(e) => Err(e.into()),
            }
        }
        CheckKind::Route => {
            let to: IpAddr = c.to.parse()?;
            match netstate::lookup::route_get(&info, &netstate::lookup::RouteQuery::to(to))? {
                Ok(r) => {
                    let st = snapshot(&info)?;
                    let dev = r.oif.and_then(|i| st.link_name(i)).unwrap_or("?");
                    let via = r.gateway.map(|g| format!(" via {g}")).unwrap_or_default();
                    let saw = format!("the kernel routes it{via} dev {dev}");
                    // With `dev`, the route must leave by that device.
                    let ok = c.dev.as_deref().is_none_or(|want| want == dev);
                    out(ok, saw)
                }
                Err(e) => out(false, format!("no route: {}", e.message())),
            }
        }
        CheckKind::Neigh => {
            let to: IpAddr = c.to.parse()?;
            let st = snapshot(&info)?;
            let dev = c
                .dev
                .as_deref()
                .and_then(|d| st.link_by_name(d))
                .map(|l| l.ifindex);
            // NUD_INCOMPLETE (0x01) and NUD_FAILED (0x20) entries are not usable.
            let found = st.neighs.values().find(|n| {
                n.dst == Some(to)
                    && dev.is_none_or(|d| d == n.ifindex)
                    && n.state & 0x21 == 0
                    && n.lladdr.is_some()
            });
            match found {
                Some(n) => out(
                    true,
                    format!(
                        "{to} is at {} on {}",
                        n.lladdr
                            .as_deref()
                            .map(netstate::names::mac)
                            .unwrap_or_default(),
                        st.link_name(n.ifindex).unwrap_or("?")
                    ),
                ),
                None => out(false, format!("no usable neighbour entry for {to}")),
            }
        }
        CheckKind::Trace => {
            let to: IpAddr = c.to.parse()?;
            let (inv, _) = crate::cli::diag::inventory_blocking()?;
            let t = diagnose::trace(
                &inv,
                &crate::cli::diag::HostKernel,
                &diagnose::Query::new(info.id, to),
            )?;
            out(t.verdict != diagnose::Verdict::Broken, t.reason)
        }
        CheckKind::Fdb => {
            let mac: actions::Mac =
                c.to.parse()
                    .map_err(|_| anyhow::anyhow!("{}: a MAC", c.to))?;
            let want = mac.to_string().to_ascii_lowercase();
            let st = snapshot(&info)?;
            let dev = c.dev.as_deref().unwrap_or_default();
            let Some(l) = st.link_by_name(dev) else {
                return out(false, format!("no device {dev} in {}", c.from));
            };
            let hits: Vec<String> = st
                .fdb
                .values()
                .filter(|f| f.ifindex == l.ifindex && netstate::names::mac(&f.mac) == want)
                .map(|f| f.dst.map_or_else(|| "local".into(), |d| format!("dst {d}")))
                .collect();
            if hits.is_empty() {
                out(false, format!("no FDB entry for {want} on {dev}"))
            } else {
                out(true, format!("{want} on {dev}: {}", hits.join(", ")))
            }
        }
        CheckKind::Capture => capture_check(lab, c, &info),
    }
}

/// A capture on `c.on` with `c.filter`, while `from` sends an echo to `to`.
fn capture_check(lab: &str, c: &Check, from: &netstate::NetnsInfo) -> Result<Outcome> {
    let on = c.on.as_deref().unwrap_or_default();
    let (node, dev) = on.split_once(':').unwrap_or((on, ""));
    let info = netstate::netns::find(&crate::lab::ns_name(lab, node))?;
    let filter = c.filter.clone().unwrap_or_default();
    // The ports of the namespace's vxlan devices decode as VXLAN, as in the capture pane.
    let mut decode = capture::decode::DecodeOptions::default();
    if let Ok(st) = snapshot(&info) {
        for p in st.vxlan_ports() {
            if !decode.vxlan_ports.contains(&p) {
                decode.vxlan_ports.push(p);
            }
        }
    }
    let mut live = capture::source::Live::start(capture::source::LiveOptions {
        iface: dev.to_owned(),
        netns: Some(info),
        filter: filter.clone(),
        count: Some(1),
        decode,
        ..Default::default()
    })
    .with_context(|| format!("capture on {on}"))?;
    let to: IpAddr = c.to.parse()?;
    let window = Duration::from_secs(c.secs.unwrap_or(2));
    let start = Instant::now();
    // The trigger may find no route: what the capture sees (or not) is the answer.
    let _ = netstate::probe::echo(from, to, None, Duration::from_secs(1).min(window));
    let left = window.saturating_sub(start.elapsed());
    let got = live.rx.recv_timeout(left.max(Duration::from_millis(50)));
    let _ = live.stop();
    Ok(match got {
        Ok(p) => Outcome {
            passed: true,
            saw: format!(
                "{on} saw: {}",
                capture::summary::summary(&p.decoded, None, false).replace('\n', " | ")
            ),
        },
        Err(_) => Outcome {
            passed: false,
            saw: format!(
                "nothing matching [{filter}] on {on} within {} s",
                window.as_secs()
            ),
        },
    })
}

pub(crate) fn parse_plan_line(line: &str) -> Result<actions::ActionInput> {
    let words = shlex::split(line).context("the step's plan line is not well quoted")?;
    let cmd = actions::ActionInput::augment_subcommands(clap::Command::new("plan"));
    let m = cmd
        .try_get_matches_from(std::iter::once("plan".to_owned()).chain(words))
        .map_err(|e| anyhow::anyhow!("{}", e.render().to_string().trim()))?;
    Ok(actions::ActionInput::from_arg_matches(&m)?)
}

/// The plan of a step's plan line, built against the node's live state (for a preview).
pub fn step_plan(lab: &str, node: &str, line: &str) -> Result<actions::Plan> {
    let info = netstate::netns::find(&crate::lab::ns_name(lab, node))?;
    let input = parse_plan_line(line)?;
    let st = snapshot(&info)?;
    crate::plan::build(&info, &st, None, &crate::plan::Action::Build(input))
}

/// Builds and applies a step's plan in its node; the commands it ran.
pub fn apply_step(lab: &str, node: &str, line: &str) -> Result<Vec<String>> {
    let plan = step_plan(lab, node, line)?;
    let commands = plan.commands();
    crate::plan::apply_sync(plan)?;
    Ok(commands)
}

/// `walkthrough NAME` (the UI): the lab up (already up: used as it is), and the panel to
/// show; `Err` inside when this kernel lacks what the lab needs (the message to print).
pub fn prepare(what: &str) -> Result<std::result::Result<crate::tui::walk_pane::WalkPane, String>> {
    let w = load(what)?;
    let lab = crate::lab::load(&w.lab)?;
    if let Some(why) = crate::lab::unsupported(&lab)? {
        return Ok(Err(format!(
            "# {}: {}\n\n## step 1: {}\n  not supported here: {why}\n  (nothing was built; the walkthrough stops)",
            w.name,
            w.title,
            w.steps.first().map(|s| s.title.as_str()).unwrap_or_default()
        )));
    }
    if !crate::lab::is_up(&lab.name) {
        crate::lab::up(&w.lab)?;
    }
    Ok(Ok(crate::tui::walk_pane::WalkPane::new(w, lab.name)))
}

/// One line for a check's result.
pub fn result_line(c: &Check, o: &Outcome) -> String {
    let met = o.passed == (c.expect == Expect::Pass);
    format!(
        "{}: {} ({}); expected to {} — {}{}",
        c.describe(),
        if o.passed { "passes" } else { "fails" },
        o.saw,
        if c.expect == Expect::Pass {
            "pass"
        } else {
            "fail"
        },
        if met {
            "as expected"
        } else {
            "NOT AS EXPECTED"
        },
        if c.why.is_empty() {
            String::new()
        } else {
            format!(": {}", c.why)
        }
    )
}

/// `walkthrough NAME --auto`: the lab up, every step (its plan applied, its checks run),
/// each result printed. Returns the exit status: 0 when every check met its expectation,
/// 1 when one did not, [`EXIT_UNSUPPORTED`] when this kernel lacks what the lab needs (said
/// at the first step; nothing is built). The lab is removed at the end unless `keep`.
/// `skip` leaves out step N's plan (from 1), its checks still run: a test shows a fix's
/// checks fail without it. With `export`, each step's plan is also written there as a
/// script and its undo (`NAME-stepN.sh`, `.undo`), built before it is applied.
pub fn auto(
    what: &str,
    keep: bool,
    skip: Option<usize>,
    export: Option<&std::path::Path>,
) -> Result<i32> {
    let w = load(what)?;
    let lab = crate::lab::load(&w.lab)?;
    println!("# {}: {}", w.name, w.title);
    if let Some(why) = crate::lab::unsupported(&lab)? {
        if let Some(s) = w.steps.first() {
            println!("\n## step 1: {}", s.title);
        }
        println!("  not supported here: {why}");
        println!("  (nothing was built; the walkthrough stops)");
        return Ok(EXIT_UNSUPPORTED);
    }
    crate::lab::up(&w.lab)?;
    let mut all_met = true;
    let result = (|| -> Result<()> {
        for (i, s) in w.steps.iter().enumerate() {
            println!("\n## step {}: {}", i + 1, s.title);
            println!("{}", s.explain.trim());
            if skip == Some(i + 1) {
                println!("  (its plan skipped: the checks show what happens without it)");
            } else if let (Some(line), Some(node)) = (&s.plan, &s.node) {
                if let Some(dir) = export {
                    let file = dir.join(format!("{}-step{}.sh", w.name, i + 1));
                    let n = crate::plan::export::export(&step_plan(&lab.name, node, line)?, &file)?;
                    println!("  {}", crate::plan::export::wrote(&file, n));
                }
                for c in apply_step(&lab.name, node, line)? {
                    println!("  applied: {c}");
                }
                if s.confirm {
                    println!("  (in the UI this plan waits for y under the confirm timer)");
                }
                crate::lab::settle(&lab.name);
            }
            for c in &s.checks {
                let o = run_check(&lab.name, c)?;
                all_met &= o.passed == (c.expect == Expect::Pass);
                println!("  check {}", result_line(c, &o));
            }
        }
        Ok(())
    })();
    if !keep {
        crate::lab::down(&w.lab)?;
    }
    result?;
    Ok(i32::from(!all_met))
}
