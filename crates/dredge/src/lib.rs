//! The `dredge` command line as a library: the binary (`main.rs`) runs [`cli::run`]; tests run
//! [`cli::run_with`] with scanners of their own registered beside the built-in ones.

// Standard streams may be closed pipes (`dredge ... | head -1`): `println!`/`eprintln!` panic on
// EPIPE, so everything is printed through these, which drop a write the reader no longer wants.
#![deny(clippy::print_stdout, clippy::print_stderr)]

/// A line on stderr; a closed stderr is ignored.
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($t)*);
    }};
}

/// A line on stdout; a closed stdout is ignored.
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}

/// Error text may quote bytes from an image or a server: control characters are escaped so that
/// nothing raw reaches the terminal (no escape sequences, no extra lines).
pub fn printable(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect()
}

pub mod cli;
mod dbartifact;
mod scan;
pub mod scanners;
mod target;
