//! diagnose: why traffic does not flow. The doctor, the path trace and the topology are
//! pure functions of an inventory snapshot plus a small [`Kernel`] seam for what the
//! model does not hold (route lookups, policy rules, sysctls, ARP probes), so they run on
//! the live kernel and on synthetic hosts in unit tests alike. Results are typed: findings
//! with their check, objects, evidence and a [`Fix`] that is a plan's input, never text.

#![allow(
    clippy::many_single_char_names,
    reason = "the model's short names, used alike everywhere: f the fabric, e a namespace entry, l a link, k the kernel, q the query, w the walk"
)]

pub mod doctor;
pub mod fill;
pub mod kernel;
pub mod report;
pub mod routes;
pub mod sim;
#[cfg(any(test, feature = "synth"))]
pub mod synth;
pub mod topo;
pub mod trace;

pub use kernel::{Kernel, Live};
pub use report::{Check, Finding, Fix, Obj, Severity};
pub use trace::{trace, Query, Trace, Verdict};

#[cfg(test)]
mod tests;
