//! .NET: the runtime dependency manifest of a built application (`*.deps.json`), NuGet lock
//! files and the older `packages.config`.

pub mod deps_json;
pub mod packages_config;
pub mod packages_lock;
