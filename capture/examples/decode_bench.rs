//! Decode + summary throughput: `decode_bench FILE [--print | --dump | --read-only]`.
//!
//! Reads FILE with `FileSource`, decodes every record and appends its `tcpdump -nn` summary
//! to one reused `String` (`summary_into`); prints the packet count and the elapsed time on
//! stderr. Modes:
//! - `--print`: also writes each summary line to stdout, as `netlens capture -r FILE` does;
//! - `--dump`: writes, for every packet, the summary, the link-level summary and the JSON of
//!   the decoded frame (to compare two versions of the decoder);
//! - `--read-only`: only reads the records (the floor: libpcap's share of the time).

use std::hint::black_box;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use capture::decode::{decode, DecodeOptions};
use capture::source::FileSource;
use capture::summary::{summary, summary_into};

const USAGE: &str = "usage: decode_bench FILE [--print | --dump | --read-only]";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = PathBuf::from(args.next().ok_or(USAGE)?);
    let mode = args.next().unwrap_or_default();
    let (print, dump, read_only) = match mode.as_str() {
        "" => (false, false, false),
        "--print" => (true, false, false),
        "--dump" => (false, true, false),
        "--read-only" => (false, false, true),
        _ => return Err(USAGE.into()),
    };
    let mut src = FileSource::open(&path, "")?;
    let link = src.linktype;
    let opts = DecodeOptions::default();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut line = String::with_capacity(256);
    let (mut packets, mut bytes) = (0u64, 0u64);
    let start = Instant::now();
    src.for_each(|ts, data, wire_len| {
        packets += 1;
        if read_only {
            black_box((ts, data, wire_len));
            return true;
        }
        let d = decode(link, data, wire_len, &opts);
        line.clear();
        summary_into(&mut line, &d, Some(ts), false);
        bytes += line.len() as u64;
        if print {
            let _ = writeln!(out, "{line}");
        } else if dump {
            let e = summary(&d, None, true);
            let json = serde_json::to_string(&d).unwrap_or_default();
            let _ = writeln!(out, "{line}\n{e}\n{json}");
        }
        true
    })?;
    out.flush()?;
    let elapsed = start.elapsed();
    drop(out);
    eprintln!(
        "{packets} packets, {bytes} summary bytes in {:.3} s ({:.0} ns/packet)",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e9 / packets.max(1) as f64
    );
    Ok(())
}
