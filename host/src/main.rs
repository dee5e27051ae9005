//! `tableau-backup`: the binary. It embeds the guest component and adds the
//! `demo` command (which needs the bundled simulator); everything else lives in
//! the `tableau-backup-host` library.

mod demo;

use clap::Parser;
use std::process::ExitCode;
use tableau_backup_host::cli::{Cli, Command};

/// The backup guest, built for wasm32-wasip2 by build.rs.
static GUEST: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/guest.wasm"));

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    tableau_backup_host::init_logging(cli.verbose, cli.quiet, cli.log_format);
    match cli.command {
        Command::Demo(args) => demo::run(args, GUEST).await,
        _ => tableau_backup_host::dispatch(cli, GUEST).await,
    }
}
