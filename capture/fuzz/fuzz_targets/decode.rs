//! Fuzzes the decoder: any bytes, any link type, any VXLAN port list; decoding, both
//! summaries and JSON must never panic, and every layer range must lie inside the frame.
#![no_main]

use capture::decode::{decode, DecodeOptions, LinkType};
use capture::summary::{summary, Timestamp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, frame)) = data.split_first() else { return };
    let link = match sel % 7 {
        0 => LinkType::Ethernet,
        1 => LinkType::LinuxSll,
        2 => LinkType::LinuxSll2,
        3 => LinkType::RawIp,
        4 => LinkType::Ipv4,
        5 => LinkType::Ipv6,
        _ => LinkType::Ethernet,
    };
    let opts = DecodeOptions { vxlan_ports: if sel & 0x80 != 0 { vec![4789, 4899, 8472] } else { vec![4789] } };
    let wire = u32::try_from(frame.len()).unwrap_or(u32::MAX).saturating_add(u32::from(sel >> 4));
    let d = decode(link, frame, wire, &opts);
    for l in &d.layers {
        assert!(l.range.start <= l.range.end && l.range.end <= frame.len(), "layer {} out of the frame", l.name);
    }
    let _ = summary(&d, Some(Timestamp { secs: 0, nanos: 0 }), true);
    let _ = summary(&d, None, false);
    let _ = serde_json::to_string(&d);
});
