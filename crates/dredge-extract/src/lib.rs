//! Every extractor, registered in one list, and the join that turns the merged facts of an image
//! into an [`Inventory`].

use dredge_layer::{Extractor, MergedFile, resolve};
use dredge_model::{Ecosystem, Fact, Inventory, LayerRef, Location, OsInfo, Package, Warning, package_purl};
use std::collections::{BTreeMap, HashMap};

pub mod lang;
pub mod os;

/// The registry: adding a file format is one file and one line here.
pub static EXTRACTORS: &[&dyn Extractor] = &[
    &os::release::OsRelease,
    &os::dpkg::Dpkg,
    &os::dpkg_copyright::DpkgCopyright,
    &os::apk::Apk,
    &os::rpm::RPM_SQLITE,
    &os::rpm::RPM_BDB,
    &os::rpm::RPM_NDB,
    &lang::python::installed::PythonInstalled,
    &lang::python::egg::ZippedEgg,
    &lang::python::requirements::Requirements,
    &lang::python::poetry::PoetryLock,
    &lang::python::pipfile::PipfileLock,
    &lang::python::uv::UvLock,
    &lang::python::pdm::PdmLock,
    &lang::python::conda::CondaMeta,
    &lang::node::node_modules::NodeModules,
    &lang::node::package_lock::PackageLock,
    &lang::node::yarn::YarnLock,
    &lang::node::pnpm::PnpmLock,
    &lang::node::bun::BunLock,
    &lang::java::archive::JavaArchive,
    &lang::java::gradle::GradleLockfile,
    &lang::java::pom::PomXml,
    &lang::golang::binary::GoBinary,
    &lang::golang::gomod::GoMod,
    &lang::rust::cargo_lock::CargoLock,
    &lang::rust::auditable::CargoAuditable,
    &lang::ruby::gemspec::Gemspec,
    &lang::ruby::gemfile_lock::GemfileLock,
    &lang::php::composer::Composer,
    &lang::dotnet::deps_json::DepsJson,
    &lang::dotnet::packages_lock::PackagesLock,
    &lang::dotnet::packages_config::PackagesConfig,
    &lang::dotnet::nuspec::Nuspec,
    &lang::other::pubspec::PubspecLock,
    &lang::other::mix::MixLock,
    &lang::other::swift::PackageResolved,
    &lang::other::cocoapods::PodfileLock,
    &lang::other::conan::ConanLock,
    &lang::other::julia::JuliaManifest,
    &lang::other::bitnami::BitnamiSpdx,
];

/// Which ecosystem each extractor serves (`None` for context extractors such as os-release);
/// used by the docs table and the registry test.
pub fn ecosystem_of(name: &str) -> Option<Ecosystem> {
    match name {
        "os/dpkg" | "os/dpkg/copyright" => Some(Ecosystem::Deb),
        "os/apk" => Some(Ecosystem::Apk),
        n if n.starts_with("os/rpm/") => Some(Ecosystem::Rpm),
        "lang/python/conda-meta" => Some(Ecosystem::Conda),
        n if n.starts_with("lang/python/") => Some(Ecosystem::PyPI),
        n if n.starts_with("lang/node/") => Some(Ecosystem::Npm),
        n if n.starts_with("lang/java/") => Some(Ecosystem::Maven),
        n if n.starts_with("lang/go/") => Some(Ecosystem::Golang),
        n if n.starts_with("lang/rust/") => Some(Ecosystem::Cargo),
        n if n.starts_with("lang/ruby/") => Some(Ecosystem::Gem),
        n if n.starts_with("lang/php/") => Some(Ecosystem::Composer),
        n if n.starts_with("lang/dotnet/") => Some(Ecosystem::NuGet),
        n if n.starts_with("lang/dart/") => Some(Ecosystem::Pub),
        n if n.starts_with("lang/elixir/") => Some(Ecosystem::Hex),
        n if n.starts_with("lang/swift/") => Some(Ecosystem::Swift),
        n if n.starts_with("lang/cocoapods/") => Some(Ecosystem::Cocoapods),
        n if n.starts_with("lang/conan/") => Some(Ecosystem::Conan),
        n if n.starts_with("lang/julia/") => Some(Ecosystem::Julia),
        n if n.starts_with("lang/bitnami/") => Some(Ecosystem::Bitnami),
        _ => None,
    }
}

/// The table of supported files in `docs/supported-formats.md`, generated from [`EXTRACTORS`]
/// (a test keeps the committed file equal to this).
pub fn supported_formats_markdown() -> String {
    let mut out = String::from(
        "# Supported files\n\nGenerated from the extractor registry (`crates/dredge-extract/src/lib.rs`) by \
         `DREDGE_UPDATE_DOCS=1 cargo test -p dredge-extract supported_formats`; do not edit by hand.\n\n\
         | extractor | version | ecosystem | version scheme | files |\n|---|---|---|---|---|\n",
    );
    for e in EXTRACTORS {
        let eco = ecosystem_of(e.name());
        let files: Vec<String> = e.patterns().iter().map(|p| p.describe()).collect();
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            e.name(),
            e.version(),
            eco.map_or("(OS identity)".to_string(), |x| x.describe().to_string()),
            eco.map_or("-", |x| x.version_scheme()),
            files.join(", ")
        ));
    }
    out
}

fn os_from(view: &BTreeMap<String, MergedFile>) -> Option<OsInfo> {
    for file in os::release::RELEASE_FILES {
        let Some((path, mf)) = resolve(view, file) else {
            continue;
        };
        for fact in &mf.facts {
            match fact {
                Fact::OsRelease { fields } => {
                    let id =
                        fields.get("ID").cloned().unwrap_or_else(|| fields.get("NAME").cloned().unwrap_or_default().to_ascii_lowercase());
                    return Some(OsInfo {
                        id,
                        version_id: fields.get("VERSION_ID").cloned(),
                        version_codename: fields.get("VERSION_CODENAME").cloned(),
                        pretty_name: fields.get("PRETTY_NAME").cloned(),
                        id_like: fields.get("ID_LIKE").map(|s| s.split_whitespace().map(str::to_string).collect()).unwrap_or_default(),
                        source_path: format!("/{path}"),
                        end_of_life: None,
                    });
                }
                Fact::OsHint { id, version, pretty_name } => {
                    return Some(OsInfo {
                        id: id.clone(),
                        version_id: version.clone(),
                        pretty_name: pretty_name.clone(),
                        source_path: format!("/{path}"),
                        ..Default::default()
                    });
                }
                _ => {}
            }
        }
    }
    None
}

/// rpm keeps one database; an image that carries two formats (a converted database next to the
/// old file) is read from the newest layer's, and sqlite over ndb over bdb within a layer.
fn rpm_db_rank(path: &str) -> u8 {
    if path.ends_with("rpmdb.sqlite") {
        3
    } else if path.ends_with("Packages.db") {
        2
    } else {
        1
    }
}

/// Joins the merged view into an inventory. `layers[i]` describes layer `i` (empty for a root
/// filesystem directory). `today` (`YYYY-MM-DD`) decides end-of-life warnings.
pub fn assemble(view: &BTreeMap<String, MergedFile>, layers: &[LayerRef], today: &str) -> Inventory {
    let mut inv = Inventory { os: os_from(view), ..Default::default() };
    if let Some(os) = inv.os.as_mut() {
        if let Some(v) = &os.version_id {
            if let Some(eol) = os::release::end_of_life(&os.id, v) {
                if eol <= today {
                    os.end_of_life = Some(eol.to_string());
                    inv.warnings.push(Warning {
                        path: Some(os.source_path.clone()),
                        layer: None,
                        message: format!("{} {} reached end of life on {eol}: it receives no security fixes", os.id, v),
                    });
                }
            }
        }
    }

    let rpm_db = view
        .iter()
        .filter(|(_, mf)| mf.facts.iter().any(|f| matches!(f, Fact::Package(p) if p.ecosystem == Ecosystem::Rpm)))
        .max_by_key(|(p, mf)| (mf.layer, rpm_db_rank(p)))
        .map(|(p, _)| p.clone());

    let mut owned: HashMap<(Ecosystem, &str), &Vec<String>> = HashMap::new();
    let mut licenses: HashMap<(Ecosystem, &str), &String> = HashMap::new();
    for mf in view.values() {
        for f in &mf.facts {
            match f {
                Fact::OwnedFiles { ecosystem, package, files } => {
                    owned.insert((*ecosystem, package.as_str()), files);
                }
                Fact::PackageLicense { ecosystem, package, license } => {
                    licenses.insert((*ecosystem, package.as_str()), license);
                }
                _ => {}
            }
        }
    }

    let mut packages: Vec<Package> = Vec::new();
    for (path, mf) in view {
        for f in &mf.facts {
            if let Fact::Problem { message } = f {
                inv.warnings.push(Warning { path: Some(format!("/{path}")), layer: Some(mf.layer), message: message.clone() });
            }
            let Fact::Package(p) = f else { continue };
            if p.ecosystem == Ecosystem::Rpm && rpm_db.as_deref() != Some(path.as_str()) {
                continue;
            }
            let mut p = (**p).clone();
            if let Some(files) = owned.get(&(p.ecosystem, p.name.as_str())) {
                if p.files.is_empty() {
                    p.files = (*files).clone();
                    p.files.sort();
                }
            }
            if p.license.is_none() {
                p.license = licenses.get(&(p.ecosystem, p.name.as_str())).map(|l| (*l).clone());
            }
            p.location = Some(Location { path: format!("/{path}"), layer: layers.get(mf.layer).cloned() });
            p.purl = package_purl(&p, inv.os.as_ref());
            packages.push(p);
        }
    }
    // A language package whose metadata file an OS package owns is the OS package (the distro
    // patches it and publishes its advisories): report it once, as the OS package.
    // Only the few language-package paths are looked up (the OS packages' file lists are long).
    let lang_paths: std::collections::HashSet<&str> =
        packages.iter().filter(|p| !p.ecosystem.is_os()).filter_map(|p| p.location.as_ref().map(|l| l.path.as_str())).collect();
    let owned_by_os: std::collections::HashSet<String> = if lang_paths.is_empty() {
        Default::default()
    } else {
        packages
            .iter()
            .filter(|p| p.ecosystem.is_os())
            .flat_map(|p| p.files.iter())
            .filter(|f| lang_paths.contains(f.as_str()))
            .cloned()
            .collect()
    };
    packages.retain(|p| p.ecosystem.is_os() || !p.location.as_ref().is_some_and(|l| owned_by_os.contains(&l.path)));
    dredge_model::dedup_packages(&mut packages);
    inv.packages = packages;
    inv
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn supported_formats_doc_is_generated_from_the_registry() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/supported-formats.md");
        let want = supported_formats_markdown();
        if std::env::var_os("DREDGE_UPDATE_DOCS").is_some() {
            std::fs::write(&path, &want).expect("write docs");
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            have, want,
            "docs/supported-formats.md is stale: run DREDGE_UPDATE_DOCS=1 cargo test -p dredge-extract supported_formats"
        );
    }

    #[test]
    fn registry_names_are_unique_and_ecosystems_covered() {
        let names: HashSet<&str> = EXTRACTORS.iter().map(|e| e.name()).collect();
        assert_eq!(names.len(), EXTRACTORS.len(), "duplicate extractor names");
        for eco in Ecosystem::ALL {
            assert!(EXTRACTORS.iter().any(|e| ecosystem_of(e.name()) == Some(*eco)), "no extractor for {eco}");
            assert!(!eco.version_scheme().is_empty());
        }
        for e in EXTRACTORS {
            assert!(!e.patterns().is_empty(), "{} matches nothing", e.name());
        }
    }
}
