//! The `dredge` command line. The only place where errors become messages and exit codes:
//! 0 success, 2 an operational failure (bad input, unreachable registry, corrupt image ...).

#![deny(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write as _;
use std::process::ExitCode;

fn main() -> ExitCode {
    match dredge::cli::run() {
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
            let _ = writeln!(std::io::stderr().lock(), "{}", dredge::printable(&msg));
            ExitCode::from(2)
        }
    }
}
