//! The previewed commands of each builder, and one exported script and batch.

use std::fmt::Write;

use super::{example_plans, fixture};
use crate::{export_batch, export_sh, export_undo_sh, Plan};

fn preview(plan: &Plan) -> String {
    let mut s = format!(
        "title: {}\nnetns: {}\ntouches_host: {}\nmoves_host_address_or_default_route: {}\n\ncommands:\n",
        plan.title, plan.netns, plan.touches_host, plan.moves_host_address_or_default_route
    );
    for line in plan.commands() {
        let _ = writeln!(s, "  {line}");
    }
    s.push_str("\nundo:\n");
    for line in plan.undo().commands() {
        let _ = writeln!(s, "  {line}");
    }
    s
}

#[test]
fn builder_previews() {
    for (name, plan) in example_plans() {
        insta::assert_snapshot!(name, preview(&plan));
    }
}

#[test]
fn exported_shim_script_and_undo() {
    let (_, plan) = example_plans()
        .into_iter()
        .find(|(n, _)| *n == "shim_move_host_ip")
        .unwrap();
    insta::assert_snapshot!("shim_move_host_ip.sh", export_sh(&plan).unwrap());
    insta::assert_snapshot!("shim_move_host_ip.undo.sh", export_undo_sh(&plan).unwrap());
}

#[test]
fn exported_batches() {
    for name in ["vxlan_peer", "attach_macvlan_new_ns"] {
        let (_, plan) = example_plans()
            .into_iter()
            .find(|(n, _)| *n == name)
            .unwrap();
        let mut s = String::new();
        for b in export_batch(&plan).unwrap() {
            let _ = writeln!(s, "$ {}", b.command("FILE").join(" "));
            s.push_str(&b.text);
        }
        insta::assert_snapshot!(format!("{name}.batch"), s);
    }
}

#[test]
fn fixture_is_what_the_docs_say() {
    let host = fixture::host();
    assert_eq!(host.link_by_name("eth0").unwrap().ifindex, 2);
    assert!(host
        .routes
        .values()
        .any(|r| r.dst.is_none() && r.oif == Some(2)));
}
