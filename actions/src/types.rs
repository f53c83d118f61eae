//! Value types the steps carry: MAC addresses, macvlan modes, VLAN protocols.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The name this crate gives the host's own network namespace.
pub const HOST: &str = "host";

/// An Ethernet MAC address (`aa:bb:cc:dd:ee:ff`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Mac(pub [u8; 6]);

impl Mac {
    /// Takes the kernel's bytes; `None` unless there are exactly six.
    pub fn from_bytes(bytes: &[u8]) -> Option<Mac> {
        <[u8; 6]>::try_from(bytes).ok().map(Mac)
    }

    /// All zero: the default-destination FDB entry, never a device address.
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 6]
    }

    /// The group bit (low bit of the first octet) is clear.
    pub fn is_unicast(&self) -> bool {
        self.0[0] & 1 == 0
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&netstate::names::mac(&self.0))
    }
}

/// Why a MAC address did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a MAC address: write six hex octets separated by colons, e.g. 02:42:ac:11:00:02")]
pub struct MacParseError;

impl FromStr for Mac {
    type Err = MacParseError;

    fn from_str(s: &str) -> Result<Mac, MacParseError> {
        let mut out = [0u8; 6];
        let mut parts = s.split(':');
        for byte in &mut out {
            let part = parts.next().ok_or(MacParseError)?;
            if part.is_empty() || part.len() > 2 {
                return Err(MacParseError);
            }
            *byte = u8::from_str_radix(part, 16).map_err(|_| MacParseError)?;
        }
        if parts.next().is_some() {
            return Err(MacParseError);
        }
        Ok(Mac(out))
    }
}

impl Serialize for Mac {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Mac {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Mac, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A macvlan/macvtap mode (`mode bridge|private|vepa|passthru|source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MacvlanMode {
    Private,
    Vepa,
    Bridge,
    Passthru,
    Source,
}

impl MacvlanMode {
    /// The keyword `ip link` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            MacvlanMode::Private => "private",
            MacvlanMode::Vepa => "vepa",
            MacvlanMode::Bridge => "bridge",
            MacvlanMode::Passthru => "passthru",
            MacvlanMode::Source => "source",
        }
    }

    /// The kernel's `MACVLAN_MODE_*` bit.
    pub fn bits(self) -> u32 {
        match self {
            MacvlanMode::Private => 1,
            MacvlanMode::Vepa => 2,
            MacvlanMode::Bridge => 4,
            MacvlanMode::Passthru => 8,
            MacvlanMode::Source => 16,
        }
    }

    /// From the kernel's `MACVLAN_MODE_*` bit.
    pub fn from_bits(bits: u32) -> Option<MacvlanMode> {
        [
            MacvlanMode::Private,
            MacvlanMode::Vepa,
            MacvlanMode::Bridge,
            MacvlanMode::Passthru,
            MacvlanMode::Source,
        ]
        .into_iter()
        .find(|m| m.bits() == bits)
    }
}

impl FromStr for MacvlanMode {
    type Err = String;

    fn from_str(s: &str) -> Result<MacvlanMode, String> {
        match s {
            "private" => Ok(MacvlanMode::Private),
            "vepa" => Ok(MacvlanMode::Vepa),
            "bridge" => Ok(MacvlanMode::Bridge),
            "passthru" => Ok(MacvlanMode::Passthru),
            "source" => Ok(MacvlanMode::Source),
            _ => Err("not a macvlan mode: use bridge, private, vepa, passthru or source".into()),
        }
    }
}

impl fmt::Display for MacvlanMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The tag protocol of a VLAN sub-interface (`protocol 802.1Q|802.1ad`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum VlanProtocol {
    #[default]
    #[serde(rename = "802.1Q")]
    Dot1Q,
    #[serde(rename = "802.1ad")]
    Dot1ad,
}

impl VlanProtocol {
    /// The keyword `ip link` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            VlanProtocol::Dot1Q => "802.1Q",
            VlanProtocol::Dot1ad => "802.1ad",
        }
    }

    /// From the ethertype the kernel reports (`0x8100`, `0x88a8`).
    pub fn from_ethertype(t: u16) -> Option<VlanProtocol> {
        match t {
            0x8100 => Some(VlanProtocol::Dot1Q),
            0x88a8 => Some(VlanProtocol::Dot1ad),
            _ => None,
        }
    }
}

/// Quotes a value for a shell line shown to the user; plain names stay bare.
///
/// A NUL byte (which no argv can carry) is shown as `\0` inside quotes.
pub fn shell_quote(s: &str) -> String {
    match shlex::try_quote(s) {
        Ok(q) => q.into_owned(),
        Err(_) => format!("'{}'", s.replace('\0', "\\0").replace('\'', r"'\''")),
    }
}
