//! The command line against the real kernel: watch streams events, unprivileged runs work
//! or say which privilege is missing.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use testns::{Netns, Pair};

const BIN: &str = env!("CARGO_BIN_EXE_netlens");

/// A consumer of `watch --json` (see `testns::replay`).
#[derive(Default)]
struct Replay {
    entries: testns::replay::Entries,
    snapshots: usize,
}

impl Replay {
    fn line(&mut self, v: &serde_json::Value) {
        if v["event"] == "snapshot" {
            self.snapshots += 1;
            self.entries = testns::replay::snapshot(v);
        } else {
            testns::replay::event(&mut self.entries, v);
        }
    }

    /// The replayed entries as `dump --json` lists them, counters aside, sorted.
    fn as_dump(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .entries
            .iter()
            .map(|((object, _), data)| format!("{object} {}", without_counters(data)))
            .collect();
        out.sort();
        out
    }
}

fn without_counters(v: &serde_json::Value) -> serde_json::Value {
    let mut v = v.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("stats64");
    }
    v
}

/// `netlens dump --json` as a sorted list of entries, one address per entry (as the stream
/// has them).
fn dump_entries(ns: &str) -> Vec<String> {
    let out = testns::run(&[BIN, "dump", "--json", "--netns", ns]);
    let d: serde_json::Value = serde_json::from_str(&out).expect("dump --json is JSON");
    let mut entries = Vec::new();
    for (list, object) in [
        ("links", "link"),
        ("routes", "route"),
        ("neigh", "neigh"),
        ("fdb", "fdb"),
    ] {
        for e in d[list].as_array().expect("a list") {
            entries.push(format!("{object} {}", without_counters(e)));
        }
    }
    for l in d["addrs"].as_array().expect("addrs") {
        for a in l["addr_info"].as_array().expect("addr_info") {
            let e = serde_json::json!({"ifindex": l["ifindex"], "ifname": l["ifname"], "addr_info": [a]});
            entries.push(format!("addr {e}"));
        }
    }
    entries.sort();
    entries
}

#[test]
fn watch_json_replayed_equals_a_dump() {
    if !testns::require_root() {
        return;
    }
    let p = Pair::new("watch");
    let a = &p.a;
    a.ipw("link add br0 type bridge");
    a.ipw("link set br0 up");
    let mut child = Command::new(BIN)
        .args(["watch", "--json", "--netns", &a.name])
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
    let mut replay = Replay::default();
    let mut seen = Vec::new();
    let read = |replay: &mut Replay, seen: &mut Vec<serde_json::Value>, wait: Duration| {
        let until = Instant::now() + wait;
        while let Ok(line) = rx.recv_timeout(until.saturating_duration_since(Instant::now())) {
            let v: serde_json::Value =
                serde_json::from_str(&line).expect("every watch --json line is JSON");
            assert_eq!(v["netns"], a.name.as_str());
            replay.line(&v);
            seen.push(v);
        }
    };
    read(&mut replay, &mut seen, Duration::from_secs(1));
    assert_eq!(replay.snapshots, 1, "the stream starts with one snapshot");
    // The cases the live view used to get wrong, then a dump to compare with.
    a.ipw("link add wbr0 type bridge");
    a.ipw("route add 10.66.0.0/16 dev va table 100");
    a.ipw("link set va master br0");
    a.bridgew("link set dev va cost 7");
    a.bridgew("fdb add 02:00:00:00:00:44 dev va master static");
    a.ipw("link set va nomaster");
    a.ipw("addr add 10.7.0.1 peer 10.7.0.2 dev va");
    a.ipw("addr add 10.7.0.1 peer 10.7.0.3 dev va");
    a.ipw("route add 10.79.0.0/16 via 10.1.0.2");
    a.ipw("route replace 10.79.0.0/16 dev va");
    a.ipw("link del wbr0");
    let mut last = (Vec::new(), Vec::new());
    for _ in 0..10 {
        read(&mut replay, &mut seen, Duration::from_millis(300));
        last = (replay.as_dump(), dump_entries(&a.name));
        if last.0 == last.1 {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let only = |x: &[String], y: &[String]| -> Vec<String> {
        x.iter().filter(|e| !y.contains(e)).cloned().collect()
    };
    assert!(
        last.0 == last.1,
        "replayed stream != dump --json\nonly replayed: {:#?}\nonly dumped: {:#?}",
        only(&last.0, &last.1),
        only(&last.1, &last.0)
    );
    for (ev, obj, key, val) in [
        ("new", "link", "ifname", "wbr0"),
        ("new", "route", "dst", "10.66.0.0/16"),
        ("del", "link", "ifname", "wbr0"),
        ("del", "route", "gateway", "10.1.0.2"),
    ] {
        assert!(
            seen.iter()
                .any(|v| v["event"] == ev && v["object"] == obj && v["data"][key] == val),
            "no {ev} {obj} with {key} {val}"
        );
    }
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

/// Runs `netlens ARGS` and waits at most `secs` for it to end; `None` if it did not.
fn run_for(args: &[&str], secs: u64) -> Option<std::process::Output> {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start netlens");
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if child.try_wait().ok().flatten().is_some() {
            return child.wait_with_output().ok();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

#[test]
fn watch_on_a_path_that_is_not_a_namespace_says_so_and_exits() {
    if !testns::require_root() {
        return;
    }
    let o = run_for(&["watch", "--netns", "/etc/hostname"], 5).expect("watch ended");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{err}");
    assert!(err.contains("not a network namespace"), "{err}");
}

#[test]
fn watch_ends_when_its_namespace_is_deleted() {
    if !testns::require_root() {
        return;
    }
    let ns = Netns::new("wgone");
    let name = ns.name.clone();
    let child = std::thread::spawn(move || run_for(&["watch", "--netns", &name], 10));
    std::thread::sleep(Duration::from_millis(1500));
    drop(ns);
    let o = child
        .join()
        .expect("thread")
        .expect("watch ended after the namespace went");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("is gone"), "{err}");
}

#[test]
fn topo_draws_children_across_namespaces_veths_ports_and_vteps() {
    if !testns::require_root() {
        return;
    }
    let lan = Netns::new("tpl");
    let node = Netns::new("tpn");
    let pod = Netns::new("tpp");
    node.ip(&[
        "link", "add", "eth0", "type", "veth", "peer", "name", "up0", "netns", &lan.name,
    ]);
    node.ipw("addr add 10.0.0.5/24 dev eth0");
    node.ipw("link set eth0 up");
    node.ipw("link add mv0 link eth0 type macvlan mode bridge");
    node.ip(&["link", "set", "mv0", "netns", &pod.name]);
    node.ipw("link add vx0 type vxlan id 42 dstport 4789 local 10.0.0.5 dev eth0 nolearning");
    node.ip(&["link", "add", "br0", "type", "bridge"]);
    node.ipw("link set vx0 master br0");
    testns::run(&[
        "bridge",
        "-n",
        &node.name,
        "fdb",
        "append",
        "00:00:00:00:00:00",
        "dev",
        "vx0",
        "dst",
        "10.0.0.6",
    ]);
    let out = testns::run(&[BIN, "topo", "--netns", &node.name, "--json"]);
    let graph: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let name = |id: &serde_json::Value| -> String {
        graph["nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|n| n["id"] == *id)
            .map(|n| {
                format!(
                    "{}@{}",
                    n["name"].as_str().unwrap_or(""),
                    n["netns"].as_str().unwrap_or("-")
                )
            })
            .unwrap_or_default()
    };
    let edges: Vec<String> = graph["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            format!(
                "{} {} {}",
                name(&e["from"]),
                e["kind"].as_str().unwrap_or(""),
                name(&e["to"])
            )
        })
        .collect();
    let (nn, pn, ln) = (&node.name, &pod.name, &lan.name);
    for want in [
        format!("mv0@{pn} parent eth0@{nn}"),
        format!("vx0@{nn} parent eth0@{nn}"),
        format!("vx0@{nn} master br0@{nn}"),
        format!("vx0@{nn} vtep 10.0.0.6@-"),
    ] {
        assert!(edges.contains(&want), "no edge {want}: {edges:#?}");
    }
    assert!(
        edges.iter().any(|e| e.contains(" veth ")
            && e.contains(&format!("eth0@{nn}"))
            && e.contains(&format!("up0@{ln}"))),
        "the veth pair across namespaces: {edges:#?}"
    );
    // Graphviz accepts the dot output.
    let dot = testns::run(&[BIN, "topo", "--netns", &node.name, "--dot"]);
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("graphviz's dot (scripts/install-deps installs it)");
    {
        use std::io::Write as _;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(dot.as_bytes())
            .expect("write");
    }
    let o = child.wait_with_output().expect("dot");
    assert!(
        o.status.success(),
        "dot refused: {}\n{dot}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("<svg"));
}

#[test]
fn config_path_and_default() {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_netlens"))
        .args(["config", "path"])
        .env("NETLENS_CONFIG", "/tmp/nlt-some/config.toml")
        .output()
        .expect("run");
    assert!(o.status.success());
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "/tmp/nlt-some/config.toml"
    );
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_netlens"))
        .args(["config", "default"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success() && text.contains("# theme = \"dark\"") && text.contains("[keys]"),
        "{text}"
    );
}

/// A command that does not open the UI prints a bad settings file's warning (the UI shows
/// it on its status line): `walkthrough list` is such a command.
#[test]
fn a_bad_settings_file_is_named_by_commands_without_the_ui() {
    let dir = std::env::temp_dir().join(format!("nlt-cfgw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let bad = dir.join("config.toml");
    std::fs::write(&bad, "rnig = 5\n").expect("write");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_netlens"))
        .args(["walkthrough", "list"])
        .env("NETLENS_CONFIG", &bad)
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("line 1") && err.contains("rnig"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `dump --all --json` (namespaces read on a pool, a chunk at a time) lists each namespace
/// exactly as `dump --netns` does, veth peers named by the namespace they live in.
#[test]
fn dump_all_lists_each_namespace_as_dump_netns_does() {
    if !testns::require_root() {
        return;
    }
    let p = Pair::new("dall");
    let out = testns::run(&[BIN, "dump", "--all", "--json"]);
    let all: serde_json::Value = serde_json::from_str(&out).expect("dump --all --json is JSON");
    let list = all.as_array().expect("a list of namespaces");
    assert!(
        list.first().is_some_and(|n| n["netns"] == "host"),
        "the host's namespace comes first: {out:.300}"
    );
    for ns in [&p.a.name, &p.b.name] {
        let mine: Vec<&serde_json::Value> =
            list.iter().filter(|n| n["netns"] == ns.as_str()).collect();
        assert_eq!(mine.len(), 1, "{ns} listed once");
        let one = testns::run(&[BIN, "dump", "--json", "--netns", ns]);
        let one: serde_json::Value = serde_json::from_str(&one).expect("dump --json is JSON");
        for key in ["links", "addrs", "routes", "neigh", "fdb"] {
            let strip = |v: &serde_json::Value| -> Vec<serde_json::Value> {
                v[key]
                    .as_array()
                    .map(|a| a.iter().map(without_counters).collect())
                    .unwrap_or_default()
            };
            assert_eq!(strip(mine[0]), strip(&one), "{key} of {ns}");
        }
        let peer = if ns == &p.a.name {
            &p.b.name
        } else {
            &p.a.name
        };
        let veth = mine[0]["links"]
            .as_array()
            .and_then(|l| {
                l.iter()
                    .find(|l| l["ifname"] == "va" || l["ifname"] == "vb")
            })
            .expect("the veth end");
        assert_eq!(veth["link_netns"], peer.as_str(), "{veth}");
    }
}
