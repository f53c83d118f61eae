//! Snapshots of the screen rendered into ratatui's `TestBackend`.

use std::net::IpAddr;
use std::time::Instant;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use netstate::inventory::{NsStatus, Update};
use netstate::model::{Addr, Fdb, KindInfo, Link, Neigh, NsState, Route, VxlanInfo};
use netstate::netns::{Discovery, NetnsInfo, NsId, NsKind};
use netstate::{Change, NetEvent, NetEventKind};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::state::App;
use super::view;

fn ip(s: &str) -> IpAddr {
    s.parse().expect("test address")
}

fn link(ifindex: u32, name: &str, kind: Option<&str>, info: KindInfo) -> Link {
    Link {
        ifindex,
        name: name.into(),
        link_type: 1,
        flags: 0x1_1043,
        mtu: Some(1500),
        address: Some(vec![2, 0, 0, 0, 0, u8::try_from(ifindex).unwrap_or(0)]),
        operstate: Some(6),
        kind: kind.map(Into::into),
        info,
        ..Link::default()
    }
}

fn sample() -> NsState {
    let mut st = NsState::default();
    let mut lo = link(1, "lo", None, KindInfo::None);
    lo.link_type = 772;
    lo.flags = 0x1_0049;
    lo.operstate = Some(0);
    let mut va = link(2, "va", Some("veth"), KindInfo::None);
    va.parent = Some(7);
    va.link_netnsid = Some(0);
    let mut mv = link(
        3,
        "mv0",
        Some("macvlan"),
        KindInfo::Macvlan {
            mode: 4,
            flags: 0,
            bcqueuelen: None,
            usedbcqueuelen: None,
        },
    );
    mv.parent = Some(2);
    mv.master = Some(5);
    let vx = link(
        4,
        "vx0",
        Some("vxlan"),
        KindInfo::Vxlan(Box::new(VxlanInfo {
            id: Some(42),
            local: Some(ip("10.1.0.1")),
            link: Some(2),
            port: Some(4789),
            learning: Some(false),
            ..VxlanInfo::default()
        })),
    );
    let br = link(5, "br0", Some("bridge"), KindInfo::None);
    for l in [lo, va, mv, vx, br] {
        st.apply(Change::NewLink(l));
    }
    st.apply(Change::NewAddr(Addr {
        ifindex: 2,
        family: 2,
        prefixlen: 24,
        scope: 0,
        flags: 0x80,
        local: Some(ip("10.1.0.1")),
        address: Some(ip("10.1.0.1")),
        broadcast: None,
        label: Some("va".into()),
        valid_lft: None,
        preferred_lft: None,
    }));
    let route = |dst: &str, len: u8, gw: Option<&str>, table: u32, metric: Option<u32>| Route {
        family: 2,
        table,
        dst: Some(ip(dst)),
        dst_len: len,
        src: None,
        src_len: 0,
        tos: 0,
        protocol: if gw.is_some() { 3 } else { 2 },
        scope: if gw.is_some() { 0 } else { 253 },
        kind: 1,
        flags: 0,
        gateway: gw.map(ip),
        oif: Some(2),
        prefsrc: None,
        metric,
        pref: None,
        mtu: None,
        nexthops: Vec::new(),
    };
    st.apply(Change::NewRoute(route("10.1.0.0", 24, None, 254, None)));
    st.apply(Change::NewRoute(route(
        "10.9.0.0",
        16,
        Some("10.1.0.2"),
        100,
        None,
    )));
    st.apply(Change::NewRoute(route(
        "10.8.0.0",
        16,
        Some("10.1.0.2"),
        254,
        Some(50),
    )));
    st.apply(Change::NewNeigh(Neigh {
        family: 2,
        ifindex: 2,
        dst: Some(ip("10.1.0.3")),
        lladdr: Some(vec![2, 0, 0, 0, 0, 3]),
        state: 0x80,
        flags: 0,
        ext_flags: 0,
        protocol: None,
    }));
    st.apply(Change::NewFdb(Fdb {
        ifindex: 4,
        mac: vec![0; 6],
        state: 0x80,
        flags: 2,
        ext_flags: 0,
        master: None,
        vlan: None,
        dst: Some(ip("10.1.0.2")),
        port: None,
        vni: None,
        src_vni: None,
        ifindex_via: None,
        link_netnsid: None,
    }));
    st
}

fn info(ino: u64, name: &str, kind: NsKind) -> NetnsInfo {
    NetnsInfo {
        id: NsId { dev: 4, ino },
        name: name.into(),
        kind,
        path: format!("/run/netns/{name}").into(),
    }
}

fn app() -> App {
    let mut app = App::new(Some(NsId { dev: 4, ino: 2 }));
    let now = Instant::now();
    let d = Discovery {
        namespaces: vec![
            info(1, "host", NsKind::Host),
            info(2, "nlt-demo", NsKind::Named),
            info(
                3,
                "pid:4242",
                NsKind::Process {
                    pid: 4242,
                    comm: "containerd-shim".into(),
                },
            ),
        ],
        problems: Vec::new(),
    };
    app.on_update(Update::Namespaces(d), now);
    app.on_update(
        Update::Net(NetEvent {
            ns: NsId { dev: 4, ino: 2 },
            kind: NetEventKind::Snapshot {
                state: Box::new(sample()),
                overruns: 0,
            },
        }),
        now,
    );
    app.on_update(
        Update::Net(NetEvent {
            ns: NsId { dev: 4, ino: 3 },
            kind: NetEventKind::Failed("entering another namespace needs CAP_SYS_ADMIN".into()),
        }),
        now,
    );
    app
}

fn draw(app: &mut App) -> String {
    let mut t = Terminal::new(TestBackend::new(110, 34)).expect("test terminal");
    // Far in the future: no row is highlighted, so snapshots do not depend on timing.
    let later = Instant::now() + std::time::Duration::from_mins(1);
    t.draw(|f| view::render(f, app, later)).expect("draw");
    t.backend().to_string()
}

fn key(app: &mut App, c: KeyCode) {
    app.on_event(&Event::Key(KeyEvent::new(c, KeyModifiers::NONE)));
}

#[test]
fn each_tab() {
    let mut a = app();
    for (i, name) in ["links", "addresses", "routes", "neighbours", "fdb"]
        .iter()
        .enumerate()
    {
        key(
            &mut a,
            KeyCode::Char(char::from(b'1' + u8::try_from(i).unwrap_or(0))),
        );
        insta::assert_snapshot!(format!("tab_{name}"), draw(&mut a));
    }
}

#[test]
fn link_detail_pane_shows_kind_and_relations() {
    let mut a = app();
    key(&mut a, KeyCode::Char('j'));
    key(&mut a, KeyCode::Char('j'));
    key(&mut a, KeyCode::Enter);
    let s = draw(&mut a);
    assert!(
        s.contains("mode bridge") && s.contains("parent") && s.contains("master"),
        "{s}"
    );
    insta::assert_snapshot!("detail_macvlan", s);
    key(&mut a, KeyCode::Char('j'));
    let s = draw(&mut a);
    assert!(
        s.contains("dstport 4789") && s.contains("nolearning"),
        "{s}"
    );
}

#[test]
fn filter_and_help() {
    let mut a = app();
    key(&mut a, KeyCode::Char('/'));
    for c in "vx".chars() {
        key(&mut a, KeyCode::Char(c));
    }
    key(&mut a, KeyCode::Enter);
    let s = draw(&mut a);
    assert!(s.contains("vx0") && !s.contains("mv0"), "{s}");
    insta::assert_snapshot!("filtered", s);
    key(&mut a, KeyCode::Char('?'));
    insta::assert_snapshot!("help", draw(&mut a));
}

#[test]
fn unreadable_namespace_says_why() {
    let mut a = app();
    key(&mut a, KeyCode::Char('J'));
    let s = draw(&mut a);
    assert!(s.contains("CAP_SYS_ADMIN"), "{s}");
    assert!(matches!(
        a.current().map(|c| &c.status),
        Some(NsStatus::Failed(_))
    ));
    insta::assert_snapshot!("failed_namespace", s);
}

#[test]
fn changed_rows_are_highlighted_then_fade() {
    let mut a = app();
    let now = Instant::now();
    let mut l = link(9, "new0", Some("bridge"), KindInfo::None);
    l.flags = 0;
    a.on_update(
        Update::Net(NetEvent {
            ns: NsId { dev: 4, ino: 2 },
            kind: NetEventKind::Changes(vec![Change::NewLink(l)]),
        }),
        now,
    );
    a.refresh_rows();
    let row = a
        .rows
        .iter()
        .find(|r| r.cell(1) == "new0")
        .expect("new row")
        .clone();
    assert!(a.is_recent(&row, now));
    assert!(!a.is_recent(&row, now + super::state::HIGHLIGHT));
}

fn frame_icmp() -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
    let mut ip = vec![
        0x45, 0, 0, 28, 0, 1, 0, 0, 64, 1, 0, 0, 10, 1, 0, 1, 10, 1, 0, 2,
    ];
    ip.extend_from_slice(&[8, 0, 0xf7, 0xfe, 0, 1, 0, 1]);
    f.extend_from_slice(&ip);
    f
}

fn pane() -> super::capture_pane::CapturePane {
    use capture::decode::{decode, DecodeOptions, LinkType};
    use capture::source::Captured;
    use capture::summary::Timestamp;
    let packets = (0..3u32)
        .map(|i| {
            let data = frame_icmp();
            let wire = u32::try_from(data.len()).unwrap_or(0);
            Captured {
                number: u64::from(i) + 1,
                ts: Timestamp {
                    secs: 1_700_000_000 + i64::from(i),
                    nanos: 5000,
                },
                wire_len: wire,
                decoded: decode(LinkType::Ethernet, &data, wire, &DecodeOptions::default()),
                data,
            }
        })
        .collect();
    super::capture_pane::CapturePane::from_packets(
        "va",
        &info(2, "nlt-demo", NsKind::Named),
        packets,
    )
}

#[test]
fn capture_pane_list_detail_tree_and_hex() {
    let mut a = app();
    a.capture = Some(pane());
    let s = draw(&mut a);
    assert!(
        s.contains("ICMP echo request") && s.contains("3 packets"),
        "{s}"
    );
    insta::assert_snapshot!("capture_list", s);
    key(&mut a, KeyCode::Char('k'));
    key(&mut a, KeyCode::Enter);
    key(&mut a, KeyCode::Tab);
    let s = draw(&mut a);
    assert!(s.contains("IPv4") && s.contains("0000  02 00 00 00"), "{s}");
    insta::assert_snapshot!("capture_detail", s);
}

#[test]
fn capture_filter_errors_show_inline() {
    let mut a = app();
    a.capture = Some(pane());
    key(&mut a, KeyCode::Char('/'));
    for c in "tcp port".chars() {
        key(&mut a, KeyCode::Char(c));
    }
    key(&mut a, KeyCode::Enter);
    let s = draw(&mut a);
    assert!(s.contains("filter> tcp port") && s.contains("✗"), "{s}");
    insta::assert_snapshot!("capture_filter_error", s);
    key(&mut a, KeyCode::Esc);
    key(&mut a, KeyCode::Char('q'));
    assert!(a.capture.is_none(), "q closes the pane");
}

#[test]
fn action_form_previews_commands_and_names_the_bad_field() {
    let mut a = app();
    key(&mut a, KeyCode::Char('j'));
    key(&mut a, KeyCode::Char('a'));
    assert!(a.form.is_some(), "a opens the actions form");
    // parent is prefilled with the selected link (va); go to the ip field.
    key(&mut a, KeyCode::Tab);
    key(&mut a, KeyCode::Tab);
    for c in "10.1.0.99".chars() {
        key(&mut a, KeyCode::Char(c));
    }
    let s = draw(&mut a);
    assert!(s.contains("macvlan") && s.contains("10.1.0.99/32"), "{s}");
    insta::assert_snapshot!("action_form_shim", s);
    key(&mut a, KeyCode::Char('/'));
    key(&mut a, KeyCode::Char('2'));
    key(&mut a, KeyCode::Char('4'));
    let s = draw(&mut a);
    assert!(s.contains("refused") && s.contains("--ip"), "{s}");
    key(&mut a, KeyCode::Enter);
    assert!(a.form.as_ref().is_some_and(|f| f
        .status
        .as_deref()
        .is_some_and(|m| m.contains("cannot apply"))));
    key(&mut a, KeyCode::Esc);
    assert!(a.form.is_none());
}

#[test]
fn capture_ring_keeps_the_last_n_packets() {
    let mut p = pane();
    p.ring_capacity = 2;
    let extra = pane().packets.pop_front().expect("a packet");
    p.push(extra);
    assert_eq!(p.packets.len(), 2);
    assert_eq!(p.lines.len(), 2);
    assert_eq!(p.ring_evicted, 2, "3 + 1 packets into a ring of 2 evict 2");
}
