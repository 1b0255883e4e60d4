//! Zipped eggs (`name-1.0-py3.8.egg`, setuptools' old binary format): the core metadata in
//! `EGG-INFO/PKG-INFO` inside the zip. Unzipped eggs are directories read by `installed.rs`.

use dredge_layer::{ExtractError, Extractor, Pattern};
use dredge_model::Fact;
use std::io::{Cursor, Read};

pub struct ZippedEgg;

impl Extractor for ZippedEgg {
    fn name(&self) -> &'static str {
        "lang/python/egg"
    }
    fn version(&self) -> u32 {
        1
    }
    fn patterns(&self) -> &'static [Pattern] {
        &[Pattern::Ext(".egg")]
    }
    fn max_file_size(&self) -> u64 {
        64 << 20
    }
    fn extract(&self, _path: &str, data: &[u8]) -> Result<Vec<Fact>, ExtractError> {
        let mut zip = zip::ZipArchive::new(Cursor::new(data)).map_err(|e| ExtractError::new(format!("not a readable zip archive: {e}")))?;
        let mut f = zip.by_name("EGG-INFO/PKG-INFO").map_err(|_| ExtractError::new("no EGG-INFO/PKG-INFO: not an egg"))?;
        let mut meta = Vec::new();
        f.by_ref().take(1 << 20).read_to_end(&mut meta).map_err(|e| ExtractError::new(format!("EGG-INFO/PKG-INFO: {e}")))?;
        super::installed::metadata(&meta).map(|p| vec![Fact::Package(Box::new(p))])
    }
}
