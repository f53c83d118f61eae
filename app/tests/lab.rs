//! `netlens lab`: labs built from their files in nlt- namespaces (`NETLENS_LAB_PREFIX`), up
//! twice (nothing changes the second time), status, down (nothing left behind), and
//! malformed files refused with the line and the key, changing nothing.

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_netlens");

/// Namespaces of this test's prefix, removed on drop whatever happened.
struct Prefix(String);

impl Prefix {
    fn new(tag: &str) -> Prefix {
        Prefix(format!("nlt-{tag}{}", std::process::id()))
    }
    fn namespaces(&self) -> Vec<String> {
        testns::run(&["ip", "netns", "list"])
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .filter(|n| n.starts_with(&format!("{}-", self.0)))
            .map(str::to_owned)
            .collect()
    }
    fn lab(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .arg("lab")
            .args(args)
            .env("NETLENS_LAB_PREFIX", &self.0)
            .output()
            .expect("run netlens lab")
    }
}

impl Drop for Prefix {
    fn drop(&mut self) {
        for n in self.namespaces() {
            let _ = Command::new("ip").args(["netns", "del", &n]).output();
        }
    }
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn built_in_labs_come_up_twice_and_go_without_a_trace() {
    if !testns::require_root() {
        return;
    }
    let links_before = testns::run(&["ip", "-o", "link"]).lines().count();
    for lab in ["macvlan-bridge", "macvlan-modes", "vxlan-pair"] {
        let p = Prefix::new("lab");
        ok(&p.lab(&["up", lab]));
        let made = p.namespaces();
        assert!(!made.is_empty(), "{lab}: no namespace");
        let again = ok(&p.lab(&["up", lab]));
        assert!(again.contains("already up"), "{again}");
        assert_eq!(p.namespaces(), made, "a second up changed the namespaces");
        let st = ok(&p.lab(&["status", lab]));
        assert!(!st.contains("DRIFTED") && !st.contains("absent"), "{st}");
        ok(&p.lab(&["down", lab]));
        assert!(
            p.namespaces().is_empty(),
            "{lab}: namespaces left: {:?}",
            p.namespaces()
        );
    }
    assert_eq!(
        testns::run(&["ip", "-o", "link"]).lines().count(),
        links_before,
        "a lab left a link in the host's namespace"
    );
}

#[test]
fn the_macvlan_lab_reproduces_the_shim_problem() {
    if !testns::require_root() {
        return;
    }
    let p = Prefix::new("lbs");
    ok(&p.lab(&["up", "macvlan-bridge"]));
    let ns = |n: &str| format!("{}-macvlan-bridge-{n}", p.0);
    // Pods reach each other and the lan; the node does not reach its pod.
    let ping = |from: &str, to: &str| {
        testns::output(&[
            "ip",
            "netns",
            "exec",
            &ns(from),
            "ping",
            "-c",
            "1",
            "-W",
            "1",
            to,
        ])
        .status
        .success()
    };
    assert!(ping("pod1", "10.10.0.12"));
    assert!(ping("pod1", "10.10.0.1"));
    assert!(!ping("node1", "10.10.0.11"));
}

#[test]
fn malformed_lab_files_are_refused_by_line_and_key_and_change_nothing() {
    let p = Prefix::new("lbm");
    let dir = std::env::temp_dir().join(format!("nlt-labfiles-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    for (text, want) in [
        ("name = \"x\"\n[[node]]\nname = \"a\"\nnmae = \"b\"\n", "line 4"),
        ("name = \"x\"\n[[node]]\nname = \"a\"\n[[veth]]\na = \"a:e0\"\nb = \"b:e1\"\n", "veth[0].b"),
        ("name = \"x\"\n[[node]]\nname = \"a\"\n[[address]]\nnode = \"a\"\ndev = \"e0\"\ncidr = \"10.0.0.1\"\n", "address[0].cidr"),
        ("name = \"Bad Name\"\n", "name"),
        // Device names as the kernel takes them (IFNAMSIZ; no '/', ':' or whitespace).
        ("name = \"x\"\n[[node]]\nname = \"a\"\n[[bridge]]\nnode = \"a\"\nname = \"br-name-too-long\"\n", "bridge[0].name"),
        ("name = \"x\"\n[[node]]\nname = \"a\"\n[[veth]]\na = \"a:e/0\"\nb = \"a:e1\"\n", "veth[0].a"),
    ] {
        let f = dir.join("lab.toml");
        std::fs::write(&f, text).expect("write");
        let o = p.lab(&["up", &f.to_string_lossy()]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && err.contains(want), "{text}: {err}");
        assert!(p.namespaces().is_empty());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

impl Prefix {
    fn walkthrough(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .arg("walkthrough")
            .args(args)
            .env("NETLENS_LAB_PREFIX", &self.0)
            .output()
            .expect("run netlens walkthrough")
    }
}

/// Runs a walkthrough whole (every check as expected, the lab removed after), then with
/// its fix step left out (exit 1, a check not as expected).
fn walkthrough_and_without_fix(name: &str, fix_step: Option<&str>) {
    // A prefix of its own: the tests of one binary share a process id and run at once.
    let tag: String = name.split('-').filter_map(|w| w.chars().next()).collect();
    let p = Prefix::new(&format!("w{tag}"));
    let dir = std::env::temp_dir().join(format!("nlt-wexp-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("export dir");
    let o = p.walkthrough(&[name, "--auto", "--export", &dir.to_string_lossy()]);
    let out = ok(&o);
    assert!(!out.contains("NOT AS EXPECTED"), "{out}");
    assert!(out.contains("as expected"), "{name}: no check ran: {out}");
    assert!(p.namespaces().is_empty(), "{name}: the lab was not removed");
    // Each step's plan was exported: a script and its undo that sh can read.
    if let Some(step) = fix_step {
        let script = dir.join(format!("{name}-step{step}.sh"));
        for f in [
            script.clone(),
            dir.join(format!("{name}-step{step}.sh.undo")),
        ] {
            let o = testns::output(&["sh", "-n", &f.to_string_lossy()]);
            assert!(o.status.success(), "{}: {o:?}", f.display());
        }
        let text = std::fs::read_to_string(&script).expect("the exported script");
        assert!(text.contains("ip -n "), "{text}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    if let Some(step) = fix_step {
        let o = p.walkthrough(&[name, "--auto", "--skip", step]);
        let out = String::from_utf8_lossy(&o.stdout);
        assert_eq!(o.status.code(), Some(1), "{name} without its fix: {out}");
        assert!(out.contains("NOT AS EXPECTED"), "{out}");
        assert!(p.namespaces().is_empty());
    }
}

#[test]
fn walkthrough_host_isolation() {
    if testns::require_root() {
        walkthrough_and_without_fix("host-isolation", Some("4"));
    }
}

#[test]
fn walkthrough_macvlan_bridge() {
    if testns::require_root() {
        walkthrough_and_without_fix("macvlan-bridge", Some("4"));
    }
}

#[test]
fn walkthrough_vxlan_by_hand() {
    if testns::require_root() {
        walkthrough_and_without_fix("vxlan-by-hand", Some("2"));
    }
}

#[test]
fn walkthrough_macvlan_modes() {
    if testns::require_root() {
        walkthrough_and_without_fix("macvlan-modes", None);
    }
}

/// The VLAN walkthrough: macvlan pods on eth0.100 and eth0.200 reach their VLAN's gateway
/// (tagged on the trunk), and each other only through the lan's routing.
#[test]
#[ignore = "needs the kernel's 8021q (this machine's kernel lacks it): ./scripts/test-kernels runs it"]
fn walkthrough_vlan_macvlan() {
    if testns::require_root() {
        walkthrough_and_without_fix("vlan-macvlan", Some("3"));
    }
}

/// Where the kernel lacks 8021q (here, pretended with `NETLENS_KERNEL_LACKS`, so it runs on
/// any kernel), the VLAN walkthrough says so at its first step, names the module and the
/// config option, builds nothing and exits 3; `lab up` refuses with the same words.
#[test]
fn walkthrough_vlan_macvlan_refused_without_8021q() {
    if !testns::require_root() {
        return;
    }
    let p = Prefix::new("wtv");
    let o = Command::new(BIN)
        .args(["walkthrough", "vlan-macvlan", "--auto"])
        .env("NETLENS_LAB_PREFIX", &p.0)
        .env("NETLENS_KERNEL_LACKS", "8021q")
        .output()
        .expect("run netlens walkthrough");
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(3), "{out}");
    assert!(
        out.contains("step 1") && out.contains("8021q") && out.contains("CONFIG_VLAN_8021Q"),
        "{out}"
    );
    assert!(p.namespaces().is_empty(), "something was built");
    let o = Command::new(BIN)
        .args(["lab", "up", "vlan-macvlan"])
        .env("NETLENS_LAB_PREFIX", &p.0)
        .env("NETLENS_KERNEL_LACKS", "8021q")
        .output()
        .expect("run netlens lab");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("8021q") && err.contains("nothing was changed"),
        "{err}"
    );
    assert!(p.namespaces().is_empty());
}

/// `lab down tl` removes lab tl's namespaces, not those of lab tl-x (whose names start
/// the same).
#[test]
fn down_removes_its_own_lab_only() {
    if !testns::require_root() {
        return;
    }
    let p = Prefix::new("lbd");
    let dir = std::env::temp_dir().join(format!("nlt-labdown-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let (a, b) = (dir.join("tl.toml"), dir.join("tlx.toml"));
    std::fs::write(&a, "name = \"tl\"\n[[node]]\nname = \"a\"\n").expect("write");
    std::fs::write(&b, "name = \"tl-x\"\n[[node]]\nname = \"a\"\n").expect("write");
    ok(&p.lab(&["up", &a.to_string_lossy()]));
    ok(&p.lab(&["up", &b.to_string_lossy()]));
    assert_eq!(p.namespaces().len(), 2);
    ok(&p.lab(&["down", "tl"]));
    assert_eq!(p.namespaces(), [format!("{}-tl-x-a", p.0)]);
    ok(&p.lab(&["down", &b.to_string_lossy()]));
    assert!(p.namespaces().is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}
