//! NuGet `packages.config` (XML, .NET Framework projects): `<package id version
//! developmentDependency>`.

use crate::lang::{facts, utf8};
use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{Ecosystem, Fact, Package};

pub struct PackagesConfig;

impl Extractor for PackagesConfig {
    fn name(&self) -> &'static str {
        "lang/dotnet/packages-config"
    }
    fn version(&self) -> u32 {
        1
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Named("packages.config", "")]
    }
    fn max_file_size(&self) -> u64 {
        8 << 20
    }
    fn extract(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        let doc = roxmltree::Document::parse(utf8(data)?).map_err(|e| ExtractError::new(format!("invalid XML: {e}")))?;
        if doc.root_element().tag_name().name() != "packages" {
            return Err(ExtractError::new("not a packages.config: the root element is not <packages>"));
        }
        Ok(facts(doc.root_element().children().filter(|n| n.has_tag_name("package")).filter_map(|n| {
            let mut p = Package::locked(Ecosystem::NuGet, n.attribute("id")?, n.attribute("version")?);
            p.dev = n.attribute("developmentDependency") == Some("true");
            p.direct = Some(true);
            Some(p)
        })))
    }
}
