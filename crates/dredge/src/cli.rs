//! Commands and flags. Familiar to Trivy and Syft users: `dredge image`, `dredge sbom`,
//! `dredge rootfs`, `--format`, `--output`, `--platform`, `--input`.

use crate::scan::{self, ScanOptions};
use crate::target::{self, ImageSrc, TargetSpec};
use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use dredge_image::{Credentials, Platform, RegistryOptions};
use dredge_report::ScanReport;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "dredge",
    version,
    about = "Container image security scanner: packages, SBOMs (and soon vulnerabilities, secrets, misconfigurations)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan an image: its OS and packages (from the daemon, a registry, or an archive).
    Image(ImageArgs),
    /// Write an SBOM of an image or a root filesystem.
    Sbom(SbomArgs),
    /// Scan a root filesystem directory.
    Rootfs(RootfsArgs),
    /// Remove the layer cache.
    Clean(CleanArgs),
}

#[derive(Args)]
struct CommonArgs {
    /// Platform to pick from a multi-platform image: os/arch[/variant] (default: the only one,
    /// else the host's, else linux/amd64).
    #[arg(long)]
    platform: Option<String>,
    /// Cache directory (per-layer results, spooled archives).
    #[arg(long, env = "DREDGE_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    /// Do not read or write the layer cache.
    #[arg(long)]
    no_cache: bool,
    /// Bound on the layer cache size, e.g. 2GiB.
    #[arg(long, default_value = "2GiB", value_parser = parse_size)]
    cache_max_size: u64,
    /// Largest total decompressed image size accepted (stops decompression bombs), e.g. 20GiB.
    #[arg(long, default_value = "32GiB", value_parser = parse_size)]
    max_image_size: u64,
    /// Where to look for an image given by name, in order.
    #[arg(long, value_delimiter = ',', default_value = "daemon,registry")]
    image_src: Vec<ImageSrc>,
    /// Registry user name.
    #[arg(long, env = "DREDGE_USERNAME")]
    username: Option<String>,
    /// Registry password or token.
    #[arg(long, env = "DREDGE_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    /// Allow plain HTTP and unverified TLS for the registry.
    #[arg(long)]
    insecure: bool,
    /// PEM file of CA certificates to trust for the registry (replaces the built-in roots).
    #[arg(long)]
    ca_cert: Option<PathBuf>,
    /// No progress display and no warnings on stderr.
    #[arg(long, short)]
    quiet: bool,
    /// Print cache and request statistics on stderr.
    #[arg(long)]
    debug: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum ImageFormat {
    Table,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum SbomFormat {
    Cyclonedx,
    #[value(name = "cyclonedx-json")]
    CyclonedxJson,
    #[value(name = "spdx-json")]
    SpdxJson,
    Json,
}

#[derive(Args)]
struct ImageArgs {
    /// Image name (`alpine:3.20`), or a prefixed source: docker-archive:PATH[:TAG],
    /// oci-dir:PATH[:TAG|@DIGEST], oci-archive:PATH, registry:REF, docker:NAME.
    target: Option<String>,
    /// A local image archive or layout (docker save, OCI layout/archive); kind detected.
    #[arg(long)]
    input: Option<String>,
    #[arg(long, short, value_enum, default_value = "table")]
    format: ImageFormat,
    #[arg(long, short)]
    output: Option<PathBuf>,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Args)]
struct SbomArgs {
    /// As for `dredge image`, or a directory (root filesystem, `dir:PATH`).
    target: Option<String>,
    #[arg(long)]
    input: Option<String>,
    #[arg(long, short, value_enum, default_value = "cyclonedx")]
    format: SbomFormat,
    #[arg(long, short)]
    output: Option<PathBuf>,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Args)]
struct RootfsArgs {
    /// The directory.
    dir: String,
    #[arg(long, short, value_enum, default_value = "table")]
    format: ImageFormat,
    #[arg(long, short)]
    output: Option<PathBuf>,
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Args)]
struct CleanArgs {
    #[arg(long, env = "DREDGE_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
}

/// `512MiB`, `2GiB`, `1G`, `1000` (bytes).
fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("{s:?} is not a size (e.g. 512MiB, 20GiB)"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        u => return Err(format!("unknown size unit {u:?}")),
    };
    n.checked_mul(mult).ok_or_else(|| format!("{s:?} is too large"))
}

fn default_cache_dir() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(x).join("dredge");
    }
    match std::env::var_os("HOME") {
        Some(h) => PathBuf::from(h).join(".cache").join("dredge"),
        None => std::env::temp_dir().join("dredge-cache"),
    }
}

fn options(c: &CommonArgs) -> Result<ScanOptions> {
    let platform = match &c.platform {
        Some(p) => Some(Platform::parse(p).ok_or_else(|| anyhow!("--platform {p:?}: expected os/arch[/variant], e.g. linux/arm64"))?),
        None => None,
    };
    let credentials = match (&c.username, &c.password) {
        (Some(u), Some(p)) => Some(Credentials::Basic { username: u.clone(), password: p.clone() }),
        (None, None) => None,
        _ => bail!("--username and --password go together"),
    };
    if let Some(ca) = &c.ca_cert {
        if !ca.is_file() {
            bail!("--ca-cert {}: no such file", ca.display());
        }
    }
    Ok(ScanOptions {
        platform,
        cache_dir: c.cache_dir.clone().unwrap_or_else(default_cache_dir),
        no_cache: c.no_cache,
        cache_max_bytes: c.cache_max_size,
        max_image_size: c.max_image_size,
        image_src: c.image_src.clone(),
        registry: RegistryOptions { credentials, insecure: c.insecure, ca_cert: c.ca_cert.clone(), retries: 4, platform: None },
        quiet: c.quiet,
        debug: c.debug,
    })
}

fn emit(text: &str, output: Option<&PathBuf>) -> Result<()> {
    match output {
        Some(p) => std::fs::write(p, text.as_bytes()).with_context(|| format!("writing {}", p.display())),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|_| if text.ends_with('\n') { Ok(()) } else { out.write_all(b"\n") })
                .context("writing to stdout")
        }
    }
}

fn warn_all(r: &ScanReport, quiet: bool) {
    if quiet {
        return;
    }
    for w in &r.warnings {
        eprintln!("dredge: warning: {w}");
    }
}

fn target_name(target: &Option<String>, input: &Option<String>) -> String {
    target.clone().or_else(|| input.clone()).unwrap_or_default()
}

pub fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Image(a) => {
            let spec = target::parse(a.target.as_deref(), a.input.as_deref()).map_err(|e| anyhow!(e))?;
            if let TargetSpec::Rootfs(d) = &spec {
                bail!("{d} is a directory, not an image: use `dredge rootfs {d}`");
            }
            let o = options(&a.common)?;
            let r = scan::scan_image(&spec, &target_name(&a.target, &a.input), &o)?;
            warn_all(&r, o.quiet);
            let text = match a.format {
                ImageFormat::Table => dredge_report::to_table(&r),
                ImageFormat::Json => dredge_report::to_json(&r),
            };
            emit(&text, a.output.as_ref())?;
        }
        Command::Sbom(a) => {
            let spec = target::parse(a.target.as_deref(), a.input.as_deref()).map_err(|e| anyhow!(e))?;
            let o = options(&a.common)?;
            let r = match &spec {
                TargetSpec::Rootfs(d) => scan::scan_rootfs(d)?,
                _ => scan::scan_image(&spec, &target_name(&a.target, &a.input), &o)?,
            };
            warn_all(&r, o.quiet);
            let text = match a.format {
                SbomFormat::Cyclonedx | SbomFormat::CyclonedxJson => dredge_report::to_cyclonedx(&r),
                SbomFormat::SpdxJson => dredge_report::to_spdx(&r),
                SbomFormat::Json => dredge_report::to_json(&r),
            };
            emit(&text, a.output.as_ref())?;
        }
        Command::Rootfs(a) => {
            let r = scan::scan_rootfs(&a.dir)?;
            warn_all(&r, a.quiet);
            let text = match a.format {
                ImageFormat::Table => dredge_report::to_table(&r),
                ImageFormat::Json => dredge_report::to_json(&r),
            };
            emit(&text, a.output.as_ref())?;
        }
        Command::Clean(a) => {
            let dir = a.cache_dir.unwrap_or_else(default_cache_dir);
            let cache =
                dredge_layer::LayerCache::open(&dir, u64::MAX).with_context(|| format!("opening the cache in {}", dir.display()))?;
            let freed = cache.clear().with_context(|| format!("clearing {}", dir.display()))?;
            let _ = std::fs::remove_dir_all(dir.join("tmp"));
            println!("removed {freed} bytes of cached layers from {}", dir.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        assert_eq!(parse_size("10"), Ok(10));
        assert!(parse_size("x").is_err());
        assert!(parse_size("99999999999999T").is_err());
    }
}
