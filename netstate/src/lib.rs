//! netstate: the kernel's network state (links, addresses, routes, neighbours, bridge FDB)
//! in every network namespace, read and followed through netlink.
//!
//! netlink-packet-route types stop at this crate's border: callers see [`model`] types.

pub mod apply;
pub mod consts;
pub mod dump;
pub mod inventory;
pub mod json;
pub mod l2;
pub mod live;
pub mod lookup;
pub mod model;
pub mod names;
pub mod netns;
pub mod nsid;
mod parse;
pub mod probe;
pub mod relations;
pub mod stream;
pub mod text;
mod wire;

pub use apply::{Applied, Entry};
pub use live::{NetEvent, NetEventKind};
pub use model::{Change, NsState};
pub use netns::{NetnsInfo, NsId};

/// Errors of this crate; each names the namespace it concerns.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("namespace {name}: {reason}")]
    Netns { name: String, reason: String },
    #[error("namespace {name}: netlink: the dump was interrupted (receive buffer overrun, or the tables changed under it)")]
    DumpOverrun { name: String },
    #[error("namespace {name}: netlink: {reason}")]
    Netlink { name: String, reason: String },
}

pub type Result<T> = std::result::Result<T, Error>;
