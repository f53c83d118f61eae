//! tcpdump-style one-line summaries.
