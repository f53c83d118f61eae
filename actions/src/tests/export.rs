//! Export: hostile names stay inside single quotes and parse back to the same
//! argv; batch files read back as iproute2's batch parser reads them.

use super::{cli, example_plans, fixture};
use crate::export::ExportError;
use crate::step::{LinkDel, Step};
use crate::{
    attach, export_batch, export_sh, export_undo_sh, shim, AttachInput, KernelSupport, NsView,
    Plan, ShimInput,
};

const ODD: [&str; 3] = ["x$(id)", "a;b", "ns`id`"];

fn odd_plans() -> Vec<Plan> {
    let host = fixture::host_with_odd_names();
    let ns = NsView::host(&host);
    let all = KernelSupport::all();
    let attach_plan = attach(
        ns,
        None,
        &AttachInput {
            parent: "x$(id)".into(),
            target_ns: "ns`id`".into(),
            ip: "10.0.0.61/24".into(),
            gateway: "10.0.0.1".into(),
            name: Some("a;b".into()),
            ..AttachInput::default()
        },
        &all,
    )
    .unwrap();
    let shim_plan = shim(
        ns,
        &ShimInput {
            parent: "x$(id)".into(),
            name: Some("a;b".into()),
            ip: Some("10.0.0.98".into()),
            to: vec!["10.0.0.51".into()],
            move_host_ip: false,
        },
        &all,
    )
    .unwrap();
    vec![attach_plan, shim_plan]
}

/// For each byte of a shell line: is it inside single quotes?
fn single_quoted(line: &str) -> Vec<bool> {
    let mut mask = vec![false; line.len()];
    let (mut single, mut double, mut escaped) = (false, false, false);
    for (i, c) in line.bytes().enumerate() {
        if single {
            if c == b'\'' {
                single = false;
            } else {
                mask[i] = true;
            }
        } else if escaped {
            escaped = false;
        } else {
            match c {
                b'\\' => escaped = true,
                b'\'' if !double => single = true,
                b'"' => double = !double,
                _ => {}
            }
        }
    }
    mask
}

fn check_script(script: &str, plan: &Plan) {
    let mut commands = Vec::new();
    for line in script.lines() {
        let mask = single_quoted(line.trim_start_matches('#'));
        let body = line.trim_start_matches('#');
        for name in ODD {
            for (at, _) in body.match_indices(name) {
                assert!(
                    mask[at..at + name.len()].iter().all(|&q| q),
                    "{name} unquoted in: {line}"
                );
            }
        }
        if line.is_empty() || line.starts_with('#') || line == "set -eu" {
            continue;
        }
        commands.push(shlex::split(line).expect("a shell line"));
    }
    let expected: Vec<Vec<String>> = plan.steps.iter().map(Step::command).collect();
    assert_eq!(commands, expected);
}

#[test]
fn hostile_names_stay_in_single_quotes() {
    for plan in odd_plans() {
        let script = export_sh(&plan).unwrap();
        assert!(script.starts_with("#!/bin/sh\n"));
        assert!(script.contains("\nset -eu\n"));
        check_script(&script, &plan);
        check_script(&export_undo_sh(&plan).unwrap(), &plan.undo());
        for (line, step) in plan.commands().iter().zip(&plan.steps) {
            assert_eq!(shlex::split(line).unwrap(), step.command());
        }
    }
}

#[test]
fn every_step_has_a_comment() {
    for (name, plan) in example_plans() {
        let script = export_sh(&plan).unwrap();
        let comments = script
            .lines()
            .filter(|l| l.starts_with("# ") && l.contains('/'))
            .count();
        assert!(comments >= plan.steps.len(), "{name}");
        for i in 1..=plan.steps.len() {
            assert!(
                script.contains(&format!("\n# {i}/{}: ", plan.steps.len())),
                "{name} step {i}"
            );
        }
    }
}

/// iproute2's `makeargs` (lib/utils.c) after `getcmdline` cut the comment.
fn makeargs(line: &str) -> Vec<String> {
    let mut rest = line.split('#').next().unwrap_or_default();
    let ws = [' ', '\t', '\r', '\n'];
    let mut out = Vec::new();
    loop {
        rest = rest.trim_start_matches(ws);
        let Some(first) = rest.chars().next() else {
            break;
        };
        if first == '"' || first == '\'' {
            let body = &rest[1..];
            let end = body.find(first).expect("terminated quote");
            out.push(body[..end].to_string());
            rest = &body[end + 1..];
        } else {
            let end = rest.find(ws).unwrap_or(rest.len());
            out.push(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
    out
}

fn check_batches(plan: &Plan) {
    let mut lines: Vec<(String, crate::Tool, Vec<String>)> = Vec::new();
    for b in export_batch(plan).unwrap() {
        for line in b.text.lines() {
            lines.push((b.netns.clone(), b.tool, makeargs(line)));
        }
    }
    let expected: Vec<_> = plan
        .steps
        .iter()
        .map(|s| (s.netns().to_string(), s.tool(), s.args()))
        .collect();
    assert_eq!(lines, expected);
}

#[test]
fn batches_read_back_as_the_steps() {
    for (_, plan) in example_plans() {
        check_batches(&plan);
    }
    for plan in odd_plans() {
        check_batches(&plan);
    }
    let spaced = cli::run(
        r#"attach --parent eth0 --target 'my ns' --name '"q' --ip 10.0.0.62/24 --gateway 10.0.0.1"#,
    )
    .unwrap();
    check_batches(&spaced);
    let batches = export_batch(&spaced).unwrap();
    assert!(
        batches[0].text.starts_with("netns add \"my ns\"\n"),
        "{}",
        batches[0].text
    );
    assert_eq!(
        batches[1].command("f"),
        ["ip", "-n", "my ns", "-batch", "f"]
    );
    let backslash = cli::run(r"shim --parent eth0 --name 'x\' --ip 10.0.0.97").unwrap();
    check_batches(&backslash);
}

#[test]
fn unexportable_values_are_errors() {
    let hash = cli::run("shim --parent eth0 --name 'a#b' --ip 10.0.0.97").unwrap();
    assert!(matches!(
        export_batch(&hash),
        Err(ExportError::Batch { step: 1, .. })
    ));
    assert!(export_sh(&hash).unwrap().contains("'a#b'"));
    let nul = Plan::new(
        "nul",
        "host",
        vec![Step::LinkDel(LinkDel {
            netns: "host".into(),
            name: "a\0b".into(),
            previous: None,
        })],
    );
    assert!(matches!(
        export_sh(&nul),
        Err(ExportError::Nul { step: 1, .. })
    ));
}
