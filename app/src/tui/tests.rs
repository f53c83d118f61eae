//! Snapshots of the screen rendered into ratatui's `TestBackend`.

use std::net::IpAddr;
use std::time::Duration;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use netstate::inventory::{NsStatus, Update};
use netstate::model::{Addr, Fdb, KindInfo, Link, Neigh, NsState, Route, VxlanInfo};
use netstate::netns::{Discovery, NetnsInfo, NsId, NsKind};
use netstate::{Change, NetEvent, NetEventKind};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::event::{AppEvent, Effect};
use super::state::App;
use super::update::update;
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
    // What a narrow screen must not cut: long prefixes side by side, a 15-character name,
    // a link without carrier, one set down, an IPv6 address and route.
    let mut long = link(6, "enp0s31f6.1234", Some("vlan"), KindInfo::None);
    long.flags = 0x1003; // UP, no LOWER_UP: NO-CARRIER
    long.operstate = Some(3); // LOWERLAYERDOWN
    let mut down = link(7, "veth-down", Some("veth"), KindInfo::None);
    down.flags = 0x1002;
    down.operstate = Some(2);
    st.apply(Change::NewLink(long));
    st.apply(Change::NewLink(down));
    for dst in ["10.234.111.0", "10.234.118.0"] {
        st.apply(Change::NewRoute(route(
            dst,
            24,
            Some("10.1.0.254"),
            254,
            Some(100),
        )));
    }
    let mut v6 = route(
        "fd00:1234:5678:9abc::",
        64,
        Some("fd00:1234:5678:9abc::1"),
        254,
        Some(1024),
    );
    v6.family = 10;
    st.apply(Change::NewRoute(v6));
    st.apply(Change::NewAddr(Addr {
        ifindex: 2,
        family: 10,
        prefixlen: 64,
        scope: 0,
        flags: 0x80,
        local: None,
        address: Some(ip("fd00:1234:5678:9abc:def0:1234:5678:9abc")),
        broadcast: None,
        label: None,
        valid_lft: None,
        preferred_lft: None,
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

const DEMO: NsId = NsId { dev: 4, ino: 2 };

fn inv(u: Update) -> AppEvent {
    AppEvent::Inventory(u)
}

fn discovery() -> Discovery {
    Discovery {
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
    }
}

/// The UI on `nlt-demo` in a `w`x`h` terminal, in the dark theme.
fn app_sized(w: u16, h: u16) -> App {
    let mut app = App::new(Some(DEMO));
    app.theme = widgets::Theme::dark();
    update(&mut app, AppEvent::Term(Event::Resize(w, h)));
    update(&mut app, inv(Update::Namespaces(discovery())));
    update(
        &mut app,
        inv(Update::Net(NetEvent {
            ns: DEMO,
            kind: NetEventKind::Snapshot {
                state: Box::new(sample()),
                overruns: 0,
            },
        })),
    );
    update(
        &mut app,
        inv(Update::Net(NetEvent {
            ns: NsId { dev: 4, ino: 3 },
            kind: NetEventKind::Failed("entering another namespace needs CAP_SYS_ADMIN".into()),
        })),
    );
    update(&mut app, AppEvent::Kernel(actions::KernelSupport::all()));
    app
}

fn app() -> App {
    app_sized(110, 34)
}

/// The screen as text.
fn draw(app: &App) -> String {
    let (w, h) = app.size;
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    t.draw(|f| view::render(app, f)).expect("draw");
    let buf = t.backend().buffer().clone();
    let mut s = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            s.push_str(buf[(x, y)].symbol());
        }
        s.push('\n');
    }
    s
}

fn key(app: &mut App, c: KeyCode) -> Vec<Effect> {
    update(app, AppEvent::Term(Event::Key(KeyEvent::from(c))))
}

fn keys(app: &mut App, s: &str) {
    for c in s.chars() {
        key(app, KeyCode::Char(c));
    }
}

#[test]
fn every_tab_at_80x24_and_200x50() {
    for (w, h) in [(80, 24), (200, 50)] {
        let mut a = app_sized(w, h);
        for (i, t) in widgets::Tab::ALL.iter().enumerate() {
            key(
                &mut a,
                KeyCode::Char(char::from(b'1' + u8::try_from(i).unwrap_or(0))),
            );
            let s = draw(&a);
            insta::assert_snapshot!(format!("tab_{}_{w}x{h}", t.title().to_lowercase()), s);
        }
    }
}

#[test]
fn narrow_screens_never_cut_an_address_or_prefix() {
    let mut a = app_sized(80, 24);
    key(&mut a, KeyCode::Char('3'));
    let s = draw(&a);
    for p in [
        "10.234.111.0/24",
        "10.234.118.0/24",
        "fd00:1234:5678:9abc::/64",
        "10.1.0.254",
    ] {
        assert!(s.contains(p), "routes at 80x24 lack {p}:\n{s}");
    }
    key(&mut a, KeyCode::Char('2'));
    let s = draw(&a);
    assert!(
        s.contains("fd00:1234:5678:9abc:def0:1234:5678:9abc/64"),
        "addresses at 80x24:\n{s}"
    );
    key(&mut a, KeyCode::Char('1'));
    let s = draw(&a);
    for p in ["enp0s31f6.1234", "LOWERLAYERDOWN", "1500"] {
        assert!(s.contains(p), "links at 80x24 lack {p}:\n{s}");
    }
    assert!(s.contains("columns"), "hidden columns are announced:\n{s}");
    // Scrolling sideways brings the hidden columns in, the name stays.
    keys(&mut a, ">>>>");
    let s = draw(&a);
    assert!(
        s.contains("DETAILS") && s.contains("vx0") && s.contains("id 42 local 10.1.0.1"),
        "vxlan details after scrolling:\n{s}"
    );
    let wide = draw(&app_sized(200, 50));
    assert!(
        wide.contains("dstport 4789") && !wide.contains("< >"),
        "{wide}"
    );
}

#[test]
fn the_sort_arrow_shows_only_when_sorted() {
    let mut a = app();
    key(&mut a, KeyCode::Char('3'));
    let s = draw(&a);
    assert!(!s.contains('▲') && !s.contains('▼'), "{s}");
    key(&mut a, KeyCode::Char('s'));
    assert!(draw(&a).contains("DST▲"));
    key(&mut a, KeyCode::Char('S'));
    assert!(draw(&a).contains("DST▼"));
    assert_eq!(a.sort, Some((0, true)));
}

#[test]
fn link_detail_pane_shows_kind_and_relations() {
    let mut a = app();
    // vx0 is the fourth link.
    for _ in 0..3 {
        key(&mut a, KeyCode::Char('j'));
    }
    key(&mut a, KeyCode::Enter);
    let s = draw(&a);
    assert!(
        s.contains("dstport 4789") && s.contains("nolearning"),
        "{s}"
    );
    insta::assert_snapshot!("detail_vxlan_110x34", s);
    for (w, h) in [(80, 24), (200, 50)] {
        update(&mut a, AppEvent::Term(Event::Resize(w, h)));
        insta::assert_snapshot!(format!("detail_vxlan_{w}x{h}"), draw(&a));
    }
}

#[test]
fn filter_help_and_context_help() {
    let mut a = app();
    key(&mut a, KeyCode::Char('/'));
    keys(&mut a, "vx");
    key(&mut a, KeyCode::Enter);
    let s = draw(&a);
    assert!(s.contains("vx0") && !s.contains("mv0"), "{s}");
    insta::assert_snapshot!("filtered", s);
    for (w, h) in [(80, 24), (200, 50)] {
        a.size = (w, h);
        key(&mut a, KeyCode::Char('?'));
        let s = draw(&a);
        for k in view::HELP_TABLES {
            assert!(s.contains(k.0) || w == 80, "help lacks {}:\n{s}", k.0);
        }
        assert!(s.contains("guided actions"), "help lists a:\n{s}");
        insta::assert_snapshot!(format!("help_{w}x{h}"), s);
        key(&mut a, KeyCode::Char('x'));
        assert!(a.help.is_none());
    }
}

#[test]
fn help_scrolls_where_it_does_not_fit() {
    let mut a = app_sized(80, 14);
    key(&mut a, KeyCode::Char('?'));
    let s = draw(&a);
    assert!(s.contains("more)"), "{s}");
    for _ in 0..30 {
        key(&mut a, KeyCode::Char('j'));
    }
    let s = draw(&a);
    assert!(s.contains("Esc"), "the last key is reachable:\n{s}");
}

#[test]
fn unreadable_namespace_says_why() {
    let mut a = app();
    key(&mut a, KeyCode::Char('J'));
    let s = draw(&a);
    assert!(s.contains("CAP_SYS_ADMIN"), "{s}");
    assert!(matches!(
        a.current().map(|c| &c.status),
        Some(NsStatus::Failed(_))
    ));
    insta::assert_snapshot!("failed_namespace", s);
}

#[test]
fn the_namespace_switcher_finds_by_letters_in_order() {
    let mut a = app_sized(80, 24);
    key(&mut a, KeyCode::Char('n'));
    keys(&mut a, "pd");
    let s = draw(&a);
    assert!(s.contains("pid:4242") && !s.contains("● host"), "{s}");
    insta::assert_snapshot!("switcher_80x24", s);
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.ns, Some(NsId { dev: 4, ino: 3 }));
    assert!(a.switcher.is_none());
}

#[test]
fn changed_rows_are_highlighted_then_fade() {
    let mut a = app();
    let t0 = a.now;
    let mut l = link(9, "new0", Some("bridge"), KindInfo::None);
    l.flags = 0;
    update(
        &mut a,
        inv(Update::Net(NetEvent {
            ns: DEMO,
            kind: NetEventKind::Changes(vec![Change::NewLink(l)]),
        })),
    );
    // Rows are rebuilt for kernel changes at most every REBUILD_EVERY: the tick does it.
    update(&mut a, AppEvent::Tick(t0 + super::state::REBUILD_EVERY));
    let row = a
        .rows
        .iter()
        .find(|r| r.cell(1) == "new0")
        .expect("new row")
        .clone();
    assert!(a.is_recent(&row, a.now));
    update(&mut a, AppEvent::Tick(t0 + super::state::HIGHLIGHT));
    assert!(!a.is_recent(&row, a.now));
}

#[test]
fn changes_in_other_namespaces_do_not_redraw_or_rebuild() {
    let mut a = app();
    let (v, rows) = (a.version, a.last_rebuild);
    update(
        &mut a,
        inv(Update::Net(NetEvent {
            ns: NsId { dev: 4, ino: 1 },
            kind: NetEventKind::Changes(vec![Change::NewLink(link(
                11,
                "elsewhere",
                None,
                KindInfo::None,
            ))]),
        })),
    );
    assert_eq!(a.version, v, "a change off screen is not redrawn");
    assert_eq!(a.last_rebuild, rows);
    // The same namespace list again (discovery only reports changes, but even so).
    update(&mut a, inv(Update::Namespaces(discovery())));
    assert!(!a.rows_dirty);
}

#[test]
fn a_vanished_namespace_is_announced_and_problems_are_told_once() {
    let mut a = app();
    let mut d = discovery();
    d.namespaces.retain(|n| n.id != DEMO);
    d.problems = vec!["2 namespaces hidden: /run/netns needs root".into()];
    update(&mut a, inv(Update::Namespaces(d.clone())));
    let m = a.message.clone().map(|(m, _)| m).unwrap_or_default();
    assert!(m.contains("⚠ 2 namespaces hidden"), "{m}");
    let later = a.now + Duration::from_secs(10);
    update(&mut a, AppEvent::Tick(later));
    assert!(a.message.is_none(), "messages expire");
    update(&mut a, inv(Update::Namespaces(d)));
    assert!(a.message.is_none(), "a problem is told once");
    let s = draw(&a);
    assert!(
        s.contains("⚠ 1 hidden"),
        "the sidebar keeps the count:\n{s}"
    );
    // The namespace on screen disappears.
    let mut a = app();
    let mut d = discovery();
    d.namespaces.retain(|n| n.id != DEMO);
    update(&mut a, inv(Update::Namespaces(d)));
    let m = a.message.clone().map(|(m, _)| m).unwrap_or_default();
    assert!(
        m.contains("nlt-demo disappeared") && m.contains("host"),
        "{m}"
    );
}

#[test]
fn keys_that_do_nothing_say_so() {
    let mut a = app();
    key(&mut a, KeyCode::Char('3'));
    let fx = key(&mut a, KeyCode::Char('c'));
    assert!(fx.is_empty());
    let m = a.message.clone().map(|(m, _)| m).unwrap_or_default();
    assert!(m.contains("Links tab"), "{m}");
    key(&mut a, KeyCode::Char('Z'));
    let m = a.message.clone().map(|(m, _)| m).unwrap_or_default();
    assert!(m.contains("Z: no action here"), "{m}");
}

#[test]
fn c_starts_a_capture_as_an_effect_and_old_captures_are_ignored() {
    let mut a = app();
    key(&mut a, KeyCode::Char('j')); // va
    let fx = key(&mut a, KeyCode::Char('c'));
    let Some(Effect::StartCapture { gen, iface, .. }) = fx.first() else {
        panic!("{fx:?}");
    };
    assert_eq!(iface, "va");
    let gen = *gen;
    let p = pane().packets;
    update(
        &mut a,
        AppEvent::Captured {
            gen: gen + 7,
            packets: p.iter().cloned().collect(),
            counters: capture::source::CounterValues::default(),
        },
    );
    assert_eq!(a.capture.as_ref().map(|c| c.packets.len()), Some(0));
    update(
        &mut a,
        AppEvent::Captured {
            gen,
            packets: p.iter().cloned().collect(),
            counters: capture::source::CounterValues::default(),
        },
    );
    assert_eq!(a.capture.as_ref().map(|c| c.packets.len()), Some(3));
    // Paused: counted as dropped, not kept.
    key(&mut a, KeyCode::Char('p'));
    update(
        &mut a,
        AppEvent::Captured {
            gen,
            packets: p.iter().cloned().collect(),
            counters: capture::source::CounterValues::default(),
        },
    );
    assert_eq!(a.capture.as_ref().map(|c| c.paused_dropped), Some(3));
    let fx = key(&mut a, KeyCode::Char('q'));
    assert!(matches!(fx.as_slice(), [Effect::StopCapture]), "{fx:?}");
    assert!(a.capture.is_none());
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
    for (w, h) in [(80, 24), (200, 50)] {
        let mut a = app_sized(w, h);
        a.capture = Some(pane());
        let s = draw(&a);
        assert!(
            s.contains("ICMP echo request") && s.contains("3 packets"),
            "{s}"
        );
        insta::assert_snapshot!(format!("capture_list_{w}x{h}"), s);
        key(&mut a, KeyCode::Char('k'));
        key(&mut a, KeyCode::Enter);
        key(&mut a, KeyCode::Tab);
        let s = draw(&a);
        assert!(s.contains("IPv4") && s.contains("0000  02 00 00 00"), "{s}");
        insta::assert_snapshot!(format!("capture_detail_{w}x{h}"), s);
        key(&mut a, KeyCode::Esc);
        key(&mut a, KeyCode::Char('?'));
        let s = draw(&a);
        assert!(
            s.contains("capture pane: keys") && s.contains("promiscuous"),
            "{s}"
        );
    }
}

#[test]
fn capture_filter_errors_show_inline() {
    let mut a = app();
    a.capture = Some(pane());
    key(&mut a, KeyCode::Char('/'));
    keys(&mut a, "tcp port");
    key(&mut a, KeyCode::Enter);
    let s = draw(&a);
    assert!(s.contains("filter> tcp port") && s.contains("✗"), "{s}");
    insta::assert_snapshot!("capture_filter_error", s);
    key(&mut a, KeyCode::Esc);
    key(&mut a, KeyCode::Char('q'));
    assert!(a.capture.is_none(), "q closes the pane");
}

#[test]
fn action_form_previews_commands_and_names_the_bad_field() {
    for (w, h) in [(80, 24), (200, 50)] {
        let mut a = app_sized(w, h);
        key(&mut a, KeyCode::Char('j'));
        key(&mut a, KeyCode::Char('a'));
        assert!(a.form.is_some(), "a opens the actions form");
        // parent is prefilled with the selected link (va); go to the ip field.
        key(&mut a, KeyCode::Tab);
        key(&mut a, KeyCode::Tab);
        keys(&mut a, "10.1.0.99");
        let s = draw(&a);
        assert!(s.contains("macvlan") && s.contains("10.1.0.99/32"), "{s}");
        insta::assert_snapshot!(format!("action_form_shim_{w}x{h}"), s);
        keys(&mut a, "/24");
        let s = draw(&a);
        assert!(s.contains("refused") && s.contains("--ip"), "{s}");
        key(&mut a, KeyCode::Enter);
        assert!(a.form.as_ref().is_some_and(|f| f
            .status
            .as_deref()
            .is_some_and(|m| m.contains("cannot apply"))));
        key(&mut a, KeyCode::Esc);
        assert!(a.form.is_none());
    }
}

#[test]
fn form_fields_come_from_the_cli_definition() {
    let defs = super::action_form::definitions();
    let names: Vec<&str> = defs.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        names,
        ["shim", "vlan", "vxlan", "vxlan-peer", "attach", "route"]
    );
    let attach = defs.iter().find(|d| d.name == "attach").expect("attach");
    let flags: Vec<&str> = attach.fields.iter().map(|f| f.long.as_str()).collect();
    assert!(
        flags.contains(&"mtu") && flags.contains(&"target"),
        "{flags:?}"
    );
    assert!(
        attach.fields.iter().all(|f| !f.help.is_empty()),
        "every field has help"
    );
    // A bad number is named by its flag.
    let mut a = app();
    key(&mut a, KeyCode::Char('a'));
    key(&mut a, KeyCode::PageDown); // vlan
    key(&mut a, KeyCode::Tab);
    keys(&mut a, "x");
    let err = a.form.as_ref().map(|f| f.preview.clone());
    let Some(Err(e)) = err else { panic!("{err:?}") };
    assert!(e.contains("--id"), "{e}");
}

#[test]
fn the_vxlan_form_on_a_vxlan_takes_its_underlay_not_itself() {
    let mut a = app();
    for _ in 0..3 {
        key(&mut a, KeyCode::Char('j'));
    }
    key(&mut a, KeyCode::Char('a'));
    key(&mut a, KeyCode::PageDown);
    key(&mut a, KeyCode::PageDown); // vxlan
    let f = a.form.as_ref().expect("form");
    let value = |flag: &str| {
        f.def()
            .and_then(|d| d.fields.iter().position(|x| x.long == flag))
            .and_then(|i| f.values.get(i).cloned())
            .unwrap_or_default()
    };
    assert_eq!(value("dev"), "va");
    assert_eq!(value("local"), "10.1.0.1");
    key(&mut a, KeyCode::PageDown); // vxlan-peer
    let f = a.form.as_ref().expect("form");
    assert_eq!(f.values.first().map(String::as_str), Some("vx0"));
}

#[test]
fn an_applied_plan_is_not_revalidated_against_itself() {
    let mut a = app();
    key(&mut a, KeyCode::Char('j'));
    key(&mut a, KeyCode::Char('a'));
    key(&mut a, KeyCode::Tab);
    key(&mut a, KeyCode::Tab);
    keys(&mut a, "10.1.0.99");
    key(&mut a, KeyCode::Enter);
    let fx = key(&mut a, KeyCode::Char('y'));
    assert!(
        matches!(fx.as_slice(), [Effect::ApplyPlan { .. }]),
        "{fx:?}"
    );
    update(&mut a, AppEvent::Applied(Ok("1-2".into())));
    // The kernel now has the shim: the form must not call its own plan a conflict.
    let mut shim = link(12, "shim-va", Some("macvlan"), KindInfo::None);
    shim.parent = Some(2);
    update(
        &mut a,
        inv(Update::Net(NetEvent {
            ns: DEMO,
            kind: NetEventKind::Changes(vec![Change::NewLink(shim)]),
        })),
    );
    let s = draw(&a);
    assert!(
        s.contains("applied as plan 1-2") && !s.contains("refused"),
        "{s}"
    );
}

#[test]
fn capture_ring_keeps_the_last_n_packets() {
    let mut p = pane();
    p.ring_capacity = 2;
    let extra = pane().packets.pop_front().expect("a packet");
    p.push(extra);
    assert_eq!(p.packets.len(), 2);
    assert_eq!(p.ring_evicted, 2, "3 + 1 packets into a ring of 2 evict 2");
}

#[test]
fn ctrl_c_quits_from_anywhere() {
    let mut a = app();
    key(&mut a, KeyCode::Char('a'));
    let fx = update(
        &mut a,
        AppEvent::Term(Event::Key(KeyEvent::new(
            KeyCode::Char('c'),
            KeyModifiers::CONTROL,
        ))),
    );
    assert!(a.quit && matches!(fx.as_slice(), [Effect::Quit]));
}

#[test]
fn the_plans_view_previews_an_undo_then_undoes_it_as_effects() {
    use super::plans_pane::{PlanRow, Preview};
    let mut a = app_sized(80, 24);
    let fx = key(&mut a, KeyCode::Char('P'));
    assert!(matches!(fx.as_slice(), [Effect::LoadPlans]), "{fx:?}");
    let row = |id: &str, status: &str| PlanRow {
        id: id.into(),
        status: status.into(),
        netns: "nlt-demo".into(),
        user: "sre".into(),
        applied: "2026-12-03 12:00:00 UTC".into(),
        title: "shim shim-va: reach macvlan containers on va".into(),
    };
    update(
        &mut a,
        AppEvent::Plans(Ok(vec![row("1-2", "applied"), row("0-1", "undone")])),
    );
    let fx = key(&mut a, KeyCode::Enter);
    let Some(Effect::PreviewUndo { id }) = fx.first() else {
        panic!("{fx:?}")
    };
    assert_eq!(id, "1-2");
    let undo = actions::Plan::new(
        "undo: shim shim-va",
        "nlt-demo",
        vec![actions::Step::LinkDel(actions::step::LinkDel {
            netns: "nlt-demo".into(),
            name: "shim-va".into(),
            previous: None,
        })],
    );
    update(
        &mut a,
        AppEvent::UndoPreviewed(Ok(Preview {
            id: "1-2".into(),
            undo,
            drift: Vec::new(),
        })),
    );
    let s = draw(&a);
    assert!(
        s.contains("link del dev shim-va") && s.contains("1-2"),
        "{s}"
    );
    insta::assert_snapshot!("plans_80x24", s);
    key(&mut a, KeyCode::Char('u'));
    let fx = key(&mut a, KeyCode::Char('y'));
    assert!(
        matches!(fx.as_slice(), [Effect::ApplyUndo { id, .. }] if id == "1-2"),
        "{fx:?}"
    );
    let fx = update(
        &mut a,
        AppEvent::Undone {
            id: "1-2".into(),
            result: Ok(()),
        },
    );
    assert!(matches!(fx.as_slice(), [Effect::LoadPlans]), "{fx:?}");
    // A plan that changed since is previewed but not undone from the UI.
    update(
        &mut a,
        AppEvent::UndoPreviewed(Ok(Preview {
            id: "1-2".into(),
            undo: actions::Plan::new("undo", "nlt-demo", Vec::new()),
            drift: vec!["step 4 (ip route add …): route 10.0.0.50/32 is gone".into()],
        })),
    );
    key(&mut a, KeyCode::Char('u'));
    let fx = key(&mut a, KeyCode::Char('y'));
    assert!(fx.is_empty(), "{fx:?}");
    key(&mut a, KeyCode::Char('q'));
    assert!(a.plans.is_none());
}

#[test]
fn the_capture_pane_decodes_the_namespaces_vxlan_ports_as_they_come() {
    let mut a = app();
    a.vxlan_ports = vec![5555];
    key(&mut a, KeyCode::Char('j')); // va
    let fx = key(&mut a, KeyCode::Char('c'));
    let Some(Effect::StartCapture { decode, .. }) = fx.first() else {
        panic!("{fx:?}")
    };
    for p in [4789, 8472, 5555] {
        assert!(decode.vxlan_ports.contains(&p), "{:?}", decode.vxlan_ports);
    }
    // A vxlan device on dstport 4899 appears in the namespace: the capture restarts with it.
    let vx = link(
        13,
        "vx9",
        Some("vxlan"),
        KindInfo::Vxlan(Box::new(VxlanInfo {
            id: Some(9),
            port: Some(4899),
            ..VxlanInfo::default()
        })),
    );
    let fx = update(
        &mut a,
        inv(Update::Net(NetEvent {
            ns: DEMO,
            kind: NetEventKind::Changes(vec![Change::NewLink(vx)]),
        })),
    );
    let Some(Effect::StartCapture { decode, .. }) = fx.first() else {
        panic!("{fx:?}")
    };
    assert!(
        decode.vxlan_ports.contains(&4899),
        "{:?}",
        decode.vxlan_ports
    );
}

#[test]
fn the_topology_and_doctor_panes_jump_to_their_links() {
    let mut a = app_sized(80, 24);
    key(&mut a, KeyCode::Char('T'));
    let s = draw(&a);
    assert!(s.contains("Topology") && s.contains("mv0 (macvlan)"), "{s}");
    insta::assert_snapshot!("topology_80x24", s);
    // Go to the vxlan's line and jump to its row.
    let at = a
        .report
        .as_ref()
        .and_then(|r| r.items.iter().position(|l| l.text.contains("vx0 (vxlan)")))
        .expect("a line for vx0");
    for _ in 0..at {
        key(&mut a, KeyCode::Char('j'));
    }
    key(&mut a, KeyCode::Enter);
    assert!(a.report.is_none());
    assert_eq!(a.tab, widgets::Tab::Links);
    assert_eq!(a.selected_link().map(|l| l.name.as_str()), Some("vx0"));
    // The doctor runs off the UI thread (it reads sysctls, sends ARP probes): an effect,
    // whose findings come back as an event.
    let fx = key(&mut a, KeyCode::Char('D'));
    assert!(matches!(fx.as_slice(), [Effect::Doctor { .. }]), "{fx:?}");
    let s = draw(&a);
    assert!(s.contains("Doctor") && s.contains("examining"), "{s}");
    update(&mut a, AppEvent::Examined(Ok(Vec::new())));
    assert!(draw(&a).contains("no finding"));
    key(&mut a, KeyCode::Char('q'));
    assert!(a.report.is_none());
}

/// A broken trace with these hops, reason and fix.
fn trace_of(
    hops: Vec<diagnose::trace::Hop>,
    reason: &str,
    fix: Option<diagnose::Fix>,
) -> diagnose::Trace {
    diagnose::Trace {
        from: "nlt-demo".into(),
        to: "10.9.9.9".parse().expect("an address"),
        src: None,
        verdict: diagnose::Verdict::Broken,
        reachable: false,
        broken: Some(diagnose::trace::Direction::Forward),
        hops,
        reason: reason.into(),
        fix,
        probe: None,
    }
}

#[test]
fn t_traces_from_the_namespace_on_screen_as_an_effect() {
    let mut a = app();
    key(&mut a, KeyCode::Char('t'));
    keys(&mut a, "10.9.9.9");
    let fx = key(&mut a, KeyCode::Enter);
    let Some(Effect::Trace { from, to, .. }) = fx.first() else {
        panic!("{fx:?}")
    };
    assert_eq!((*from, to.to_string().as_str()), (DEMO, "10.9.9.9"));
    update(
        &mut a,
        AppEvent::Traced(Ok(trace_of(
            vec![diagnose::trace::Hop {
                direction: diagnose::trace::Direction::Forward,
                netns: "nlt-demo".into(),
                ns: DEMO,
                what: diagnose::trace::HopKind::Route,
                found: "10.9.9.9: Network is unreachable".into(),
                status: diagnose::trace::Status::Broken,
                dev: None,
                ifindex: None,
            }],
            "nlt-demo has no route to 10.9.9.9",
            Some(diagnose::Fix::Manual(
                "ip -n nlt-demo route add default via 10.0.0.1".into(),
            )),
        ))),
    );
    let s = draw(&a);
    assert!(
        s.contains("NOT REACHABLE") && s.contains("ip -n nlt-demo route add"),
        "{s}"
    );
    key(&mut a, KeyCode::Char('t'));
    assert!(
        a.trace_input.is_none(),
        "t in the trace pane is not a new trace"
    );
}

#[test]
fn a_proposed_fix_opens_as_a_plan_in_the_form() {
    let mut a = app();
    key(&mut a, KeyCode::Char('t'));
    keys(&mut a, "10.1.0.10");
    key(&mut a, KeyCode::Enter);
    update(
        &mut a,
        AppEvent::Traced(Ok(trace_of(
            Vec::new(),
            "the shim case",
            Some(diagnose::Fix::Plan {
                netns: "nlt-demo".into(),
                input: actions::ActionInput::Shim(actions::ShimInput {
                    parent: "va".into(),
                    name: None,
                    ip: Some("FREE_IP".into()),
                    to: vec!["10.1.0.10".into()],
                    move_host_ip: false,
                }),
            }),
        ))),
    );
    key(&mut a, KeyCode::Char('G'));
    key(&mut a, KeyCode::Char('a'));
    let f = a.form.as_ref().expect("the fix opens in the form");
    let value = |flag: &str| {
        f.def()
            .and_then(|d| d.fields.iter().position(|x| x.long == flag))
            .and_then(|i| f.values.get(i).cloned())
            .unwrap_or_default()
    };
    assert_eq!(f.def().map(|d| d.name.as_str()), Some("shim"));
    assert_eq!(
        (value("parent"), value("ip"), value("to")),
        ("va".into(), "FREE_IP".into(), "10.1.0.10".into())
    );
    // FREE_IP is to be replaced: the preview names the field.
    assert!(
        matches!(&f.preview, Err(e) if e.contains("--ip")),
        "{:?}",
        f.preview
    );
}

#[test]
fn a_display_filter_chooses_what_is_shown_and_saved() {
    let mut a = app_sized(80, 24);
    a.capture = Some(pane());
    key(&mut a, KeyCode::Char('d'));
    keys(&mut a, "arp");
    key(&mut a, KeyCode::Enter);
    let p = a.capture.as_ref().expect("pane");
    assert_eq!((p.view_len(), p.packets.len()), (0, 3));
    let s = draw(&a);
    assert!(
        !s.contains("ICMP echo request") && s.contains("display filter (what is shown): arp"),
        "{s}"
    );
    // A bad filter is refused inline, the old one stays.
    key(&mut a, KeyCode::Char('d'));
    key(&mut a, KeyCode::Char('u'));
    let s = draw(&a);
    assert!(a.capture.as_ref().is_some_and(|p| p.prompt_error.is_none()));
    key(&mut a, KeyCode::Enter);
    let s2 = draw(&a);
    assert!(s2.contains('✗'), "{s}\n{s2}");
    key(&mut a, KeyCode::Esc);
    // icmp and an address: every packet again.
    key(&mut a, KeyCode::Char('d'));
    update(
        &mut a,
        AppEvent::Term(Event::Key(KeyEvent::new(
            KeyCode::Char('u'),
            KeyModifiers::CONTROL,
        ))),
    );
    keys(&mut a, "icmp and ip.dst==10.1.0.2");
    key(&mut a, KeyCode::Enter);
    assert_eq!(
        a.capture
            .as_ref()
            .map(super::capture_pane::CapturePane::view_len),
        Some(3)
    );
    // w asks where; the packets shown are saved there.
    key(&mut a, KeyCode::Char('w'));
    keys(&mut a, "out.pcap");
    let fx = key(&mut a, KeyCode::Enter);
    let Some(Effect::SavePcap { path, packets, .. }) = fx.first() else {
        panic!("{fx:?}")
    };
    assert_eq!(path.as_deref(), Some(std::path::Path::new("out.pcap")));
    assert_eq!(packets.len(), 3);
}

#[test]
fn kernel_drops_grow_the_panes_capture_ring() {
    let mut a = app();
    key(&mut a, KeyCode::Char('j'));
    let fx = key(&mut a, KeyCode::Char('c'));
    let Some(Effect::StartCapture {
        gen, buffer_mib, ..
    }) = fx.first()
    else {
        panic!("{fx:?}")
    };
    assert_eq!(*buffer_mib, super::capture_pane::RING_MIB_START);
    let gen = *gen;
    let fx = update(
        &mut a,
        AppEvent::Captured {
            gen,
            packets: Vec::new(),
            counters: capture::source::CounterValues {
                kernel_dropped: 5,
                ..capture::source::CounterValues::default()
            },
        },
    );
    let Some(Effect::StartCapture { buffer_mib, .. }) = fx.first() else {
        panic!("{fx:?}")
    };
    assert_eq!(*buffer_mib, 2 * super::capture_pane::RING_MIB_START);
}

/// The UI with the host-isolation walkthrough beside the tables, on step `step` (from 0).
fn walk_app(w: u16, h: u16, step: usize) -> (App, Vec<Effect>) {
    let mut a = app_sized(w, h);
    let wt = crate::walkthrough::load("host-isolation").expect("built-in walkthrough");
    a.walk = Some(super::walk_pane::WalkPane::new(wt, "macvlan-bridge".into()));
    // The lab's node1 among the namespaces, with the sample's links.
    let mut d = discovery();
    let node1 = info(
        9,
        &crate::lab::ns_name("macvlan-bridge", "node1"),
        NsKind::Named,
    );
    d.namespaces.push(node1.clone());
    update(&mut a, inv(Update::Namespaces(d)));
    update(
        &mut a,
        inv(Update::Net(NetEvent {
            ns: node1.id,
            kind: NetEventKind::Snapshot {
                state: Box::new(sample()),
                overruns: 0,
            },
        })),
    );
    let mut fx = Vec::new();
    super::update::go_step(&mut a, step, &mut fx);
    (a, fx)
}

fn checked(gen: u64, index: usize, passed: bool, saw: &str) -> AppEvent {
    AppEvent::Checked {
        gen,
        index,
        result: Ok(crate::walkthrough::Outcome {
            passed,
            saw: saw.into(),
        }),
    }
}

#[test]
fn the_walkthrough_panel_beside_the_tables() {
    for (w, h) in [(80, 24), (120, 36)] {
        let (mut a, fx) = walk_app(w, h, 2);
        // The step opens its capture first; its checks run once the capture runs, so
        // that the pane sees what they send.
        let cap = match fx.as_slice() {
            [Effect::StartCapture { gen, .. }] => *gen,
            other => panic!("entering a capture step starts its capture only: {other:?}"),
        };
        let fx = update(
            &mut a,
            AppEvent::CaptureStarted {
                gen: cap,
                result: Ok(1),
            },
        );
        let gen = match fx.first() {
            Some(Effect::RunChecks { gen, checks, .. }) => {
                assert_eq!(checks.len(), 2, "the step's two capture checks");
                *gen
            }
            other => panic!("the capture running runs the step's checks: {other:?}"),
        };
        update(
            &mut a,
            checked(
                gen,
                0,
                true,
                "node1:eth0 saw: ARP, Request who-has 10.10.0.11 tell 10.10.0.5",
            ),
        );
        let s = draw(&a);
        assert!(
            s.contains("step 3/5") && s.contains("1/2 as expected"),
            "{s}"
        );
        assert!(s.contains("running"), "the second check still runs: {s}");
        insta::assert_snapshot!(format!("walkthrough_{w}x{h}"), s);
    }
}

/// The capture pane a step opened closes on the next step; one the user opened stays.
#[test]
fn the_next_step_closes_its_capture_not_the_users() {
    let (mut a, _) = walk_app(80, 24, 2);
    assert!(a.capture.is_some(), "step 3 opens its capture");
    let mut fx = Vec::new();
    super::update::go_step(&mut a, 3, &mut fx);
    assert!(a.capture.is_none(), "the next step closes it: {fx:?}");

    let (mut a, _) = walk_app(80, 24, 2);
    key(&mut a, KeyCode::Char('q'));
    assert!(a.capture.is_none(), "q closes the step's capture");
    key(&mut a, KeyCode::Char('c'));
    assert!(a.capture.is_some(), "c opens the user's own");
    let mut fx = Vec::new();
    super::update::go_step(&mut a, 3, &mut fx);
    assert!(a.capture.is_some(), "the user's capture stays open: {fx:?}");
}

/// A step's capture that never starts (no such device, no permission) does not hold its
/// checks back for long.
#[test]
fn a_capture_that_does_not_start_holds_the_checks_3_s_at_most() {
    let (mut a, fx) = walk_app(80, 24, 2);
    assert!(
        matches!(fx.as_slice(), [Effect::StartCapture { .. }]),
        "{fx:?}"
    );
    let t0 = a.now;
    let fx = update(
        &mut a,
        AppEvent::Tick(t0 + std::time::Duration::from_secs(1)),
    );
    assert!(fx.is_empty(), "still waiting for the capture: {fx:?}");
    let fx = update(
        &mut a,
        AppEvent::Tick(t0 + std::time::Duration::from_secs(3)),
    );
    assert!(
        matches!(fx.first(), Some(Effect::RunChecks { .. })),
        "the checks run anyway: {fx:?}"
    );
    // The capture starting late does not run them twice.
    let gen = a.capture.as_ref().map_or(0, |p| p.gen);
    let fx = update(
        &mut a,
        AppEvent::CaptureStarted {
            gen,
            result: Err("no such device".into()),
        },
    );
    assert!(fx.is_empty(), "{fx:?}");
}

#[test]
fn the_walkthrough_panel_beside_the_tables_at_step_one() {
    let (mut a, fx) = walk_app(80, 24, 0);
    let Some(Effect::RunChecks { gen, .. }) = fx.first() else {
        panic!("step 1 runs its checks: {fx:?}");
    };
    let gen = *gen;
    update(&mut a, checked(gen, 0, true, "echo reply in 0.2 ms"));
    update(&mut a, checked(gen, 1, false, "no echo reply within 1 s"));
    let s = draw(&a);
    assert!(s.contains("Links") && s.contains("step 1/5"), "{s}");
    assert!(s.contains("NOT as expected"), "{s}");
    insta::assert_snapshot!("walkthrough_tables_80x24", s);
}

#[test]
fn walkthrough_keys_step_rerun_apply_and_leave_with_lab_down() {
    let (mut a, fx) = walk_app(100, 30, 0);
    let Some(Effect::RunChecks { gen: g0, .. }) = fx.first() else {
        panic!("step 1 runs its checks: {fx:?}");
    };
    let g0 = *g0;
    // n: the next step, its checks; a late result of step 1 is ignored.
    let fx = key(&mut a, KeyCode::Char('n'));
    let Some(Effect::RunChecks { gen: g1, .. }) = fx.first() else {
        panic!("n runs step 2's checks: {fx:?}");
    };
    assert!(*g1 > g0);
    update(&mut a, checked(g0, 0, false, "late"));
    assert!(!draw(&a).contains("late"), "a stale result was shown");
    // p and n at the ends say so; r runs the checks again.
    key(&mut a, KeyCode::Char('p'));
    key(&mut a, KeyCode::Char('p'));
    assert!(a
        .message
        .as_ref()
        .is_some_and(|(m, _)| m.contains("first step")));
    let fx = key(&mut a, KeyCode::Char('r'));
    assert!(
        matches!(fx.first(), Some(Effect::RunChecks { .. })),
        "{fx:?}"
    );
    // Enter on a step with a plan opens it in the action form, prefilled.
    for _ in 0..3 {
        key(&mut a, KeyCode::Char('n'));
    }
    assert_eq!(a.walk.as_ref().map(|w| w.step), Some(3));
    let fx = key(&mut a, KeyCode::Char('e'));
    assert!(
        matches!(fx.first(), Some(Effect::ExportStep { path, node, .. })
            if path.to_string_lossy() == "netlens-host-isolation-step4.sh" && node == "node1"),
        "{fx:?}"
    );
    // A plan applied from elsewhere (the `a` form, a doctor fix) is not the step's.
    update(&mut a, AppEvent::Applied(Ok("0-1".into())));
    assert_eq!(a.walk.as_ref().map(|w| w.applied[3]), Some(false));
    key(&mut a, KeyCode::Enter);
    let f = a.form.as_ref().expect("the plan's form");
    assert_eq!(f.defs[f.kind].name, "shim");
    assert!(
        f.values.iter().any(|v| v == "10.10.0.250"),
        "{:?}",
        f.values
    );
    key(&mut a, KeyCode::Esc);
    // An applied plan marks the step and runs its checks again.
    let fx = update(&mut a, AppEvent::Applied(Ok("1-1".into())));
    assert!(
        matches!(fx.first(), Some(Effect::RunChecks { .. })),
        "{fx:?}"
    );
    assert_eq!(a.walk.as_ref().map(|w| w.applied[3]), Some(true));
    // q asks; y removes the lab, then netlens leaves.
    key(&mut a, KeyCode::Char('q'));
    assert!(!a.quit);
    assert!(draw(&a).contains("remove lab"));
    let fx = key(&mut a, KeyCode::Char('y'));
    assert!(
        matches!(fx.first(), Some(Effect::LabDown { lab }) if lab == "macvlan-bridge"),
        "{fx:?}"
    );
    update(&mut a, AppEvent::LabRemoved(Ok(7)));
    assert!(a.quit);
}

#[test]
fn a_form_plan_that_moves_an_address_runs_under_the_confirm_timer_in_any_namespace() {
    let mut a = app();
    key(&mut a, KeyCode::Char('j'));
    key(&mut a, KeyCode::Char('a'));
    for _ in 0..4 {
        key(&mut a, KeyCode::Tab);
    }
    keys(&mut a, "yes");
    key(&mut a, KeyCode::Enter);
    let s = draw(&a);
    assert!(s.contains("confirm timer"), "the question says so: {s}");
    let fx = key(&mut a, KeyCode::Char('y'));
    assert!(
        matches!(
            fx.as_slice(),
            [Effect::ApplyPlan {
                confirm_secs: Some(_),
                ..
            }]
        ),
        "{fx:?}"
    );
    update(&mut a, AppEvent::Applied(Ok("1-3".into())));
    let s = draw(&a);
    assert!(s.contains("press y within"), "the countdown shows: {s}");
}

#[test]
fn a_long_finding_wraps_at_80_columns_and_the_pane_scrolls() {
    let mut a = app_sized(80, 24);
    key(&mut a, KeyCode::Char('D'));
    let long = "the neighbour entry for 10.1.0.3 on va says 02:00:00:00:00:03, but 10.1.0.3 is on eth0 in a pod on the same segment, whose MAC is 02:00:00:00:00:09: frames go to a MAC nobody has".to_owned();
    let finding = |i: usize| diagnose::Finding {
        severity: diagnose::Severity::Warning,
        check: diagnose::Check::StaleNeighbour,
        netns: "nlt-demo".into(),
        ns: DEMO,
        objects: Vec::new(),
        message: format!("#{i} {long}"),
        evidence: "neighbour 10.1.0.3 lladdr 02:00:00:00:00:03 REACHABLE".into(),
        fix: None,
    };
    update(
        &mut a,
        AppEvent::Examined(Ok((0..12).map(finding).collect())),
    );
    let s = draw(&a);
    assert!(
        s.contains("frames go to a MAC") && s.contains("#0"),
        "wrapped, whole: {s}"
    );
    assert!(
        !s.contains("#11"),
        "the last finding is below the fold: {s}"
    );
    for _ in 0..11 {
        key(&mut a, KeyCode::Char('j'));
    }
    let s = draw(&a);
    assert!(
        s.contains("#11") && !s.contains("#0 "),
        "scrolled to the last: {s}"
    );
    // `/` keeps what matches.
    key(&mut a, KeyCode::Char('/'));
    keys(&mut a, "#3 ");
    key(&mut a, KeyCode::Enter);
    let s = draw(&a);
    assert!(s.contains("#3 ") && !s.contains("#4 "), "{s}");
}
