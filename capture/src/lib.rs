//! capture: packet sources (live pcap inside any namespace, pcap/pcapng files), decoding
//! (etherparse, plus VXLAN and the few headers it lacks), tcpdump-style summaries, detail
//! trees and a pcap writer. Knows nothing of the terminal.

pub mod decode;
pub mod summary;
