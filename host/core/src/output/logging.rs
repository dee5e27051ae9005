//! Log lines on stderr: UTC timestamps, text or JSON.

use crate::cli::LogFormat;

/// `-q` errors only, default info, `-v` debug, `-vv` trace; `RUST_LOG` overrides.
/// Lines carry UTC timestamps (they end up in cron and container logs).
pub fn init_logging(verbose: u8, quiet: bool, format: LogFormat) {
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
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().with_ansi(false).try_init(),
    };
}
