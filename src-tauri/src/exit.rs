//! Exit codes and the message printed with them.

use std::fmt;

/// The process exit codes of the terminal subcommands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    Failure = 1,
    Usage = 2,
    /// Sell rejected the token (401) or it lacks access (403).
    Token = 3,
}

/// An error that ends the program with a code and a sentence for stderr.
#[derive(Debug)]
pub struct Exit {
    pub code: ExitCode,
    pub message: String,
}

impl Exit {
    pub fn new(code: ExitCode, message: String) -> Exit {
        Exit { code, message }
    }

    pub fn failure(message: String) -> Exit {
        Exit::new(ExitCode::Failure, message)
    }

    pub fn usage(message: String) -> Exit {
        Exit::new(ExitCode::Usage, message)
    }

    pub fn token(message: String) -> Exit {
        Exit::new(ExitCode::Token, message)
    }
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
