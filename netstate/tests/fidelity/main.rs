//! The live model equals the kernel after every kind of event: each case the live view
//! used to get wrong, by name, and a differential test that applies random sequences of
//! `ip`/`bridge` operations and compares the model (and the replayed `watch --json`
//! stream) with a fresh dump after each batch.
#![allow(
    clippy::match_wild_err_arm,
    clippy::format_push_string,
    clippy::unwrap_used,
    clippy::many_single_char_names,
    reason = "test code"
)]

mod cases;
mod differential;
mod harness;
