//! iproute2's names for the kernel's numbers, so our text and JSON read like `ip`'s.

use std::borrow::Cow;
use std::fmt::Write;

/// A name: borrowed for the kernel's known values, owned for numbers without a name.
pub type Name = Cow<'static, str>;

/// Formats a MAC address as `aa:bb:cc:dd:ee:ff`.
pub fn mac(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// `ip link` flag names in iproute2's order; `NO-CARRIER` comes first when up without carrier.
pub fn link_flags(flags: u32) -> Vec<&'static str> {
    const NAMES: [(u32, &str); 17] = [
        (1 << 3, "LOOPBACK"),
        (1 << 1, "BROADCAST"),
        (1 << 4, "POINTOPOINT"),
        (1 << 12, "MULTICAST"),
        (1 << 7, "NOARP"),
        (1 << 9, "ALLMULTI"),
        (1 << 8, "PROMISC"),
        (1 << 10, "MASTER"),
        (1 << 11, "SLAVE"),
        (1 << 2, "DEBUG"),
        (1 << 15, "DYNAMIC"),
        (1 << 14, "AUTOMEDIA"),
        (1 << 13, "PORTSEL"),
        (1 << 5, "NOTRAILERS"),
        (1 << 0, "UP"),
        (1 << 16, "LOWER_UP"),
        (1 << 17, "DORMANT"),
    ];
    let mut out = Vec::new();
    if flags & 1 != 0 && flags & (1 << 6) == 0 {
        out.push("NO-CARRIER");
    }
    out.extend(
        NAMES
            .iter()
            .filter(|(b, _)| flags & b != 0)
            .map(|(_, n)| *n),
    );
    if flags & (1 << 18) != 0 {
        out.push("ECHO");
    }
    out
}

pub const IFF_UP: u32 = 1;
pub const IFF_LOWER_UP: u32 = 1 << 16;
pub const IFF_PROMISC: u32 = 1 << 8;

pub fn operstate(s: u8) -> Name {
    match s {
        0 => Name::Borrowed("UNKNOWN"),
        1 => Name::Borrowed("NOTPRESENT"),
        2 => Name::Borrowed("DOWN"),
        3 => Name::Borrowed("LOWERLAYERDOWN"),
        4 => Name::Borrowed("TESTING"),
        5 => Name::Borrowed("DORMANT"),
        6 => Name::Borrowed("UP"),
        n => Name::Owned(format!("{n:#x}")),
    }
}

pub fn linkmode(m: u8) -> Name {
    match m {
        0 => Name::Borrowed("DEFAULT"),
        1 => Name::Borrowed("DORMANT"),
        2 => Name::Borrowed("TESTING"),
        n => Name::Owned(format!("{n:#x}")),
    }
}

pub fn link_type(t: u16) -> Name {
    match t {
        1 => Name::Borrowed("ether"),
        772 => Name::Borrowed("loopback"),
        768 => Name::Borrowed("ipip"),
        769 => Name::Borrowed("tunnel6"),
        776 => Name::Borrowed("sit"),
        778 => Name::Borrowed("gre"),
        823 => Name::Borrowed("ip6gre"),
        512 => Name::Borrowed("ppp"),
        65534 => Name::Borrowed("none"),
        65535 => Name::Borrowed("void"),
        n => Name::Owned(format!("[{n}]")),
    }
}

pub fn macvlan_mode(m: u32) -> Name {
    match m {
        1 => Name::Borrowed("private"),
        2 => Name::Borrowed("vepa"),
        4 => Name::Borrowed("bridge"),
        8 => Name::Borrowed("passthru"),
        16 => Name::Borrowed("source"),
        n => Name::Owned(format!("{n}")),
    }
}

/// An ipvlan's mode as iproute2 names it.
pub fn ipvlan_mode(m: u16) -> &'static str {
    match m {
        0 => "l2",
        1 => "l3",
        2 => "l3s",
        _ => "unknown",
    }
}

/// An ipvlan's flags as iproute2 prints them: `private`, `vepa`, else `bridge`.
pub fn ipvlan_flag(f: u16) -> &'static str {
    if f & 1 != 0 {
        "private"
    } else if f & 2 != 0 {
        "vepa"
    } else {
        "bridge"
    }
}

pub fn bridge_port_state(s: u8) -> Name {
    match s {
        0 => Name::Borrowed("disabled"),
        1 => Name::Borrowed("listening"),
        2 => Name::Borrowed("learning"),
        3 => Name::Borrowed("forwarding"),
        4 => Name::Borrowed("blocking"),
        n => Name::Owned(format!("{n}")),
    }
}

/// A link's VLANs in words: `1 pvid untagged, 10-20`.
pub fn bridge_vlans(v: &[crate::model::BridgeVlan]) -> String {
    v.iter()
        .map(|v| {
            let mut s = if v.vid_end == v.vid {
                v.vid.to_string()
            } else {
                format!("{}-{}", v.vid, v.vid_end)
            };
            if v.pvid {
                s.push_str(" pvid");
            }
            if v.untagged {
                s.push_str(" untagged");
            }
            s
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn family(f: u8) -> &'static str {
    match f {
        2 => "inet",
        10 => "inet6",
        7 => "bridge",
        _ => "unspec",
    }
}

pub fn scope(s: u8) -> Name {
    match s {
        0 => Name::Borrowed("global"),
        200 => Name::Borrowed("site"),
        253 => Name::Borrowed("link"),
        254 => Name::Borrowed("host"),
        255 => Name::Borrowed("nowhere"),
        n => Name::Owned(n.to_string()),
    }
}

pub fn table(t: u32) -> Name {
    match t {
        0 => Name::Borrowed("unspec"),
        253 => Name::Borrowed("default"),
        254 => Name::Borrowed("main"),
        255 => Name::Borrowed("local"),
        n => Name::Owned(n.to_string()),
    }
}

pub fn protocol(p: u8) -> Name {
    match p {
        0 => Name::Borrowed("unspec"),
        1 => Name::Borrowed("redirect"),
        2 => Name::Borrowed("kernel"),
        3 => Name::Borrowed("boot"),
        4 => Name::Borrowed("static"),
        8 => Name::Borrowed("gated"),
        9 => Name::Borrowed("ra"),
        10 => Name::Borrowed("mrt"),
        11 => Name::Borrowed("zebra"),
        12 => Name::Borrowed("bird"),
        13 => Name::Borrowed("dnrouted"),
        14 => Name::Borrowed("xorp"),
        15 => Name::Borrowed("ntk"),
        16 => Name::Borrowed("dhcp"),
        18 => Name::Borrowed("keepalived"),
        42 => Name::Borrowed("babel"),
        99 => Name::Borrowed("openr"),
        186 => Name::Borrowed("bgp"),
        187 => Name::Borrowed("isis"),
        188 => Name::Borrowed("ospf"),
        189 => Name::Borrowed("rip"),
        192 => Name::Borrowed("eigrp"),
        n => Name::Owned(n.to_string()),
    }
}

pub fn route_type(t: u8) -> Name {
    match t {
        0 => Name::Borrowed("none"),
        1 => Name::Borrowed("unicast"),
        2 => Name::Borrowed("local"),
        3 => Name::Borrowed("broadcast"),
        4 => Name::Borrowed("anycast"),
        5 => Name::Borrowed("multicast"),
        6 => Name::Borrowed("blackhole"),
        7 => Name::Borrowed("unreachable"),
        8 => Name::Borrowed("prohibit"),
        9 => Name::Borrowed("throw"),
        10 => Name::Borrowed("nat"),
        11 => Name::Borrowed("xresolve"),
        n => Name::Owned(n.to_string()),
    }
}

/// Route flags as `ip -j route` lists them.
pub fn route_flags(f: u32) -> Vec<&'static str> {
    const NAMES: [(u32, &str); 7] = [
        (1, "dead"),
        (4, "onlink"),
        (2, "pervasive"),
        (8, "offload"),
        (64, "trap"),
        (16, "linkdown"),
        (32, "unresolved"),
    ];
    NAMES
        .iter()
        .filter(|(b, _)| f & b != 0)
        .map(|(_, n)| *n)
        .collect()
}

pub fn route_pref(p: u8) -> Name {
    match p {
        0 => Name::Borrowed("medium"),
        1 => Name::Borrowed("high"),
        3 => Name::Borrowed("low"),
        n => Name::Owned(n.to_string()),
    }
}

/// Neighbour states as `ip -j neigh` lists them.
pub fn nud_states(s: u16) -> Vec<&'static str> {
    const NAMES: [(u16, &str); 8] = [
        (0x01, "INCOMPLETE"),
        (0x02, "REACHABLE"),
        (0x04, "STALE"),
        (0x08, "DELAY"),
        (0x10, "PROBE"),
        (0x20, "FAILED"),
        (0x40, "NOARP"),
        (0x80, "PERMANENT"),
    ];
    if s == 0 {
        return vec!["NONE"];
    }
    NAMES
        .iter()
        .filter(|(b, _)| s & b != 0)
        .map(|(_, n)| *n)
        .collect()
}

/// The FDB state as `bridge -j fdb` prints it.
pub fn fdb_state(s: u16) -> Name {
    if s & 0x80 != 0 {
        "permanent".into()
    } else if s & 0x40 != 0 {
        "static".into()
    } else if s & 0x04 != 0 {
        "stale".into()
    } else if s & 0x02 != 0 {
        "".into()
    } else {
        format!("{s:#x}").into()
    }
}

/// FDB flags as `bridge -j fdb` lists them.
pub fn fdb_flags(flags: u8, ext: u32) -> Vec<&'static str> {
    let mut out = Vec::new();
    if flags & 0x02 != 0 {
        out.push("self");
    }
    if flags & 0x80 != 0 {
        out.push("router");
    }
    if flags & 0x10 != 0 {
        out.push("extern_learn");
    }
    if flags & 0x20 != 0 {
        out.push("offload");
    }
    if flags & 0x04 != 0 {
        out.push("master");
    }
    if flags & 0x40 != 0 {
        out.push("sticky");
    }
    if ext & 0x01 != 0 {
        out.push("locked");
    }
    out
}
