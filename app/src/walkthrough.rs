//! Guided walkthroughs (`assets/walkthroughs/*.toml`): a lab to start from, then steps,
//! each with an explanation, an optional plan (a `netlens plan` action, applied through the
//! actions engine) and checks netlens runs itself — an ICMP echo from a namespace (a raw
//! socket netlens opens there, no `ping`), a route present or absent — each stating what it
//! expects (a check that "fails before the fix" expects to fail). `--auto` runs it headless.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{FromArgMatches as _, Subcommand as _};
use serde::Deserialize;

const BUILTIN: &[(&str, &str)] = &[
    (
        "host-isolation",
        include_str!("../../assets/walkthroughs/host-isolation.toml"),
    ),
    (
        "vxlan-by-hand",
        include_str!("../../assets/walkthroughs/vxlan-by-hand.toml"),
    ),
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Walkthrough {
    pub name: String,
    pub title: String,
    /// The lab it starts from (a built-in lab's name).
    pub lab: String,
    #[serde(rename = "step")]
    pub steps: Vec<StepDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepDef {
    pub title: String,
    pub explain: String,
    /// A `netlens plan` action line (`shim --parent eth0 --ip …`) applied in `node`.
    #[serde(default)]
    pub plan: Option<String>,
    #[serde(default)]
    pub node: Option<String>,
    #[serde(default, rename = "check")]
    pub checks: Vec<Check>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// `ping` (an ICMP echo from `from` to `to`) or `route` (a route to `to` in `from`).
    pub kind: String,
    pub from: String,
    pub to: String,
    /// `pass` or `fail`: what the check is expected to show at this step.
    pub expect: String,
    /// Why, in words (shown with the result).
    #[serde(default)]
    pub why: String,
}

/// Reads a walkthrough: a built-in name or a file.
pub fn load(what: &str) -> Result<Walkthrough> {
    let text = if let Some((_, t)) = BUILTIN.iter().find(|(n, _)| *n == what) {
        (*t).to_owned()
    } else {
        std::fs::read_to_string(what).with_context(|| {
            format!(
                "{what}: not a built-in walkthrough ({}) nor a readable file",
                BUILTIN
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?
    };
    let w: Walkthrough = toml::from_str(&text).map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
    for (i, s) in w.steps.iter().enumerate() {
        for (j, c) in s.checks.iter().enumerate() {
            if !matches!(c.kind.as_str(), "ping" | "route") {
                bail!(
                    "{what}: step[{i}].check[{j}].kind = {:?}: ping or route",
                    c.kind
                );
            }
            if !matches!(c.expect.as_str(), "pass" | "fail") {
                bail!(
                    "{what}: step[{i}].check[{j}].expect = {:?}: pass or fail",
                    c.expect
                );
            }
            c.to.parse::<std::net::IpAddr>().map_err(|_| {
                anyhow::anyhow!("{what}: step[{i}].check[{j}].to = {:?}: an address", c.to)
            })?;
        }
    }
    Ok(w)
}

/// `walkthrough list`.
pub fn list() {
    for (name, text) in BUILTIN {
        let title = toml::from_str::<Walkthrough>(text)
            .map(|w| w.title)
            .unwrap_or_default();
        println!("{name:<16} {title}");
    }
}

/// Runs one check; whether it passed, and what it saw.
fn check(lab: &str, c: &Check) -> Result<(bool, String)> {
    let ns = crate::lab::ns_name(lab, &c.from);
    let info = netstate::netns::find(&ns).with_context(|| format!("check from {}", c.from))?;
    let to: std::net::IpAddr = c.to.parse()?;
    Ok(match c.kind.as_str() {
        "ping" => match netstate::probe::echo(&info, to, Duration::from_secs(1))? {
            Some(d) => (
                true,
                format!("echo reply in {:.1} ms", d.as_secs_f64() * 1000.0),
            ),
            None => (false, "no echo reply within 1 s".into()),
        },
        _ => match netstate::dump::route_get(&info, to, None, (None, None))? {
            Ok(r) => (true, format!("route via {:?} dev {:?}", r.gateway, r.oif)),
            Err(e) => (false, e),
        },
    })
}

/// Applies a step's plan in its node.
fn apply(lab: &str, node: &str, line: &str) -> Result<Vec<String>> {
    let ns = crate::lab::ns_name(lab, node);
    let info = netstate::netns::find(&ns)?;
    let words = shlex::split(line).context("the step's plan line")?;
    let cmd = actions::ActionInput::augment_subcommands(clap::Command::new("plan"));
    let m = cmd
        .try_get_matches_from(std::iter::once("plan".to_owned()).chain(words))
        .map_err(|e| anyhow::anyhow!("the step's plan: {e}"))?;
    let input = actions::ActionInput::from_arg_matches(&m)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let st = rt.block_on(netstate::live::snapshot(&info))?;
    let plan = crate::plan::build(&info, &st, None, &crate::plan::Action::Build(input))?;
    let commands = plan.commands();
    crate::plan::apply_sync(plan)?;
    Ok(commands)
}

/// `walkthrough NAME --auto`: the lab up, every step (its plan applied, its checks run),
/// each result printed; exit status 0 only if every check met its expectation. The lab is
/// removed at the end unless `keep`. `skip` leaves out step N's plan (from 1), its checks
/// still run: a test shows a fix's checks fail without it.
pub fn auto(what: &str, keep: bool, skip: Option<usize>) -> Result<bool> {
    let w = load(what)?;
    let lab = crate::lab::load(&w.lab)?;
    crate::lab::up(&w.lab)?;
    let mut all_met = true;
    let result = (|| -> Result<()> {
        println!("# {}: {}", w.name, w.title);
        for (i, s) in w.steps.iter().enumerate() {
            println!("\n## step {}: {}", i + 1, s.title);
            println!("{}", s.explain.trim());
            if skip == Some(i + 1) {
                println!("  (its plan skipped: the checks show what happens without it)");
            } else if let Some(line) = &s.plan {
                let node = s
                    .node
                    .as_deref()
                    .context("a step with a plan names its node")?;
                for c in apply(&lab.name, node, line)? {
                    println!("  applied: {c}");
                }
            }
            for c in &s.checks {
                let (passed, saw) = check(&lab.name, c)?;
                let met = passed == (c.expect == "pass");
                all_met &= met;
                println!(
                    "  check {} from {} to {}: {} ({saw}); expected to {} — {}{}",
                    c.kind,
                    c.from,
                    c.to,
                    if passed { "passes" } else { "fails" },
                    c.expect,
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
                );
            }
        }
        Ok(())
    })();
    if !keep {
        crate::lab::down(&w.lab)?;
    }
    result?;
    Ok(all_met)
}
