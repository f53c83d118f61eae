//! Linear in namespaces: reading a host whose pods all hang on one bridge asks the kernel
//! a number of namespace-id questions proportional to the namespaces, not to their pairs,
//! and every pod's veth still names the hub it is plugged into.

use std::io::Write as _;
use std::process::Command;
use std::sync::atomic::Ordering;

use netstate::inventory::Inventory;
use testns::Netns;

const PODS: usize = 40;

fn batch(netns: Option<&str>, lines: &[String]) {
    let mut c = Command::new("ip");
    if let Some(n) = netns {
        c.args(["-n", n]);
    }
    let mut child = c
        .args(["-batch", "-"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("ip -batch");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(lines.join("\n").as_bytes())
        .expect("write");
    assert!(child.wait().expect("wait").success(), "{lines:?}");
}

#[test]
fn namespace_ids_cost_questions_per_namespace_not_per_pair() {
    if !testns::require_root() {
        return;
    }
    let hub = Netns::new("sch");
    let pods: Vec<Netns> = (0..PODS).map(|i| Netns::new(&format!("scp{i}"))).collect();
    // Bystanders: namespaces nothing links to, that a per-pair search would ask about too.
    let others: Vec<Netns> = (0..PODS).map(|i| Netns::new(&format!("sco{i}"))).collect();
    let mut lines = vec![
        "link add br0 type bridge".to_owned(),
        "link set br0 up".to_owned(),
    ];
    for (i, p) in pods.iter().enumerate() {
        lines.push(format!(
            "link add v{i} type veth peer name eth0 netns {}",
            p.name
        ));
        lines.push(format!("link set v{i} master br0"));
    }
    batch(Some(&hub.name), &lines);
    let before = netstate::nsid::QUESTIONS.load(Ordering::Relaxed);
    let d = netstate::netns::discover();
    let n = d.namespaces.len();
    let (inv, errors) = Inventory::read_blocking(d);
    let asked = netstate::nsid::QUESTIONS.load(Ordering::Relaxed) - before;
    eprintln!("{asked} namespace-id questions for {n} namespaces");
    assert!(errors.is_empty(), "{errors:?}");
    // The hub asks about each of its pods once; each pod finds the hub among the first
    // few it asks. A per-pair search would ask PODS × namespaces.
    assert!(
        asked <= (4 * n) as u64,
        "{asked} namespace-id questions for {n} namespaces"
    );
    for p in &pods {
        let e = inv
            .namespaces
            .iter()
            .find(|e| e.info.name == p.name)
            .expect("the pod was read");
        let eth0 = e.state.link_by_name("eth0").expect("eth0");
        assert_eq!(
            eth0.link_netns.as_ref().map(|r| r.name.as_str()),
            Some(hub.name.as_str()),
            "{}: eth0's peer",
            p.name
        );
    }
    let h = inv
        .namespaces
        .iter()
        .find(|e| e.info.name == hub.name)
        .expect("the hub was read");
    let named = h
        .state
        .links
        .values()
        .filter(|l| {
            l.link_netns
                .as_ref()
                .is_some_and(|r| r.name.contains("scp"))
        })
        .count();
    assert_eq!(named, PODS, "every port names its pod");
    drop(others);
}
