//! The default license classification, after Google's license classification (the usual
//! reference: github.com/google/licenseclassifier `license_type.go`), by SPDX id or id family,
//! and the category of a whole expression (`OR`: the licensee picks the least constraining;
//! `AND`: all apply, so the most constraining counts).

use dredge_model::license::Category;
use std::collections::BTreeMap;

/// `(id or family prefix ending in '-', category)`; an exact id wins over a family.
pub const TABLE: &[(&str, Category)] = &[
    // Forbidden: network copyleft, non-commercial and source-available licenses.
    ("AGPL-", Category::Forbidden),
    ("CC-BY-NC-", Category::Forbidden),
    ("LicenseRef-Commons-Clause", Category::Forbidden),
    ("PolyForm-Noncommercial-", Category::Forbidden),
    ("PolyForm-Strict-", Category::Forbidden),
    ("LicenseRef-Proprietary", Category::Unknown),
    ("Facebook-2-Clause", Category::Forbidden),
    ("Facebook-3-Clause", Category::Forbidden),
    ("Facebook-Examples", Category::Forbidden),
    ("WTFPL", Category::Forbidden),
    ("SSPL-1.0", Category::Forbidden),
    ("BUSL-1.1", Category::Forbidden),
    ("Elastic-2.0", Category::Forbidden),
    // Restricted: strong copyleft.
    ("GPL-", Category::Restricted),
    ("LGPL-", Category::Restricted),
    ("LGPLLR", Category::Restricted),
    ("GFDL-", Category::Restricted),
    ("BCL", Category::Restricted),
    ("CC-BY-ND-", Category::Restricted),
    ("CC-BY-SA-", Category::Restricted),
    ("NPL-1.0", Category::Restricted),
    ("NPL-1.1", Category::Restricted),
    ("OSL-", Category::Restricted),
    ("QPL-1.0", Category::Restricted),
    ("Sleepycat", Category::Restricted),
    ("eCos-2.0", Category::Restricted),
    ("CECILL-2.1", Category::Restricted),
    ("EUPL-", Category::Restricted),
    // Reciprocal: weak, file-level copyleft.
    ("APSL-", Category::Reciprocal),
    ("CDDL-", Category::Reciprocal),
    ("CPL-1.0", Category::Reciprocal),
    ("EPL-", Category::Reciprocal),
    ("ErlPL-1.1", Category::Reciprocal),
    ("FreeImage", Category::Reciprocal),
    ("IPL-1.0", Category::Reciprocal),
    ("MPL-", Category::Reciprocal),
    ("Ruby", Category::Reciprocal),
    ("CECILL-C", Category::Reciprocal),
    // Notice: permissive, with a notice to keep.
    ("AFL-", Category::Notice),
    ("Apache-", Category::Notice),
    ("Artistic-", Category::Notice),
    ("BSL-1.0", Category::Notice),
    ("BSD-", Category::Notice),
    ("CC-BY-1.0", Category::Notice),
    ("CC-BY-2.0", Category::Notice),
    ("CC-BY-2.5", Category::Notice),
    ("CC-BY-3.0", Category::Notice),
    ("CC-BY-4.0", Category::Notice),
    ("FTL", Category::Notice),
    ("HPND", Category::Notice),
    ("ICU", Category::Notice),
    ("IJG", Category::Notice),
    ("ISC", Category::Notice),
    ("ImageMagick", Category::Notice),
    ("Libpng", Category::Notice),
    ("libpng-2.0", Category::Notice),
    ("LPL-1.02", Category::Notice),
    ("MIT", Category::Notice),
    ("MIT-", Category::Notice),
    ("MS-PL", Category::Notice),
    ("NCSA", Category::Notice),
    ("OLDAP-", Category::Notice),
    ("OpenSSL", Category::Notice),
    ("PHP-3.0", Category::Notice),
    ("PHP-3.01", Category::Notice),
    ("PostgreSQL", Category::Notice),
    ("PSF-2.0", Category::Notice),
    ("Python-2.0", Category::Notice),
    ("Python-2.0.1", Category::Notice),
    ("SSLeay-standalone", Category::Notice),
    ("TCP-wrappers", Category::Notice),
    ("Unicode-", Category::Notice),
    ("W3C", Category::Notice),
    ("W3C-", Category::Notice),
    ("X11", Category::Notice),
    ("Xnet", Category::Notice),
    ("ZPL-2.0", Category::Notice),
    ("ZPL-2.1", Category::Notice),
    ("Zlib", Category::Notice),
    ("zlib-acknowledgement", Category::Notice),
    ("curl", Category::Notice),
    ("bzip2-1.0.6", Category::Notice),
    ("OFL-1.1", Category::Notice),
    ("Vim", Category::Notice),
    ("GPL-2.0-with-classpath-exception", Category::Restricted),
    // Permissive: no conditions worth a notice.
    ("MIT-0", Category::Permissive),
    ("BlueOak-1.0.0", Category::Permissive),
    ("FSFAP", Category::Permissive),
    ("FSFUL", Category::Permissive),
    ("FSFULLR", Category::Permissive),
    // Unencumbered: public domain and its equivalents.
    ("CC0-1.0", Category::Unencumbered),
    ("Unlicense", Category::Unencumbered),
    ("0BSD", Category::Unencumbered),
    ("LicenseRef-Public-Domain", Category::Unencumbered),
];

/// How constraining a category is, for combining (`Unknown` needs reading, so it outranks the
/// permissive classes).
fn rank(c: Category) -> u8 {
    match c {
        Category::Unencumbered => 0,
        Category::Permissive => 1,
        Category::Notice => 2,
        Category::Unknown => 3,
        Category::Reciprocal => 4,
        Category::Restricted => 5,
        Category::Forbidden => 6,
    }
}

/// The classification: the default table with the config's overrides by license id.
#[derive(Debug, Clone, Default)]
pub struct Classifier {
    pub overrides: BTreeMap<String, Category>,
}

impl Classifier {
    /// The category of one license id (`GPL-2.0-or-later`, `LicenseRef-Foo`).
    pub fn id(&self, id: &str) -> Category {
        if let Some(c) = self.overrides.get(id).or_else(|| self.overrides.iter().find(|(k, _)| k.eq_ignore_ascii_case(id)).map(|(_, v)| v))
        {
            return *c;
        }
        let id = id.trim_end_matches('+');
        if let Some((_, c)) = TABLE.iter().find(|(k, _)| !k.ends_with('-') && *k == id) {
            return *c;
        }
        TABLE
            .iter()
            .filter(|(k, _)| k.ends_with('-') && id.starts_with(k))
            .max_by_key(|(k, _)| k.len())
            .map_or(Category::Unknown, |(_, c)| *c)
    }

    /// The category of an SPDX expression, and of each license in it.
    pub fn expression(&self, expr: &str) -> (Category, Vec<(String, Category)>) {
        let Ok(e) =
            spdx::Expression::parse_mode(expr, spdx::ParseMode { allow_unknown: true, allow_deprecated: true, ..spdx::ParseMode::STRICT })
        else {
            return (Category::Unknown, vec![(expr.to_string(), Category::Unknown)]);
        };
        let mut each = Vec::new();
        let mut stack: Vec<Category> = Vec::new();
        for node in e.iter() {
            match node {
                spdx::expression::ExprNode::Req(r) => {
                    let name = match &r.req.license {
                        spdx::LicenseItem::Spdx { id, or_later } => {
                            if *or_later && !id.name.ends_with("-or-later") {
                                format!("{}+", id.name)
                            } else {
                                id.name.to_string()
                            }
                        }
                        spdx::LicenseItem::Other(o) => format!("LicenseRef-{}", o.lic_ref),
                    };
                    let c = self.id(&name);
                    each.push((name, c));
                    stack.push(c);
                }
                spdx::expression::ExprNode::Op(op) => {
                    let (Some(b), Some(a)) = (stack.pop(), stack.pop()) else { return (Category::Unknown, each) };
                    let pick = match op {
                        spdx::expression::Operator::Or => std::cmp::min_by_key(a, b, |c| rank(*c)),
                        spdx::expression::Operator::And => std::cmp::max_by_key(a, b, |c| rank(*c)),
                    };
                    stack.push(pick);
                }
            }
        }
        (stack.pop().unwrap_or(Category::Unknown), each)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_families() {
        let c = Classifier::default();
        assert_eq!(c.id("MIT"), Category::Notice);
        assert_eq!(c.id("MIT-0"), Category::Permissive);
        assert_eq!(c.id("GPL-2.0-or-later"), Category::Restricted);
        assert_eq!(c.id("LGPL-2.1-only"), Category::Restricted);
        assert_eq!(c.id("AGPL-3.0-only"), Category::Forbidden);
        assert_eq!(c.id("MPL-2.0"), Category::Reciprocal);
        assert_eq!(c.id("CC-BY-SA-4.0"), Category::Restricted);
        assert_eq!(c.id("CC-BY-NC-4.0"), Category::Forbidden);
        assert_eq!(c.id("CC-BY-4.0"), Category::Notice);
        assert_eq!(c.id("CC0-1.0"), Category::Unencumbered);
        assert_eq!(c.id("LicenseRef-Public-Domain"), Category::Unencumbered);
        assert_eq!(c.id("LicenseRef-Custom"), Category::Unknown);
        assert_eq!(c.id("Apache-2.0+"), Category::Notice);
    }

    #[test]
    fn expressions_pick_the_least_constraining_choice_and_the_most_constraining_conjunct() {
        let c = Classifier::default();
        assert_eq!(c.expression("MIT OR GPL-2.0-only").0, Category::Notice);
        assert_eq!(c.expression("MIT AND GPL-2.0-only").0, Category::Restricted);
        assert_eq!(c.expression("(MIT OR AGPL-3.0-only) AND MPL-2.0").0, Category::Reciprocal);
        assert_eq!(c.expression("GPL-2.0-or-later WITH Classpath-exception-2.0").0, Category::Restricted);
        assert_eq!(c.expression("MIT AND LicenseRef-Foo").0, Category::Unknown);
        assert_eq!(c.expression("not ( an expression").0, Category::Unknown);
        let (_, each) = c.expression("Apache-2.0 OR MIT");
        assert_eq!(each, vec![("Apache-2.0".to_string(), Category::Notice), ("MIT".to_string(), Category::Notice)]);
    }

    #[test]
    fn overrides_win() {
        let mut c = Classifier::default();
        c.overrides.insert("GPL-2.0-only".into(), Category::Forbidden);
        c.overrides.insert("LicenseRef-Custom".into(), Category::Permissive);
        assert_eq!(c.id("GPL-2.0-only"), Category::Forbidden);
        assert_eq!(c.id("GPL-2.0-or-later"), Category::Restricted);
        assert_eq!(c.expression("MIT AND LicenseRef-Custom").0, Category::Notice);
    }
}
