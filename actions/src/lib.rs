//! actions: plans of `ip`/`bridge` steps, validated against the live model
//! before anything is applied, with their inverses, previews and script export.
//!
//! This crate is pure: it reads [`netstate::NsState`] and returns data. The
//! netlink layer applies steps through the [`Apply`] seam.

pub mod apply;
pub mod builders;
pub mod drift;
pub mod export;
pub mod kernel;
pub mod netlink;
pub mod plan;
pub mod step;
pub mod types;
pub mod validate;

pub use apply::{apply_all, apply_plan, Apply, Failure};
pub use builders::{
    attach, recreate_vxlan, route, shim, vlan, vxlan, vxlan_peer, ActionInput, AttachInput,
    RouteInput, ShimInput, VlanInput, VxlanInput, VxlanPeerInput,
};
pub use drift::{drift, Drift};
pub use export::{export_batch, export_sh, export_undo_sh, Batch, ExportError};
pub use kernel::{explain_errno, missing_support, KernelSupport};
pub use plan::Plan;
pub use step::{AddrSpec, Step, Tool};
pub use types::{Mac, MacvlanMode, VlanProtocol, HOST};
pub use validate::{NsView, Result, ValidationError};

#[cfg(test)]
mod tests;
