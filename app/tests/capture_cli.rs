//! `netlens capture` from files and from a live interface in a test namespace.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use testns::Pair;

const BIN: &str = env!("CARGO_BIN_EXE_netlens");

fn corpus(name: &str) -> String {
    let p = concat!(env!("CARGO_MANIFEST_DIR"), "/../capture/tests/pcaps/");
    let path = format!("{p}{name}");
    assert!(
        std::path::Path::new(&path).exists(),
        "the capture corpus is missing: {path}"
    );
    path
}

/// Starts `netlens ARGS` and returns once it says it is listening (as tcpdump does, on
/// stderr), with a thread that gathers the rest of its stderr. Waiting a fixed time instead
/// lost the first packets where netlens starts slowly (a VM's emulated CPU).
fn start_capture(args: &[&str]) -> (Child, std::thread::JoinHandle<String>) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start capture");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut said = String::new();
    loop {
        assert!(
            Instant::now() < deadline,
            "the capture never listened: {said}"
        );
        match lines.next() {
            Some(Ok(l)) => {
                let listening = l.contains("listening");
                said.push_str(&l);
                said.push('\n');
                if listening {
                    break;
                }
            }
            _ => panic!("the capture ended before listening: {said}"),
        }
    }
    let rest = std::thread::spawn(move || {
        for l in lines.map_while(Result::ok) {
            said.push_str(&l);
            said.push('\n');
        }
        said
    });
    (child, rest)
}

#[test]
fn read_file_prints_vxlan_like_tcpdump() {
    let out = testns::run(&[BIN, "capture", "-r", &corpus("vxlan.pcap"), "-e"]);
    let lines: Vec<&str> = out.lines().collect();
    // Ten packets, each with its inner frame on a line of its own.
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains("VXLAN, flags [I] (0x08), vni 100"))
            .count(),
        10,
        "{out}"
    );
    let reference = std::fs::read_to_string(corpus("vxlan.pcap.tcpdump.txt")).expect("reference");
    // The inner-frame lines are identical to tcpdump's.
    for r in reference
        .lines()
        .skip(1)
        .filter(|l| !l.starts_with(char::is_numeric))
    {
        assert!(
            out.contains(r.trim()),
            "tcpdump's line {r:?} not in netlens's output:\n{out}"
        );
    }
}

#[test]
fn read_file_with_filter_count_json_and_write() {
    let f = corpus("arp-oobr.pcap");
    let out = testns::run(&[BIN, "capture", "-r", &f, "-c", "5", "--json"]);
    let n = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("one JSON object per line"))
        .inspect(|v| {
            assert!(
                v["decoded"]["layers"]
                    .as_array()
                    .is_some_and(|l| !l.is_empty()),
                "{v}"
            );
        })
        .count();
    assert_eq!(n, 5);
    let dir = std::env::temp_dir().join(format!("nlt-capcli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let w = dir.join("out.pcap");
    let ws = w.to_string_lossy().into_owned();
    testns::run(&[
        BIN,
        "capture",
        "-r",
        &corpus("dhcp-rfc4388.pcap"),
        "-f",
        "icmp",
        "-w",
        &ws,
        "-q",
    ]);
    let ours = testns::run(&["tcpdump", "-nn", "-r", &ws]);
    let theirs = testns::run(&["tcpdump", "-nn", "-r", &corpus("dhcp-rfc4388.pcap"), "icmp"]);
    assert_eq!(
        ours, theirs,
        "the written file differs from tcpdump's own filtering"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_filter_and_missing_file_are_named() {
    let o = testns::output(&[
        BIN,
        "capture",
        "-r",
        &corpus("vxlan.pcap"),
        "-f",
        "tcp port",
    ]);
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("filter \"tcp port\""), "{e}");
    let o = testns::output(&[BIN, "capture", "-r", "/nonexistent.pcap"]);
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && e.contains("/nonexistent.pcap"),
        "{e}"
    );
}

#[test]
fn live_capture_in_a_namespace_with_count_and_write() {
    if !testns::require_root() {
        return;
    }
    let p = Pair::new("ccli");
    let dir = std::env::temp_dir().join(format!("nlt-ccli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let w = dir.join("live.pcap").to_string_lossy().into_owned();
    let (child, rest) = start_capture(&[
        "capture", "--netns", &p.a.name, "-i", "va", "-f", "icmp", "-c", "4", "-w", &w,
    ]);
    let ping = p.a.exec(&["ping", "-c", "2", "-i", "0.2", "10.1.0.2"]);
    assert!(ping.status.success());
    let out = child.wait_with_output().expect("capture ends after -c 4");
    let err = rest.join().expect("stderr");
    assert!(out.status.success(), "{err}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(
        text.contains("IP 10.1.0.1 > 10.1.0.2: ICMP echo request"),
        "{text}"
    );
    assert!(
        err.contains("packets captured") && err.contains("dropped by netlens"),
        "{err}"
    );
    let back = testns::run(&["tcpdump", "-nn", "-r", &w]);
    assert_eq!(back.lines().count(), 4, "{back}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Two VTEPs over the veth: vx0 (VNI 42) on dstport 4899, vx1 (VNI 43) with no dstport
/// (the kernel uses 8472), each with an overlay /24 (10.42.0.x, 10.43.0.x).
fn two_vteps(p: &Pair) {
    for (ns, me, peer, last) in [
        (&p.a, "10.1.0.1", "10.1.0.2", "1"),
        (&p.b, "10.1.0.2", "10.1.0.1", "2"),
    ] {
        let dev = if last == "1" { "va" } else { "vb" };
        ns.ipw(&format!(
            "link add vx0 type vxlan id 42 dstport 4899 local {me} remote {peer} dev {dev}"
        ));
        ns.ipw(&format!(
            "link add vx1 type vxlan id 43 local {me} remote {peer} dev {dev}"
        ));
        ns.ipw(&format!("addr add 10.42.0.{last}/24 dev vx0"));
        ns.ipw(&format!("addr add 10.43.0.{last}/24 dev vx1"));
        ns.ipw("link set vx0 up");
        ns.ipw("link set vx1 up");
    }
}

#[test]
fn capture_decodes_the_namespaces_vxlan_ports_with_no_flag() {
    if !testns::require_root() {
        return;
    }
    let p = Pair::new("cvx");
    two_vteps(&p);
    let (child, _rest) = start_capture(&["capture", "--netns", &p.a.name, "-i", "va", "-f", "udp"]);
    for dst in ["10.42.0.2", "10.43.0.2"] {
        let o = p.a.exec(&["ping", "-c", "1", "-W", "2", dst]);
        assert!(o.status.success(), "ping {dst} over the overlay");
    }
    std::thread::sleep(Duration::from_millis(300));
    testns::run(&["kill", "-INT", &child.id().to_string()]);
    let o = child.wait_with_output().expect("capture ends on SIGINT");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("VXLAN, flags [I] (0x08), vni 42"), "{out}");
    // Without dstport the kernel uses 8472, which tcpdump prints as OTV: so do we.
    assert!(
        out.contains("OTV, flags [I] (0x08), overlay 0, instance 43"),
        "{out}"
    );
    assert!(
        out.contains("10.42.0.1 > 10.42.0.2: ICMP echo request")
            && out.contains("10.43.0.1 > 10.43.0.2: ICMP echo request"),
        "the inner frames: {out}"
    );
}

#[test]
fn a_truncated_file_prints_what_it_read_then_the_error() {
    // The first 115,277 bytes of a capture: libpcap stops with an error after 1,521 packets.
    let whole = std::fs::read(corpus("arp-oobr.pcap")).expect("corpus file");
    let dir = std::env::temp_dir().join(format!("nlt-trunc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let cut = dir.join("cut.pcap");
    std::fs::write(&cut, &whole[..115_277]).expect("write");
    let written = dir.join("out.pcap");
    let o = Command::new(BIN)
        .args(["capture", "-r"])
        .arg(&cut)
        .arg("-w")
        .arg(&written)
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "a damaged file is an error: {err}");
    assert!(err.contains("truncated") && err.contains("1521"), "{err}");
    let stamps = |s: &str| {
        s.lines()
            .filter(|l| l.as_bytes().get(2) == Some(&b':'))
            .count()
    };
    let ours = stamps(&String::from_utf8_lossy(&o.stdout));
    let td = testns::output(&["tcpdump", "-nn", "-r", &cut.to_string_lossy()]);
    assert_eq!(
        ours,
        stamps(&String::from_utf8_lossy(&td.stdout)),
        "as many packets as tcpdump"
    );
    assert_eq!(ours, 1521);
    // The -w file is complete: tcpdump reads it whole.
    let back = testns::output(&["tcpdump", "-nn", "-r", &written.to_string_lossy()]);
    assert!(
        back.status.success(),
        "{}",
        String::from_utf8_lossy(&back.stderr)
    );
    assert_eq!(stamps(&String::from_utf8_lossy(&back.stdout)), 1521);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn capture_bounds_are_checked() {
    for (args, what) in [
        (&["-c", "0"][..], "--count"),
        (&["-B", "2000"][..], "--buffer-size"),
    ] {
        let mut all = vec!["capture", "-i", "lo"];
        all.extend_from_slice(args);
        let o = Command::new(BIN).args(&all).output().expect("run");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success() && err.contains(what), "{all:?}: {err}");
    }
}
