//! Address text as tcpdump prints it.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv6Addr};

/// An IPv6 address as tcpdump's `addrtostr6` (BIND's `inet_ntop6`) writes it: the longest
/// run of two or more zero groups (the first of equal runs) becomes `::`, and `::a.b.c.d` /
/// `::ffff:a.b.c.d` keep the IPv4 part dotted.
pub(crate) fn ipv6(a: &Ipv6Addr) -> String {
    // (start, length) of a run of zero words.
    type Run = Option<(usize, usize)>;
    let words = a.segments();
    // The longest run.
    let (mut best, mut cur): (Run, Run) = (None, None);
    for (i, &w) in words.iter().enumerate() {
        if w == 0 {
            cur = Some(cur.map_or((i, 1), |(b, l)| (b, l + 1)));
        } else if let Some(c) = cur.take() {
            if best.is_none_or(|b| c.1 > b.1) {
                best = Some(c);
            }
        }
    }
    if let Some(c) = cur {
        if best.is_none_or(|b| c.1 > b.1) {
            best = Some(c);
        }
    }
    let best = best.filter(|&(_, l)| l >= 2);
    let mut out = String::with_capacity(40);
    for (i, &w) in words.iter().enumerate() {
        if let Some((base, len)) = best {
            if i >= base && i < base + len {
                if i == base {
                    out.push(':');
                }
                continue;
            }
        }
        if i != 0 {
            out.push(':');
        }
        if i == 6 {
            if let Some((0, len)) = best {
                let w5 = words.get(5).copied().unwrap_or(0);
                if len == 6 || (len == 5 && w5 == 0xffff) {
                    let [.., a, b, c, d] = a.octets();
                    let _ = write!(out, "{a}.{b}.{c}.{d}");
                    return out;
                }
            }
        }
        let _ = write!(out, "{w:x}");
    }
    if let Some((base, len)) = best {
        if base + len == words.len() {
            out.push(':');
        }
    }
    out
}

/// An IP address as tcpdump prints it.
pub(crate) fn ip(a: &IpAddr) -> String {
    match a {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => ipv6(a),
    }
}

#[cfg(test)]
mod tests {
    use super::ipv6;
    use std::net::Ipv6Addr;

    fn f(s: &str) -> String {
        ipv6(&s.parse::<Ipv6Addr>().unwrap_or(Ipv6Addr::UNSPECIFIED))
    }

    #[test]
    fn like_inet_ntop() {
        assert_eq!(f("::"), "::");
        assert_eq!(f("::1"), "::1");
        assert_eq!(f("fe80::a00:27ff:fe46:e884"), "fe80::a00:27ff:fe46:e884");
        assert_eq!(f("2200::240:2:0:0:4"), "2200::240:2:0:0:4");
        assert_eq!(
            f("16:0:400:0:64fb:9303:f293:8200"),
            "16:0:400:0:64fb:9303:f293:8200"
        );
        assert_eq!(
            f("4f:f829:c:1a1a:1a1a:1a1a:1a37:0"),
            "4f:f829:c:1a1a:1a1a:1a1a:1a37:0"
        );
        assert_eq!(f("ff02::1:ff46:e884"), "ff02::1:ff46:e884");
        assert_eq!(f("1:0:0:2:0:0:0:3"), "1:0:0:2::3");
        assert_eq!(f("1:0:0:2:3:0:0:4"), "1::2:3:0:0:4");
        assert_eq!(f("::ffff:10.1.2.3"), "::ffff:10.1.2.3");
        assert_eq!(f("::10.1.2.3"), "::10.1.2.3");
        assert_eq!(f("fe80::"), "fe80::");
    }
}
