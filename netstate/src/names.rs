//! iproute2's names for the kernel's numbers, so our text and JSON read like `ip`'s.

use std::fmt::Write;

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

pub fn operstate(s: u8) -> String {
    match s {
        0 => "UNKNOWN".into(),
        1 => "NOTPRESENT".into(),
        2 => "DOWN".into(),
        3 => "LOWERLAYERDOWN".into(),
        4 => "TESTING".into(),
        5 => "DORMANT".into(),
        6 => "UP".into(),
        n => format!("{n:#x}"),
    }
}

pub fn linkmode(m: u8) -> String {
    match m {
        0 => "DEFAULT".into(),
        1 => "DORMANT".into(),
        2 => "TESTING".into(),
        n => format!("{n:#x}"),
    }
}

pub fn link_type(t: u16) -> String {
    match t {
        1 => "ether".into(),
        772 => "loopback".into(),
        768 => "ipip".into(),
        769 => "tunnel6".into(),
        776 => "sit".into(),
        778 => "gre".into(),
        823 => "ip6gre".into(),
        512 => "ppp".into(),
        65534 => "none".into(),
        65535 => "void".into(),
        n => format!("[{n}]"),
    }
}

pub fn macvlan_mode(m: u32) -> String {
    match m {
        1 => "private".into(),
        2 => "vepa".into(),
        4 => "bridge".into(),
        8 => "passthru".into(),
        16 => "source".into(),
        n => format!("{n}"),
    }
}

pub fn bridge_port_state(s: u8) -> String {
    match s {
        0 => "disabled".into(),
        1 => "listening".into(),
        2 => "learning".into(),
        3 => "forwarding".into(),
        4 => "blocking".into(),
        n => format!("{n}"),
    }
}

pub fn family(f: u8) -> &'static str {
    match f {
        2 => "inet",
        10 => "inet6",
        7 => "bridge",
        _ => "unspec",
    }
}

pub fn scope(s: u8) -> String {
    match s {
        0 => "global".into(),
        200 => "site".into(),
        253 => "link".into(),
        254 => "host".into(),
        255 => "nowhere".into(),
        n => n.to_string(),
    }
}

pub fn table(t: u32) -> String {
    match t {
        0 => "unspec".into(),
        253 => "default".into(),
        254 => "main".into(),
        255 => "local".into(),
        n => n.to_string(),
    }
}

pub fn protocol(p: u8) -> String {
    match p {
        0 => "unspec".into(),
        1 => "redirect".into(),
        2 => "kernel".into(),
        3 => "boot".into(),
        4 => "static".into(),
        8 => "gated".into(),
        9 => "ra".into(),
        10 => "mrt".into(),
        11 => "zebra".into(),
        12 => "bird".into(),
        13 => "dnrouted".into(),
        14 => "xorp".into(),
        15 => "ntk".into(),
        16 => "dhcp".into(),
        18 => "keepalived".into(),
        42 => "babel".into(),
        99 => "openr".into(),
        186 => "bgp".into(),
        187 => "isis".into(),
        188 => "ospf".into(),
        189 => "rip".into(),
        192 => "eigrp".into(),
        n => n.to_string(),
    }
}

pub fn route_type(t: u8) -> String {
    match t {
        0 => "none".into(),
        1 => "unicast".into(),
        2 => "local".into(),
        3 => "broadcast".into(),
        4 => "anycast".into(),
        5 => "multicast".into(),
        6 => "blackhole".into(),
        7 => "unreachable".into(),
        8 => "prohibit".into(),
        9 => "throw".into(),
        10 => "nat".into(),
        11 => "xresolve".into(),
        n => n.to_string(),
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

pub fn route_pref(p: u8) -> String {
    match p {
        0 => "medium".into(),
        1 => "high".into(),
        3 => "low".into(),
        n => n.to_string(),
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
pub fn fdb_state(s: u16) -> String {
    if s & 0x80 != 0 {
        "permanent".into()
    } else if s & 0x40 != 0 {
        "static".into()
    } else if s & 0x04 != 0 {
        "stale".into()
    } else if s & 0x02 != 0 {
        String::new()
    } else {
        format!("{s:#x}")
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
