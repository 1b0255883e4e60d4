//! .NET: the runtime dependency manifest of a built application (`*.deps.json`), NuGet lock
//! files and the older `packages.config`; the licenses of the global packages folder's `*.nuspec`.

pub mod deps_json;
pub mod nuspec;
pub mod packages_config;
pub mod packages_lock;
