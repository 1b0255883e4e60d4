//! The `dredge` command line. The only place where errors become messages and exit codes:
//! 0 success, 2 an operational failure (bad input, unreachable registry, corrupt image ...).

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
            eprintln!("{msg}");
            ExitCode::from(2)
        }
    }
}
