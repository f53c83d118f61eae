//! DNS messages (RFC 1035): the header, the first question and the answers, names read
//! with compression pointers (bounded, so a loop of pointers cannot hang the decoder).

use std::net::{Ipv4Addr, Ipv6Addr};

use super::LayerInfo;

fn u16_at(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?]))
}

/// A name at `at` (with its trailing dot; `.` for the root) and the offset after it in
/// the message (not after a pointer's target).
fn name(b: &[u8], mut at: usize) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut end = None;
    for _ in 0..64 {
        let len = *b.get(at)?;
        match len {
            0 => {
                if out.is_empty() {
                    out.push('.');
                }
                return Some((out, end.unwrap_or(at + 1)));
            }
            l if l & 0xc0 == 0xc0 => {
                let ptr = usize::from(u16::from_be_bytes([l & 0x3f, *b.get(at + 1)?]));
                end.get_or_insert(at + 2);
                at = ptr;
            }
            l if l & 0xc0 == 0 => {
                let label = b.get(at + 1..at + 1 + usize::from(l))?;
                for &c in label {
                    if c.is_ascii_graphic() {
                        out.push(char::from(c));
                    } else {
                        use std::fmt::Write as _;
                        let _ = write!(out, "\\{c:03}");
                    }
                }
                out.push('.');
                at += 1 + usize::from(l);
            }
            _ => return None,
        }
    }
    None
}

/// The header, first question and answers of a DNS message; `None` when it does not parse
/// as one (shorter than a header, a name running out of the message).
pub(super) fn parse(b: &[u8], length: u16) -> Option<LayerInfo> {
    let (id, flags) = (u16_at(b, 0)?, u16_at(b, 2)?);
    let (qdcount, ancount, nscount, arcount) =
        (u16_at(b, 4)?, u16_at(b, 6)?, u16_at(b, 8)?, u16_at(b, 10)?);
    let mut at = 12;
    let mut question = None;
    for i in 0..qdcount.min(16) {
        let (n, next) = name(b, at)?;
        let t = u16_at(b, next)?;
        if i == 0 {
            question = Some((n, t));
        }
        at = next + 4;
    }
    let mut answers = Vec::new();
    for _ in 0..ancount.min(64) {
        let Some((_, next)) = name(b, at) else { break };
        let (Some(t), Some(rdlen)) = (u16_at(b, next), u16_at(b, next + 8)) else {
            break;
        };
        let rd = next + 10;
        let Some(data) = b.get(rd..rd + usize::from(rdlen)) else {
            break;
        };
        let text = match (t, data.len()) {
            (1, 4) => Ipv4Addr::new(data[0], data[1], data[2], data[3]).to_string(),
            (28, 16) => {
                let mut o = [0u8; 16];
                o.copy_from_slice(data);
                Ipv6Addr::from(o).to_string()
            }
            (5 | 2 | 12, _) => name(b, rd).map(|(n, _)| n).unwrap_or_default(),
            _ => String::new(),
        };
        answers.push((t, text));
        at = rd + usize::from(rdlen);
    }
    Some(LayerInfo::Dns {
        id,
        flags,
        qdcount,
        ancount,
        nscount,
        arcount,
        question,
        answers,
        length,
    })
}

/// A record type as tcpdump names it.
pub fn type_name(t: u16) -> String {
    match t {
        1 => "A".into(),
        2 => "NS".into(),
        5 => "CNAME".into(),
        6 => "SOA".into(),
        12 => "PTR".into(),
        15 => "MX".into(),
        16 => "TXT".into(),
        28 => "AAAA".into(),
        33 => "SRV".into(),
        41 => "OPT".into(),
        65 => "HTTPS".into(),
        255 => "ANY".into(),
        t => format!("Type{t}"),
    }
}

/// A response code as tcpdump names it (`NXDomain`…); empty for `NoError`.
pub fn rcode_name(r: u16) -> &'static str {
    match r {
        0 => "",
        1 => "FormErr",
        2 => "ServFail",
        3 => "NXDomain",
        4 => "NotImp",
        5 => "Refused",
        _ => "Resp",
    }
}
