//! Rust: `Cargo.lock` and the dependency list cargo-auditable embeds in binaries.

pub mod auditable;
pub mod cargo_lock;
