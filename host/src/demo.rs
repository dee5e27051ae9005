//! `tableau-backup demo`: back up the simulator's sample site into a folder.

use clap::Parser;
use std::process::ExitCode;
use tableau_backup_host::backup::{self, GuestSource};
use tableau_backup_host::cli::{Cli, Command, DemoArgs};
use tableau_backup_host::exit::Fatal;
use tableau_backup_host::secrets::Secret;
use tableau_sim::{Sim, SimConfig};

pub async fn run(args: DemoArgs, guest: &[u8]) -> ExitCode {
    let sim = match Sim::start(SimConfig::sample()).await {
        Ok(sim) => sim,
        Err(e) => {
            return tableau_backup_host::fail(Fatal::failed(format!("cannot start the simulator: {e:#}")))
        }
    };
    tracing::info!(
        "simulated Tableau site {:?} listening on {}",
        sim.site_content_url(),
        sim.base_url()
    );
    let dest = args.dest.to_string();
    // Parse like a user would type it, so the demo runs with the real defaults.
    let cli = Cli::try_parse_from([
        "tableau-backup",
        "backup",
        "--server",
        &sim.base_url(),
        "--site",
        sim.site_content_url(),
        "--token-name",
        sim.pat_name(),
        "--dest",
        &dest,
    ])
    .expect("demo arguments parse");
    let Command::Backup(backup_args) = cli.command else {
        unreachable!("parsed a backup command")
    };
    let secret = Secret::new(sim.pat_secret().to_string());
    let result = backup::run(&backup_args, secret, &GuestSource::Embedded(guest)).await;
    sim.shutdown().await;
    tableau_backup_host::finish_backup(result)
}
