//! netlens: a terminal UI for Linux container networking.

mod capture_cmd;
mod cli;
mod cmd;
mod config;
mod lab;
mod plan;
mod tui;
mod walkthrough;

use anyhow::Result;
use clap::{CommandFactory, Parser};

use cli::{Cli, Command};

/// When the process started, for the first-frame benchmark.
pub static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

fn init_logging(path: Option<&std::path::Path>) -> Result<()> {
    let Some(path) = path else { return Ok(()) };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| anyhow::anyhow!("--log {}: {e}", path.display()))?;
    tracing_subscriber::fmt()
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    Ok(())
}

/// Each watched namespace holds two descriptors (its socket, its namespace file): a node
/// with a thousand pods needs more than the usual soft limit of 1024. The soft limit is
/// raised to the hard one.
fn raise_fd_limit() {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        if soft < hard {
            let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
        }
    }
}

/// glibc gives each thread that allocates an arena of its own and keeps what it frees
/// there: namespaces read on several threads, then gone, left watch --all ~30% above its
/// starting memory after a thousand pods came and went (2 arenas: within 10%). The limit
/// is an environment variable read when the allocator starts, so netlens starts itself
/// again with it set, once, before doing anything (a user's own setting is kept).
fn limit_arenas() {
    use std::os::unix::process::CommandExt as _;
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    // exec only returns on failure: then netlens runs on with glibc's default.
    let _ = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env("MALLOC_ARENA_MAX", "2")
        .exec();
}

fn main() -> std::process::ExitCode {
    limit_arenas();
    START.get_or_init(std::time::Instant::now);
    raise_fd_limit();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return std::process::ExitCode::SUCCESS;
            }
            eprintln!("netlens: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<std::process::ExitCode> {
    init_logging(cli.log.as_deref())?;
    // Read before any thread starts: it may set the plan store's directory.
    let settings = config::load();
    // The UI shows the warning on its status line; every other command prints it here
    // (`walkthrough --auto` and `walkthrough list` do not open the UI).
    let ui = match &cli.command {
        None => true,
        Some(Command::Walkthrough { name, auto, .. }) => !auto && name != "list",
        Some(_) => false,
    };
    if let (false, Some(w)) = (ui, settings.warning.as_ref()) {
        eprintln!("netlens: {w}");
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        // Namespace reads are bounded elsewhere; a few blocking threads serve them all.
        .max_blocking_threads(16)
        .enable_all()
        .build()?;
    let netns = cli.netns.as_deref();
    let done: Result<()> = match cli.command {
        Some(Command::Dump(a)) => rt.block_on(cmd::dump(netns, a.all, a.json, a.stats)),
        Some(Command::Topo(a)) => rt.block_on(cli::topo::run(netns, &a)),
        Some(Command::Walkthrough {
            name,
            auto,
            keep,
            skip,
            export,
        }) => {
            if name == "list" {
                walkthrough::list();
                Ok(())
            } else if !auto {
                match walkthrough::prepare(&name)? {
                    Ok(pane) => {
                        let lab = pane.lab.clone();
                        rt.block_on(tui::run(tui::runtime::UiOptions {
                            netns: None,
                            report: None,
                            ring: cli.ring,
                            vxlan_ports: cli.vxlan_ports,
                            settings,
                            walk: Some(pane),
                        }))?;
                        if lab::is_up(&lab) {
                            eprintln!("netlens: lab {lab} is still up: `netlens lab down {lab}` removes it");
                        }
                        Ok(())
                    }
                    Err(why) => {
                        println!("{why}");
                        std::process::exit(walkthrough::EXIT_UNSUPPORTED)
                    }
                }
            } else {
                match walkthrough::auto(&name, keep, skip, export.as_deref()) {
                    Ok(0) => Ok(()),
                    Ok(1) => {
                        eprintln!("netlens: walkthrough {name}: some checks did not meet their expectation");
                        std::process::exit(1)
                    }
                    Ok(code) => std::process::exit(code),
                    Err(e) => {
                        eprintln!("netlens: {e:#}");
                        std::process::exit(2)
                    }
                }
            }
        }
        Some(Command::Config { action }) => {
            match action {
                cli::ConfigAction::Path => match config::path() {
                    Some(p) => println!("{}", p.display()),
                    None => anyhow::bail!("no config directory: set NETLENS_CONFIG"),
                },
                cli::ConfigAction::Default => print!("{}", config::DEFAULT),
            }
            Ok(())
        }
        Some(Command::Lab { action }) => match action {
            cli::LabAction::List => {
                lab::list();
                Ok(())
            }
            cli::LabAction::Up { lab: l } => lab::up(&l),
            cli::LabAction::Down { lab: l } => lab::down(&l),
            cli::LabAction::Status { lab: l } => lab::status(&l),
        },
        Some(Command::BenchRing { packets }) => tui::bench_ring(packets),
        Some(Command::Trace(a)) => {
            let code = rt.block_on(cli::trace::run(&a));
            drop(rt);
            return Ok(code);
        }
        Some(Command::Doctor(a)) => {
            let code = rt.block_on(cli::doctor::run(netns, &a));
            drop(rt);
            return Ok(code);
        }
        Some(Command::Watch(a)) => rt.block_on(cmd::watch(netns, a.all, a.json, a.rcvbuf)),
        Some(Command::Capture(a)) => rt.block_on(capture_cmd::run(netns, a)),
        Some(Command::BenchRender { tab, frames }) => {
            rt.block_on(tui::bench_render(netns, &tab, frames))
        }
        Some(Command::Plan(a)) => rt.block_on(plan::run(netns, a)),
        Some(Command::RevertGuard { id }) => plan::guard(&id),
        Some(Command::Man) => {
            clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout())?;
            Ok(())
        }
        Some(Command::Completions { shell }) => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "netlens",
                &mut std::io::stdout(),
            );
            Ok(())
        }
        None => rt.block_on(tui::run(tui::runtime::UiOptions {
            netns,
            report: cli.report_first_frame.as_deref(),
            ring: cli.ring,
            vxlan_ports: cli.vxlan_ports,
            settings,
            walk: None,
        })),
    };
    done.map(|()| std::process::ExitCode::SUCCESS)
}
