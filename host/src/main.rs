//! `tableau-backup`: the binary. It embeds the guest component and adds the
//! `demo` command (which needs the bundled simulator); everything else lives in
//! the `tableau-backup-host` library.

mod demo;

use clap::Parser;
use std::process::ExitCode;
use tableau_backup_host::cli::{Cli, Command};
use tableau_backup_host::commands;
use tableau_backup_host::guest::GuestSource;
use tableau_backup_host::output;

/// The backup guest, built for wasm32-wasip2 by build.rs.
static GUEST: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/guest.wasm"));

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    output::init_logging(cli.verbose, cli.quiet, cli.log_format);
    // Flags -> resolved configuration -> work -> output.
    let request = match cli.command {
        Command::Demo(args) => return demo::run(args, GUEST).await,
        command => command.resolve(),
    };
    match request {
        Ok(request) => {
            let guest = GuestSource::Embedded(GUEST);
            output::finish(commands::run(&request, &guest, output::log_sink()).await)
        }
        Err(e) => output::fail(e),
    }
}
