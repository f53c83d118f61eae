//! Decoding of one captured frame into layers. (Being written: see the module docs.)

/// The link-layer header type of a capture (pcap `LINKTYPE_*` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum LinkType {
    /// 1: Ethernet II / 802.3.
    Ethernet,
    /// 113: Linux cooked capture v1.
    LinuxSll,
    /// 276: Linux cooked capture v2.
    LinuxSll2,
    /// 101 (and 12/14 on some systems): raw IP, version from the first nibble.
    RawIp,
    /// 228: raw IPv4.
    Ipv4,
    /// 229: raw IPv6.
    Ipv6,
    /// Anything else, by number.
    Other(i32),
}

impl LinkType {
    /// From a pcap `LINKTYPE_*`/DLT number.
    pub fn from_linktype(n: i32) -> LinkType {
        match n {
            1 => LinkType::Ethernet,
            113 => LinkType::LinuxSll,
            276 => LinkType::LinuxSll2,
            101 | 12 | 14 => LinkType::RawIp,
            228 => LinkType::Ipv4,
            229 => LinkType::Ipv6,
            n => LinkType::Other(n),
        }
    }
}
