//! The kernel's numbers that netlens tests against, named once (`linux/if.h`,
//! `linux/rtnetlink.h`, `linux/neighbour.h`, `linux/if_link.h`, `linux/if_bridge.h`).
//! Code elsewhere names these constants instead of writing the numbers.

/// `AF_INET`.
pub const AF_INET: u8 = 2;
/// `AF_INET6`.
pub const AF_INET6: u8 = 10;
/// `AF_BRIDGE`.
pub const AF_BRIDGE: u8 = 7;

/// `IFF_UP`: administratively up (`ip link set X up`).
pub const IFF_UP: u32 = 1;
/// `IFF_LOOPBACK`.
pub const IFF_LOOPBACK: u32 = 1 << 3;
/// `IFF_RUNNING`: up with carrier.
pub const IFF_RUNNING: u32 = 1 << 6;
/// `IFF_NOARP`.
pub const IFF_NOARP: u32 = 1 << 7;
/// `IFF_PROMISC`.
pub const IFF_PROMISC: u32 = 1 << 8;
/// `IFF_LOWER_UP`: the device has carrier.
pub const IFF_LOWER_UP: u32 = 1 << 16;

/// `IF_OPER_UNKNOWN`.
pub const IF_OPER_UNKNOWN: u8 = 0;
/// `IF_OPER_DOWN`.
pub const IF_OPER_DOWN: u8 = 2;
/// `IF_OPER_LOWERLAYERDOWN`.
pub const IF_OPER_LOWERLAYERDOWN: u8 = 3;
/// `IF_OPER_UP`.
pub const IF_OPER_UP: u8 = 6;

/// `NUD_INCOMPLETE`: resolution under way, no answer yet.
pub const NUD_INCOMPLETE: u16 = 0x01;
/// `NUD_REACHABLE`.
pub const NUD_REACHABLE: u16 = 0x02;
/// `NUD_STALE`.
pub const NUD_STALE: u16 = 0x04;
/// `NUD_DELAY`.
pub const NUD_DELAY: u16 = 0x08;
/// `NUD_PROBE`.
pub const NUD_PROBE: u16 = 0x10;
/// `NUD_FAILED`: nobody answered.
pub const NUD_FAILED: u16 = 0x20;
/// `NUD_NOARP`.
pub const NUD_NOARP: u16 = 0x40;
/// `NUD_PERMANENT`: a static entry.
pub const NUD_PERMANENT: u16 = 0x80;
/// The states of an entry that does not resolve its address.
pub const NUD_UNRESOLVED: u16 = NUD_INCOMPLETE | NUD_FAILED;

/// `MACVLAN_MODE_PRIVATE`.
pub const MACVLAN_MODE_PRIVATE: u32 = 1;
/// `MACVLAN_MODE_VEPA`.
pub const MACVLAN_MODE_VEPA: u32 = 2;
/// `MACVLAN_MODE_BRIDGE`.
pub const MACVLAN_MODE_BRIDGE: u32 = 4;
/// `MACVLAN_MODE_PASSTHRU`.
pub const MACVLAN_MODE_PASSTHRU: u32 = 8;
/// `MACVLAN_MODE_SOURCE`.
pub const MACVLAN_MODE_SOURCE: u32 = 16;

/// `RT_TABLE_MAIN`.
pub const RT_TABLE_MAIN: u32 = 254;
/// `RT_TABLE_LOCAL`.
pub const RT_TABLE_LOCAL: u32 = 255;
/// `RT_TABLE_DEFAULT`.
pub const RT_TABLE_DEFAULT: u32 = 253;

/// `RTN_UNICAST`.
pub const RTN_UNICAST: u8 = 1;
/// `RTN_LOCAL`.
pub const RTN_LOCAL: u8 = 2;
/// `RTN_BROADCAST`.
pub const RTN_BROADCAST: u8 = 3;
/// `RTN_BLACKHOLE`.
pub const RTN_BLACKHOLE: u8 = 6;
/// `RTN_UNREACHABLE`.
pub const RTN_UNREACHABLE: u8 = 7;
/// `RTN_PROHIBIT`.
pub const RTN_PROHIBIT: u8 = 8;
/// `RTN_THROW`.
pub const RTN_THROW: u8 = 9;

/// `RTPROT_KERNEL`: routes the kernel adds with an address.
pub const RTPROT_KERNEL: u8 = 2;

/// `BR_STATE_DISABLED`.
pub const BR_STATE_DISABLED: u8 = 0;
/// `BR_STATE_LISTENING`.
pub const BR_STATE_LISTENING: u8 = 1;
/// `BR_STATE_LEARNING`.
pub const BR_STATE_LEARNING: u8 = 2;
/// `BR_STATE_FORWARDING`.
pub const BR_STATE_FORWARDING: u8 = 3;
/// `BR_STATE_BLOCKING`.
pub const BR_STATE_BLOCKING: u8 = 4;

/// The UDP port of a vxlan device made without `dstport` (the kernel's legacy default).
pub const VXLAN_LEGACY_PORT: u16 = 8472;
