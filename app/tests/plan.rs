//! `netlens plan` end to end: preview changes nothing, bad input is refused before any
//! change (naming the field), apply + undo, export, and the confirm timer (reverted when
//! unconfirmed, also after `kill -9`; kept when confirmed).

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use testns::Netns;

const BIN: &str = env!("CARGO_BIN_EXE_netlens");

fn host(tag: &str) -> (Netns, Netns) {
    let h = testns::Host::new(tag);
    (h.host, h.lan)
}

/// What `ip` shows of links, addresses and routes (no counters, no link-local).
fn snapshot(ns: &Netns) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for l in ns
        .ip_json(&["link", "show"])
        .as_array()
        .into_iter()
        .flatten()
    {
        out.insert(format!(
            "link {} {} {}",
            l["ifname"], l["flags"], l["master"]
        ));
    }
    for l in ns.ip_json(&["addr"]).as_array().into_iter().flatten() {
        for a in l["addr_info"].as_array().into_iter().flatten() {
            if !a["local"].as_str().unwrap_or("").starts_with("fe80") {
                out.insert(format!(
                    "addr {} {}/{} brd={}",
                    l["ifname"], a["local"], a["prefixlen"], a["broadcast"]
                ));
            }
        }
    }
    for r in ns
        .ip_json(&["route", "show", "table", "all"])
        .as_array()
        .into_iter()
        .flatten()
    {
        if !r["dst"].as_str().unwrap_or("").starts_with("fe80") {
            out.insert(format!("route {r}"));
        }
    }
    for n in ns.ip_json(&["neigh"]).as_array().into_iter().flatten() {
        out.insert(format!("neigh {} {} {}", n["dst"], n["dev"], n["lladdr"]));
    }
    out
}

fn netlens(data: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .env("NETLENS_DATA_DIR", data)
        .stdin(Stdio::null())
        .output()
        .expect("run netlens")
}

fn data_dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("nlt-data-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&d).expect("data dir");
    d
}

#[test]
fn preview_changes_nothing_and_apply_then_undo_restores() {
    if !testns::require_root() {
        return;
    }
    let (h, _l) = host("pap");
    let data = data_dir("pap");
    let before = snapshot(&h);
    let mut shim = vec![
        "plan",
        "--netns",
        &h.name,
        "shim",
        "--parent",
        "eth0",
        "--ip",
        "10.0.0.99",
        "--to",
        "10.0.0.50",
    ];
    let o = netlens(&data, &shim);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("type macvlan mode bridge") && text.contains("10.0.0.99/32"),
        "{text}"
    );
    assert_eq!(snapshot(&h), before, "a preview changed the namespace");

    shim.push("--apply");
    let o = netlens(&data, &shim);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let applied = snapshot(&h);
    assert_ne!(applied, before);
    let id = plan_id(&o);
    // Without an id and without a terminal to ask on: names the plan it would take.
    let o = netlens(&data, &["plan", "undo"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains(&id), "{err}");
    assert_eq!(
        snapshot(&h),
        applied,
        "undo without an id changed something"
    );
    // Undo is a plan: previewed first.
    let o = netlens(&data, &["plan", "undo", &id]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success() && out.contains("link del dev shim-eth0"),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(snapshot(&h), applied, "the undo preview changed something");
    let o = netlens(&data, &["plan", "undo", &id, "--apply"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(snapshot(&h), before, "undo did not restore the namespace");
    // Once.
    let o = netlens(&data, &["plan", "undo", &id, "--apply"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("already undone"),
        "{err}"
    );
    let o = netlens(&data, &["plan", "undo", "--list"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(&h.name) && out.contains("undone") && out.contains("USER"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&data);
}

/// The id in "applied as plan ID".
fn plan_id(o: &std::process::Output) -> String {
    let err = String::from_utf8_lossy(&o.stderr);
    err.split("applied as plan ")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .unwrap_or_else(|| panic!("no plan id in: {err}"))
        .to_owned()
}

#[test]
fn undo_refuses_to_overwrite_what_changed_since_unless_forced() {
    if !testns::require_root() {
        return;
    }
    let (h, _l) = host("pdr");
    let data = data_dir("pdr");
    let o = netlens(
        &data,
        &[
            "plan",
            "--netns",
            &h.name,
            "shim",
            "--parent",
            "eth0",
            "--name",
            "shim0",
            "--move-host-ip",
            "--apply",
            "--no-confirm",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let id = plan_id(&o);
    // An operator points the default route elsewhere after the plan.
    h.ip(&[
        "route", "replace", "default", "via", "10.0.0.2", "dev", "shim0",
    ]);
    let changed = snapshot(&h);
    let o = netlens(&data, &["plan", "undo", &id, "--apply"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("changed since") && err.contains("default"),
        "{err}"
    );
    assert_eq!(snapshot(&h), changed, "a refused undo changed something");
    // --force undoes the rest and leaves the operator's route decision alone.
    let o = netlens(&data, &["plan", "undo", &id, "--apply", "--force"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!out.contains("route replace default"), "{out}");
    let eth0 = h.ip_json(&["addr", "show", "dev", "eth0"]).to_string();
    assert!(
        eth0.contains("10.0.0.5"),
        "the host address is back on eth0: {eth0}"
    );
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn plans_refuse_namespaces_ip_cannot_name() {
    if !testns::require_root() {
        return;
    }
    let (h, _l) = host("pnn");
    let data = data_dir("pnn");
    let mut sleeper = Command::new("ip")
        .args(["netns", "exec", &h.name, "sleep", "30"])
        .spawn()
        .expect("a process in the namespace");
    std::thread::sleep(Duration::from_millis(200));
    let ns = format!("pid:{}", sleeper.id());
    let o = netlens(
        &data,
        &[
            "plan",
            "--netns",
            &ns,
            "shim",
            "--parent",
            "eth0",
            "--ip",
            "10.0.0.99",
        ],
    );
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains(&ns) && err.contains("ip netns attach"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn export_writes_a_script_and_its_undo_that_run() {
    if !testns::require_root() {
        return;
    }
    let (h, _l) = host("pex");
    let data = data_dir("pex");
    let before = snapshot(&h);
    let f = data.join("vx.sh");
    let fs = f.to_string_lossy().into_owned();
    let o = netlens(
        &data,
        &[
            "plan",
            "--netns",
            &h.name,
            "vxlan",
            "--name",
            "vx0",
            "--vni",
            "42",
            "--local",
            "10.0.0.5",
            "--dev",
            "eth0",
            "--ip",
            "10.200.0.1/24",
            "--export",
            &fs,
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let script = std::fs::read_to_string(&f).expect("script");
    assert!(
        script.starts_with("#!/bin/sh")
            && script.contains("set -eu")
            && script.contains("dstport 4789"),
        "{script}"
    );
    assert!(testns::output(&["sh", &fs]).status.success());
    assert_ne!(snapshot(&h), before);
    assert!(testns::output(&["sh", &format!("{fs}.undo")])
        .status
        .success());
    assert_eq!(
        snapshot(&h),
        before,
        "the undo script did not restore the namespace"
    );
    let _ = std::fs::remove_dir_all(&data);
}

const VLAN_IP: &str = "--ip!";
const VLAN_MTU: &str = "--mtu!";

/// At least 30 bad inputs: each refused before any change, with the field named.
#[test]
fn bad_inputs_are_refused_before_any_change() {
    if !testns::require_root() {
        return;
    }
    let (h, _l) = host("pbad");
    let data = data_dir("pbad");
    h.ip(&[
        "link", "add", "vx0", "type", "vxlan", "id", "7", "dstport", "4789", "dev", "eth0",
    ]);
    h.ip(&["addr", "add", "10.201.0.1/24", "dev", "vx0"]);
    let before = snapshot(&h);
    let cases: &[(&str, &str)] = &[
        ("shim --parent nosuch0 --ip 10.0.0.99", "--parent"),
        ("shim --parent eth0 --ip 10.0.0.99/24", "--ip"),
        ("shim --parent eth0 --ip 300.1.1.1", "--ip"),
        ("shim --parent eth0 --ip 10.0.0.5", "--ip"),
        ("shim --parent eth0 --ip 10.0.0.99 --name eth0", "--name"),
        ("shim --parent eth0 --ip 10.0.0.99 --name a/b", "--name"),
        ("shim --parent eth0 --ip 10.0.0.99 --name waytoolonginterfacename", "--name"),
        ("shim --parent eth0 --ip 10.0.0.99 --name ..", "--name"),
        ("shim --parent eth0 --ip 10.0.0.99 --to not-an-ip", "--to"),
        ("shim --parent lo --ip 10.0.0.99", "--parent"),
        ("vlan --parent eth0 --id 0", "--id"),
        ("vlan --parent eth0 --id 4095", "--id"),
        ("vlan --parent nosuch0 --id 10", "--parent"),
        ("vlan --parent eth0 --id 10 --ip 10.1.1.1/33", VLAN_IP),
        ("vlan --parent eth0 --id 10 --mtu 20", VLAN_MTU),
        ("vxlan --name vx1 --vni 16777216 --local 10.0.0.5 --dev eth0 --ip 10.200.0.1/24", "--vni"),
        ("vxlan --name vx1 --vni 1 --port 0 --local 10.0.0.5 --dev eth0 --ip 10.200.0.1/24", "--port"),
        ("vxlan --name vx1 --vni 1 --port 70000 --local 10.0.0.5 --dev eth0 --ip 10.200.0.1/24", "--port"),
        ("vxlan --name vx1 --vni 1 --local bad --dev eth0 --ip 10.200.0.1/24", "--local"),
        ("vxlan --name vx1 --vni 1 --local 10.0.0.5 --dev nosuch0 --ip 10.200.0.1/24", "--dev"),
        ("vxlan --name vx1 --vni 1 --local 10.0.0.5 --dev eth0 --ip 10.200.0.1", "--ip"),
        ("vxlan --name vx1 --vni 1 --local 10.0.0.5 --dev eth0 --ip 10.200.0.1/24 --mac 01:00:00:00:00:01", "--mac"),
        ("vxlan --name vx1 --vni 1 --local 10.0.0.5 --dev eth0 --ip 10.200.0.1/24 --mac zz:00:00:00:00:01", "--mac"),
        ("vxlan --name vx0 --vni 1 --local 10.0.0.5 --dev eth0 --ip 10.200.0.1/24", "--name"),
        ("vxlan-peer --dev nosuch0 --overlay-ip 10.201.0.2 --mac 02:00:00:00:00:02 --underlay 10.0.0.6", "--dev"),
        ("vxlan-peer --dev eth0 --overlay-ip 10.201.0.2 --mac 02:00:00:00:00:02 --underlay 10.0.0.6", "--dev"),
        ("vxlan-peer --dev vx0 --overlay-ip x --mac 02:00:00:00:00:02 --underlay 10.0.0.6", "--overlay-ip"),
        ("vxlan-peer --dev vx0 --overlay-ip 10.201.0.2 --mac ff:ff:ff:ff:ff:ff --underlay 10.0.0.6", "--mac"),
        ("vxlan-peer --dev vx0 --overlay-ip 10.201.0.2 --mac 00:00:00:00:00:00 --underlay 10.0.0.6", "--mac"),
        ("vxlan-peer --dev vx0 --overlay-ip 10.201.0.2 --mac 02:00:00:00:00:02 --underlay nope", "--underlay"),
        ("vxlan-peer --dev vx0 --overlay-ip 10.201.0.2 --mac 02:00:00:00:00:02 --underlay 10.0.0.6 --route 10.9.0.0/99", "--route"),
        ("attach --parent nosuch0 --target t1 --ip 10.0.0.60/24 --gateway 10.0.0.1", "--parent"),
        ("attach --parent eth0 --target t1 --ip 10.0.0.60 --gateway 10.0.0.1", "--ip"),
        ("attach --parent eth0 --target t1 --ip 10.0.0.60/24 --gateway nope", "--gateway"),
        ("attach --parent eth0 --target t1 --ip 10.0.0.60/24 --gateway 10.0.0.1 --mode sideways", "--mode"),
        ("attach --parent eth0 --target a/b --ip 10.0.0.60/24 --gateway 10.0.0.1", "--target"),
    ];
    assert!(cases.len() >= 30);
    let no_8021q = !std::path::Path::new("/proc/net/vlan").exists();
    for (line, field) in cases {
        let mut args = vec!["plan", "--netns", h.name.as_str()];
        args.extend(line.split(' '));
        args.push("--apply");
        let o = netlens(&data, &args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "accepted: {line}");
        // Without 8021q, a vlan plan is refused for the kernel first: that message names
        // the device type and the module instead.
        let field = if no_8021q && (*field == VLAN_IP || *field == VLAN_MTU) {
            "type vlan"
        } else {
            field.trim_end_matches('!')
        };
        assert!(
            err.contains(field),
            "`{line}`: the error does not name {field}: {err}"
        );
        assert_eq!(snapshot(&h), before, "`{line}` changed the namespace");
    }
    let _ = std::fs::remove_dir_all(&data);
}

fn shim_move(h: &Netns) -> Vec<String> {
    [
        "plan",
        "--netns",
        &h.name,
        "shim",
        "--parent",
        "eth0",
        "--name",
        "shim0",
        "--move-host-ip",
        "--apply",
        "--confirm",
        "2",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

/// Starts an apply under a confirm timer of `secs` and waits until it says it applied.
fn start_confirmed(h: &Netns, data: &std::path::Path, secs: u64) -> std::process::Child {
    let mut args = shim_move(h);
    if let Some(last) = args.last_mut() {
        *last = secs.to_string();
    }
    let mut child = Command::new(BIN)
        .args(args)
        .env("NETLENS_DATA_DIR", data)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start netlens plan");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        assert!(
            Instant::now() < deadline,
            "netlens never said it applied the plan"
        );
        match lines.next() {
            Some(Ok(l)) if l.contains("confirm within") => break,
            Some(Ok(_)) => {}
            _ => panic!("netlens ended before applying"),
        }
    }
    std::thread::spawn(move || for _ in lines {});
    child
}

fn wait_until(what: &str, secs: u64, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(Instant::now() < deadline, "{what}: not within {secs} s");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn confirm_timer_reverts_unconfirmed_even_after_kill_9_and_keeps_confirmed() {
    if !testns::require_root() {
        return;
    }
    // Unconfirmed, netlens alive: reverted after the timer.
    let (h, _l) = host("cft");
    let data = data_dir("cft");
    let before = snapshot(&h);
    let t0 = Instant::now();
    let o = Command::new(BIN)
        .args(shim_move(&h))
        .env("NETLENS_DATA_DIR", &data)
        .stdin(Stdio::null())
        .output()
        .expect("run");
    // Said when it happened, not at once because stdin is not a terminal.
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("reverted"), "{err}");
    // The record keeps whole seconds: the guard may act up to a second early.
    assert!(t0.elapsed() >= Duration::from_secs(1), "{err}");
    wait_until("the unconfirmed plan reverted", 8, || {
        snapshot(&h) == before
    });
    let log = std::fs::read_to_string(data.join("revert.log")).unwrap_or_default();
    assert!(
        log.contains("not confirmed") && log.contains("reverted"),
        "no revert in the log: {log}"
    );

    // Unconfirmed, netlens killed with SIGKILL right after applying: still reverted.
    let mut child = start_confirmed(&h, &data, 2);
    assert_ne!(snapshot(&h), before, "the plan was not applied");
    child.kill().expect("kill -9");
    let _ = child.wait();
    wait_until("the plan of a killed netlens reverted", 8, || {
        snapshot(&h) == before
    });

    // Confirmed with Enter: kept after the timer (6 s: time to answer on a slow machine,
    // such as a VM's emulated CPU).
    let mut child = start_confirmed(&h, &data, 6);
    let applied = snapshot(&h);
    child
        .stdin
        .as_mut()
        .expect("stdin")
        .write_all(b"\n")
        .expect("confirm");
    let _ = child.wait();
    std::thread::sleep(Duration::from_secs(7));
    assert_eq!(snapshot(&h), applied, "a confirmed plan was reverted");
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn a_plan_confirmed_from_another_terminal_is_reported_confirmed() {
    if !testns::require_root() {
        return;
    }
    let (h, _l) = host("cfo");
    let data = data_dir("cfo");
    let mut args = shim_move(&h);
    let n = args.len();
    args[n - 1] = "6".into();
    let mut child = Command::new(BIN)
        .args(&args)
        .env("NETLENS_DATA_DIR", &data)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start netlens plan");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let mut id = String::new();
    for l in lines.by_ref() {
        let l = l.expect("line");
        if let Some(rest) = l.split("applied as plan ").nth(1) {
            id = rest.split_whitespace().next().unwrap_or("").to_owned();
        }
        if l.contains("confirm within") {
            break;
        }
    }
    assert!(!id.is_empty(), "no plan id");
    let o = netlens(&data, &["plan", "confirm", &id]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().expect("wait");
    let rest = rest.join("\n");
    assert!(status.success(), "{rest}");
    assert!(
        rest.contains("confirmed") && !rest.contains("not confirmed"),
        "{rest}"
    );
    let shim = h.ip_json(&["link", "show", "shim0"]);
    assert!(
        shim.as_array().is_some_and(|a| !a.is_empty()),
        "the plan stays"
    );
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn export_writes_every_file_or_none() {
    if !testns::require_root() {
        return;
    }
    let (h, _l) = host("pea");
    let data = data_dir("pea");
    let out = data.join("out");
    std::fs::create_dir_all(&out).expect("out dir");
    let file = out.join("plan.sh");
    let file_s = file.to_string_lossy().into_owned();
    // A name the -batch format cannot carry (`#` starts a comment there).
    let o = netlens(
        &data,
        &[
            "plan",
            "--netns",
            &h.name,
            "shim",
            "--parent",
            "eth0",
            "--name",
            "a#b",
            "--ip",
            "10.0.0.99",
            "--export",
            &file_s,
        ],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains('#'), "{err}");
    let left: Vec<_> = std::fs::read_dir(&out)
        .expect("read out dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "a failed export left files: {left:?}");
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn an_address_held_on_the_segment_is_refused_naming_its_holder() {
    if !testns::require_root() {
        return;
    }
    let (h, lan) = host("psg");
    let pod = Netns::new("psgp");
    h.ipw("link add mv0 link eth0 type macvlan mode bridge");
    h.ip(&["link", "set", "mv0", "netns", &pod.name]);
    pod.ipw("addr add 10.0.0.10/24 dev mv0");
    pod.ipw("link set mv0 up");
    let data = data_dir("psg");
    let before = snapshot(&h);
    for (args, holder) in [
        // The pod's own address as the shim's.
        (
            vec![
                "shim",
                "--parent",
                "eth0",
                "--ip",
                "10.0.0.10",
                "--to",
                "10.0.0.10",
            ],
            pod.name.as_str(),
        ),
        // The lan's address for a new pod.
        (
            vec![
                "attach",
                "--parent",
                "eth0",
                "--target",
                "psg-new",
                "--ip",
                "10.0.0.1/24",
                "--gateway",
                "10.0.0.5",
            ],
            lan.name.as_str(),
        ),
    ] {
        let mut all = vec!["plan", "--netns", &h.name];
        all.extend(args.iter().copied());
        all.push("--apply");
        let o = netlens(&data, &all);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !o.status.success()
                && err.contains("--ip")
                && err.contains("already held by")
                && err.contains(holder),
            "{err}"
        );
    }
    assert_eq!(snapshot(&h), before, "a refused plan changed something");
    assert!(!testns::run(&["ip", "netns", "list"]).contains("psg-new"));
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn attach_is_undone_exactly() {
    if !testns::require_root() {
        return;
    }
    let (h, _lan) = host("pat");
    let target = Netns::new("patt");
    let data = data_dir("pat");
    let (before, before_t) = (snapshot(&h), snapshot(&target));
    let o = netlens(
        &data,
        &[
            "plan",
            "--netns",
            &h.name,
            "attach",
            "--parent",
            "eth0",
            "--target",
            &target.name,
            "--ip",
            "10.0.0.60/24",
            "--gateway",
            "10.0.0.1",
            "--apply",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(target
        .exec(&["ping", "-c", "1", "-W", "2", "10.0.0.1"])
        .status
        .success());
    let id = plan_id(&o);
    // The plan's own move into the target is not drift.
    let o = netlens(&data, &["plan", "undo", &id]);
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        o.status.success() && !all.contains("no longer in namespace") && !all.contains("drift"),
        "{all}"
    );
    let o = netlens(&data, &["plan", "undo", &id, "--apply"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(snapshot(&h), before, "the host is not as before");
    assert_eq!(snapshot(&target), before_t, "the target is not as before");
    let _ = std::fs::remove_dir_all(&data);
}
