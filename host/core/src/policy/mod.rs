//! What the guest may touch. Safe defaults, optionally widened or tightened by
//! a TOML file (`--policy FILE`). Each capability is enforced in one place:
//! outbound HTTP in `runtime::http` (with the rules of [`http`]), secrets in
//! `runtime::guest_imports`, keys, sizes and counts in `store::RunStore` (keys by
//! `store::keys`), memory, CPU and time in `runtime` (`GuestRuntime::run`).

pub mod http;

use serde::{Deserialize, Serialize};
use std::path::Path;

/// The default name under which the PAT secret is granted to the guest.
pub const TOKEN_SECRET_NAME: &str = "tableau-token-secret";

/// The effective policy for one run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// Outbound HTTP.
    pub http: HttpPolicy,
    /// Readable secrets.
    pub secrets: SecretsPolicy,
    /// Store limits.
    pub store: StorePolicy,
    /// Guest resources.
    pub resources: ResourcePolicy,
}

/// Outbound HTTP. The configured Tableau server is always allowed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct HttpPolicy {
    /// Extra `host` or `host:port` entries the guest may reach over https.
    pub allow_hosts: Vec<String>,
}

/// Secrets the guest may read, by name.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SecretsPolicy {
    /// Granted names.
    pub allow: Vec<String>,
}

/// Limits on what one run may store.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct StorePolicy {
    /// Largest single object, in bytes.
    pub max_object_bytes: u64,
    /// Most objects in one run.
    pub max_objects: u64,
}

/// Limits on the guest's resources.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ResourcePolicy {
    /// Cap on the guest's linear memory, in MiB.
    pub max_memory_mib: u64,
    /// Wall-clock budget for the whole run, in seconds.
    pub run_deadline_secs: u64,
    /// CPU time the guest may spend computing (not waiting on I/O), in seconds.
    pub max_cpu_secs: u64,
    /// Bytes of guest stdout/stderr passed to the log before the rest is dropped.
    pub max_output_bytes: u64,
}

impl Default for SecretsPolicy {
    fn default() -> Self {
        Self {
            allow: vec![TOKEN_SECRET_NAME.to_string()],
        }
    }
}

impl Default for StorePolicy {
    fn default() -> Self {
        Self {
            max_object_bytes: 100 << 30,
            max_objects: 1_000_000,
        }
    }
}

impl Default for ResourcePolicy {
    fn default() -> Self {
        Self {
            // Lists are streamed page by page: 50,000 users peak at ~38 MiB host RSS in all.
            max_memory_mib: 256,
            run_deadline_secs: 24 * 3600,
            max_cpu_secs: 2 * 3600,
            max_output_bytes: 1 << 20,
        }
    }
}

impl Policy {
    /// Read a policy file; fields it omits keep their defaults.
    pub fn load(path: &Path) -> anyhow::Result<Policy> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read policy file {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("invalid policy file {}: {e}", path.display()))
    }

    /// The policy as TOML, for `policy show`.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("policy serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_file_keeps_defaults_and_unknown_keys_fail() {
        let p: Policy = toml::from_str("[resources]\nmax_memory_mib = 64\n").unwrap();
        assert_eq!(p.resources.max_memory_mib, 64);
        assert_eq!(p.secrets.allow, vec![TOKEN_SECRET_NAME.to_string()]);
        assert!(toml::from_str::<Policy>("[http]\nallow_host = []\n").is_err());
    }
}
