//! The native host of tableau-backup: CLI, configuration, secret sources,
//! destinations (local folder, S3), the sandbox policy, and the wasmtime
//! runtime that runs the backup guest. It holds no Tableau knowledge.

pub mod backup;
pub mod cli;
pub mod exit;
pub mod manifest;
pub mod policy;
pub mod progress;
pub mod runtime;
pub mod secrets;
pub mod snapshots;
pub mod store;
pub mod verify;

use cli::{Cli, Command, PolicyCommand};
use exit::{Fatal, Outcome};
use std::process::ExitCode;
use store::Store;

/// Set up logging to stderr: `-q` errors only, default info, `-v` debug, `-vv` trace.
/// `RUST_LOG` overrides. Lines carry UTC timestamps (they end up in cron and
/// container logs).
pub fn init_logging(verbose: u8, quiet: bool, format: cli::LogFormat) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "info",
        (false, 1) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!(
            "{level},aws=warn,hyper=warn,wasmtime=warn,cranelift=warn"
        ))
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false);
    let _ = match format {
        cli::LogFormat::Text => builder.try_init(),
        cli::LogFormat::Json => builder.json().with_ansi(false).try_init(),
    };
}

/// Print a fatal error as one line and turn it into an exit code.
pub fn fail(fatal: Fatal) -> ExitCode {
    eprintln!("error: {}", fatal.message);
    fatal.outcome.into()
}

/// Run every command but `demo` (which needs the simulator; the binary does it).
pub async fn dispatch(cli: Cli, guest: &[u8]) -> ExitCode {
    match cli.command {
        Command::Backup(args) => {
            let secret = match args.site.token_secret_from.read() {
                Ok(s) => s,
                Err(e) => return fail(Fatal::usage(e)),
            };
            finish_backup(backup::run(&args, secret, &backup::GuestSource::Embedded(guest)).await)
        }
        Command::Verify(args) => {
            let store = match Store::connect(&args.dest).await {
                Ok(s) => s,
                Err(e) => return fail(Fatal::failed(e.to_string())),
            };
            match verify::verify(&store, args.run.as_deref()).await {
                Ok(f) => {
                    for k in &f.missing {
                        println!("missing     {k}");
                    }
                    for k in &f.corrupt {
                        println!("corrupt     {k}");
                    }
                    for k in &f.unexpected {
                        println!("unexpected  {k}");
                    }
                    let verdict = if f.intact() { "intact" } else { "DAMAGED" };
                    println!(
                        "verify {}: {verdict}: {} objects checked ({}), {} missing, {} corrupt, {} unexpected",
                        f.run,
                        f.checked,
                        backup::human_bytes(f.bytes),
                        f.missing.len(),
                        f.corrupt.len(),
                        f.unexpected.len()
                    );
                    f.outcome().into()
                }
                Err(e) => fail(e),
            }
        }
        Command::Snapshots(args) => {
            let store = match Store::connect(&args.dest).await {
                Ok(s) => s,
                Err(e) => return fail(Fatal::failed(e.to_string())),
            };
            match snapshots::list(&store).await {
                Ok(s) => {
                    print!("{}", snapshots::render(&s));
                    Outcome::Complete.into()
                }
                Err(e) => fail(e),
            }
        }
        Command::Policy {
            command: PolicyCommand::Show(args),
        } => {
            if let Err(e) = policy::http::check_server_url(&args.server) {
                return fail(Fatal::usage(e));
            }
            match backup::effective_policy(args.sandbox.policy.as_deref()) {
                Ok(p) => {
                    println!("# The Tableau server is always allowed: {}", args.server);
                    print!("{}", p.to_toml());
                    Outcome::Complete.into()
                }
                Err(e) => fail(e),
            }
        }
        Command::Demo(_) => fail(Fatal::usage("demo is handled by the tableau-backup binary")),
    }
}

/// Print the summary (last line of output) or the error, and pick the exit code.
pub fn finish_backup(result: Result<backup::Finished, Fatal>) -> ExitCode {
    match result {
        Ok(done) => {
            println!("{}", done.summary());
            done.outcome().into()
        }
        Err(e) => fail(e),
    }
}
