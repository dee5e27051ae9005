//! Which guest component runs: the one embedded in the binary, or a file.

use crate::exit::Fatal;
use crate::runtime::GuestRuntime;
use std::path::PathBuf;

/// The guest component to run.
pub enum GuestSource<'a> {
    /// Bytes the binary carries.
    Embedded(&'a [u8]),
    /// A `.wasm` file (`--guest`).
    File(PathBuf),
}

impl GuestSource<'_> {
    /// Compile it (wasmtime's cache makes this cheap after the first run).
    pub fn load(&self) -> Result<GuestRuntime, Fatal> {
        let bytes;
        let wasm = match self {
            GuestSource::Embedded(b) => *b,
            GuestSource::File(path) => {
                bytes = std::fs::read(path)
                    .map_err(|e| Fatal::usage(format!("cannot read guest {}: {e}", path.display())))?;
                &bytes
            }
        };
        GuestRuntime::new(wasm).map_err(|e| Fatal::usage(format!("cannot load the guest component: {e:#}")))
    }
}
