//! Streams gzip files through the inflater dredge uses (flate2 + zlib-rs, `MultiGzDecoder` over a
//! 256 KiB buffer), one after another on one thread, into nothing: the single-threaded inflate
//! floor `bench/engine.sh` compares a scan with.
//!
//!   cargo run --release -p dredge-layer --example inflate -- FILE.gz...

use std::io::{BufReader, Read};

fn main() -> std::io::Result<()> {
    let mut total = 0u64;
    let mut buf = vec![0u8; 256 << 10];
    for path in std::env::args().skip(1) {
        let f = std::fs::File::open(&path)?;
        let mut d = flate2::bufread::MultiGzDecoder::new(BufReader::with_capacity(256 << 10, f));
        loop {
            let n = d.read(&mut buf)?;
            if n == 0 {
                break;
            }
            total += n as u64;
        }
    }
    std::io::Write::write_all(&mut std::io::stdout(), format!("{total}\n").as_bytes())
}
