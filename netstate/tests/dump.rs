//! `netlens dump --json` streams routes, neighbours and FDB entries from the kernel's
//! messages (two threads, split at a message boundary) instead of printing the model:
//! both paths must print the same objects, for namespaces with many routes, with few
//! (the second thread gets them all) and with none.

use netstate::json::NsJson;
use netstate::{dump, netns};
use serde_json::Value;
use testns::{Netns, Pair};

fn streamed(ns: &Netns) -> Value {
    let info = netns::find(&ns.name).expect("test namespace");
    let d = dump::raw_dump(&info, false).expect("dump");
    let mut out = Vec::new();
    let bad = d.write_json(&mut out).expect("write to a Vec");
    assert_eq!(bad.count, 0, "unparsed messages: {bad:?}");
    serde_json::from_slice(&out).unwrap_or_else(|e| {
        panic!(
            "streamed output is not JSON ({e}): {}",
            String::from_utf8_lossy(&out)
        )
    })
}

fn modelled(ns: &Netns) -> Value {
    let info = netns::find(&ns.name).expect("test namespace");
    let st = dump::snapshot_blocking(&info, false).expect("dump");
    serde_json::to_value(NsJson {
        name: &info.name,
        ns: &st,
    })
    .expect("model JSON")
}

/// The entries of a list as sorted JSON texts (the two paths order them differently).
fn sorted(v: &Value) -> Vec<String> {
    let mut l: Vec<String> = v
        .as_array()
        .expect("a JSON list")
        .iter()
        .map(Value::to_string)
        .collect();
    l.sort();
    l
}

/// Counters move on their own between the two dumps (IPv6 sends packets on a new link).
fn without_counters(mut v: Value) -> Value {
    if let Some(links) = v.get_mut("links").and_then(Value::as_array_mut) {
        for l in links {
            if let Some(o) = l.as_object_mut() {
                o.remove("stats64");
            }
        }
    }
    v
}

/// Compares the two paths' output; the kernel may change a namespace on its own between
/// the two dumps (an address finishing DAD, slow under a VM's emulated CPU): compared again
/// until they agree, for at most 10 s.
fn same(ns: &Netns) -> usize {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (a, b) = (
            without_counters(streamed(ns)),
            without_counters(modelled(ns)),
        );
        let agree = ["netns", "links", "addrs"].iter().all(|k| a[k] == b[k])
            && ["routes", "neigh", "fdb"]
                .iter()
                .all(|k| sorted(&a[k]) == sorted(&b[k]));
        if agree || std::time::Instant::now() > deadline {
            for key in ["netns", "links", "addrs"] {
                assert_eq!(a[key], b[key], "{}: {key}", ns.name);
            }
            for key in ["routes", "neigh", "fdb"] {
                assert_eq!(sorted(&a[key]), sorted(&b[key]), "{}: {key}", ns.name);
            }
            let keys: Vec<&String> = a.as_object().expect("an object").keys().collect();
            assert_eq!(keys.len(), 6, "{keys:?}");
            return a["routes"].as_array().map_or(0, Vec::len);
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn streamed_json_equals_the_models() {
    if !testns::require_root() {
        return;
    }
    let p = Pair::new("dmp");
    let a = &p.a;
    a.ip(&["link", "add", "br0", "type", "bridge"]);
    a.ip(&["link", "add", "vp0", "type", "veth", "peer", "name", "vp1"]);
    a.ip(&["link", "set", "vp0", "master", "br0"]);
    a.ip(&["addr", "add", "fd00::1/64", "dev", "va", "nodad"]);
    let mut batch: Vec<String> = Vec::new();
    for i in 0..1500 {
        batch.push(format!(
            "route add 10.{}.{}.0/24 dev va",
            20 + i / 256,
            i % 256
        ));
    }
    for i in 0..50 {
        batch.push(format!(
            "route add 10.100.{i}.0/24 table 100 nexthop via 10.1.0.2 weight 3 nexthop via 10.1.0.3"
        ));
        batch.push(format!("route add fd10:{i}::/64 via fd00::2 dev va"));
        batch.push(format!(
            "neigh add 10.1.0.{} lladdr 02:00:00:00:01:{i:02x} dev va nud permanent",
            i + 10
        ));
    }
    let file = std::env::temp_dir().join(format!("{}.batch", a.name));
    std::fs::write(&file, batch.join("\n") + "\n").expect("batch file");
    let path = file.to_string_lossy().into_owned();
    a.ip(&["-batch", &path]);
    let fdb: Vec<String> = (0..100)
        .map(|i| format!("fdb add 02:10:00:00:00:{i:02x} dev vp0 master static"))
        .collect();
    std::fs::write(&file, fdb.join("\n") + "\n").expect("batch file");
    a.bridge(&["-batch", &path]);
    let _ = std::fs::remove_file(&file);

    assert!(same(a) > 1600, "the many-route namespace");
    // Few routes: the split falls at or next to the first one (the comma handling).
    assert!(same(&p.b) > 0);
    let empty = Netns::new("dmpe");
    same(&empty);
}
