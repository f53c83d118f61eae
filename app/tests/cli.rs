//! The command line against the real kernel: watch streams events, unprivileged runs work
//! or say which privilege is missing.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use testns::{Netns, Pair};

const BIN: &str = env!("CARGO_BIN_EXE_netlens");

#[test]
fn watch_json_streams_changes_made_with_ip() {
    if !testns::require_root() {
        return;
    }
    let p = Pair::new("watch");
    let mut child = Command::new(BIN)
        .args(["watch", "--json", "--netns", &p.a.name])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start netlens watch");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // Give the watcher time to subscribe and dump.
    std::thread::sleep(Duration::from_millis(500));
    p.a.ip(&["link", "add", "wbr0", "type", "bridge"]);
    p.a.ip(&["route", "add", "10.66.0.0/16", "dev", "va", "table", "100"]);
    p.a.ip(&["link", "del", "wbr0"]);
    let mut want = vec![
        ("new", "link", "ifname", "wbr0"),
        ("new", "route", "dst", "10.66.0.0/16"),
        ("del", "link", "ifname", "wbr0"),
    ];
    let deadline = Instant::now() + Duration::from_secs(3);
    while !want.is_empty() && Instant::now() < deadline {
        let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) else {
            continue;
        };
        let v: serde_json::Value =
            serde_json::from_str(&line).expect("every watch --json line is JSON");
        assert_eq!(v["netns"], p.a.name.as_str());
        want.retain(|(ev, obj, key, val)| {
            !(v["event"] == *ev && v["object"] == *obj && v["data"][key] == *val)
        });
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(want.is_empty(), "events never printed: {want:?}");
}

fn as_nobody(args: &[&str]) -> std::process::Output {
    let mut v = vec![
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--inh-caps=-all",
        BIN,
    ];
    v.extend_from_slice(args);
    testns::output(&v)
}

#[test]
fn unprivileged_run_reads_its_own_namespace_and_names_the_missing_capability() {
    if !testns::require_root() {
        return;
    }
    let ns = Netns::new("priv");
    // Its own namespace needs no capability.
    let own = as_nobody(&["dump", "--json"]);
    assert!(
        own.status.success(),
        "unprivileged dump failed: {}",
        String::from_utf8_lossy(&own.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&own.stdout).expect("JSON");
    assert!(
        v["links"].as_array().is_some_and(|l| !l.is_empty()),
        "no links read without privileges"
    );

    // Another namespace: a plain message naming the capability, not a crash.
    let other = as_nobody(&["dump", "--netns", &ns.name]);
    assert!(!other.status.success());
    let err = String::from_utf8_lossy(&other.stderr);
    assert!(
        err.contains("CAP_SYS_ADMIN") && err.contains(&ns.name),
        "unhelpful error: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");

    // --all shows what it can and says what it cannot.
    let all = as_nobody(&["dump", "--all", "--json"]);
    assert!(
        all.status.success(),
        "{}",
        String::from_utf8_lossy(&all.stderr)
    );
    let err = String::from_utf8_lossy(&all.stderr);
    assert!(
        err.contains("CAP_SYS_ADMIN"),
        "--all does not say why namespaces are missing: {err}"
    );
    let list: serde_json::Value = serde_json::from_slice(&all.stdout).expect("JSON list");
    assert!(list.as_array().is_some_and(|l| !l.is_empty()));
}

#[test]
fn unknown_namespace_is_named_in_the_error() {
    let out = testns::output(&[BIN, "dump", "--netns", "nlt-does-not-exist"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nlt-does-not-exist") && err.contains("ip netns list"),
        "{err}"
    );
}

#[test]
fn help_lists_the_commands() {
    let out = testns::run(&[BIN, "--help"]);
    for w in ["dump", "watch", "--netns", "completions"] {
        assert!(out.contains(w), "--help lacks {w}: {out}");
    }
}
