//! The build history of an image config as Dockerfile-like steps. `docker build` (classic and
//! BuildKit), buildah and other builders write `created_by` in different forms:
//!
//! - classic: `/bin/sh -c #(nop)  ENV A=b`, `/bin/sh -c apt-get update` (a `RUN`), and
//!   `|2 TOKEN=x B=y /bin/sh -c make` (a `RUN` with build arguments);
//! - BuildKit: `ENV A=b`, `RUN /bin/sh -c apt-get update # buildkit`,
//!   `RUN |1 TOKEN=x /bin/sh -c make # buildkit`, `ADD https://… /x # buildkit`;
//! - anything else (umoci, kaniko comments): kept with no instruction.

use serde_json::Value;

/// Dockerfile instructions a history line can start with.
const INSTRUCTIONS: &[&str] = &[
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// The shells builders prefix a `RUN` with (Linux, and Windows images).
const SHELLS: [&str; 3] = ["/bin/sh -c ", "/bin/bash -c ", "cmd /S /C "];

/// One history entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Position in `history`.
    pub index: usize,
    /// The layer the step created (`None` for `empty_layer` steps).
    pub layer: Option<usize>,
    /// `RUN`, `ENV`, … in upper case; empty when the line is not a Dockerfile instruction.
    pub instruction: String,
    /// What follows the instruction; for `RUN`, the shell command without `/bin/sh -c`.
    pub args: String,
    /// Build arguments a `RUN` saw (`|2 A=1 B=2`), name and value (the value may be a secret:
    /// never print it).
    pub build_args: Vec<(String, String)>,
}

/// The steps of `config["history"]`, each with the layer it made.
pub fn steps(config: &Value) -> Vec<Step> {
    let mut out = Vec::new();
    let mut layer = 0usize;
    for (index, h) in config["history"].as_array().into_iter().flatten().enumerate() {
        let empty = h["empty_layer"].as_bool() == Some(true);
        if let Some(text) = h["created_by"].as_str() {
            let (instruction, args, build_args) = parse(text);
            out.push(Step { index, layer: (!empty).then_some(layer), instruction, args, build_args });
        }
        if !empty {
            layer += 1;
        }
    }
    out
}

/// Splits one `created_by` line.
pub fn parse(line: &str) -> (String, String, Vec<(String, String)>) {
    let line = line.trim();
    let line = line.strip_suffix("# buildkit").unwrap_or(line).trim_end();
    // Classic builder: everything runs through the shell, metadata steps marked `#(nop)`.
    for shell in SHELLS {
        if let Some(rest) = line.strip_prefix(shell) {
            return classic(rest.trim_start());
        }
    }
    if line.starts_with('|') {
        let (build_args, cmd) = run_args(line);
        return ("RUN".into(), cmd, build_args);
    }
    let (word, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let upper = word.to_ascii_uppercase();
    if word == upper && INSTRUCTIONS.contains(&upper.as_str()) {
        let rest = rest.trim();
        if upper == "RUN" {
            let (build_args, cmd) = run_args(rest);
            return (upper, cmd, build_args);
        }
        return (upper, rest.to_string(), Vec::new());
    }
    (String::new(), line.to_string(), Vec::new())
}

fn classic(rest: &str) -> (String, String, Vec<(String, String)>) {
    if let Some(meta) = rest.strip_prefix("#(nop)") {
        let meta = meta.trim();
        let (word, args) = meta.split_once(char::is_whitespace).unwrap_or((meta, ""));
        let upper = word.to_ascii_uppercase();
        if INSTRUCTIONS.contains(&upper.as_str()) {
            return (upper, args.trim().to_string(), Vec::new());
        }
        return (String::new(), meta.to_string(), Vec::new());
    }
    ("RUN".into(), rest.to_string(), Vec::new())
}

/// `|2 A=1 B=2 /bin/sh -c cmd` → (`[A, B]`, `cmd`); a `RUN` without the prefix passes through
/// with its shell stripped.
fn run_args(s: &str) -> (Vec<(String, String)>, String) {
    let mut names = Vec::new();
    let mut rest = s.trim();
    if let Some(r) = rest.strip_prefix('|') {
        let (count, mut r) = r.split_once(char::is_whitespace).unwrap_or((r, ""));
        // The count says how many `NAME=value` pairs follow; never trust it beyond what is there.
        for _ in 0..count.parse::<usize>().unwrap_or(0) {
            r = r.trim_start();
            if r.is_empty() || r.starts_with('/') {
                break;
            }
            let end = r.find(char::is_whitespace).unwrap_or(r.len());
            let (pair, tail) = r.split_at(end);
            if let Some((name, value)) = pair.split_once('=') {
                names.push((name.to_string(), value.to_string()));
            }
            r = tail;
        }
        rest = r.trim_start();
    }
    for shell in SHELLS {
        if let Some(r) = rest.strip_prefix(shell) {
            return (names, r.trim_start().to_string());
        }
    }
    (names, rest.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builder_form() {
        let p = |s: &str| parse(s);
        assert_eq!(p("/bin/sh -c #(nop)  ENV PATH=/usr/bin"), ("ENV".into(), "PATH=/usr/bin".into(), vec![]));
        assert_eq!(p("/bin/sh -c #(nop) ADD file:0a1b in / "), ("ADD".into(), "file:0a1b in /".into(), vec![]));
        assert_eq!(p("/bin/sh -c apt-get update"), ("RUN".into(), "apt-get update".into(), vec![]));
        assert_eq!(
            p("|2 TOKEN=abc MODE=x /bin/sh -c make"),
            ("RUN".into(), "make".into(), vec![("TOKEN".into(), "abc".into()), ("MODE".into(), "x".into())])
        );
        assert_eq!(p("RUN /bin/sh -c apk add curl # buildkit"), ("RUN".into(), "apk add curl".into(), vec![]));
        assert_eq!(
            p("RUN |1 NPM_TOKEN=s3cr3t /bin/sh -c npm ci # buildkit"),
            ("RUN".into(), "npm ci".into(), vec![("NPM_TOKEN".into(), "s3cr3t".into())])
        );
        assert_eq!(p("USER app"), ("USER".into(), "app".into(), vec![]));
        assert_eq!(p("EXPOSE map[22/tcp:{}]"), ("EXPOSE".into(), "map[22/tcp:{}]".into(), vec![]));
        assert_eq!(p("ADD https://example.com/x.tgz /opt/ # buildkit"), ("ADD".into(), "https://example.com/x.tgz /opt/".into(), vec![]));
        assert_eq!(p("debootstrap bookworm (base)"), (String::new(), "debootstrap bookworm (base)".into(), vec![]));
        // A lower-case word is not an instruction.
        assert_eq!(p("run something").0, "");
        // A truncated build-argument prefix does not panic.
        assert_eq!(p("|9 A=1").0, "RUN");
        assert_eq!(p("|").0, "RUN");
        // A count far beyond the pairs present (found by the fuzzer: it looped 4·10¹⁰ times).
        let t = std::time::Instant::now();
        assert_eq!(p("|42949672961 NPM_TOKEN=x /bin/sh -c true"), ("RUN".into(), "true".into(), vec![("NPM_TOKEN".into(), "x".into())]));
        assert_eq!(p("|18446744073709551615 ").0, "RUN");
        assert!(t.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn layers_skip_empty_steps() {
        let c = serde_json::json!({"history": [
            {"created_by": "/bin/sh -c #(nop) ADD file:x in /"},
            {"created_by": "/bin/sh -c #(nop)  CMD [\"sh\"]", "empty_layer": true},
            {"created_by": "/bin/sh -c apk add x"},
            {"comment": "no created_by"}
        ]});
        let s = steps(&c);
        assert_eq!(s.iter().map(|s| (s.index, s.layer)).collect::<Vec<_>>(), vec![(0, Some(0)), (1, None), (2, Some(1))]);
    }
}
