//! Display filters, Wireshark-style, on decoded fields: they choose which of the packets
//! already captured are shown (a BPF filter chooses which are captured).
//!
//! A filter is terms joined by `and` / `or` (`and` binds tighter), each optionally preceded
//! by `not`: a protocol (`arp`, `ip`, `ipv6`, `icmp`, `icmpv6`, `tcp`, `udp`, `vxlan`,
//! `geneve`, `vlan`, `dns`, `dhcp`) or `FIELD==VALUE` / `FIELD!=VALUE` with FIELD one of
//! `ip.addr`, `ip.src`, `ip.dst`, `eth.addr`, `eth.src`, `eth.dst`, `vlan.id`, `vxlan.vni`,
//! `geneve.vni`, `tcp.port`, `udp.port`, `port`. A field matches when any layer (outer or
//! inner frame) has it.

use std::net::IpAddr;

use crate::decode::{Decoded, LayerInfo};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    Proto(&'static str),
    Field {
        field: &'static str,
        value: String,
        equal: bool,
    },
}

/// A parsed display filter: `or` of `and`s of (possibly negated) terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayFilter {
    text: String,
    any: Vec<Vec<(bool, Term)>>,
}

const PROTOS: &[&str] = &[
    "arp", "ip", "ipv6", "icmp", "icmpv6", "tcp", "udp", "vxlan", "geneve", "vlan", "dns", "dhcp",
];
const FIELDS: &[&str] = &[
    "ip.addr",
    "ip.src",
    "ip.dst",
    "eth.addr",
    "eth.src",
    "eth.dst",
    "vlan.id",
    "vxlan.vni",
    "geneve.vni",
    "tcp.port",
    "udp.port",
    "port",
];

impl DisplayFilter {
    /// Parses `text`; an error names the word at fault and what is accepted.
    pub fn parse(text: &str) -> Result<DisplayFilter, String> {
        let mut any = Vec::new();
        let mut all = Vec::new();
        let mut negate = false;
        let mut expect_term = true;
        for word in text.split_whitespace() {
            match word {
                "and" | "&&" if !expect_term => expect_term = true,
                "or" | "||" if !expect_term => {
                    any.push(std::mem::take(&mut all));
                    expect_term = true;
                }
                "not" | "!" if expect_term => negate = !negate,
                w if expect_term => {
                    all.push((negate, term(w)?));
                    negate = false;
                    expect_term = false;
                }
                w => return Err(format!("{w:?}: expected and/or between terms")),
            }
        }
        if expect_term && !(all.is_empty() && any.is_empty()) {
            return Err("the filter ends with an operator".into());
        }
        if !all.is_empty() {
            any.push(all);
        }
        Ok(DisplayFilter {
            text: text.trim().to_owned(),
            any,
        })
    }

    /// The text it was parsed from.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether the packet passes (an empty filter passes everything).
    pub fn matches(&self, d: &Decoded) -> bool {
        self.any.is_empty()
            || self
                .any
                .iter()
                .any(|all| all.iter().all(|(neg, t)| holds(t, d) != *neg))
    }
}

fn term(w: &str) -> Result<Term, String> {
    let (field, value, equal) = if let Some((f, v)) = w.split_once("!=") {
        (f, v, false)
    } else if let Some((f, v)) = w.split_once("==") {
        (f, v, true)
    } else {
        return PROTOS
            .iter()
            .find(|p| **p == w)
            .map(|p| Term::Proto(p))
            .ok_or_else(|| {
                format!(
                    "{w:?}: not a protocol ({}) nor FIELD==VALUE ({})",
                    PROTOS.join(", "),
                    FIELDS.join(", ")
                )
            });
    };
    let Some(field) = FIELDS.iter().find(|f| **f == field) else {
        return Err(format!("{field:?}: not a field ({})", FIELDS.join(", ")));
    };
    if value.is_empty() {
        return Err(format!("{field}: no value after the operator"));
    }
    let ok = match *field {
        "ip.addr" | "ip.src" | "ip.dst" => value.parse::<IpAddr>().is_ok(),
        "eth.addr" | "eth.src" | "eth.dst" => value.len() == 17,
        _ => value.parse::<u32>().is_ok(),
    };
    if !ok {
        return Err(format!("{field}=={value}: not a valid value for {field}"));
    }
    Ok(Term::Field {
        field,
        value: value.to_lowercase(),
        equal,
    })
}

fn holds(t: &Term, d: &Decoded) -> bool {
    match t {
        Term::Proto(p) => d.layers.iter().any(|l| proto_of(&l.info, p)),
        Term::Field {
            field,
            value,
            equal,
        } => d.layers.iter().any(|l| field_of(&l.info, field, value)) == *equal,
    }
}

fn udp_or_tcp_port(i: &LayerInfo) -> Option<(u16, u16)> {
    match i {
        LayerInfo::Udp {
            src_port, dst_port, ..
        }
        | LayerInfo::Tcp {
            src_port, dst_port, ..
        } => Some((*src_port, *dst_port)),
        _ => None,
    }
}

fn proto_of(i: &LayerInfo, p: &str) -> bool {
    match p {
        "arp" => matches!(i, LayerInfo::Arp { .. }),
        "ip" => matches!(i, LayerInfo::Ipv4 { .. }),
        "ipv6" => matches!(i, LayerInfo::Ipv6 { .. }),
        "icmp" => matches!(i, LayerInfo::Icmp { .. }),
        "icmpv6" => matches!(i, LayerInfo::Icmpv6 { .. }),
        "tcp" => matches!(i, LayerInfo::Tcp { .. }),
        "udp" => matches!(i, LayerInfo::Udp { .. }),
        "vxlan" => matches!(i, LayerInfo::Vxlan { .. }),
        "geneve" => matches!(i, LayerInfo::Geneve { .. }),
        "vlan" => matches!(i, LayerInfo::Vlan { .. }),
        "dns" => {
            matches!(i, LayerInfo::Udp { .. } | LayerInfo::Tcp { .. })
                && udp_or_tcp_port(i).is_some_and(|(s, d)| s == 53 || d == 53)
        }
        "dhcp" => {
            matches!(i, LayerInfo::Udp { .. })
                && udp_or_tcp_port(i)
                    .is_some_and(|(s, d)| matches!(s, 67 | 68) || matches!(d, 67 | 68))
        }
        _ => false,
    }
}

fn field_of(i: &LayerInfo, field: &str, value: &str) -> bool {
    let ip = |a: String| a == value;
    match (field, i) {
        ("ip.addr", LayerInfo::Ipv4 { src, dst, .. }) => ip(src.to_string()) || ip(dst.to_string()),
        ("ip.src", LayerInfo::Ipv4 { src, .. }) => ip(src.to_string()),
        ("ip.dst", LayerInfo::Ipv4 { dst, .. }) => ip(dst.to_string()),
        ("ip.addr", LayerInfo::Ipv6 { src, dst, .. }) => ip(src.to_string()) || ip(dst.to_string()),
        ("ip.src", LayerInfo::Ipv6 { src, .. }) => ip(src.to_string()),
        ("ip.dst", LayerInfo::Ipv6 { dst, .. }) => ip(dst.to_string()),
        ("eth.addr", LayerInfo::Ethernet { src, dst, .. }) => {
            src.to_string() == value || dst.to_string() == value
        }
        ("eth.src", LayerInfo::Ethernet { src, .. }) => src.to_string() == value,
        ("eth.dst", LayerInfo::Ethernet { dst, .. }) => dst.to_string() == value,
        ("vlan.id", LayerInfo::Vlan { vid, .. }) => vid.to_string() == value,
        ("vxlan.vni", LayerInfo::Vxlan { vni, .. })
        | ("geneve.vni", LayerInfo::Geneve { vni, .. }) => vni.to_string() == value,
        (
            "tcp.port",
            LayerInfo::Tcp {
                src_port, dst_port, ..
            },
        )
        | (
            "udp.port",
            LayerInfo::Udp {
                src_port, dst_port, ..
            },
        ) => src_port.to_string() == value || dst_port.to_string() == value,
        ("port", _) => udp_or_tcp_port(i)
            .is_some_and(|(s, d)| s.to_string() == value || d.to_string() == value),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::DisplayFilter;
    use crate::decode::{decode, DecodeOptions, LinkType};

    fn icmp() -> crate::decode::Decoded {
        let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
        f.extend_from_slice(&[
            0x45, 0, 0, 28, 0, 1, 0, 0, 64, 1, 0, 0, 10, 1, 0, 1, 10, 1, 0, 2,
        ]);
        f.extend_from_slice(&[8, 0, 0xf7, 0xfe, 0, 1, 0, 1]);
        let n = u32::try_from(f.len()).unwrap_or(0);
        decode(LinkType::Ethernet, &f, n, &DecodeOptions::default())
    }

    fn m(filter: &str) -> bool {
        DisplayFilter::parse(filter)
            .unwrap_or_else(|e| panic!("{filter}: {e}"))
            .matches(&icmp())
    }

    #[test]
    fn terms_fields_and_operators() {
        assert!(m(""));
        assert!(m("icmp"));
        assert!(!m("arp"));
        assert!(m("ip.addr==10.1.0.2"));
        assert!(m("ip.src==10.1.0.1 and ip.dst==10.1.0.2"));
        assert!(!m("ip.src==10.1.0.2"));
        assert!(m("arp or icmp"));
        assert!(!m("not icmp"));
        assert!(m("eth.src==02:00:00:00:00:01"));
        assert!(m("ip.addr!=10.9.9.9"));
        assert!(!m("vxlan.vni==42"));
    }

    #[test]
    fn errors_name_the_word_at_fault() {
        for (f, word) in [
            ("bogus", "bogus"),
            ("ip.adr==1.2.3.4", "ip.adr"),
            ("ip.addr==nope", "ip.addr"),
            ("icmp and", "ends with an operator"),
            ("icmp arp", "arp"),
        ] {
            let e = DisplayFilter::parse(f).expect_err(f);
            assert!(e.contains(word), "{f}: {e}");
        }
    }
}
