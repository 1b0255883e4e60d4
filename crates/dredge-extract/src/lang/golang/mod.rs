//! Go: the build information compiled into binaries, and `go.mod`.

pub mod binary;
pub mod gomod;
