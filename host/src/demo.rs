//! `tableau-backup demo`: back up the simulator's sample site into a folder,
//! with the same defaults as `backup`.

use std::process::ExitCode;
use tableau_backup_host::cli::DemoArgs;
use tableau_backup_host::commands::{self, Done};
use tableau_backup_host::config::{BackupConfig, SiteConfig};
use tableau_backup_host::exit::Fatal;
use tableau_backup_host::guest::GuestSource;
use tableau_backup_host::output;
use tableau_backup_host::secrets::{Secret, SecretSource};
use tableau_sim::{Sim, SimConfig};

/// Start the simulator, back it up, stop it.
pub async fn run(args: DemoArgs, guest: &[u8]) -> ExitCode {
    let sim = match Sim::start(SimConfig::sample()).await {
        Ok(sim) => sim,
        Err(e) => return output::fail(Fatal::failed(format!("cannot start the simulator: {e:#}"))),
    };
    tracing::info!(
        "simulated Tableau site {:?} listening on {}",
        sim.site_content_url(),
        sim.base_url()
    );
    let secret = SecretSource::Given(Secret::new(sim.pat_secret().to_string()));
    let result = match SiteConfig::new(&sim.base_url(), sim.site_content_url(), sim.pat_name(), secret) {
        Ok(site) => {
            let config = BackupConfig::new(site, args.dest);
            let guest = GuestSource::Embedded(guest);
            commands::backup::run(&config, &guest, output::log_sink())
                .await
                .map(Done::Backup)
        }
        Err(e) => Err(e),
    };
    sim.shutdown().await;
    output::finish(result)
}
