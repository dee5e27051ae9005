//! The small imports: `secrets` (only granted names) and `events`.

use super::bindings::events::{self, Event};
use super::bindings::secrets::{self, SecretError};
use super::state::HostState;

impl secrets::Host for HostState {
    async fn get(&mut self, name: String) -> wasmtime::Result<Result<String, SecretError>> {
        match self.secrets.get(&name) {
            Some(secret) => Ok(Ok(secret.expose().to_string())),
            None => {
                tracing::warn!(target: "policy", "guest asked for secret {name:?}, which the policy does not grant");
                Ok(Err(SecretError::Denied(name)))
            }
        }
    }
}

impl events::Host for HostState {
    async fn emit(&mut self, mut event: Event) -> wasmtime::Result<()> {
        // Defence in depth: a guest bug must not carry a secret into a log.
        if let Event::Log((_, message)) | Event::Failed((_, message)) = &mut event {
            for secret in self.secrets.values() {
                if message.contains(secret.expose()) {
                    *message = message.replace(secret.expose(), "<redacted>");
                }
            }
        }
        (self.events)(event);
        Ok(())
    }
}

impl super::bindings::types::Host for HostState {}
