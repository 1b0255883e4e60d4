//! The checks of a Dockerfile: the image checks where a Dockerfile says the same thing as an
//! image's history (user, health check, ports, `RUN` commands, secrets, base image), and the
//! checks only a Dockerfile can answer (stages, `COPY --from`, instruction forms).

use crate::dockerfile::{Dockerfile, Instr, Stage, arg_pairs};
use crate::image::{SENSITIVE_PORTS, secret_name, unpinned_reference};
use crate::run::{RunCtx, check_run, has_pipe, shorten};

/// `(check id, line, evidence)`.
pub type DfHit = (&'static str, usize, String);

/// Directories a `WORKDIR` must not be: the kernel's and the boot loader's.
const SYSTEM_DIRS: &[&str] = &["/proc", "/sys", "/dev", "/boot", "/initrd", "/lost+found"];

/// Archives `ADD` unpacks (the one thing `COPY` cannot do).
const ARCHIVES: &[&str] =
    &[".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tbz", ".tar.xz", ".txz", ".tar.zst", ".tzst", ".tar.lz", ".tar.lzma"];

/// The stages that make up the final image: the last stage and the stages it is built `FROM`.
fn final_chain(df: &Dockerfile) -> Vec<&Stage> {
    let mut chain = Vec::new();
    let mut at = df.stages.len().checked_sub(1);
    while let Some(i) = at {
        let Some(s) = df.stages.get(i) else { break };
        chain.push(s);
        if chain.len() > df.stages.len() {
            break;
        }
        let base = s.base_resolved.as_deref().unwrap_or(&s.base);
        at = df.stages[..i].iter().rposition(|p| p.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(base)));
    }
    chain
}

/// Everything the checks find in `df`.
pub fn check_dockerfile(df: &Dockerfile) -> Vec<DfHit> {
    let mut out: Vec<DfHit> = Vec::new();
    let Some(last) = df.stages.last() else { return out };
    let chain = final_chain(df);
    // The final image's instructions, base stage first.
    let final_instrs: Vec<&Instr> = chain.iter().rev().flat_map(|s| s.instructions.iter()).filter(|i| !i.onbuild).collect();

    // DRG-IMG-001: the user the container starts as.
    match final_instrs.iter().rev().find(|i| i.keyword == "USER") {
        Some(u) => {
            if crate::run::is_root_user(&u.text) {
                out.push(("DRG-IMG-001", u.line, format!("USER {}", u.text.trim())));
            }
        }
        None => out.push((
            "DRG-IMG-001",
            last.line,
            "no USER in the final stage: runs as the base image's user, root unless the base sets one".into(),
        )),
    }

    // DRG-IMG-002: a health check in the final image.
    match final_instrs.iter().rev().find(|i| i.keyword == "HEALTHCHECK") {
        Some(h) if h.none => out.push(("DRG-IMG-002", h.line, "HEALTHCHECK NONE".into())),
        Some(_) => {}
        None => out.push(("DRG-IMG-002", last.line, "no HEALTHCHECK in the final stage".into())),
    }

    // Ports: sensitive ones in the final image (DRG-IMG-003), invalid ones anywhere (DRG-DF-003).
    for s in &df.stages {
        for i in s.instructions.iter().filter(|i| i.keyword == "EXPOSE") {
            for p in &i.words {
                let num = p.split('/').next().unwrap_or(p);
                if num.contains('$') {
                    continue;
                }
                let (lo, hi) = num.split_once('-').unwrap_or((num, num));
                match (lo.parse::<u64>(), hi.parse::<u64>()) {
                    (Ok(lo), Ok(hi)) if lo <= 65535 && hi <= 65535 && lo <= hi => {
                        let ships = chain.iter().any(|c| std::ptr::eq(*c, s)) && !i.onbuild;
                        if let Some((port, what)) = SENSITIVE_PORTS.iter().find(|(q, _)| (lo..=hi).contains(&u64::from(*q))) {
                            if ships {
                                out.push(("DRG-IMG-003", i.line, format!("EXPOSE {p} ({what}, port {port})")));
                            }
                        }
                    }
                    _ => out.push(("DRG-DF-003", i.line, format!("EXPOSE {p}: not a port number (0-65535)"))),
                }
            }
        }
    }

    // Secret-looking names with a value (DRG-IMG-016): the Dockerfile itself holds the value.
    let all = || df.global.iter().chain(df.stages.iter().flat_map(|s| s.instructions.iter()));
    let pip_no_cache = all().any(|i| {
        i.keyword == "ENV"
            && arg_pairs(i.keyword, &i.text)
                .iter()
                .any(|(n, v)| n == "PIP_NO_CACHE_DIR" && !matches!(v.as_deref(), None | Some("" | "0" | "false" | "off" | "no")))
    });
    for i in &df.global {
        secret_pairs(i, &mut out);
    }
    let mut wget_runs: Vec<usize> = Vec::new();
    let mut curl_run: Option<usize> = None;
    let mut names: Vec<(&str, usize)> = Vec::new();
    for (si, s) in df.stages.iter().enumerate() {
        // DRG-IMG-017: the base image, unless it is another stage or nothing.
        let base = s.base_resolved.as_deref();
        let is_stage = df.stages[..si].iter().any(|p| p.name.as_deref().is_some_and(|n| Some(n) == base.or(Some(&s.base))));
        if let Some(b) = base {
            if !is_stage && !b.eq_ignore_ascii_case("scratch") && !b.is_empty() && unpinned_reference(b) {
                out.push(("DRG-IMG-017", s.line, if b == s.base { format!("FROM {b}") } else { format!("FROM {} (= {b})", s.base) }));
            }
        }
        // DRG-DF-006: a stage name used twice.
        if let Some(n) = &s.name {
            match names.iter().find(|(m, _)| m.eq_ignore_ascii_case(n)) {
                Some((_, first)) => out.push(("DRG-DF-006", s.line, format!("stage name {n} already used at line {first}"))),
                None => names.push((n, s.line)),
            }
        }
        // Windows images run RUN with cmd (or the SHELL set): the POSIX command checks do not apply.
        let windows = base.unwrap_or(&s.base).to_ascii_lowercase();
        let windows =
            ["mcr.microsoft.com/windows", "/nanoserver", "/servercore", "mcr.microsoft.com/powershell"].iter().any(|w| windows.contains(w));
        let mut shell_posix = !windows;
        let mut shell_pipefail = false;
        let mut counts = [("CMD", 0usize, "DRG-DF-007"), ("ENTRYPOINT", 0, "DRG-DF-002"), ("HEALTHCHECK", 0, "DRG-DF-009")];
        for i in &s.instructions {
            if let Some(c) = counts.iter_mut().find(|c| c.0 == i.keyword && !i.onbuild) {
                c.1 += 1;
                if c.1 == 2 {
                    out.push((c.2, i.line, format!("a second {} in this stage: only the last one takes effect", c.0)));
                }
            }
            match i.keyword {
                "SHELL" => {
                    let prog = i.words.first().map(String::as_str).unwrap_or("");
                    let prog = prog.rsplit(['/', '\\']).next().unwrap_or(prog).to_ascii_lowercase();
                    shell_posix = !["pwsh", "powershell", "cmd", "pwsh.exe", "powershell.exe", "cmd.exe"].contains(&prog.as_str());
                    shell_pipefail = i
                        .words
                        .windows(2)
                        .any(|w| w[0].starts_with('-') && !w[0].starts_with("--") && w[0].ends_with('o') && w[1] == "pipefail");
                }
                "RUN" => {
                    let script = run_script(i);
                    let secret_mount = i
                        .flags
                        .iter()
                        .any(|(n, v)| n == "mount" && v.as_deref().is_some_and(|v| v.split(',').any(|kv| kv == "type=secret")));
                    let cx = RunCtx { pip_no_cache, secret_mount };
                    if shell_posix || i.exec {
                        let u = check_run(&script, cx, &mut |id, evidence| out.push((id, i.line, evidence)));
                        if u.wget {
                            wget_runs.push(i.line);
                        }
                        curl_run = curl_run.or(u.curl.then_some(i.line));
                    }
                    // DRG-DF-013: a pipe without pipefail (POSIX shells, shell form).
                    if !i.exec && shell_posix && !shell_pipefail && has_pipe(&script) && !sets_pipefail(&script) {
                        let piped = script.lines().find(|l| has_pipe(l)).unwrap_or(&script);
                        out.push(("DRG-DF-013", i.line, crate::run::redact(&shorten(piped))));
                    }
                }
                "ADD" => add_checks(i, &mut out),
                "COPY" => copy_checks(df, si, s, i, &mut out),
                "WORKDIR" => {
                    let p = i.text.trim().trim_matches(['"', '\'']);
                    let windows = p.len() >= 3 && p.as_bytes()[1] == b':' && p.as_bytes()[0].is_ascii_alphabetic();
                    let absolute = p.starts_with('/') || p.starts_with('$') || windows || p.starts_with('\\');
                    if !absolute {
                        out.push(("DRG-DF-004", i.line, format!("WORKDIR {p}")));
                    } else if SYSTEM_DIRS.iter().any(|d| p == *d || p.starts_with(&format!("{d}/"))) {
                        out.push(("DRG-DF-011", i.line, format!("WORKDIR {p}")));
                    }
                }
                "CMD" | "ENTRYPOINT" if !i.exec => {
                    out.push(("DRG-DF-012", i.line, crate::run::redact(&shorten(&format!("{} {}", i.keyword, i.text)))));
                }
                "MAINTAINER" => out.push(("DRG-IMG-026", i.line, shorten(&format!("MAINTAINER {}", i.text)))),
                "ENV" | "ARG" => secret_pairs(i, &mut out),
                _ => {}
            }
        }
    }
    if let Some(c) = curl_run {
        for l in wget_runs {
            out.push(("DRG-IMG-025", l, format!("wget here, curl at line {c}")));
        }
    }
    out.sort_by(|a, b| (a.1, a.0).cmp(&(b.1, b.0)));
    out.dedup();
    out
}

/// DRG-IMG-016: `ARG`/`ENV` names that look like secrets. With a value in the file the file holds
/// it; without one (`ARG GITHUB_TOKEN`) the value comes with `--build-arg` and the history of
/// every later `RUN` records it (`|1 GITHUB_TOKEN=…`), as hadolint's DL3064 says; `ENV
/// TOKEN=$TOKEN` copies it into the image config for good.
fn secret_pairs(i: &Instr, out: &mut Vec<DfHit>) {
    for (name, value) in arg_pairs(i.keyword, &i.text) {
        if secret_name(&name) {
            let shown = match value.as_deref() {
                Some(v) if v.starts_with('$') => format!("{} {name}={v}", i.keyword),
                Some(v) if !v.is_empty() => format!("{} {name}=…", i.keyword),
                // `ENV NPM_TOKEN=` clears a token: nothing stored.
                _ if i.keyword != "ARG" => continue,
                _ => format!("{} {name} (set with --build-arg, recorded in the history)", i.keyword),
            };
            out.push(("DRG-IMG-016", i.line, shown));
        }
    }
}

/// The script a `RUN` runs: the shell form as is; the exec form's `sh -c SCRIPT`, or its words.
fn run_script(i: &Instr) -> String {
    if i.exec {
        let prog = i.words.first().map(String::as_str).unwrap_or("");
        let shell = ["sh", "bash", "ash", "dash", "zsh"].contains(&prog.rsplit('/').next().unwrap_or(prog));
        if shell {
            if let Some(at) = i.words.iter().position(|w| w == "-c") {
                return i.words.get(at + 1).cloned().unwrap_or_default();
            }
        }
        return i.words.iter().map(|w| if w.contains(' ') { format!("'{w}'") } else { w.clone() }).collect::<Vec<_>>().join(" ");
    }
    i.text.clone()
}

/// `set -o pipefail`, `set -eo pipefail`, `set -euxo pipefail`.
fn sets_pipefail(script: &str) -> bool {
    crate::run::commands(script).iter().any(|c| {
        c.first().is_some_and(|w| w == "set") && c.windows(2).any(|w| w[0].starts_with('-') && w[0].ends_with('o') && w[1] == "pipefail")
    })
}

fn add_checks(i: &Instr, out: &mut Vec<DfHit>) {
    let Some((_, srcs)) = i.words.split_last() else { return };
    for src in srcs {
        let remote = src.starts_with("http://") || src.starts_with("https://");
        let git = src.starts_with("git@") || src.ends_with(".git") || src.contains(".git#");
        if remote && i.flag("checksum").is_none() && !git {
            out.push(("DRG-IMG-004", i.line, crate::run::redact(&format!("ADD {src}"))));
        } else if !remote && !git {
            let lower = src.to_ascii_lowercase();
            if !ARCHIVES.iter().any(|a| lower.ends_with(a)) && !src.contains('$') {
                out.push(("DRG-DF-010", i.line, format!("ADD {src}: a local file; COPY says what it does")));
            }
        }
    }
}

fn copy_checks(df: &Dockerfile, si: usize, s: &Stage, i: &Instr, out: &mut Vec<DfHit>) {
    // DRG-DF-005: several sources into a destination that is not a directory.
    let srcs = i.words.len().saturating_sub(1) + i.heredoc_sources;
    if srcs > 1 && i.words.last().is_some_and(|d| !d.ends_with('/') && !d.ends_with('\\') && !d.contains('$')) {
        out.push(("DRG-DF-005", i.line, format!("{} sources into {}", srcs, i.words.last().map(String::as_str).unwrap_or(""))));
    }
    let Some(from) = i.flag("from") else { return };
    if from.contains('$') {
        return;
    }
    // DRG-DF-001: the stage copies from itself.
    if s.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(from)) || from.parse::<usize>().is_ok_and(|n| n == si) {
        out.push(("DRG-DF-001", i.line, format!("COPY --from={from} inside stage {from}")));
        return;
    }
    // DRG-DF-008: a stage name not defined before (an image reference has `:`, `/` or `@`).
    let earlier = df.stages[..si].iter().any(|p| p.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(from)));
    let index_ok = from.parse::<usize>().is_ok_and(|n| n < si);
    let image = from.contains([':', '/', '@']);
    let later = df.stages[si + 1..].iter().any(|p| p.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(from)));
    if !earlier && !index_ok && (!image || later) {
        let why = if later { "a stage defined later" } else { "no stage of that name before it" };
        out.push(("DRG-DF-008", i.line, format!("COPY --from={from}: {why}")));
    }
}
