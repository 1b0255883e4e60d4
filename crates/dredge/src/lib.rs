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

pub use dredge_report::printable;

pub mod cli;
mod dbartifact;
mod scan;
pub mod scanners;
mod target;
