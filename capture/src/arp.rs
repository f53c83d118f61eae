//! An ARP probe (RFC 5227: sender address 0.0.0.0, so no neighbour cache learns from it)
//! sent on an interface inside any namespace: does anyone answer for an address? What a
//! fix checks before it proposes an address as free.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use netstate::NetnsInfo;
use pcap::Capture;

use crate::{Error, Result};

/// The probe frame: broadcast, from `mac`, asking who has `ip`.
fn frame(mac: [u8; 6], ip: Ipv4Addr) -> Vec<u8> {
    let mut f = Vec::with_capacity(42);
    f.extend_from_slice(&[0xff; 6]);
    f.extend_from_slice(&mac);
    f.extend_from_slice(&[0x08, 0x06]);
    // Ethernet, IPv4, 6-byte MACs, 4-byte addresses, request.
    f.extend_from_slice(&[0, 1, 8, 0, 6, 4, 0, 1]);
    f.extend_from_slice(&mac);
    f.extend_from_slice(&[0; 4]);
    f.extend_from_slice(&[0; 6]);
    f.extend_from_slice(&ip.octets());
    f
}

/// Whether anyone on `iface` (in `netns`, from the interface's MAC `mac`) answers ARP for
/// `ip` within `wait`. Needs `CAP_NET_RAW`.
pub fn answers(
    netns: &NetnsInfo,
    iface: &str,
    mac: [u8; 6],
    ip: Ipv4Addr,
    wait: Duration,
) -> Result<bool> {
    let ns = netns.clone();
    let iface = iface.to_owned();
    let target = format!("{iface} in namespace {}", ns.name);
    std::thread::spawn(move || -> Result<bool> {
        netstate::netns::enter(&ns)?;
        let pcap_err = |e: pcap::Error| Error::Pcap {
            target: target.clone(),
            reason: e.to_string(),
        };
        let mut cap = Capture::from_device(iface.as_str())
            .map_err(pcap_err)?
            .immediate_mode(true)
            .timeout(20)
            .snaplen(128)
            .open()
            .map_err(pcap_err)?
            // libpcap's own timeout does not end a read that finds nothing in immediate
            // mode: poll without blocking instead.
            .setnonblock()
            .map_err(pcap_err)?;
        let o = ip.octets();
        let filter = format!(
            "arp and arp[6:2] = 2 and arp[14:4] = {}",
            u32::from_be_bytes(o)
        );
        cap.filter(&filter, true).map_err(pcap_err)?;
        let probe = frame(mac, ip);
        let deadline = Instant::now() + wait;
        let mut sent = 0;
        let mut next_send = Instant::now();
        while Instant::now() < deadline {
            if sent < 2 && Instant::now() >= next_send {
                cap.sendpacket(probe.as_slice()).map_err(pcap_err)?;
                sent += 1;
                next_send = Instant::now() + wait / 3;
            }
            match cap.next_packet() {
                Ok(_) => return Ok(true),
                Err(pcap::Error::TimeoutExpired) => std::thread::sleep(Duration::from_millis(10)),
                Err(e) => return Err(pcap_err(e)),
            }
        }
        Ok(false)
    })
    .join()
    .map_err(|_| Error::Pcap {
        target: "arp probe".into(),
        reason: "the probe thread panicked".into(),
    })?
}
