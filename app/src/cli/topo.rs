//! `netlens topo`: the host's L2 topology across namespaces.

use std::io::Write as _;

use anyhow::Result;

use super::diag::{inventory_once_needs, select};

/// Prints the graph of `pattern`'s namespaces (all without one), with the links elsewhere
/// theirs hang on: text, `--json` or `--dot`.
pub async fn run(pattern: Option<&str>, a: &crate::cli::TopoArgs) -> Result<()> {
    // A topology is links, addresses and FDB entries: no routes or neighbours read.
    let inv = inventory_once_needs(netstate::dump::Needs {
        routes: false,
        neighs: false,
    })
    .await?;
    let only = match pattern {
        Some(p) if !a.all => Some(select(&inv, p)?),
        _ => None,
    };
    let g = diagnose::topo::graph(&inv, only.as_deref());
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    if a.json {
        serde_json::to_writer_pretty(&mut out, &g)?;
        writeln!(out)?;
    } else if a.dot {
        write!(out, "{}", g.dot())?;
    } else {
        let mut last_ns = None;
        for n in g.nodes.iter().filter(|n| n.netns.is_some()) {
            if last_ns != n.netns.as_ref() {
                writeln!(out, "{}", n.netns.as_deref().unwrap_or_default())?;
                last_ns = n.netns.as_ref();
            }
            let rel = g.relations(&n.id);
            if rel.is_empty() {
                writeln!(out, "  {} ({})", n.name, n.kind)?;
            } else {
                writeln!(out, "  {} ({}): {}", n.name, n.kind, rel.join(", "))?;
            }
        }
    }
    out.flush()?;
    Ok(())
}
