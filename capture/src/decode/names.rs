//! Names of protocol numbers, spelled as tcpdump spells them (its `tok` tables), shared by
//! the detail fields and the summaries.

/// Ethertype names (tcpdump's `ethertype_values`).
pub(crate) fn ethertype(t: u16) -> Option<&'static str> {
    Some(match t {
        0x0800 => "IPv4",
        0x8847 => "MPLS unicast",
        0x8848 => "MPLS multicast",
        0x86dd => "IPv6",
        0x8100 => "802.1Q",
        0x9100 => "802.1Q-9100",
        0x88a8 => "802.1Q-QinQ",
        0x9200 => "802.1Q-9200",
        0x8181 => "VMAN",
        0x0200 => "PUP",
        0x0806 => "ARP",
        0x8035 => "Reverse ARP",
        0x0600 => "NS",
        0x0500 => "Sprite",
        0x1000 => "Trail",
        0x6001 => "MOP DL",
        0x6002 => "MOP RC",
        0x6003 => "DN",
        0x6004 => "LAT",
        0x6007 => "SCA",
        0x6558 => "TEB",
        0x8038 => "Lanbridge",
        0x803c => "DEC DNS",
        0x803e => "DEC DTS",
        0x805b => "VEXP",
        0x805c => "VPROD",
        0x809b => "Appletalk",
        0x80f3 => "Appletalk ARP",
        0x8137 => "IPX",
        0x880b => "PPP",
        0x8808 => "MPCP",
        0x8809 => "Slow Protocols",
        0x8863 => "PPPoE D",
        0x8864 => "PPPoE S",
        0x888e => "EAPOL",
        0x8899 => "RRCP",
        0x886f => "MS NLB heartbeat",
        0x8870 => "Jumbo",
        0x894f => "NSH",
        0x9000 => "Loopback",
        0xfefe => "OSI",
        0x00fe => "GRE-OSI",
        0xabcd => "CFM (old)",
        0x8902 => "CFM",
        0x893a => "IEEE1905.1",
        0x88cc => "LLDP",
        0x88ca => "TIPC",
        0x0707 => "GeoNet (old)",
        0x8947 => "GeoNet",
        0x1111 => "CALM FAST",
        0x88a2 => "AoE",
        0xdada => "MEDSA",
        0x88e5 => "MACsec",
        0x88f7 => "PTP",
        0x8906 => "FCoE",
        0x8914 => "FIP",
        _ => return None,
    })
}

/// Ethertype name or "Unknown".
pub(crate) fn ethertype_or_unknown(t: u16) -> &'static str {
    ethertype(t).unwrap_or("Unknown")
}

/// ARP hardware types (tcpdump's `arphrd_values`).
pub(crate) fn arp_hardware(t: u16) -> Option<&'static str> {
    Some(match t {
        1 => "Ethernet",
        6 => "TokenRing",
        7 => "ArcNet",
        15 => "FrameRelay",
        19 => "ATM",
        23 => "Strip",
        24 => "IEEE 1394",
        32 => "InfiniBand",
        _ => return None,
    })
}

/// ARP operations (tcpdump's `arpop_values`).
pub(crate) fn arp_op(op: u16) -> Option<&'static str> {
    Some(match op {
        1 => "Request",
        2 => "Reply",
        3 => "Reverse Request",
        4 => "Reverse Reply",
        8 => "Inverse Request",
        9 => "Inverse Reply",
        10 => "NACK Reply",
        _ => return None,
    })
}

/// LLC SAP names (tcpdump's `llc_values`).
pub(crate) fn llc_sap(sap: u8) -> &'static str {
    match sap {
        0x00 => "Null",
        0xff => "Global",
        0x02 => "802.1B I",
        0x03 => "802.1B G",
        0x06 => "IP",
        0x04 => "SNA",
        0x0e => "ProWay NM",
        0x42 => "STP",
        0x4e => "RS511",
        0x7e => "ISO8208",
        0x8e => "ProWay",
        0xaa => "SNAP",
        0xe0 => "IPX",
        0xf0 => "NetBeui",
        0xfe => "OSI",
        _ => "Unknown",
    }
}

/// SNAP organization names (tcpdump's `oui_values`, the common ones).
pub(crate) fn oui(oui: u32) -> &'static str {
    match oui {
        0x00_0000 => "Ethernet",
        0x00_000c | 0x00_3096 | 0x00_04ec => "Cisco",
        0x00_00f8 => "Cisco bridged",
        0x00_80c2 => "Ethernet bridged",
        0x00_0b86 => "Aruba",
        0x00_0e89 => "Juniper",
        0x00_00e6 => "Nortel",
        0x00_13f7 => "Telnet",
        0x00_0f3d => "IEEE 802.3",
        _ => "Unknown",
    }
}

/// SNAP protocol id names for an organization (Cisco's, bridged Ethernet's, or ethertypes).
pub(crate) fn snap_pid(oui: u32, pid: u16) -> &'static str {
    match oui {
        0 => ethertype_or_unknown(pid),
        0x00_000c | 0x00_00f8 => match pid {
            0x2000 => "CDP",
            0x2001 => "CGMP",
            0x2003 => "VTP",
            0x2004 => "DTP",
            0x010b => "PVST",
            0x0111 => "UDLD",
            0x0102 => "DRiP",
            0x0104 => "PAgP",
            _ => "Unknown",
        },
        0x00_80c2 => match pid {
            0x0001 => "Ethernet + FCS",
            0x0007 => "Ethernet",
            0x0002 => "802.4 + FCS",
            0x0004 => "802.5 + FCS",
            0x000e => "BPDU",
            _ => "Unknown",
        },
        _ => "Unknown",
    }
}

/// Linux cooked capture packet types (tcpdump's `sll_pkttype_values`).
pub(crate) fn sll_packet_type(t: u16) -> &'static str {
    match t {
        0 => "In",
        1 => "B",
        2 => "M",
        3 => "P",
        4 => "Out",
        _ => "?",
    }
}

/// IP protocol names for the detail tree.
pub(crate) fn ip_protocol(p: u8) -> &'static str {
    match p {
        0 => "HOPOPT",
        1 => "ICMP",
        2 => "IGMP",
        4 => "IPIP",
        6 => "TCP",
        17 => "UDP",
        41 => "IPv6",
        43 => "IPv6-Route",
        44 => "IPv6-Frag",
        47 => "GRE",
        50 => "ESP",
        51 => "AH",
        58 => "ICMPv6",
        59 => "IPv6-NoNxt",
        60 => "IPv6-Opts",
        89 => "OSPF",
        103 => "PIM",
        112 => "VRRP",
        132 => "SCTP",
        _ => "unknown",
    }
}

/// `ICMPv6` type names (tcpdump's `icmp6_type_values`).
pub(crate) fn icmp6_type(t: u8) -> Option<&'static str> {
    Some(match t {
        1 => "destination unreachable",
        2 => "packet too big",
        3 => "time exceeded in-transit",
        4 => "parameter problem",
        128 => "echo request",
        129 => "echo reply",
        130 => "multicast listener query",
        131 => "multicast listener report",
        132 => "multicast listener done",
        133 => "router solicitation",
        134 => "router advertisement",
        135 => "neighbor solicitation",
        136 => "neighbor advertisement",
        137 => "redirect",
        138 => "router renumbering",
        139 => "node information query",
        140 => "node information reply",
        141 => "inverse neighbor solicitation",
        142 => "inverse neighbor advertisement",
        143 => "multicast listener report v2",
        144 => "ha discovery request",
        145 => "ha discovery reply",
        146 => "mobile router solicitation",
        147 => "mobile router advertisement",
        155 => "RPL",
        200 => "mtrace response",
        201 => "mtrace message",
        _ => return None,
    })
}

/// ICMP (v4) type names for the detail tree.
pub(crate) fn icmp_type(t: u8) -> &'static str {
    match t {
        0 => "echo reply",
        3 => "destination unreachable",
        4 => "source quench",
        5 => "redirect",
        8 => "echo request",
        9 => "router advertisement",
        10 => "router solicitation",
        11 => "time exceeded",
        12 => "parameter problem",
        13 => "time stamp request",
        14 => "time stamp reply",
        15 => "information request",
        16 => "information reply",
        17 => "address mask request",
        18 => "address mask reply",
        _ => "unknown",
    }
}

/// TCP option names (tcpdump's `tcp_option_values`).
pub(crate) fn tcp_option(kind: u8) -> Option<&'static str> {
    Some(match kind {
        0 => "eol",
        1 => "nop",
        2 => "mss",
        3 => "wscale",
        4 => "sackOK",
        5 => "sack",
        6 => "echo",
        7 => "echoreply",
        8 => "TS",
        11 => "cc",
        12 => "ccnew",
        13 => "ccecho",
        19 => "md5",
        20 => "scps",
        27 => "qs",
        28 => "uto",
        29 => "tcp-ao",
        30 => "mptcp",
        34 => "tfo",
        253 | 254 => "exp",
        _ => return None,
    })
}
