//! Undo: the inverse steps in reverse order, and inverses that invert back.

use super::example_plans;
use crate::Step;

#[test]
fn undo_is_the_reverse_of_the_inverses() {
    for (name, plan) in example_plans() {
        let inverses: Vec<Step> = plan.steps.iter().rev().filter_map(Step::inverse).collect();
        assert!(
            plan.irreversible().is_empty(),
            "{name}: {:?}",
            plan.irreversible()
        );
        assert_eq!(inverses.len(), plan.steps.len(), "{name}");
        // The undo is the inverses in reverse order, less what deleting a link the plan
        // made does anyway (its addresses, routes, entries, and setting it down).
        let deleted: Vec<String> = plan
            .undo()
            .steps
            .iter()
            .filter_map(|s| match s {
                Step::LinkDel(l) => Some(format!("{} {}", l.netns, l.name)),
                _ => None,
            })
            .collect();
        let undo = plan.undo().steps;
        let mut it = undo.iter().peekable();
        for inv in &inverses {
            if it.peek() == Some(&inv) {
                it.next();
                continue;
            }
            let dev = match inv {
                Step::LinkSet(l) => Some(l.name.clone()),
                Step::AddrDel(a) => Some(a.dev.clone()),
                Step::RouteDel(r) => r.dev.clone(),
                Step::NeighDel(n) => Some(n.dev.clone()),
                Step::FdbDel(f) => Some(f.dev.clone()),
                _ => None,
            };
            let on_deleted = dev.is_some_and(|d| deleted.contains(&format!("{} {d}", inv.netns())));
            assert!(on_deleted, "{name}: {inv:?} left out of the undo");
        }
        assert!(it.next().is_none(), "{name}: the undo has steps of its own");
    }
}

#[test]
fn inverse_of_inverse_is_the_step() {
    for (name, plan) in example_plans() {
        for step in &plan.steps {
            let back_to_replace = matches!(
                step,
                Step::RouteReplace { previous: None, .. }
                    | Step::NeighReplace { previous: None, .. }
            );
            if back_to_replace || matches!(step, Step::NetnsAdd { .. }) {
                continue;
            }
            let inv = step.inverse().unwrap();
            assert_eq!(inv.inverse().as_ref(), Some(step), "{name}: {step:?}");
        }
    }
}

#[test]
fn undo_of_shim_move_restores_host_address_before_its_routes() {
    let (_, plan) = example_plans()
        .into_iter()
        .find(|(n, _)| *n == "shim_move_host_ip")
        .unwrap();
    assert!(plan.moves_host_address_or_default_route && plan.touches_host);
    let undo = plan.undo();
    let readd = undo
        .steps
        .iter()
        .position(|s| matches!(s, Step::AddrAdd(a) if a.dev == "eth0"))
        .unwrap();
    let route_back = undo
        .steps
        .iter()
        .position(|s| matches!(s, Step::RouteReplace { route, .. } if route.dev.as_deref() == Some("eth0")))
        .unwrap();
    assert!(readd < route_back);
    assert!(matches!(undo.steps.last(), Some(Step::LinkDel(d)) if d.name == "shim-eth0"));
}

#[test]
fn netns_del_and_unknown_link_del_have_no_inverse() {
    assert_eq!(Step::NetnsDel { name: "red".into() }.inverse(), None);
    let del = Step::LinkDel(crate::step::LinkDel {
        netns: "host".into(),
        name: "eth0".into(),
        previous: None,
    });
    assert_eq!(del.inverse(), None);
}

#[test]
fn a_link_set_to_its_current_value_needs_no_undo() {
    let host = super::fixture::host();
    let eth0 = host.link_by_name("eth0").unwrap();
    let up = crate::step::LinkSet::from_model("host", eth0, &host, crate::step::LinkChange::Up);
    let step = Step::LinkSet(up);
    assert!(step.is_noop() && step.inverse().is_none());
    let plan = crate::Plan::new("noop", "host", vec![step]);
    assert!(plan.irreversible().is_empty() && plan.undo().steps.is_empty());
    let del = Step::NetnsDel { name: "red".into() };
    assert_eq!(
        crate::Plan::new("del", "host", vec![del.clone()]).irreversible(),
        [&del]
    );
}
