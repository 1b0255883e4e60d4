//! The `dredge` command line. The only place where errors become messages and exit codes:
//! 0 success, 2 an operational failure (bad input, unreachable registry, corrupt image ...).

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

mod cli;
mod dbartifact;
mod scan;
mod target;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(code) => code,
        Err(e) => {
            // One clear line first (what failed, where), then the causes.
            let mut msg = format!("dredge: error: {e}");
            for cause in e.chain().skip(1) {
                let c = cause.to_string();
                if !msg.contains(&c) {
                    msg.push_str(&format!(": {c}"));
                }
            }
            say!("{msg}");
            ExitCode::from(2)
        }
    }
}
