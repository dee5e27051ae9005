//! The small imports: `secrets` (only granted names) and `events` (redacted and
//! bounded before anything sees them).

use super::bindings::events::{self, Event};
use super::bindings::secrets::{self, SecretError};
use super::state::HostState;

impl secrets::Host for HostState {
    async fn get(&mut self, name: String) -> wasmtime::Result<Result<String, SecretError>> {
        match self.secrets.get(&name) {
            Some(secret) => Ok(Ok(secret.expose().to_string())),
            None => {
                let shown = self.redactor.clean(&name);
                tracing::warn!(target: "policy", "guest asked for secret {shown:?}, which the policy does not grant");
                Ok(Err(SecretError::Denied(shown)))
            }
        }
    }
}

impl events::Host for HostState {
    async fn emit(&mut self, mut event: Event) -> wasmtime::Result<()> {
        // Defence in depth: a guest bug must not carry a secret into a log, and a
        // hostile guest must not flood it.
        let redactor = &self.redactor;
        let clean = |text: &mut String| *text = redactor.clean(text);
        match &mut event {
            Event::Log((_, message)) => clean(message),
            Event::Listed(_) => {}
            Event::Stored(item) => {
                clean(&mut item.id);
                clean(&mut item.name);
                clean(&mut item.key);
            }
            Event::Failed((item, why)) => {
                clean(&mut item.id);
                clean(&mut item.name);
                clean(&mut item.key);
                clean(why);
            }
        }
        (self.events)(event);
        Ok(())
    }
}

impl super::bindings::types::Host for HostState {}
