//! End to end in a real terminal (tmux): start on a test namespace, filter, open the detail
//! pane, see a link added by `ip` appear, quit, and find the terminal restored.

use std::process::Command;
use std::time::{Duration, Instant};

use testns::Pair;

struct Tmux(String);

impl Tmux {
    /// Starts netlens on namespace `ns` in a new detached tmux session of `w`x`h`, in `dir`,
    /// with `env` (`NAME=value` words) before it; the shell reports its exit status.
    fn start(
        tag: &str,
        ns: &str,
        w: u16,
        h: u16,
        dir: Option<&std::path::Path>,
        env: &str,
    ) -> Tmux {
        Tmux::start_args(tag, &format!("--netns {ns}"), w, h, dir, env)
    }

    /// Starts `netlens ARGS` (see [`Tmux::start`]).
    fn start_args(
        tag: &str,
        netlens_args: &str,
        w: u16,
        h: u16,
        dir: Option<&std::path::Path>,
        env: &str,
    ) -> Tmux {
        let session = format!("nlt-{tag}-{}", std::process::id());
        let cmd = format!(
            "{env} {} {netlens_args}; echo NETLENS-EXITED:$?; sleep 60",
            env!("CARGO_BIN_EXE_netlens")
        );
        let (w, h) = (w.to_string(), h.to_string());
        let mut args = vec![
            "tmux",
            "new-session",
            "-d",
            "-s",
            &session,
            "-x",
            &w,
            "-y",
            &h,
        ];
        let d = dir.map(|d| d.to_string_lossy().into_owned());
        if let Some(d) = &d {
            args.extend(["-c", d.as_str()]);
        }
        args.push(&cmd);
        testns::run(&args);
        Tmux(session)
    }

    fn keys(&self, keys: &[&str]) {
        let mut v = vec!["tmux", "send-keys", "-t", &self.0];
        v.extend_from_slice(keys);
        testns::run(&v);
        // An Escape followed at once by a key reads as Alt+key: let it stand alone.
        if keys.last() == Some(&"Escape") {
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    fn pane(&self) -> String {
        testns::run(&["tmux", "capture-pane", "-p", "-t", &self.0])
    }

    fn display(&self, fmt: &str) -> String {
        testns::run(&["tmux", "display-message", "-p", "-t", &self.0, fmt])
            .trim()
            .to_owned()
    }

    fn wait_for(&self, what: &str, cond: impl Fn(&str) -> bool) -> String {
        self.wait_secs(what, 5, cond)
    }

    fn wait_secs(&self, what: &str, secs: u64, cond: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let p = self.pane();
            if cond(&p) {
                return p;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: not on screen within {secs}s:\n{p}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.0])
            .output();
    }
}

#[test]
fn capture_pane_in_tmux_sees_a_ping_filters_and_saves_a_pcap_tcpdump_reads() {
    if !testns::require_root() {
        return;
    }
    let p = Pair::new("tcap");
    let dir = std::env::temp_dir().join(format!("nlt-tcap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let t = Tmux::start("tcap", &p.a.name, 160, 45, Some(&dir), "");
    t.wait_for("the links", |s| s.contains(" va ") && s.contains("· live"));
    t.keys(&["/", "v", "a", "Enter"]);
    t.wait_for("the filter", |s| s.contains("filter: va"));
    t.keys(&["c"]);
    t.wait_for("the capture pane", |s| {
        s.contains("Capture ·") && s.contains("va in")
    });
    let ping = p.a.exec(&["ping", "-c", "2", "-i", "0.2", "10.1.0.2"]);
    assert!(ping.status.success());
    t.wait_for("the ping in the capture", |s| {
        s.contains("ICMP echo request") && s.contains("ICMP echo reply")
    });

    // A filter that does not compile is refused inline; a good one is applied.
    t.keys(&["/", "C-u"]);
    for k in ["t", "c", "p", "Space", "p", "o", "r", "t", "Enter"] {
        t.keys(&[k]);
    }
    t.wait_for("the filter error inline", |s| {
        s.contains("filter> tcp port") && s.contains("✗")
    });
    t.keys(&["Escape"]);
    t.keys(&["/"]);
    for k in [
        "BSpace", "BSpace", "BSpace", "BSpace", "BSpace", "BSpace", "BSpace", "BSpace", "i", "c",
        "m", "p", "Enter",
    ] {
        t.keys(&[k]);
    }
    t.wait_for("the applied filter", |s| s.contains("captured): icmp"));

    // w asks where; Enter takes the default name in the working directory.
    t.keys(&["w"]);
    t.wait_for("the save prompt", |s| s.contains("save to"));
    t.keys(&["Enter"]);
    let s = t.wait_for("the save message", |s| {
        s.contains("saved") && s.contains(".pcap")
    });
    let file = std::fs::read_dir(&dir)
        .expect("read temp dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "pcap"))
        .unwrap_or_else(|| panic!("no pcap saved in {}:\n{s}", dir.display()));
    let out = testns::output(&["tcpdump", "-nn", "-r", &file.to_string_lossy()]);
    assert!(
        out.status.success(),
        "tcpdump cannot read {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("10.1.0.1 > 10.1.0.2: ICMP echo request"),
        "{text}"
    );

    t.keys(&["q"]);
    t.wait_for("the pane closing", |s| !s.contains("Capture ·"));
    t.keys(&["q"]);
    t.wait_for("netlens exiting", |s| s.contains("NETLENS-EXITED:0"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tui_in_tmux_filters_shows_detail_follows_ip_and_restores_terminal() {
    if !testns::require_root() {
        return;
    }
    let p = Pair::new("tui");
    // The smallest terminal the UI is made for.
    let t = Tmux::start("tui", &p.a.name, 80, 24, None, "");

    t.wait_for("the links of the test namespace", |s| {
        s.contains(" va ") && s.contains("· live")
    });
    assert_eq!(
        t.display("#{alternate_on}"),
        "1",
        "the UI runs on the alternate screen"
    );

    t.keys(&["/", "v", "a", "Enter"]);
    let s = t.wait_for("the filter", |s| s.contains("filter: va"));
    assert!(!s.contains(" lo "), "the filter leaves lo out:\n{s}");

    t.keys(&["Enter"]);
    t.wait_for("the detail pane with the veth peer", |s| {
        s.contains("Detail") && s.contains("veth peer") && s.contains("vb")
    });

    // One key at a time: two Escapes in a row read as one Alt-Escape.
    t.keys(&["Escape"]);
    t.wait_for("the detail pane closing", |s| !s.contains("veth peer"));
    t.keys(&["Escape"]);
    t.wait_for("the filter clearing", |s| !s.contains("filter: va"));
    p.a.ip(&["link", "add", "tuibr0", "type", "bridge"]);
    t.wait_for("a link added by ip", |s| s.contains("tuibr0"));

    t.keys(&["q"]);
    t.wait_for("netlens exiting with status 0", |s| {
        s.contains("NETLENS-EXITED:0")
    });
    assert_eq!(
        t.display("#{alternate_on}"),
        "0",
        "the alternate screen is left"
    );
    assert_eq!(
        t.display("#{cursor_flag}"),
        "1",
        "the cursor is visible again"
    );
    assert_eq!(
        t.display("#{mouse_any_flag}"),
        "0",
        "mouse capture is off again"
    );
}

#[test]
fn action_form_in_tmux_applies_a_shim() {
    if !testns::require_root() {
        return;
    }
    let p = Pair::new("tform");
    let data = std::env::temp_dir().join(format!("nlt-tform-{}", std::process::id()));
    std::fs::create_dir_all(&data).expect("data dir");
    let env = format!("NETLENS_DATA_DIR={}", data.display());
    let t = Tmux::start("tform", &p.a.name, 160, 45, None, &env);
    t.wait_for("the links", |s| s.contains(" va ") && s.contains("· live"));
    t.keys(&["/", "v", "a", "Enter"]);
    t.wait_for("the filter", |s| s.contains("filter: va"));
    t.keys(&["a"]);
    t.wait_for("the shim form", |s| {
        s.contains("Let the host reach") && s.contains("parent* va")
    });
    t.keys(&["Tab"]);
    t.keys(&["Tab"]);
    for k in "10.1.0.99".chars() {
        t.keys(&[&k.to_string()]);
    }
    t.wait_for("the live preview", |s| s.contains("10.1.0.99/32"));
    t.keys(&["Enter"]);
    t.wait_for("the y/n question", |s| s.contains("apply these 3 steps"));
    t.keys(&["y"]);
    t.wait_for("the applied plan", |s| s.contains("applied as plan"));
    let link = p.a.ip_json(&["-d", "link", "show", "shim-va"]);
    assert_eq!(link[0]["linkinfo"]["info_data"]["mode"], "bridge", "{link}");
    t.keys(&["Escape"]);
    t.wait_for("the form closing", |s| !s.contains("Let the host reach"));
    t.keys(&["q"]);
    t.wait_for("netlens exiting", |s| s.contains("NETLENS-EXITED:0"));
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn sigint_from_outside_restores_the_terminal() {
    if !testns::require_root() {
        return;
    }
    let p = Pair::new("tint");
    let t = Tmux::start("tint", &p.a.name, 120, 30, None, "");
    t.wait_for("the UI", |s| s.contains("· live"));
    let shell = t.display("#{pane_pid}");
    let pid = testns::run(&["pgrep", "-P", &shell, "netlens"]);
    let pid = pid
        .lines()
        .next()
        .expect("netlens runs in the pane")
        .trim()
        .to_owned();
    testns::run(&["kill", "-INT", &pid]);
    t.wait_for("netlens exiting", |s| s.contains("NETLENS-EXITED:0"));
    assert_eq!(
        t.display("#{alternate_on}"),
        "0",
        "the alternate screen is left"
    );
    assert_eq!(
        t.display("#{mouse_any_flag}"),
        "0",
        "mouse capture is off again"
    );
}

#[test]
fn sigtstp_gives_the_terminal_back_and_sigcont_takes_it_again() {
    if !testns::require_root() {
        return;
    }
    let p = Pair::new("tstp");
    let t = Tmux::start("tstp", &p.a.name, 100, 30, None, "");
    t.wait_for("the UI", |s| s.contains("· live"));
    let shell = t.display("#{pane_pid}");
    let pid = testns::run(&["pgrep", "-P", &shell, "netlens"]);
    let pid = pid.lines().next().expect("netlens runs").trim().to_owned();
    testns::run(&["kill", "-TSTP", &pid]);
    let deadline = Instant::now() + Duration::from_secs(5);
    while t.display("#{alternate_on}") != "0" {
        assert!(
            Instant::now() < deadline,
            "the alternate screen was not left"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(t.display("#{cursor_flag}"), "1", "the cursor is shown");
    assert_eq!(
        t.display("#{mouse_any_flag}"),
        "0",
        "mouse reporting is off"
    );
    let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    assert!(state.contains(") T "), "netlens is stopped: {state}");
    testns::run(&["kill", "-CONT", &pid]);
    let deadline = Instant::now() + Duration::from_secs(5);
    while t.display("#{alternate_on}") != "1" {
        assert!(
            Instant::now() < deadline,
            "the UI did not take the terminal again"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    t.wait_for("the UI drawn again", |s| s.contains("· live"));
    t.keys(&["q"]);
    t.wait_for("netlens exiting", |s| s.contains("NETLENS-EXITED:0"));
}

/// Removes the namespaces whose name starts with its prefix.
struct Down(String);
impl Drop for Down {
    fn drop(&mut self) {
        for l in testns::run(&["ip", "netns", "list"]).lines() {
            if let Some(n) = l
                .split_whitespace()
                .next()
                .filter(|n| n.starts_with(&self.0))
            {
                let _ = Command::new("ip").args(["netns", "del", n]).output();
            }
        }
    }
}

/// The host-isolation walkthrough through the UI at 100x30: each step's checks shown as
/// they finish, the capture pane opened by the capture step, the shim applied from the
/// panel (Enter, Enter, y), the move-host-ip variant kept under the confirm timer (y), and
/// leaving with `lab down` (q, y): no namespace of the lab is left.
#[test]
fn walkthrough_host_isolation_through_the_ui() {
    if !testns::require_root() {
        return;
    }
    let prefix = format!("nlt-twk{}", std::process::id());
    let store = std::env::temp_dir().join(format!("nlt-twk-store-{}", std::process::id()));
    let lab_namespaces = || {
        testns::run(&["ip", "netns", "list"])
            .lines()
            .filter(|l| l.starts_with(&format!("{prefix}-")))
            .count()
    };
    let _down = Down(format!("{prefix}-"));
    let env = format!(
        "NETLENS_LAB_PREFIX={prefix} NETLENS_DATA_DIR={}",
        store.display()
    );
    let t = Tmux::start_args("twk", "walkthrough host-isolation", 100, 30, None, &env);
    t.wait_secs("step 1 and its checks", 20, |s| {
        s.contains("step 1/5") && s.contains("(2/2 as expected)")
    });
    t.keys(&["n"]);
    t.wait_secs("step 2's checks", 10, |s| {
        s.contains("step 2/5") && s.contains("(3/3 as expected)")
    });
    t.keys(&["n"]);
    // The checks run once the pane's capture runs: the pane shows the ARP request of the
    // failing ping.
    t.wait_secs(
        "step 3: the capture pane, its ARP request and the checks",
        15,
        |s| {
            s.contains("step 3/5")
                && s.contains("Capture ·")
                && s.contains("(2/2 as expected)")
                && s.contains("who-has 10.10.0.11")
        },
    );
    t.keys(&["n"]);
    let s = t.wait_secs("step 4 before its plan", 10, |s| {
        s.contains("step 4/5") && s.contains("(0/4 as expected)") && !s.contains("running")
    });
    assert!(s.contains("fails for now"), "{s}");
    assert!(
        !s.contains("Capture ·"),
        "the step-3 capture stays open: {s}"
    );
    t.keys(&["Enter"]);
    t.wait_for("the step's plan in the form", |s| s.contains("shim ·"));
    t.keys(&["Enter"]);
    t.keys(&["y"]);
    t.wait_secs("the shim applied and the checks passing", 15, |s| {
        s.contains("applied as plan") && s.contains("(4/4 as expected)")
    });
    t.keys(&["Escape"]);
    t.keys(&["n"]);
    t.wait_secs("step 5", 10, |s| s.contains("step 5/5"));
    t.keys(&["Enter"]);
    t.wait_for("the variant in the form", |s| s.contains("shim ·"));
    t.keys(&["Enter"]);
    t.wait_for("the confirm timer announced", |s| {
        s.contains("confirm timer")
    });
    t.keys(&["y"]);
    t.wait_secs("the confirm timer running", 10, |s| {
        s.contains("press y within")
    });
    t.keys(&["y"]);
    t.wait_secs("kept, and the checks passing", 15, |s| {
        s.contains("confirmed: it stays") && s.contains("(3/3 as expected)")
    });
    t.keys(&["Escape"]);
    t.keys(&["q"]);
    t.wait_for("leaving asks about the lab", |s| s.contains("remove lab"));
    t.keys(&["y"]);
    t.wait_secs("netlens exits", 15, |s| s.contains("NETLENS-EXITED:0"));
    assert_eq!(lab_namespaces(), 0, "the lab's namespaces are left");
    let _ = std::fs::remove_dir_all(&store);
}

/// A bad settings file is named with its line and key on the status line and the UI runs
/// with the defaults; a good one's key binding works (`x` captures too).
#[test]
fn settings_a_bad_file_is_named_and_a_good_ones_keys_work() {
    if !testns::require_root() {
        return;
    }
    let p = Pair::new("tcfg");
    let dir = std::env::temp_dir().join(format!("nlt-tcfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "ring = 5\nrnig = 6\n").expect("write");
    let t = Tmux::start(
        "tcfgb",
        &p.a.name,
        120,
        30,
        None,
        &format!("NETLENS_CONFIG={}", bad.display()),
    );
    t.wait_for("the warning on the status line", |s| {
        s.contains("default settings used") && s.contains("line 2") && s.contains("rnig")
    });
    t.wait_for("the links, all the same", |s| s.contains(" va "));
    t.keys(&["q"]);
    t.wait_for("netlens exiting", |s| s.contains("NETLENS-EXITED:0"));
    drop(t);

    let good = dir.join("good.toml");
    std::fs::write(&good, "theme = \"light\"\n[keys]\ncapture = \"x\"\n").expect("write");
    let t = Tmux::start(
        "tcfgg",
        &p.a.name,
        120,
        30,
        None,
        &format!("NETLENS_CONFIG={}", good.display()),
    );
    t.wait_for("the links", |s| s.contains(" va ") && s.contains("· live"));
    t.keys(&["/", "v", "a", "Enter"]);
    t.wait_for("the filter", |s| s.contains("filter: va"));
    t.keys(&["x"]);
    t.wait_for("the capture pane, from the bound key", |s| {
        s.contains("Capture ·") && s.contains("va in")
    });
    t.keys(&["q"]);
    t.keys(&["q"]);
    t.wait_for("netlens exiting", |s| s.contains("NETLENS-EXITED:0"));
    let _ = std::fs::remove_dir_all(&dir);
}
