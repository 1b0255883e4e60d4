//! `dredge-fuzz`: runs the fuzz targets of this crate on mutations of the corpus in `fuzz/corpus`.
//!
//! ```text
//! dredge-fuzz run [TARGET...] [--seconds N] [--seed N] [--corpus DIR] [--crashes DIR]
//! dredge-fuzz repro TARGET FILE [--path P]
//! dredge-fuzz seed DIR          # writes the seed corpus (from the test builders and fixtures)
//! ```
//!
//! Every input is run under `catch_unwind`; a panic, an input that takes longer than 20 s, or a
//! process that grows past 2 GiB is a failure: the input is written to the crashes directory and
//! the run exits 1 after the time is up (a hang exits at once). Without coverage feedback this is
//! a mutation fuzzer, not libFuzzer; the targets are plain functions a cargo-fuzz driver can call.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use dredge_fuzz::{Rng, TARGETS, mutate, path_of, run};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const HANG: Duration = Duration::from_secs(20);
const MAX_RSS_KB: u64 = 2 << 20;

struct Args {
    cmd: String,
    targets: Vec<String>,
    seconds: u64,
    seed: u64,
    corpus: PathBuf,
    crashes: PathBuf,
    path: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut a = Args {
        cmd: String::new(),
        targets: Vec::new(),
        seconds: 10,
        seed: std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1) | 1,
        corpus: root.join("corpus"),
        crashes: root.join("crashes"),
        path: None,
    };
    let mut it = std::env::args().skip(1);
    a.cmd = it.next().ok_or("usage: dredge-fuzz run|repro|seed ...")?;
    while let Some(x) = it.next() {
        let mut val = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match x.as_str() {
            "--seconds" => a.seconds = val("--seconds")?.parse().map_err(|e| format!("--seconds: {e}"))?,
            "--seed" => a.seed = val("--seed")?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--corpus" => a.corpus = PathBuf::from(val("--corpus")?),
            "--crashes" => a.crashes = PathBuf::from(val("--crashes")?),
            "--path" => a.path = Some(val("--path")?),
            t => a.targets.push(t.to_string()),
        }
    }
    Ok(a)
}

/// The corpus of a target: (file name, bytes).
fn load(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| Some((e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).ok()?)))
        .collect();
    v.sort();
    v
}

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("VmRSS:").and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())))
        .unwrap_or(0)
}

fn save(crashes: &Path, target: &str, name: &str, data: &[u8], why: &str) -> PathBuf {
    let _ = std::fs::create_dir_all(crashes);
    let mut h: u64 = 0xcbf29ce484222325;
    for b in data {
        h = (h ^ u64::from(*b)).wrapping_mul(0x100000001b3);
    }
    let p = crashes.join(format!("{target}-{h:016x}-{name}"));
    let _ = std::fs::write(&p, data);
    eprintln!("dredge-fuzz: {target}: {why}; input saved as {}", p.display());
    p
}

fn fuzz(a: &Args) -> Result<bool, String> {
    let targets: Vec<String> = if a.targets.is_empty() { TARGETS.iter().map(|t| t.to_string()).collect() } else { a.targets.clone() };
    // Panics are expected and caught: keep their messages, not the default hook's noise.
    let last_panic = Arc::new(Mutex::new(String::new()));
    {
        let lp = last_panic.clone();
        std::panic::set_hook(Box::new(move |info| {
            if let Ok(mut m) = lp.lock() {
                *m = info.to_string();
            }
        }));
    }
    // A watchdog: an input running longer than HANG is saved and the process exits.
    let started = Arc::new(AtomicU64::new(0));
    let current: Arc<Mutex<(String, String, Vec<u8>)>> = Arc::new(Mutex::new(Default::default()));
    {
        let (w_started, w_current, w_crashes) = (started.clone(), current.clone(), a.crashes.clone());
        let epoch = Instant::now();
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(Duration::from_millis(500));
                let s = w_started.load(Ordering::Relaxed);
                if s != 0 && epoch.elapsed().as_millis() as u64 > s + HANG.as_millis() as u64 {
                    if let Ok(c) = w_current.lock() {
                        save(&w_crashes, &c.0, &c.1, &c.2, &format!("an input ran longer than {HANG:?} (a hang)"));
                    }
                    std::process::exit(1);
                }
            }
        });
        let epoch2 = epoch;
        let mut ok = true;
        for t in &targets {
            if !TARGETS.contains(&t.as_str()) {
                return Err(format!("unknown target {t:?} (targets: {})", TARGETS.join(", ")));
            }
            let corpus = load(&a.corpus.join(t));
            if corpus.is_empty() {
                return Err(format!("no corpus for {t} in {} (dredge-fuzz seed {})", a.corpus.display(), a.corpus.display()));
            }
            let mut rng = Rng(a.seed ^ (t.len() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let deadline = Instant::now() + Duration::from_secs(a.seconds);
            let (mut runs, mut crashes) = (0u64, 0u64);
            let t0 = Instant::now();
            while Instant::now() < deadline {
                let (name, seed) = &corpus[rng.below(corpus.len())];
                let other = &corpus[rng.below(corpus.len())].1;
                // Now and then the seed itself, unmutated.
                let input = if runs < corpus.len() as u64 { seed.clone() } else { mutate(&mut rng, seed, other) };
                let path = path_of(name);
                if let Ok(mut c) = current.lock() {
                    *c = (t.clone(), name.clone(), input.clone());
                }
                started.store(epoch2.elapsed().as_millis() as u64 + 1, Ordering::Relaxed);
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(t, &path, &input)));
                started.store(0, Ordering::Relaxed);
                runs += 1;
                if r.is_err() {
                    crashes += 1;
                    let msg = last_panic.lock().map(|m| m.clone()).unwrap_or_default();
                    save(&a.crashes, t, name, &input, &format!("panic: {msg}"));
                }
                if runs % 64 == 0 && rss_kb() > MAX_RSS_KB {
                    save(&a.crashes, t, name, &input, &format!("memory grew past {} MiB", MAX_RSS_KB >> 10));
                    return Ok(false);
                }
            }
            println!(
                "dredge-fuzz: {t}: {runs} inputs in {:.0} s ({:.0}/s), {crashes} crashes, corpus {} files, seed {}",
                t0.elapsed().as_secs_f64(),
                runs as f64 / t0.elapsed().as_secs_f64().max(0.001),
                corpus.len(),
                a.seed
            );
            ok &= crashes == 0;
        }
        Ok(ok)
    }
}

fn main() -> std::process::ExitCode {
    let a = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("dredge-fuzz: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let result = match a.cmd.as_str() {
        "run" => fuzz(&a),
        "repro" => match (a.targets.first(), a.targets.get(1)) {
            (Some(t), Some(f)) => std::fs::read(f).map_err(|e| format!("{f}: {e}")).map(|data| {
                let name = Path::new(f).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                run(t, &a.path.clone().unwrap_or_else(|| path_of(&name)), &data);
                true
            }),
            _ => Err("usage: dredge-fuzz repro TARGET FILE [--path P]".into()),
        },
        "seed" => {
            a.targets.first().ok_or_else(|| "usage: dredge-fuzz seed DIR".to_string()).and_then(|d| seed::write(Path::new(d))).map(|_| true)
        }
        c => Err(format!("unknown command {c:?}: run, repro or seed")),
    };
    match result {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::from(1),
        Err(e) => {
            eprintln!("dredge-fuzz: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

mod seed;
