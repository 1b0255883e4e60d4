//! Commands and flags. Familiar to Trivy and Syft users: `dredge image`, `dredge sbom`,
//! `dredge rootfs`, `--format`, `--output`, `--platform`, `--input`.

use crate::scan::{self, ScanOptions};
use crate::target::{self, ImageSrc, TargetSpec};
use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use dredge_image::{Credentials, Platform, RegistryOptions};
use dredge_layer::CacheDir;
use dredge_report::ScanReport;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "dredge",
    version,
    about = "Container image security scanner: known vulnerabilities of OS and application packages, secrets, SBOMs (CycloneDX, SPDX)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan an image for known vulnerabilities and secrets, listing its OS and packages (from the
    /// Docker daemon, a registry, or an archive).
    Image(ImageArgs),
    /// Write an SBOM of an image or a root filesystem.
    Sbom(SbomArgs),
    /// Scan a root filesystem directory (an unpacked image or a mounted system).
    Rootfs(RootfsArgs),
    /// Scan a source tree (a repository checkout): lockfiles, manifests, binaries and secrets.
    Fs(FsArgs),
    /// Check configuration files for misconfigurations: Dockerfiles and Kubernetes manifests, one
    /// file or every one in a directory (like `trivy config`).
    Config(ConfigArgs),
    /// Remove the layer cache.
    Clean(CleanArgs),
    /// Build and inspect the advisory database.
    #[command(subcommand)]
    Db(DbCommand),
    /// Match the packages of an SBOM (CycloneDX or SPDX JSON, from dredge or another tool).
    #[command(name = "sbom-scan")]
    SbomScan(SbomScanArgs),
}

#[derive(Args)]
struct SbomScanArgs {
    /// The SBOM file.
    file: PathBuf,
    /// Output format.
    #[arg(long, short, value_enum, default_value = "table")]
    format: VulnFormat,
    /// Write the report to this file instead of stdout.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Cache directory (default: $XDG_CACHE_HOME/dredge or ~/.cache/dredge).
    #[arg(long, env = "DREDGE_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    /// No progress display and no warnings on stderr (errors are still printed).
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    vuln: VulnArgs,
}

#[derive(Subcommand)]
enum DbCommand {
    /// Build the database from OSV sources (JSON/YAML files, directories, zip or tar.gz
    /// archives), Alpine/Wolfi secdb files, and the distributions' XML feeds (Amazon Linux
    /// updateinfo.xml, Oracle Linux and CBL-Mariner/Azure Linux OVAL; plain, .gz or .bz2).
    Build(DbBuildArgs),
    /// Show the database's age, sources, counts and schema version.
    Status(DbStatusArgs),
    /// Publish the database as an OCI artifact in a registry (for air-gapped use), signed with
    /// --sign-key.
    Push(DbPushArgs),
    /// Fetch a database published with `db push` (digest verified, signature checked with
    /// --db-public-key, replaced atomically).
    Pull(DbPullArgs),
    /// Make an Ed25519 key pair for signing published databases (FILE and FILE.pub).
    Keygen(DbKeygenArgs),
    /// Download the sources again (conditional requests: unchanged ones cost one request) and
    /// rebuild the database when something changed. Without --source: the sources the database
    /// was built from, else OSV's exports of every ecosystem dredge matches.
    Update(DbUpdateArgs),
}

#[derive(Args)]
struct RegistryArgs {
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
    /// Deadline for each request to a registry or the Docker daemon, body included, e.g. 30s,
    /// 10m (a stalled or endless response fails instead of hanging).
    #[arg(long, default_value = "10m", value_parser = parse_duration)]
    timeout: std::time::Duration,
}

impl RegistryArgs {
    fn options(&self) -> Result<RegistryOptions> {
        let credentials = match (&self.username, &self.password) {
            (Some(u), Some(p)) => Some(Credentials::Basic { username: u.clone(), password: p.clone() }),
            (None, None) => None,
            _ => bail!("--username and --password go together"),
        };
        Ok(RegistryOptions {
            credentials,
            insecure: self.insecure,
            ca_cert: self.ca_cert.clone(),
            retries: 4,
            platform: None,
            timeout: self.timeout,
        })
    }
}

/// Where the database artifact lives in a registry, and the local database.
#[derive(Args)]
struct DbArtifactArgs {
    /// `registry/repository:tag` (pull also takes `...@sha256:...`).
    reference: String,
    /// The local database (default: <cache-dir>/db/dredge.db).
    #[arg(long, env = "DREDGE_DB")]
    db: Option<PathBuf>,
    /// Cache directory (default: $XDG_CACHE_HOME/dredge or ~/.cache/dredge).
    #[arg(long, env = "DREDGE_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    #[command(flatten)]
    registry: RegistryArgs,
}

#[derive(Args)]
struct DbPushArgs {
    #[command(flatten)]
    artifact: DbArtifactArgs,
    /// Sign the published database with this Ed25519 private key: the file `db keygen` made, or
    /// its content (as a CI secret holds it; never shown in messages).
    #[arg(long, env = "DREDGE_DB_SIGNING_KEY", hide_env_values = true)]
    sign_key: Option<String>,
}

#[derive(Args)]
struct DbPullArgs {
    #[command(flatten)]
    artifact: DbArtifactArgs,
    /// Refuse a database not signed by this Ed25519 public key (base64, or a file holding it).
    #[arg(long, env = "DREDGE_DB_PUBLIC_KEY")]
    db_public_key: Option<String>,
}

#[derive(Args)]
struct DbKeygenArgs {
    /// Where to write the private key (mode 0600; FILE.pub gets the public key). Never replaced.
    file: PathBuf,
}

#[derive(Args)]
struct DbUpdateArgs {
    /// A source URL or path (repeat for several).
    #[arg(long = "source")]
    sources: Vec<String>,
    /// Only these of the default sources (comma-separated OSV ecosystems or distribution feeds,
    /// e.g. Debian,PyPI,npm,"Amazon Linux 2","Oracle Linux"), when no --source is given.
    #[arg(long, value_delimiter = ',', conflicts_with = "sources")]
    ecosystems: Vec<String>,
    /// Pull the prebuilt database published with `db push` at this reference instead of
    /// downloading and building the sources (digest verified; `...@sha256:` pins it).
    #[arg(long, env = "DREDGE_DB_REPOSITORY", conflicts_with_all = ["sources", "ecosystems"])]
    db_repository: Option<String>,
    /// With --db-repository: refuse a database not signed by this Ed25519 public key (base64,
    /// or a file holding it).
    #[arg(long, env = "DREDGE_DB_PUBLIC_KEY")]
    db_public_key: Option<String>,
    #[command(flatten)]
    registry: RegistryArgs,
    /// The database (default: <cache-dir>/db/dredge.db).
    #[arg(long, env = "DREDGE_DB")]
    db: Option<PathBuf>,
    /// Cache directory (default: $XDG_CACHE_HOME/dredge or ~/.cache/dredge).
    #[arg(long, env = "DREDGE_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
}

#[derive(Args)]
struct DbBuildArgs {
    /// A source (repeat for several); recorded with its absolute path.
    #[arg(long = "source", required = true)]
    sources: Vec<PathBuf>,
    /// Where to write it (default: <cache-dir>/db/dredge.db).
    #[arg(long, short, visible_alias = "db", env = "DREDGE_DB")]
    output: Option<PathBuf>,
    /// Cache directory (default: $XDG_CACHE_HOME/dredge or ~/.cache/dredge).
    #[arg(long, env = "DREDGE_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
}

#[derive(Args)]
struct DbStatusArgs {
    /// The database (default: <cache-dir>/db/dredge.db).
    #[arg(long, env = "DREDGE_DB")]
    db: Option<PathBuf>,
    /// Cache directory (default: $XDG_CACHE_HOME/dredge or ~/.cache/dredge).
    #[arg(long, env = "DREDGE_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    /// Output format.
    #[arg(long, short, value_enum, default_value = "table")]
    format: ImageFormat,
}

#[derive(Args, Clone)]
pub(crate) struct VulnArgs {
    /// The advisory database (default: <cache-dir>/db/dredge.db). Without one, only packages
    /// are reported.
    #[arg(long, env = "DREDGE_DB")]
    db: Option<PathBuf>,
    /// Report only findings of these severities, of every scanner (comma-separated:
    /// UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL); `--exit-code` then counts only those.
    #[arg(long, value_delimiter = ',', value_parser = parse_severity)]
    severity: Vec<dredge_model::Severity>,
    /// Without a usable advisory database, list packages and say vulnerabilities were not checked
    /// instead of failing (exit 2) when `vuln` is among the scanners.
    #[arg(long, env = "DREDGE_ALLOW_NO_DB", action = clap::ArgAction::SetTrue, value_parser = clap::builder::BoolishValueParser::new())]
    allow_no_db: bool,
    /// Fail (exit 2) when the database was last built or found current longer ago than this,
    /// e.g. 1d, 36h, 90m (a bare number is seconds; for CI gates).
    #[arg(long, value_parser = parse_duration)]
    max_db_age: Option<std::time::Duration>,
    /// Exit with this code when findings remain after the filters (operational errors stay 2).
    #[arg(long, default_value_t = 0)]
    exit_code: u8,
    /// Leave out findings without a fixed version.
    #[arg(long)]
    ignore_unfixed: bool,
    /// Also match development-only dependencies of lockfiles (dev groups, devDependencies,
    /// packages-dev, test scopes); they are listed in SBOMs either way.
    #[arg(long)]
    include_dev_deps: bool,
    /// Ignore file (YAML: ids and/or purls, optional expiry and reason). Default: `.dredgeignore`
    /// in the current directory, when there is one.
    #[arg(long)]
    ignorefile: Option<PathBuf>,
    /// OpenVEX document: `not_affected` and `fixed` statements suppress findings (repeatable).
    #[arg(long)]
    vex: Vec<PathBuf>,
    /// Do not download or update the database before matching.
    #[arg(long, env = "DREDGE_SKIP_DB_UPDATE", action = clap::ArgAction::SetTrue, value_parser = clap::builder::BoolishValueParser::new())]
    skip_db_update: bool,
    /// No network use for advisories (implies --skip-db-update).
    #[arg(long, env = "DREDGE_OFFLINE", action = clap::ArgAction::SetTrue, value_parser = clap::builder::BoolishValueParser::new())]
    offline: bool,
    /// Pull the database from this registry reference (`db push`ed) when it is missing or older
    /// than a day, instead of downloading sources.
    #[arg(long, env = "DREDGE_DB_REPOSITORY")]
    db_repository: Option<String>,
    /// With --db-repository: refuse a database not signed by this Ed25519 public key (base64,
    /// or a file holding it).
    #[arg(long, env = "DREDGE_DB_PUBLIC_KEY")]
    db_public_key: Option<String>,
    /// Print how long matching took (stderr).
    #[arg(long = "debug-timing", hide = true)]
    debug_timing: bool,
}

#[derive(Args)]
struct SecretArgs {
    /// What to look for (comma-separated): the registered scanners (`docs/scanners.md`), or `none`
    /// for the OS and packages only.
    #[arg(long, value_delimiter = ',', default_value = "vuln,secret")]
    scanners: Vec<String>,
    /// Custom secret rules, allow rules and disabled rules (YAML). Default: `dredge-secret.yaml`
    /// in the current directory, when there is one.
    #[arg(long, env = "DREDGE_SECRET_CONFIG")]
    secret_config: Option<PathBuf>,
    #[command(flatten)]
    misconfig: MisconfigArgs,
    #[command(flatten)]
    license: LicenseArgs,
}

/// The license scanner's own flags.
#[derive(Args, Clone)]
struct LicenseArgs {
    /// License categories, severities, per-package classes and ignores (YAML, docs/licenses.md).
    /// Default: `dredge-license.yaml` in the current directory, when there is one.
    #[arg(long, env = "DREDGE_LICENSE_CONFIG")]
    license_config: Option<PathBuf>,
    /// License ids to leave out of the license findings (comma-separated or repeated, e.g.
    /// `MIT,ISC`).
    #[arg(long, value_delimiter = ',')]
    ignored_licenses: Vec<String>,
}

/// The misconfiguration scanner's own flags, the same on every command that runs it.
#[derive(Args, Clone)]
struct MisconfigArgs {
    /// Misconfiguration checks to disable and severities to override (YAML, docs/misconfig.md).
    /// Default: `dredge-misconfig.yaml` in the current directory, when there is one.
    #[arg(long, env = "DREDGE_MISCONFIG_CONFIG")]
    misconfig_config: Option<PathBuf>,
    /// Custom misconfiguration policies in Rego: a directory of `.rego` files (or one file);
    /// repeatable. docs/misconfig.md says what a policy sees and returns.
    #[arg(long = "policy")]
    policy: Vec<PathBuf>,
}

/// The vulnerability scanner's name in flags and reports.
pub const VULN_INFO: dredge_model::ScannerInfo = dredge_model::ScannerInfo {
    id: "vuln",
    key: "vulnerabilities",
    title: "Vulnerabilities",
    rule_name: "OsPackageVulnerability",
    help: "Known vulnerabilities of the OS and application packages (needs the advisory database)",
};

/// What the vulnerability scanner needs from the command line.
#[derive(Clone)]
pub(crate) struct VulnSetup {
    args: VulnArgs,
    db: PathBuf,
    cache: PathBuf,
    explicit: bool,
    registry: Option<RegistryOptions>,
    quiet: bool,
}

impl VulnSetup {
    fn new(args: &VulnArgs, cache: &std::path::Path, registry: Option<RegistryOptions>, quiet: bool) -> Self {
        VulnSetup {
            args: args.clone(),
            db: args.db.clone().unwrap_or_else(|| cache.join("db/dredge.db")),
            cache: cache.to_path_buf(),
            explicit: args.db.is_some(),
            registry,
            quiet,
        }
    }
}

struct VulnScanner(VulnSetup);

pub(crate) fn vuln_scanner(s: &crate::scanners::Settings) -> Result<Box<dyn dredge_scanner::Scanner>> {
    let setup = s.vuln.clone().ok_or_else(|| anyhow!("vulnerability scanning is not available here"))?;
    Ok(Box::new(VulnScanner(setup)))
}

impl dredge_scanner::Scanner for VulnScanner {
    fn info(&self) -> dredge_model::ScannerInfo {
        VULN_INFO
    }
    fn analyse(&self, cx: &mut dredge_scanner::Context<'_>) -> Result<Option<Vec<dredge_model::Finding>>> {
        let v = &self.0;
        let found = vulns(cx.report, &v.db, &v.cache, &v.args, v.explicit, v.registry.clone(), v.quiet)?;
        Ok(found.map(|f| f.into_iter().map(dredge_model::Finding::vulnerability).collect()))
    }
}

/// The registry as the command line sees it: the built-in scanners and any the caller adds.
fn registry(extra: &[crate::scanners::ScannerDef]) -> Vec<crate::scanners::ScannerDef> {
    crate::scanners::SCANNERS.iter().chain(extra).copied().collect()
}

/// Builds the scanners named by `--scanners` (checked against the registry, in registry order),
/// and `None` when vulnerabilities were not asked for.
fn build_scanners(
    names: &[String],
    defs: &[crate::scanners::ScannerDef],
    settings: &crate::scanners::Settings,
) -> Result<Vec<Box<dyn dredge_scanner::Scanner>>> {
    for n in names {
        if n != "none" && !defs.iter().any(|d| d.info.id == n) {
            let known: Vec<&str> = defs.iter().map(|d| d.info.id).chain(["none"]).collect();
            bail!("--scanners {n:?}: not a scanner (one of {})", known.join(", "));
        }
    }
    if !settings.policy_dirs.is_empty() && !names.iter().any(|n| n == "misconfig") {
        bail!("--policy: custom policies run with the misconfiguration scanner; add misconfig to --scanners");
    }
    // (Not --license-config: it may come from DREDGE_LICENSE_CONFIG, set for every scan.)
    if !settings.ignored_licenses.is_empty() && !names.iter().any(|n| n == "license") {
        bail!("--ignored-licenses: it sets the license scanner; add license to --scanners");
    }
    defs.iter().filter(|d| names.iter().any(|n| n == d.info.id)).map(|d| (d.build)(settings)).collect()
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
    #[command(flatten)]
    registry: RegistryArgs,
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
enum VulnFormat {
    Table,
    Json,
    /// SARIF 2.1.0 (GitHub code scanning).
    Sarif,
    /// CycloneDX 1.6 with a `vulnerabilities` section.
    Cyclonedx,
    /// OpenVEX 0.2.0: each vulnerability as a VEX statement (affected, or not_affected/fixed as
    /// the ignore file or VEX input states).
    Openvex,
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
    /// What to scan: an image name (`alpine:3.20`, `host:5000/team/app@sha256:...`; the daemon,
    /// then the registry), a path to a docker save archive, OCI layout or OCI archive (kind
    /// detected; `PATH:TAG` or `PATH@sha256:...` picks one image of several), or a prefixed
    /// source: docker-archive:PATH[:TAG], oci-dir:PATH[:TAG|@DIGEST],
    /// oci-archive:PATH[:TAG|@DIGEST], registry:REF, docker:NAME (docker-daemon:NAME).
    target: Option<String>,
    /// A local image archive or layout (docker save, OCI layout/archive); kind detected.
    #[arg(long)]
    input: Option<String>,
    /// Output format.
    #[arg(long, short, value_enum, default_value = "table")]
    format: VulnFormat,
    /// Write the report to this file instead of stdout.
    #[arg(long, short)]
    output: Option<PathBuf>,
    #[command(flatten)]
    common: CommonArgs,
    #[command(flatten)]
    vuln: VulnArgs,
    #[command(flatten)]
    secret: SecretArgs,
}

#[derive(Args)]
struct SbomArgs {
    /// As for `dredge image`, or a directory (root filesystem, `dir:PATH`).
    target: Option<String>,
    /// A local image archive or layout (docker save, OCI layout/archive); kind detected.
    #[arg(long)]
    input: Option<String>,
    /// SBOM format (cyclonedx is CycloneDX 1.6 JSON; json is the dredge report).
    #[arg(long, short, value_enum, default_value = "cyclonedx")]
    format: SbomFormat,
    /// Write the report to this file instead of stdout.
    #[arg(long, short)]
    output: Option<PathBuf>,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Args)]
struct RootfsArgs {
    /// The directory.
    dir: String,
    /// Output format.
    #[arg(long, short, value_enum, default_value = "table")]
    format: VulnFormat,
    /// Write the report to this file instead of stdout.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// No progress display and no warnings on stderr (errors are still printed).
    #[arg(long, short)]
    quiet: bool,
    /// What to look for (comma-separated): the registered scanners (`docs/scanners.md`), or `none`
    /// for the OS and packages only.
    #[arg(long, value_delimiter = ',', default_value = "vuln,secret")]
    scanners: Vec<String>,
    /// Custom secret rules, allow rules and disabled rules (YAML).
    #[arg(long, env = "DREDGE_SECRET_CONFIG")]
    secret_config: Option<PathBuf>,
    #[command(flatten)]
    misconfig: MisconfigArgs,
    #[command(flatten)]
    license: LicenseArgs,
    /// Cache directory (default: $XDG_CACHE_HOME/dredge or ~/.cache/dredge).
    #[arg(long, env = "DREDGE_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    #[command(flatten)]
    vuln: VulnArgs,
}

#[derive(Args)]
struct FsArgs {
    #[command(flatten)]
    dir: RootfsArgs,
    /// Directories to leave out (globs relative to DIR, e.g. `testdata`, `**/fixtures`;
    /// comma-separated or repeated). `.git`, `.hg` and `.svn` are always left out.
    #[arg(long, value_delimiter = ',')]
    skip_dirs: Vec<String>,
    /// Files to leave out (globs relative to DIR, e.g. `**/*.min.js`).
    #[arg(long, value_delimiter = ',')]
    skip_files: Vec<String>,
}

#[derive(Args)]
struct ConfigArgs {
    /// A file, or a directory to search (`Dockerfile`, `Containerfile`, `*.Dockerfile`,
    /// `Dockerfile.*` any case; `*.yaml`, `*.yml`, `*.json` Kubernetes manifests).
    path: String,
    /// Output format.
    #[arg(long, short, value_enum, default_value = "table")]
    format: VulnFormat,
    /// Write the report to this file instead of stdout.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// No warnings on stderr (errors are still printed).
    #[arg(long, short)]
    quiet: bool,
    #[command(flatten)]
    misconfig: MisconfigArgs,
    /// Report only findings of these severities (comma-separated: UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL);
    /// `--exit-code` then counts only those.
    #[arg(long, value_delimiter = ',', value_parser = parse_severity)]
    severity: Vec<dredge_model::Severity>,
    /// Exit with this code when findings remain after the filters (operational errors stay 2).
    #[arg(long, default_value_t = 0)]
    exit_code: u8,
    /// Directories to leave out (globs relative to PATH; comma-separated or repeated). `.git`,
    /// `.hg` and `.svn` are always left out.
    #[arg(long, value_delimiter = ',')]
    skip_dirs: Vec<String>,
    /// Files to leave out (globs relative to PATH).
    #[arg(long, value_delimiter = ',')]
    skip_files: Vec<String>,
}

#[derive(Args)]
struct CleanArgs {
    /// Cache directory (default: $XDG_CACHE_HOME/dredge or ~/.cache/dredge).
    #[arg(long, env = "DREDGE_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
}

fn db_status_table(st: &dredge_vulndb::Status) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    let _ = writeln!(o, "database: {}", st.path);
    let _ = writeln!(o, "schema version: {}", st.schema_version);
    let _ = writeln!(
        o,
        "built: {} (dredge {}){}",
        st.built_at,
        st.dredge_version,
        age(&st.built_at).map(|d| format!(", {d} days ago")).unwrap_or_default()
    );
    let _ = writeln!(o, "advisories: {}, affected packages: {}", st.advisories, st.affected_packages);
    if st.unreadable_ranges > 0 {
        let _ = writeln!(
            o,
            "unreadable: {} affected entries have ranges that do not parse and can match nothing (rebuild the database)",
            st.unreadable_ranges
        );
    }
    let _ = writeln!(o, "sources:");
    for s in &st.sources {
        let _ = writeln!(
            o,
            "  {} ({} records, {} withdrawn, {} unreadable; fetched {}{})",
            s.location,
            s.records,
            s.withdrawn,
            s.errors,
            s.fetched_at,
            seconds_since(&s.fetched_at).map(|a| format!(", {} ago", human_age(a))).unwrap_or_default()
        );
    }
    let _ = writeln!(o, "ecosystems:");
    for (e, n) in &st.ecosystems {
        let _ = writeln!(o, "  {e}: {n}");
    }
    o
}

fn seconds_since(rfc3339: &str) -> Option<i64> {
    let t = time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339).ok()?;
    Some((time::OffsetDateTime::now_utc() - t).whole_seconds())
}

fn human_age(secs: i64) -> String {
    match secs {
        s if s < 0 => "in the future".into(),
        s if s >= 86_400 && s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s >= 86_400 => format!("{}d {}h", s / 86_400, s % 86_400 / 3600),
        s if s >= 3600 && s % 3600 == 0 => format!("{}h", s / 3600),
        s if s >= 3600 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        s if s >= 60 && s % 60 == 0 => format!("{}m", s / 60),
        s if s >= 60 => format!("{}m {}s", s / 60, s % 60),
        s => format!("{s}s"),
    }
}

/// Whole days since an RFC 3339 time.
fn age(rfc3339: &str) -> Option<i64> {
    let t = time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339).ok()?;
    Some((time::OffsetDateTime::now_utc() - t).whole_days())
}

/// How an advisory download goes, for people: a byte counter on a terminal, a line per source
/// otherwise, nothing with --quiet.
struct DownloadProgress {
    quiet: bool,
    tty: bool,
    /// Print a line per source (off where the caller prints its own summary).
    lines: bool,
    bar: std::cell::RefCell<Option<indicatif::ProgressBar>>,
}

impl DownloadProgress {
    fn new(quiet: bool) -> Self {
        DownloadProgress { quiet, tty: console::Term::stderr().is_term(), lines: true, bar: std::cell::RefCell::new(None) }
    }
    fn bar_only() -> Self {
        DownloadProgress { lines: false, ..DownloadProgress::new(false) }
    }
}

impl dredge_vulndb::update::Progress for DownloadProgress {
    fn start(&self, url: &str, total: Option<u64>) {
        if self.quiet {
            return;
        }
        if !self.tty {
            if self.lines {
                say!("dredge: downloading advisories from {url}{}", total.map(|t| format!(" ({t} bytes)")).unwrap_or_default());
            }
            return;
        }
        let pb = indicatif::ProgressBar::with_draw_target(total, indicatif::ProgressDrawTarget::stderr());
        pb.set_style(
            indicatif::ProgressStyle::with_template("{spinner} downloading advisories from {msg}: {bytes}/{total_bytes} ({bytes_per_sec})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        pb.set_message(url.to_string());
        *self.bar.borrow_mut() = Some(pb);
    }
    fn advance(&self, bytes: u64) {
        if let Some(pb) = self.bar.borrow().as_ref() {
            pb.set_position(bytes);
        }
    }
    fn done(&self, url: &str, bytes: u64, downloaded: bool) {
        if let Some(pb) = self.bar.borrow_mut().take() {
            pb.finish_and_clear();
        }
        if !self.quiet && self.lines {
            if downloaded {
                say!("dredge: downloaded {url} ({bytes} bytes)");
            } else {
                say!("dredge: {url} unchanged");
            }
        }
    }
}

/// Matches the report's packages against the database and applies the filters; `None` when
/// vulnerabilities could not be checked and `--allow-no-db` lets the scan go on (a note says so). A missing default database is a note, not an error;
/// a database named with `--db` must exist.
fn vulns(
    r: &mut ScanReport,
    db_path: &std::path::Path,
    cache: &std::path::Path,
    a: &VulnArgs,
    explicit: bool,
    reg: Option<RegistryOptions>,
    quiet: bool,
) -> Result<Option<Vec<dredge_match::Vulnerability>>> {
    // A database in the cache dir is only as trustworthy as the directory: check it first (a
    // cache that does not exist yet is created only when something is downloaded into it).
    if !explicit && cache.exists() {
        CacheDir::open(cache)?.subdir("db")?;
    }
    // No usable database while `vuln` was asked for: an error, unless the user said that listing
    // packages is enough. A gate must never pass because nothing was checked.
    let no_db = |r: &mut ScanReport, why: String| -> Result<Option<Vec<dredge_match::Vulnerability>>> {
        if a.allow_no_db {
            r.notes.push(format!("vulnerabilities not checked: {why} (--allow-no-db)"));
            return Ok(None);
        }
        bail!(
            "vulnerabilities not checked: {why}. Build or fetch a database (`dredge db build --source ...`, `dredge db update`, --db-repository), or scan without one: --scanners secret, or --allow-no-db"
        )
    };
    let sources_dir = || -> Result<PathBuf> { Ok(CacheDir::open(cache)?.subdir("db/sources")?) };
    if a.db_public_key.is_some() && a.db_repository.is_none() {
        r.warnings.push(dredge_model::Warning {
            path: None,
            layer: None,
            message: "--db-public-key checks databases pulled with --db-repository; none is pulled here, so it checks nothing".into(),
        });
    }
    if let Some(repo) = &a.db_repository {
        let current =
            dredge_vulndb::Db::open(db_path).ok().and_then(|d| d.info().ok()).and_then(|s| age(&s.current_at)).is_some_and(|d| d < 1);
        if !current && !a.offline && !a.skip_db_update {
            let key = a.db_public_key.as_deref().map(crate::dbartifact::public_key).transpose()?;
            match crate::dbartifact::pull(repo, db_path, reg.clone().unwrap_or_default(), key.as_deref()) {
                Ok(_) => {}
                Err(e) if db_path.is_file() => r.warnings.push(dredge_model::Warning {
                    path: None,
                    layer: None,
                    message: format!("pulling the database from {repo} failed, using the existing one: {e:#}"),
                }),
                Err(e) => return Err(e.context(format!("pulling the advisory database from {repo}"))),
            }
        }
    }
    // First use: no database at the default place. Download one from the default sources
    // (`DREDGE_DB_SOURCES` overrides them), as `dredge db update` would.
    let mut download_failed = None;
    if !db_path.is_file() && !explicit && a.db_repository.is_none() && !a.offline && !a.skip_db_update {
        let progress = DownloadProgress::new(quiet);
        // A cache that cannot be created (read-only HOME, --no-cache on a locked-down runner) is a
        // failed download like any other, not a different error.
        let res = sources_dir().and_then(|d| {
            dredge_vulndb::update::update_with(db_path, &[], &d, &dredge_report::now_rfc3339(), &progress).map_err(anyhow::Error::from)
        });
        if let Err(e) = res {
            r.warnings.push(dredge_model::Warning {
                path: None,
                layer: None,
                message: format!("no advisory database, and downloading one failed: {e:#}"),
            });
            download_failed = Some(format!("{e:#}"));
        }
    }
    if !db_path.is_file() && !explicit && a.db_repository.is_none() {
        let why = match (&download_failed, a.offline, a.skip_db_update) {
            (Some(e), _, _) => format!("no advisory database at {}, and downloading one failed ({e})", db_path.display()),
            (None, true, _) => format!("no advisory database at {}, and --offline forbids downloading one", db_path.display()),
            (None, _, true) => format!("no advisory database at {}, and --skip-db-update forbids downloading one", db_path.display()),
            _ => format!("no advisory database at {}", db_path.display()),
        };
        return no_db(r, why);
    }
    let mut db = dredge_vulndb::Db::open(db_path)?;
    let mut st = db.info()?;
    let stale = age(&st.current_at).is_some_and(|d| d >= 1);
    if stale && !a.skip_db_update && !a.offline && st.sources.iter().any(|s| s.location.starts_with("http")) {
        match dredge_vulndb::update::update_with(
            db_path,
            &[],
            &sources_dir()?,
            &dredge_report::now_rfc3339(),
            &DownloadProgress::new(quiet),
        ) {
            Ok(_) => {
                db = dredge_vulndb::Db::open(db_path)?;
                st = db.info()?;
            }
            Err(e) => r.warnings.push(dredge_model::Warning {
                path: None,
                layer: None,
                message: format!("advisory update failed, using the existing database: {e}"),
            }),
        }
    }
    if let Some(max) = a.max_db_age {
        let secs = seconds_since(&st.current_at).unwrap_or(i64::MAX);
        if secs < 0 || secs as u64 > max.as_secs() {
            bail!(
                "the advisory database {} was last built or found current at {} ({} ago), longer ago than --max-db-age {}: run `dredge db update`",
                st.path,
                st.current_at,
                human_age(secs),
                human_age(max.as_secs() as i64)
            );
        }
    }
    if let Some(days) = age(&st.current_at) {
        if days >= 1 {
            r.warnings.push(dredge_model::Warning {
                path: None,
                layer: None,
                message: format!("the advisory database is {days} days old (built {}): rebuild it for current advisories", st.built_at),
            });
        }
    }
    let inv = dredge_model::Inventory { os: r.os.clone(), packages: r.packages.clone(), warnings: Vec::new() };
    let started = std::time::Instant::now();
    let m = dredge_match::match_inventory_with(&inv, &db, dredge_match::MatchOptions { include_dev: a.include_dev_deps })?;
    let (packages_checked, unchecked) = (m.packages_checked, m.unchecked.clone());
    if db.skipped_rows() > 0 {
        r.warnings.push(dredge_model::Warning {
            path: Some(st.path.clone()),
            layer: None,
            message: format!(
                "{} advisory entries for these packages have ranges that do not parse and were skipped (a damaged database: rebuild it, see `dredge db status`)",
                db.skipped_rows()
            ),
        });
    }
    if a.debug_timing {
        say!(
            "dredge: debug: matched {} packages in {:.1} ms ({} findings before filters)",
            inv.packages.len(),
            started.elapsed().as_secs_f64() * 1000.0,
            m.findings.len()
        );
    }
    let wanted: Vec<dredge_match::Severity> = a.severity.clone();
    let total = m.findings.len();
    let mut findings: Vec<dredge_match::Vulnerability> = m
        .findings
        .into_iter()
        .filter(|f| wanted.is_empty() || wanted.contains(&f.severity))
        .filter(|f| !(a.ignore_unfixed && f.status == dredge_match::Status::Affected))
        .collect();
    if findings.len() != total {
        r.notes.push(format!("{} of {total} findings left out by --severity/--ignore-unfixed", total - findings.len()));
    }
    let ignorefile = a.ignorefile.clone().or_else(|| Some(PathBuf::from(".dredgeignore")).filter(|p| p.is_file()));
    if let Some(path) = ignorefile {
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading ignore file {}", path.display()))?;
        let file = dredge_match::suppress::IgnoreFile::parse(&text).map_err(|e| {
            // `line 2 column 9: ...` becomes `FILE:2:9: ...`, as compilers write it.
            let located = e.strip_prefix("line ").and_then(|r| {
                let (l, rest) = r.split_once(" column ")?;
                let (c, msg) = rest.split_once(": ")?;
                Some(format!("{}:{l}:{c}: {msg}", path.display()))
            });
            anyhow!("{}", located.unwrap_or_else(|| format!("ignore file {}: {e}", path.display())))
        })?;
        let (kept, ignored, warnings) = dredge_match::suppress::apply_ignores(findings, &file, &path.display().to_string(), &scan::today());
        findings = kept;
        if !ignored.is_empty() {
            r.notes.push(format!("{} findings ignored by {}", ignored.len(), path.display()));
        }
        r.suppressed.extend(ignored);
        for w in warnings {
            r.warnings.push(dredge_model::Warning { path: Some(path.display().to_string()), layer: None, message: w });
        }
    }
    if !a.vex.is_empty() {
        let mut docs = Vec::new();
        for p in &a.vex {
            let text = std::fs::read_to_string(p).with_context(|| format!("reading VEX document {}", p.display()))?;
            docs.push((p.display().to_string(), dredge_match::suppress::Vex::parse(&text).map_err(|e| anyhow!("{}: {e}", p.display()))?));
        }
        let (kept, vexed) = dredge_match::suppress::apply_vex(findings, &docs);
        findings = kept;
        if !vexed.is_empty() {
            r.notes.push(format!("{} findings marked not_affected or fixed by VEX", vexed.len()));
        }
        r.suppressed.extend(vexed);
    }
    r.notes.extend(m.notes);
    r.database = Some(dredge_report::DatabaseInfo {
        path: st.path.clone(),
        built_at: st.built_at.clone(),
        schema_version: st.schema_version,
        sources: st.sources.iter().map(|s| s.location.clone()).collect(),
        advisories: st.advisories,
        packages_checked,
        unchecked,
    });
    Ok(Some(findings))
}

/// One of the five severities, exactly (a typo must not silently filter out everything).
fn parse_severity(s: &str) -> Result<dredge_match::Severity, String> {
    let ok = ["UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"];
    if ok.iter().any(|o| o.eq_ignore_ascii_case(s.trim())) {
        if let Some(v) = dredge_match::Severity::parse_label(s) {
            return Ok(v);
        }
    }
    Err(format!("expected one of {}", ok.join(", ")))
}

/// `30s`, `10m`, `1h`, `1d`, `1500ms`, `90` (seconds).
fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("{s:?} is not a duration (e.g. 30s, 10m, 1h)"))?;
    let ms: u64 = match unit.trim() {
        "ms" => 1,
        "" | "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        u => return Err(format!("unknown duration unit {u:?} (ms, s, m, h, d)")),
    };
    let ms = n.checked_mul(ms).ok_or_else(|| format!("{s:?} is too long"))?;
    if ms == 0 {
        return Err("a duration of 0 is not allowed".into());
    }
    Ok(std::time::Duration::from_millis(ms))
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

/// The default database, `<cache>/db/dredge.db`, in a checked directory of the cache.
fn default_db(cache_dir: Option<PathBuf>) -> Result<PathBuf> {
    let root = CacheDir::open(&cache_dir.unwrap_or_else(default_cache_dir))?;
    Ok(root.subdir("db")?.join("dredge.db"))
}

/// `$XDG_CACHE_HOME/dredge`, `~/.cache/dredge`, else a per-user directory in the temp dir
/// (created exclusively, checked to be this user's own: never a path shared by all users).
fn default_cache_dir() -> PathBuf {
    dredge_cachedir::default_root()
}

fn options(c: &CommonArgs) -> Result<ScanOptions> {
    let platform = match &c.platform {
        Some(p) => Some(Platform::parse(p).ok_or_else(|| anyhow!("--platform {p:?}: expected os/arch[/variant], e.g. linux/arm64"))?),
        None => None,
    };
    if let Some(ca) = &c.registry.ca_cert {
        if !ca.is_file() {
            bail!("--ca-cert {}: no such file", ca.display());
        }
    }
    let registry = c.registry.options()?;
    let cache_dir = c.cache_dir.clone().unwrap_or_else(default_cache_dir);
    // With a cache: a checked, private root (refused when another user could write to it).
    // Without one: nothing is read from or written to it; archives spool to a private temp dir.
    let (cache, spool) = if c.no_cache {
        (None, scan::Spool::temp()?)
    } else {
        let root = CacheDir::open(&cache_dir)?;
        let spool = scan::Spool::Dir(root.subdir("tmp")?);
        (Some(root), spool)
    };
    Ok(ScanOptions {
        platform,
        cache_dir,
        cache,
        spool,
        cache_max_bytes: c.cache_max_size,
        max_image_size: c.max_image_size,
        image_src: c.image_src.clone(),
        registry,
        quiet: c.quiet,
        debug: c.debug,
        scanners: Vec::new(),
    })
}

/// Writes a CycloneDX SBOM straight to the output, without first building its text in memory.
fn emit_cyclonedx(r: &ScanReport, output: Option<&PathBuf>) -> Result<()> {
    let write = |w: &mut dyn Write| -> std::io::Result<()> {
        let mut b = std::io::BufWriter::new(w);
        // A closed pipe surfaces as a serde error around the io error: keep its kind.
        dredge_report::write_cyclonedx(r, &mut b).map_err(|e| match e.io_error_kind() {
            Some(kind) => std::io::Error::from(kind),
            None => std::io::Error::other(e),
        })?;
        b.write_all(b"\n")?;
        b.flush()
    };
    match output {
        Some(p) => {
            let mut f = std::fs::File::create(p).with_context(|| format!("writing {}", p.display()))?;
            write(&mut f).with_context(|| format!("writing {}", p.display()))
        }
        None => quiet_epipe(write(&mut std::io::stdout().lock())).context("writing to stdout"),
    }
}

/// A reader that closed the pipe (`| head`) wanted no more: not an error, like other CLI tools.
/// The exit code stays what the scan decided, so a gate behind a pipe is not turned into a pass.
fn quiet_epipe(r: std::io::Result<()>) -> std::io::Result<()> {
    match r {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r,
    }
}

/// How wide a table on stdout may be: `COLUMNS` when set, else the terminal's width; `None`
/// (as wide as the data) when stdout is not a terminal.
fn table_width() -> Option<usize> {
    if let Some(c) = std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse::<usize>().ok()).filter(|c| *c >= 20) {
        return Some(c);
    }
    let t = console::Term::stdout();
    if t.is_term() { t.size_checked().map(|(_, cols)| usize::from(cols)).filter(|c| *c >= 20) } else { None }
}

/// Writes a vulnerability report and turns remaining findings into `--exit-code`.
fn vuln_report(r: &ScanReport, format: VulnFormat, output: Option<&PathBuf>, findings: bool, exit_code: u8) -> Result<ExitCode> {
    let text = match format {
        VulnFormat::Table => dredge_report::to_table_width(r, if output.is_none() { table_width() } else { None }),
        VulnFormat::Json => dredge_report::to_json(r),
        VulnFormat::Sarif => dredge_report::to_sarif(r),
        VulnFormat::Cyclonedx => dredge_report::to_cyclonedx(r),
        VulnFormat::Openvex => {
            if r.vulnerabilities().is_none() {
                bail!("--format openvex states what the vulnerability scanner found: add it (--scanners vuln,…)");
            }
            match dredge_report::to_openvex(r) {
                Some(t) => t,
                None => {
                    // OpenVEX requires at least one statement: an empty document would be invalid.
                    say!("dredge: no vulnerability findings, reported or suppressed: no OpenVEX document written");
                    return Ok(if findings && exit_code != 0 { ExitCode::from(exit_code) } else { ExitCode::SUCCESS });
                }
            }
        }
    };
    emit(&text, output)?;
    Ok(if findings && exit_code != 0 { ExitCode::from(exit_code) } else { ExitCode::SUCCESS })
}

/// The one gate of every scanner: `--severity` keeps the findings of those severities (the
/// vulnerability scanner has applied it already, with a note), and any finding left fails
/// `--exit-code`.
fn gate(r: &mut ScanReport, severity: &[dredge_model::Severity]) -> bool {
    if !severity.is_empty() {
        r.findings.retain(|f| severity.contains(&f.severity));
    }
    !r.findings.is_empty()
}

fn emit(text: &str, output: Option<&PathBuf>) -> Result<()> {
    match output {
        Some(p) => std::fs::write(p, text.as_bytes()).with_context(|| format!("writing {}", p.display())),
        None => {
            let mut out = std::io::stdout().lock();
            quiet_epipe(
                out.write_all(text.as_bytes())
                    .and_then(|_| if text.ends_with('\n') { Ok(()) } else { out.write_all(b"\n") })
                    .and_then(|_| out.flush()),
            )
            .context("writing to stdout")
        }
    }
}

fn warn_all(r: &ScanReport, quiet: bool) {
    if quiet {
        return;
    }
    for w in &r.warnings {
        say!("dredge: warning: {}", crate::printable(&w.to_string()));
    }
}

fn target_name(target: &Option<String>, input: &Option<String>) -> String {
    target.clone().or_else(|| input.clone()).unwrap_or_default()
}

/// The `--scanners` flags take the registry's ids (and `none`), each with its help line.
fn command(defs: &[crate::scanners::ScannerDef]) -> clap::Command {
    use clap::CommandFactory;
    use clap::builder::{PossibleValue, PossibleValuesParser};
    let values: Vec<PossibleValue> = defs
        .iter()
        .map(|d| PossibleValue::new(d.info.id).help(d.info.help))
        .chain([PossibleValue::new("none").help("Nothing: the OS and packages only")])
        .collect();
    let parser = PossibleValuesParser::new(values);
    let mut cmd = Cli::command();
    for sub in ["image", "rootfs", "fs"] {
        cmd = cmd.mut_subcommand(sub, |c| c.mut_arg("scanners", |a| a.value_parser(parser.clone())));
    }
    cmd
}

pub fn run() -> Result<ExitCode> {
    run_with(std::env::args_os(), &[])
}

/// Runs the command line given (`args[0]` is the program name) with `extra` scanners registered
/// after the built-in ones.
pub fn run_with<I, T>(args: I, extra: &[crate::scanners::ScannerDef]) -> Result<ExitCode>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    use clap::FromArgMatches;
    let defs = registry(extra);
    // Usage errors carry the `dredge:` prefix like every other error (exit 2); help and version
    // go to stdout as usual.
    let cli = match command(&defs).try_get_matches_from(args).and_then(|m| Cli::from_arg_matches(&m)) {
        Ok(c) => c,
        Err(e) if matches!(e.kind(), clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion) => {
            out!("{}", e.render().to_string().trim_end());
            return Ok(ExitCode::SUCCESS);
        }
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            say!("{}", e.render().to_string().trim_end());
            return Ok(ExitCode::from(2));
        }
        Err(e) => {
            // One line, like every other error; the usage is one `--help` away.
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("error: bad arguments");
            let tip = text
                .lines()
                .find_map(|l| {
                    l.trim().strip_prefix("tip: ").or_else(|| {
                        l.trim().strip_prefix("[").filter(|t| t.starts_with("possible values")).map(|t| t.trim_end_matches(']'))
                    })
                })
                .map(|t| format!("; {t}"))
                .unwrap_or_default();
            say!("dredge: {}{} (see --help)", crate::printable(first), crate::printable(&tip));
            return Ok(ExitCode::from(2));
        }
    };
    match cli.command {
        Command::Image(a) => {
            let spec = target::parse(a.target.as_deref(), a.input.as_deref()).map_err(|e| anyhow!(e))?;
            if let TargetSpec::Rootfs(d) = &spec {
                if !std::path::Path::new(d).is_dir() {
                    bail!("{d}: no such directory");
                }
                bail!("{d} is a directory, not an image: use `dredge rootfs {d}`");
            }
            let mut o = options(&a.common)?;
            let settings = crate::scanners::Settings {
                secret_config: a.secret.secret_config.clone(),
                misconfig_config: a.secret.misconfig.misconfig_config.clone(),
                policy_dirs: a.secret.misconfig.policy.clone(),
                license_config: a.secret.license.license_config.clone(),
                ignored_licenses: a.secret.license.ignored_licenses.clone(),
                vuln: Some(VulnSetup::new(&a.vuln, &o.cache_dir, Some(o.registry.clone()), o.quiet)),
            };
            o.scanners = build_scanners(&a.secret.scanners, &defs, &settings)?;
            let mut r = scan::scan_image(&spec, &target_name(&a.target, &a.input), &o)?;
            let found = gate(&mut r, &a.vuln.severity);
            warn_all(&r, o.quiet);
            return vuln_report(&r, a.format, a.output.as_ref(), found, a.vuln.exit_code);
        }
        Command::Sbom(a) => {
            let spec = target::parse(a.target.as_deref(), a.input.as_deref()).map_err(|e| anyhow!(e))?;
            let o = options(&a.common)?;
            let r = match &spec {
                TargetSpec::Rootfs(d) => scan::scan_rootfs(d, &[])?,
                _ => scan::scan_image(&spec, &target_name(&a.target, &a.input), &o)?,
            };
            warn_all(&r, o.quiet);
            match a.format {
                SbomFormat::Cyclonedx | SbomFormat::CyclonedxJson => emit_cyclonedx(&r, a.output.as_ref())?,
                SbomFormat::SpdxJson => emit(&dredge_report::to_spdx(&r), a.output.as_ref())?,
                SbomFormat::Json => emit(&dredge_report::to_json(&r), a.output.as_ref())?,
            }
        }
        Command::Rootfs(_) | Command::Fs(_) => {
            let (a, skip) = match cli.command {
                Command::Fs(f) => {
                    let skip = scan::Skip::new(&f.dir.dir, &f.skip_dirs, &f.skip_files)?;
                    (f.dir, Some(skip))
                }
                Command::Rootfs(a) => (a, None),
                _ => unreachable!(),
            };
            let cache = a.cache_dir.clone().unwrap_or_else(default_cache_dir);
            let settings = crate::scanners::Settings {
                secret_config: a.secret_config.clone(),
                misconfig_config: a.misconfig.misconfig_config.clone(),
                policy_dirs: a.misconfig.policy.clone(),
                license_config: a.license.license_config.clone(),
                ignored_licenses: a.license.ignored_licenses.clone(),
                vuln: Some(VulnSetup::new(&a.vuln, &cache, None, a.quiet)),
            };
            let scanners = build_scanners(&a.scanners, &defs, &settings)?;
            let mut r = match &skip {
                Some(sk) => scan::scan_fs(&a.dir, &scanners, sk)?,
                None => scan::scan_rootfs(&a.dir, &scanners)?,
            };
            let found = gate(&mut r, &a.vuln.severity);
            warn_all(&r, a.quiet);
            return vuln_report(&r, a.format, a.output.as_ref(), found, a.vuln.exit_code);
        }
        Command::Config(a) => {
            let settings = crate::scanners::Settings {
                secret_config: None,
                misconfig_config: a.misconfig.misconfig_config.clone(),
                policy_dirs: a.misconfig.policy.clone(),
                ..Default::default()
            };
            let scanners = build_scanners(&["misconfig".to_string()], &defs, &settings)?;
            let skip = scan::Skip::new(&a.path, &a.skip_dirs, &a.skip_files)?;
            let mut r = scan::scan_config(&a.path, &scanners, &skip)?;
            let found = gate(&mut r, &a.severity);
            warn_all(&r, a.quiet);
            return vuln_report(&r, a.format, a.output.as_ref(), found, a.exit_code);
        }
        Command::Clean(a) => {
            let dir = a.cache_dir.unwrap_or_else(default_cache_dir);
            let root = CacheDir::open(&dir)?;
            let cache =
                dredge_layer::LayerCache::open(&root, u64::MAX).with_context(|| format!("opening the cache in {}", dir.display()))?;
            let freed = cache.clear().with_context(|| format!("clearing {}", dir.display()))?;
            // Spooled archives: only the spool's own names, never through a link.
            let tmp = root.subdir("tmp")?;
            for e in std::fs::read_dir(&tmp).into_iter().flatten().flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let ours = (name.starts_with("spool-") || name.starts_with("daemon-")) && name.ends_with(".tar");
                if ours && e.file_type().is_ok_and(|t| t.is_file()) {
                    let _ = std::fs::remove_file(e.path());
                }
            }
            out!("removed {freed} bytes of cached layers from {}", dir.display());
        }
        Command::SbomScan(a) => {
            let text = std::fs::read_to_string(&a.file).with_context(|| format!("reading {}", a.file.display()))?;
            let (inv, skipped) = dredge_report::inventory_from_sbom(&text).map_err(|e| anyhow!("{}: {e}", a.file.display()))?;
            let kind = if text.contains("\"bomFormat\"") { "cyclonedx" } else { "spdx" };
            let t = scan::local_target(&a.file.display().to_string(), "sbom", kind);
            let mut r = ScanReport::new(t, inv, dredge_report::now_rfc3339());
            if skipped > 0 {
                r.notes.push(format!("{skipped} SBOM components are not OS packages dredge matches yet (no purl, or another ecosystem)"));
            }
            let cache = a.cache_dir.clone().unwrap_or_else(default_cache_dir);
            let mut setup = VulnSetup::new(&a.vuln, &cache, None, a.quiet);
            setup.explicit = true;
            let settings = crate::scanners::Settings { vuln: Some(setup), ..Default::default() };
            scan::run_scanners(&mut r, &[vuln_scanner(&settings)?], None, &[], &[])?;
            let found = gate(&mut r, &a.vuln.severity);
            warn_all(&r, a.quiet);
            return vuln_report(&r, a.format, a.output.as_ref(), found, a.vuln.exit_code);
        }
        Command::Db(DbCommand::Build(a)) => {
            let out = match a.output {
                Some(o) => o,
                None => default_db(a.cache_dir)?,
            };
            let sources: Vec<dredge_vulndb::SourceSpec> = a
                .sources
                .iter()
                .map(|s| {
                    let location = dredge_vulndb::update::absolute(&s.display().to_string());
                    // The content fingerprint lets `db update` skip a rebuild when nothing changed.
                    let etag = dredge_vulndb::update::local_fingerprint(s).ok();
                    dredge_vulndb::SourceSpec { location, path: s.clone(), etag, last_modified: None }
                })
                .collect();
            let started = std::time::Instant::now();
            let (st, reports) = dredge_vulndb::build(&out, &sources, &dredge_report::now_rfc3339())?;
            for (s, loaded) in a.sources.iter().zip(&reports) {
                for e in loaded.errors.iter().take(5) {
                    say!("dredge: warning: {e}");
                }
                if loaded.errors.len() > 5 {
                    say!("dredge: warning: {} more unreadable records in {}", loaded.errors.len() - 5, s.display());
                }
            }
            say!(
                "dredge: built {} ({} advisories, {} affected packages) in {:.1}s",
                out.display(),
                st.advisories,
                st.affected_packages,
                started.elapsed().as_secs_f64()
            );
        }
        Command::Db(DbCommand::Update(a)) => {
            let cache = CacheDir::open(&a.cache_dir.unwrap_or_else(default_cache_dir))?;
            let path = match a.db {
                Some(p) => p,
                None => cache.subdir("db")?.join("dredge.db"),
            };
            if let Some(repo) = &a.db_repository {
                // The fast path: a database built elsewhere (the scheduled workflow), one download.
                let key = a.db_public_key.as_deref().map(crate::dbartifact::public_key).transpose()?;
                let st = crate::dbartifact::pull(repo, &path, a.registry.options()?, key.as_deref())?;
                say!("dredge: pulled {repo} into {} ({} advisories, built {})", path.display(), st.advisories, st.built_at);
                return Ok(ExitCode::SUCCESS);
            }
            let mut sources: Vec<String> = a.sources.clone();
            for e in &a.ecosystems {
                match dredge_vulndb::update::named_source(e) {
                    Some(url) => sources.push(url),
                    None => {
                        bail!("--ecosystems {e:?}: not one of the default sources ({})", dredge_vulndb::update::source_names().join(", "))
                    }
                }
            }
            let out = dredge_vulndb::update::update_with(
                &path,
                &sources,
                &cache.subdir("db/sources")?,
                &dredge_report::now_rfc3339(),
                &DownloadProgress::bar_only(),
            )?;
            for f in &out.fetches {
                let url = f.location.starts_with("http://") || f.location.starts_with("https://");
                let what = match (f.downloaded, url) {
                    (true, true) => format!("downloaded ({} bytes)", f.bytes),
                    (true, false) => "changed: read again".into(),
                    (false, _) => "unchanged".into(),
                };
                say!("dredge: {} {what}", f.location);
            }
            say!(
                "dredge: {} {} ({} advisories)",
                path.display(),
                if out.rebuilt { "rebuilt" } else { "is up to date" },
                out.status.advisories
            );
        }
        Command::Db(DbCommand::Push(p)) => {
            let a = p.artifact;
            let cache = CacheDir::open(&a.cache_dir.unwrap_or_else(default_cache_dir))?;
            let path = match a.db {
                Some(p) => p,
                None => cache.subdir("db")?.join("dredge.db"),
            };
            let pushed = crate::dbartifact::push(&path, &a.reference, a.registry.options()?, &cache.subdir("tmp")?, p.sign_key.as_deref())?;
            say!("dredge: pushed {} as {pushed}{}", path.display(), if p.sign_key.is_some() { " (signed)" } else { "" });
        }
        Command::Db(DbCommand::Keygen(k)) => {
            let public = crate::dbartifact::keygen(&k.file)?;
            say!("dredge: wrote the private key to {} and the public key to {}.pub", k.file.display(), k.file.display());
            out!("{public}");
        }
        Command::Db(DbCommand::Pull(p)) => {
            let key = p.db_public_key.as_deref().map(crate::dbartifact::public_key).transpose()?;
            let a = p.artifact;
            let path = match a.db {
                Some(p) => p,
                None => default_db(a.cache_dir)?,
            };
            let st = crate::dbartifact::pull(&a.reference, &path, a.registry.options()?, key.as_deref())?;
            say!("dredge: pulled {} into {} ({} advisories, built {})", a.reference, path.display(), st.advisories, st.built_at);
        }
        Command::Db(DbCommand::Status(a)) => {
            let path = match a.db {
                Some(p) => p,
                None => default_db(a.cache_dir)?,
            };
            let st = dredge_vulndb::Db::open(&path)?.status()?;
            let text = match a.format {
                ImageFormat::Json => serde_json::to_string_pretty(&st)?,
                ImageFormat::Table => db_status_table(&st),
            };
            emit(&text, None)?;
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
        assert_eq!(parse_duration("90"), Ok(std::time::Duration::from_secs(90)));
        assert_eq!(parse_duration("10m"), Ok(std::time::Duration::from_secs(600)));
        assert_eq!(parse_duration("1500ms"), Ok(std::time::Duration::from_millis(1500)));
        assert!(parse_duration("0s").is_err() && parse_duration("5w").is_err());
    }
}
