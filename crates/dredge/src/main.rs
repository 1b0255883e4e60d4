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

/// Error text may quote bytes from an image or a server: control characters are escaped so that
/// nothing raw reaches the terminal (no escape sequences, no extra lines).
pub(crate) fn printable(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect()
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
            say!("{}", printable(&msg));
            ExitCode::from(2)
        }
    }
}
