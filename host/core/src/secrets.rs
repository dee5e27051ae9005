//! Where secrets come from, and a type that never prints them.
//!
//! The PAT secret is never taken from a flag's value (it would show in `ps`
//! and shell history): `--token-secret-from env:VAR` or `file:PATH`.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// A secret value. `Debug` and `Display` are redacted; only [`Secret::expose`]
/// gives the value, and only the code handing it to the guest calls it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wrap a value.
    pub fn new(value: String) -> Self {
        Secret(value)
    }

    /// The value, for the one place that hands it to the guest.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A place to read a secret from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// An environment variable of the host process.
    Env(String),
    /// A file (trailing newline removed), e.g. a mounted Kubernetes secret.
    File(PathBuf),
    /// Already known to the program (the demo's simulator); never parsed from text.
    Given(Secret),
}

impl FromStr for SecretSource {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.split_once(':') {
            Some(("env", var)) if !var.is_empty() => Ok(SecretSource::Env(var.to_string())),
            Some(("file", path)) if !path.is_empty() => Ok(SecretSource::File(PathBuf::from(path))),
            _ => Err(format!(
                "invalid secret source {s:?}: use env:VARIABLE or file:PATH"
            )),
        }
    }
}

impl fmt::Display for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretSource::Env(v) => write!(f, "env:{v}"),
            SecretSource::File(p) => write!(f, "file:{}", p.display()),
            SecretSource::Given(_) => f.write_str("a secret given by the program"),
        }
    }
}

impl SecretSource {
    /// Read the secret. Errors name the source, never the value.
    pub fn read(&self) -> Result<Secret, String> {
        let value = match self {
            SecretSource::Env(var) => std::env::var(var)
                .map_err(|_| format!("the token secret is missing: environment variable {var} is not set"))?,
            SecretSource::File(path) => std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read the token secret from {}: {e}", path.display()))?
                .trim_end_matches(['\r', '\n'])
                .to_string(),
            SecretSource::Given(secret) => secret.expose().to_string(),
        };
        if value.is_empty() {
            return Err(format!("the token secret from {self} is empty"));
        }
        Ok(Secret(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_are_redacted() {
        let s = Secret::new("hunter2".into());
        assert!(!format!("{s:?} {s}").contains("hunter2"));
    }

    #[test]
    fn parses_sources() {
        assert_eq!("env:X".parse::<SecretSource>(), Ok(SecretSource::Env("X".into())));
        assert_eq!(
            "file:/run/s".parse::<SecretSource>(),
            Ok(SecretSource::File("/run/s".into()))
        );
        assert!("hunter2".parse::<SecretSource>().is_err());
        assert!("env:".parse::<SecretSource>().is_err());
    }
}
