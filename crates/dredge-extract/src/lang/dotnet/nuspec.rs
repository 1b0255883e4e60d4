//! A NuGet package's manifest (`*.nuspec`, in the global packages folder
//! `~/.nuget/packages/<id>/<version>/` a restore fills): its declared license, for the NuGet
//! packages the lock files and `*.deps.json` list (they record none). `<license
//! type="expression">` is an SPDX expression; the deprecated `<licenseUrl>` is read where it names
//! a license unambiguously (`licenses.nuget.org/<expression>`, the OSI and Apache pages).

use crate::lang::utf8;
use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::{Ecosystem, Fact};

pub struct Nuspec;

/// The license a `<licenseUrl>` names, when it names one.
fn from_url(url: &str) -> Option<String> {
    let u = url.trim().trim_start_matches("https://").trim_start_matches("http://").trim_start_matches("www.").trim_end_matches('/');
    if let Some(expr) = u.strip_prefix("licenses.nuget.org/") {
        return Some(expr.replace("%20", " "));
    }
    let id = match u {
        "apache.org/licenses/LICENSE-2.0" | "apache.org/licenses/LICENSE-2.0.txt" | "apache.org/licenses/LICENSE-2.0.html" => "Apache-2.0",
        _ => u.strip_prefix("opensource.org/licenses/").map(|s| s.trim_end_matches(".php").trim_end_matches("-license"))?,
    };
    Some(id.to_string())
}

impl Extractor for Nuspec {
    fn name(&self) -> &'static str {
        "lang/dotnet/nuspec"
    }
    fn version(&self) -> u32 {
        1
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Ext(".nuspec")]
    }
    fn max_file_size(&self) -> u64 {
        1 << 20
    }
    fn extract(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        let opts = roxmltree::ParsingOptions { allow_dtd: false, ..Default::default() };
        let doc = roxmltree::Document::parse_with_options(utf8(data)?, opts).map_err(|e| ExtractError::new(format!("invalid XML: {e}")))?;
        let Some(meta) = doc.root_element().children().find(|n| n.tag_name().name() == "metadata") else {
            return Err(ExtractError::new("not a nuspec: no <metadata>"));
        };
        let field = |name: &str| meta.children().find(|n| n.tag_name().name() == name);
        let Some(id) = field("id").and_then(|n| n.text()).map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(Vec::new());
        };
        let license = match field("license") {
            Some(l) if l.attribute("type") == Some("expression") => l.text().map(|t| t.trim().to_string()),
            // `type="file"`: the text is a file inside the package; not read here.
            Some(_) => None,
            None => field("licenseUrl").and_then(|n| n.text()).and_then(from_url),
        };
        Ok(license
            .filter(|l| !l.is_empty())
            .map(|license| Fact::PackageLicense { ecosystem: Ecosystem::NuGet, package: id.to_string(), license })
            .into_iter()
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn license(xml: &str) -> Option<String> {
        match Nuspec.extract("x.nuspec", xml.as_bytes()).ok()?.pop() {
            Some(Fact::PackageLicense { license, .. }) => Some(license),
            _ => None,
        }
    }

    #[test]
    fn expression_and_urls() {
        let ns = r#"<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd"><metadata>"#;
        assert_eq!(
            license(&format!(
                r#"{ns}<id>Newtonsoft.Json</id><version>13.0.1</version><license type="expression">MIT</license></metadata></package>"#
            ))
            .as_deref(),
            Some("MIT")
        );
        assert_eq!(
            license(&format!(
                "{ns}<id>A</id><licenseUrl>https://licenses.nuget.org/Apache-2.0%20OR%20MIT</licenseUrl></metadata></package>"
            ))
            .as_deref(),
            Some("Apache-2.0 OR MIT")
        );
        assert_eq!(
            license(&format!("{ns}<id>A</id><licenseUrl>http://www.apache.org/licenses/LICENSE-2.0</licenseUrl></metadata></package>"))
                .as_deref(),
            Some("Apache-2.0")
        );
        assert_eq!(
            license(&format!("{ns}<id>A</id><licenseUrl>https://opensource.org/licenses/MIT</licenseUrl></metadata></package>")).as_deref(),
            Some("MIT")
        );
        assert_eq!(
            license(&format!("{ns}<id>A</id><licenseUrl>https://github.com/a/b/blob/main/LICENSE</licenseUrl></metadata></package>")),
            None
        );
        assert_eq!(license(&format!(r#"{ns}<id>A</id><license type="file">LICENSE.txt</license></metadata></package>"#)), None);
        assert!(Nuspec.extract("x.nuspec", b"<!DOCTYPE x [<!ENTITY a 'b'>]><package/>").is_err());
        assert!(Nuspec.extract("x.nuspec", b"\xff\xfe").is_err());
    }
}
