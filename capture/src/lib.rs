//! capture: packet sources (live pcap inside any namespace, pcap/pcapng files), decoding
//! (etherparse, plus VXLAN and the few headers it lacks), tcpdump-style summaries, detail
//! trees and a pcap writer. Knows nothing of the terminal.

pub mod arp;
pub mod decode;
pub mod display;
pub mod source;
pub mod summary;

/// Errors of capturing; each names the interface, file or filter at fault.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    #[error("interface {target}: no such interface (`ip link` lists them)")]
    NoSuchInterface { target: String },
    #[error("interface {target}: {reason}")]
    Permission { target: String, reason: String },
    #[error("filter \"{filter}\": {reason}")]
    Filter { filter: String, reason: String },
    #[error("file {}: {reason}", path.display())]
    File {
        path: std::path::PathBuf,
        reason: String,
    },
    #[error("{target}: {reason}")]
    Pcap { target: String, reason: String },
    #[error(transparent)]
    Netns(#[from] std::sync::Arc<netstate::Error>),
}

impl From<netstate::Error> for Error {
    fn from(e: netstate::Error) -> Self {
        Error::Netns(std::sync::Arc::new(e))
    }
}

pub type Result<T> = std::result::Result<T, Error>;
