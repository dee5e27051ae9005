//! Exit codes, the contract schedulers and scripts rely on.

use std::process::ExitCode;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything was backed up (or verified).
    Complete,
    /// No backup was made (or verification found problems).
    Failed,
    /// Bad usage or configuration; nothing was attempted.
    Usage,
    /// A backup was made but some items failed; the manifest lists them.
    Partial,
    /// Everything asked for was backed up, but not everything: `--kinds`,
    /// `--no-extracts` or a `--max-*` cap limited the run.
    Limited,
}

impl Outcome {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Outcome::Complete => 0,
            Outcome::Failed => 1,
            Outcome::Usage => 2,
            Outcome::Partial => 3,
            Outcome::Limited => 4,
        }
    }
}

impl From<Outcome> for ExitCode {
    fn from(o: Outcome) -> ExitCode {
        ExitCode::from(o.code())
    }
}

/// An error with the exit code it should produce.
#[derive(Debug)]
pub struct Fatal {
    /// The exit code it leads to.
    pub outcome: Outcome,
    /// One line for the user (never a secret).
    pub message: String,
}

impl Fatal {
    /// Bad usage or configuration (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Fatal {
            outcome: Outcome::Usage,
            message: message.into(),
        }
    }

    /// Nothing was made, or damage was found (exit 1).
    pub fn failed(message: impl Into<String>) -> Self {
        Fatal {
            outcome: Outcome::Failed,
            message: message.into(),
        }
    }
}
