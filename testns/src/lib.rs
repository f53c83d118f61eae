//! Test support: namespaces named `nlt-…` that a test creates and a `Drop` guard removes,
//! and helpers that run iproute2 as the oracle. Only for tests: it panics on failure.
#![allow(
    clippy::missing_panics_doc,
    clippy::unwrap_used,
    clippy::must_use_candidate
)]

use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Fails the test unless it runs as root, which kernel tests need; the message says how to
/// run them. Set `NETLENS_SKIP_KERNEL_TESTS=1` to skip them loudly instead.
pub fn require_root() -> bool {
    if std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
    {
        return true;
    }
    if std::env::var_os("NETLENS_SKIP_KERNEL_TESTS").is_some() {
        eprintln!("!!! SKIPPED: kernel test needs root (NETLENS_SKIP_KERNEL_TESTS is set) !!!");
        return false;
    }
    panic!("kernel tests need root: run the README's test command as root, or set NETLENS_SKIP_KERNEL_TESTS=1 to skip them");
}

/// Runs a command, panicking with its stderr if it fails.
pub fn run(args: &[&str]) -> String {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .unwrap_or_else(|e| panic!("{args:?}: {e}"));
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs a command and returns its output whatever the status.
pub fn output(args: &[&str]) -> Output {
    Command::new(args[0])
        .args(&args[1..])
        .output()
        .unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

/// A network namespace that lives as long as this value.
pub struct Netns {
    pub name: String,
}

impl Netns {
    /// Creates `nlt-<pid>-<n>-<tag>` with loopback up.
    pub fn new(tag: &str) -> Netns {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let name = format!("nlt-{}-{n}-{tag}", std::process::id());
        run(&["ip", "netns", "add", &name]);
        let ns = Netns { name };
        ns.ip(&["link", "set", "lo", "up"]);
        ns
    }

    /// `ip -n NAME ARGS…`
    pub fn ip(&self, args: &[&str]) -> String {
        let mut v = vec!["ip", "-n", &self.name];
        v.extend_from_slice(args);
        run(&v)
    }

    /// `ip -n NAME` with the words of `line` (`"route add 10.9.0.0/16 via 10.1.0.2"`).
    pub fn ipw(&self, line: &str) -> String {
        self.ip(&line.split_whitespace().collect::<Vec<_>>())
    }

    /// `bridge -n NAME` with the words of `line`.
    pub fn bridgew(&self, line: &str) -> String {
        self.bridge(&line.split_whitespace().collect::<Vec<_>>())
    }

    /// `ip -n NAME -j ARGS…`, parsed.
    pub fn ip_json(&self, args: &[&str]) -> serde_json::Value {
        let mut v = vec!["ip", "-n", &self.name, "-j"];
        v.extend_from_slice(args);
        let s = run(&v);
        if s.trim().is_empty() {
            return serde_json::Value::Array(Vec::new());
        }
        serde_json::from_str(&s).unwrap_or_else(|e| panic!("{v:?}: bad JSON {e}: {s}"))
    }

    /// Waits (10 s at most) until no IPv6 address here is tentative: until DAD ends, an
    /// address has no local route (Linux 6.1 inserts it when DAD completes), and DAD takes
    /// a second or more, longer under a VM's emulated CPU.
    pub fn wait_dad(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            let addrs = self.ip_json(&["-6", "addr", "show"]);
            let tentative = addrs.as_array().into_iter().flatten().any(|l| {
                l["addr_info"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|a| a["tentative"] == serde_json::Value::Bool(true))
            });
            if !tentative {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// `bridge -n NAME ARGS…`
    pub fn bridge(&self, args: &[&str]) -> String {
        let mut v = vec!["bridge", "-n", &self.name];
        v.extend_from_slice(args);
        run(&v)
    }

    /// `bridge -n NAME -j ARGS…`, parsed.
    pub fn bridge_json(&self, args: &[&str]) -> serde_json::Value {
        let mut v = vec!["bridge", "-n", &self.name, "-j"];
        v.extend_from_slice(args);
        let s = run(&v);
        if s.trim().is_empty() {
            return serde_json::Value::Array(Vec::new());
        }
        serde_json::from_str(&s).unwrap_or_else(|e| panic!("{v:?}: bad JSON {e}: {s}"))
    }

    /// `ip netns exec NAME ARGS…`
    pub fn exec(&self, args: &[&str]) -> Output {
        let mut v = vec!["ip", "netns", "exec", &self.name];
        v.extend_from_slice(args);
        output(&v)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}

/// Two namespaces joined by a veth pair (`va` in `a`, `vb` in `b`, 10.1.0.1/24 and
/// 10.1.0.2/24), both ends up.
pub struct Pair {
    pub a: Netns,
    pub b: Netns,
}

impl Pair {
    pub fn new(tag: &str) -> Pair {
        let a = Netns::new(&format!("{tag}a"));
        let b = Netns::new(&format!("{tag}b"));
        a.ip(&[
            "link", "add", "va", "type", "veth", "peer", "name", "vb", "netns", &b.name,
        ]);
        a.ip(&["link", "set", "va", "up"]);
        b.ip(&["link", "set", "vb", "up"]);
        a.ip(&["addr", "add", "10.1.0.1/24", "dev", "va"]);
        b.ip(&["addr", "add", "10.1.0.2/24", "dev", "vb"]);
        Pair { a, b }
    }
}

/// A "host" namespace whose `eth0` is a veth end (its peer `up0` up in a `lan` namespace),
/// with 10.0.0.5/24 and a default route via 10.0.0.1 (which `lan` owns): a machine's NIC,
/// without touching the machine's own.
pub struct Host {
    pub host: Netns,
    pub lan: Netns,
}

impl Host {
    pub fn new(tag: &str) -> Host {
        let host = Netns::new(&format!("{tag}h"));
        let lan = Netns::new(&format!("{tag}l"));
        host.ip(&[
            "link", "add", "eth0", "type", "veth", "peer", "name", "up0", "netns", &lan.name,
        ]);
        host.ip(&["link", "set", "eth0", "up"]);
        lan.ip(&["link", "set", "up0", "up"]);
        host.ip(&["addr", "add", "10.0.0.5/24", "dev", "eth0"]);
        host.ip(&["route", "add", "default", "via", "10.0.0.1"]);
        lan.ip(&["addr", "add", "10.0.0.1/24", "dev", "up0"]);
        Host { host, lan }
    }
}

/// A consumer of `netlens watch --json`, as the README's contract has it: a snapshot sets a
/// namespace's entries, `new` sets the data under a key, `del` removes the key.
pub mod replay {
    use std::collections::BTreeMap;

    use serde_json::Value;

    /// A namespace's entries: (object, key) -> data.
    pub type Entries = BTreeMap<(String, String), Value>;

    /// The entries of a `snapshot` line (the key taken out of each entry's data).
    pub fn snapshot(v: &Value) -> Entries {
        assert_eq!(v["event"], "snapshot", "not a snapshot: {v}");
        let mut out = BTreeMap::new();
        for (list, object) in [
            ("links", "link"),
            ("addrs", "addr"),
            ("routes", "route"),
            ("neigh", "neigh"),
            ("fdb", "fdb"),
        ] {
            for e in v[list].as_array().expect("a list of entries") {
                let mut data = e.clone();
                let key = data
                    .as_object_mut()
                    .and_then(|o| o.remove("key"))
                    .and_then(|k| k.as_str().map(str::to_owned))
                    .unwrap_or_else(|| panic!("an entry without a key: {e}"));
                let dup = out.insert((object.to_owned(), key.clone()), data);
                assert!(dup.is_none(), "two {object} entries share the key {key:?}");
            }
        }
        out
    }

    /// Applies one `new`/`del` line; a `del` of a key never announced fails.
    pub fn event(state: &mut Entries, v: &Value) {
        let object = v["object"].as_str().expect("object").to_owned();
        let key = v["key"].as_str().expect("key").to_owned();
        match v["event"].as_str() {
            Some("new") => {
                state.insert((object, key), v["data"].clone());
            }
            Some("del") => {
                assert!(
                    state.remove(&(object.clone(), key.clone())).is_some(),
                    "del of a {object} the stream never announced: {key}"
                );
            }
            other => panic!("unexpected event {other:?}: {v}"),
        }
    }
}
