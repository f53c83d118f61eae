//! Address and number text as tcpdump prints it, written straight into the output (any
//! `fmt::Write`: the summary's `String`, or a `Formatter` through the `Display` wrappers)
//! without `core::fmt`'s padding machinery or temporary strings.

use std::fmt::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::decode::{HwAddr, MacAddr};

/// The last `20 - start` bytes of `buf` (ASCII digits), written out.
fn put<W: Write>(w: &mut W, buf: &[u8; 20], start: usize) {
    for &b in buf.get(start..).unwrap_or_default() {
        let _ = w.write_char(char::from(b));
    }
}

/// Decimal, zero-padded to `width` digits (at most 20).
pub(crate) fn dec_pad<W: Write>(w: &mut W, n: impl Into<u64>, width: usize) {
    let mut n: u64 = n.into();
    let mut buf = [b'0'; 20];
    let mut i = buf.len();
    // A u64 has at most 20 decimal digits: `i` never goes below 0.
    while i > 0 {
        i -= 1;
        if let Some(b) = buf.get_mut(i) {
            *b = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 {
            break;
        }
    }
    put(w, &buf, i.min(buf.len().saturating_sub(width)));
}

/// Decimal.
pub(crate) fn dec<W: Write>(w: &mut W, n: impl Into<u64>) {
    dec_pad(w, n, 1);
}

/// Lowercase hex without prefix, zero-padded to `width` digits (at most 20).
pub(crate) fn hex<W: Write>(w: &mut W, n: impl Into<u64>, width: usize) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut n: u64 = n.into();
    let mut buf = [b'0'; 20];
    let mut i = buf.len();
    while i > 0 {
        i -= 1;
        if let Some(b) = buf.get_mut(i) {
            *b = DIGITS.get((n & 15) as usize).copied().unwrap_or(b'0');
        }
        n >>= 4;
        if n == 0 {
            break;
        }
    }
    put(w, &buf, i.min(buf.len().saturating_sub(width)));
}

/// A byte in decimal.
fn dec_u8<W: Write>(w: &mut W, n: u8) {
    let (hundreds, tens, ones) = (n / 100, n / 10 % 10, n % 10);
    if hundreds > 0 {
        let _ = w.write_char(char::from(b'0' + hundreds));
    }
    if n >= 10 {
        let _ = w.write_char(char::from(b'0' + tens));
    }
    let _ = w.write_char(char::from(b'0' + ones));
}

/// Dotted quad.
pub(crate) fn write_ipv4<W: Write>(w: &mut W, addr: Ipv4Addr) {
    let [o0, o1, o2, o3] = addr.octets();
    dec_u8(w, o0);
    let _ = w.write_char('.');
    dec_u8(w, o1);
    let _ = w.write_char('.');
    dec_u8(w, o2);
    let _ = w.write_char('.');
    dec_u8(w, o3);
}

/// `aa:bb:cc:dd:ee:ff`.
pub(crate) fn write_mac<W: Write>(w: &mut W, m: MacAddr) {
    for (i, b) in m.0.iter().enumerate() {
        if i > 0 {
            let _ = w.write_char(':');
        }
        hex(w, *b, 2);
    }
}

/// Colon-separated hex bytes, `<empty>` when empty (as `HwAddr`'s `Display`).
pub(crate) fn write_hw<W: Write>(w: &mut W, h: &HwAddr) {
    if h.0.is_empty() {
        let _ = w.write_str("<empty>");
    }
    for (i, b) in h.0.iter().enumerate() {
        if i > 0 {
            let _ = w.write_char(':');
        }
        hex(w, *b, 2);
    }
}

/// A protocol address of ARP: dotted when it has four bytes, else as hex bytes.
pub(crate) fn write_proto<W: Write>(w: &mut W, h: &HwAddr) {
    match h.ipv4() {
        Some(a) => write_ipv4(w, a),
        None => write_hw(w, h),
    }
}

/// An IP address as tcpdump prints it.
pub(crate) fn write_ip<W: Write>(w: &mut W, a: &IpAddr) {
    match a {
        IpAddr::V4(a) => write_ipv4(w, *a),
        IpAddr::V6(a) => write_ipv6(w, a),
    }
}

/// An IP address as tcpdump prints it, for `write!`.
pub(crate) struct Ip(pub IpAddr);

impl fmt::Display for Ip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_ip(f, &self.0);
        Ok(())
    }
}

/// An IPv6 address as tcpdump prints it, for `write!`.
pub(crate) struct Ip6(pub Ipv6Addr);

impl fmt::Display for Ip6 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_ipv6(f, &self.0);
        Ok(())
    }
}

/// An IPv6 address as tcpdump's `addrtostr6` (BIND's `inet_ntop6`) writes it: the longest
/// run of two or more zero groups (the first of equal runs) becomes `::`, and `::a.b.c.d` /
/// `::ffff:a.b.c.d` keep the IPv4 part dotted.
pub(crate) fn write_ipv6<W: Write>(out: &mut W, a: &Ipv6Addr) {
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
    for (i, &w) in words.iter().enumerate() {
        if let Some((base, len)) = best {
            if i >= base && i < base + len {
                if i == base {
                    let _ = out.write_char(':');
                }
                continue;
            }
        }
        if i != 0 {
            let _ = out.write_char(':');
        }
        if i == 6 {
            if let Some((0, len)) = best {
                let w5 = words.get(5).copied().unwrap_or(0);
                if len == 6 || (len == 5 && w5 == 0xffff) {
                    let [.., a, b, c, d] = a.octets();
                    write_ipv4(out, Ipv4Addr::new(a, b, c, d));
                    return;
                }
            }
        }
        hex(out, w, 1);
    }
    if let Some((base, len)) = best {
        if base + len == words.len() {
            let _ = out.write_char(':');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{dec, dec_pad, hex, write_ipv6};
    use std::net::Ipv6Addr;

    fn f(s: &str) -> String {
        let mut out = String::new();
        write_ipv6(
            &mut out,
            &s.parse::<Ipv6Addr>().unwrap_or(Ipv6Addr::UNSPECIFIED),
        );
        out
    }

    #[test]
    fn numbers() {
        let mut s = String::new();
        dec(&mut s, 0u8);
        s.push(' ');
        dec(&mut s, u64::MAX);
        s.push(' ');
        dec_pad(&mut s, 7u32, 6);
        s.push(' ');
        dec_pad(&mut s, 1_234_567u32, 6);
        s.push(' ');
        hex(&mut s, 0xabu8, 4);
        s.push(' ');
        hex(&mut s, u64::MAX, 1);
        for b in [0u8, 9, 10, 99, 100, 255] {
            s.push(' ');
            super::dec_u8(&mut s, b);
        }
        assert_eq!(
            s,
            "0 18446744073709551615 000007 1234567 00ab ffffffffffffffff 0 9 10 99 100 255"
        );
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
