//! The checks of one `RUN` command, the same for an image's build history and a Dockerfile:
//! remote scripts piped to a shell, package installs without cleanup, pins or prompts, `sudo`,
//! world-writable modes, `cd`, credentials written by a CLI.

use regex::Regex;
use std::sync::LazyLock;

// The patterns are literals, tested to compile (`tests::patterns_compile`).
#[allow(clippy::unwrap_used)]
static PIPE_TO_SHELL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        \b(?:curl|wget)\b[^|;&\n]*\|\s*(?:sudo\s+(?:-\S+\s+)*)?(?:\S*/)?(?:env\s+)?(?:sh|bash|zsh|ash|dash|ksh|python[0-9.]*|perl|ruby|node)\b
        | \b(?:sh|bash|zsh)\b[^;&|\n]*(?:\$\(|<\(|`)\s*(?:curl|wget)\b",
    )
    .unwrap()
});
#[allow(clippy::unwrap_used)]
static WORLD_WRITABLE_SYMBOLIC: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[ugoa]*[oa][ugoa]*[+=][rwxXst]*w").unwrap());

/// Forces the lazily compiled patterns (a test proves they compile).
#[cfg(test)]
pub(crate) fn patterns() -> [&'static Regex; 2] {
    [&PIPE_TO_SHELL, &WORLD_WRITABLE_SYMBOLIC]
}

/// What a `RUN` check needs to know beyond the command.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RunCtx {
    /// `PIP_NO_CACHE_DIR` is set: pip keeps no cache.
    pub pip_no_cache: bool,
    /// The step mounts a BuildKit secret (`RUN --mount=type=secret`).
    pub secret_mount: bool,
}

/// What the tools a command uses say across steps (`wget` and `curl` both, DRG-IMG-025).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Uses {
    pub wget: bool,
    pub curl: bool,
}

/// Runs every command check on `cmd` (a shell script: one `RUN`), calling `hit(check, evidence)`.
pub(crate) fn check_run(cmd: &str, cx: RunCtx, outer: &mut dyn FnMut(&'static str, String)) -> Uses {
    // Evidence quotes the command: a credential in it must not reach the report.
    let mut hit = |id: &'static str, evidence: String| outer(id, redact(&evidence));
    let hit: &mut dyn FnMut(&'static str, String) = &mut hit;
    let mut uses = Uses::default();
    if let Some(m) = PIPE_TO_SHELL.find(cmd) {
        hit("DRG-IMG-005", shorten(m.as_str()));
    }
    let cmds = commands(cmd);
    let mut cd_seen = false;
    let mut cred_seen = false;
    for (at, words) in cmds.iter().enumerate() {
        let w: Vec<&str> = words.iter().map(String::as_str).collect();
        let Some(&first) = w.first() else { continue };
        let later = &cmds[at + 1..];
        let tool = first.rsplit('/').next().unwrap_or(first);
        uses.wget |= tool == "wget";
        uses.curl |= tool == "curl";
        match tool {
            "sudo" => hit("DRG-IMG-014", shorten(&w.join(" "))),
            "cd" if !cd_seen => {
                cd_seen = true;
                hit("DRG-IMG-024", shorten(&w.join(" ")));
            }
            "chmod" => {
                if let Some(mode) = w[1..].iter().find(|a| !a.starts_with('-')) {
                    // 1777 on a temporary directory is what /tmp has (the sticky bit keeps users
                    // from replacing each other's files).
                    let paths: Vec<&&str> = w[1..].iter().filter(|a| !a.starts_with('-') && *a != mode).collect();
                    let tmp = mode.len() == 4
                        && mode.starts_with(['1', '3', '5', '7'])
                        && !paths.is_empty()
                        && paths.iter().all(|p| ["/tmp", "/var/tmp", "/dev/shm"].contains(&p.trim_end_matches('/')) || p.ends_with("/tmp"));
                    if world_writable(mode) && !tmp {
                        hit("DRG-IMG-015", shorten(&w.join(" ")));
                    }
                }
            }
            "apt-get" | "apt" => apt(&w, cmd, later, hit),
            "apk" => {
                if verb(&w) == Some("add") {
                    if !w.contains(&"--no-cache") && !cmd.contains("/var/cache/apk") {
                        hit("DRG-IMG-008", shorten(&w.join(" ")));
                    }
                    let unpinned = packages(&w, "add", &["-t", "--virtual", "-X", "--repository", "--root", "-p"]);
                    let unpinned: Vec<&str> =
                        unpinned.into_iter().filter(|p| !p.contains('=') && !p.contains('~') && !p.ends_with(".apk")).collect();
                    if !unpinned.is_empty() {
                        hit("DRG-IMG-009", format!("unpinned: {}", unpinned.join(" ")));
                    }
                } else if verb(&w) == Some("update")
                    && !later.iter().any(|c| c.first().is_some_and(|t| t == "apk") && c.iter().any(|a| a == "add" || a == "upgrade"))
                {
                    hit("DRG-IMG-023", shorten(&w.join(" ")));
                }
            }
            "yum" | "dnf" if w.contains(&"install") && !assume_yes(&w, &["--assumeyes"]) => {
                hit("DRG-IMG-020", shorten(&w.join(" ")));
                yum_install(&w, cmd, hit);
            }
            "yum" | "dnf" | "microdnf" if w.contains(&"install") => yum_install(&w, cmd, hit),
            "zypper" => match verb(&w) {
                Some("install" | "in" | "patch" | "source-install" | "si") => {
                    // `-n` before the verb answers every question; `-y` after it confirms.
                    if !w.iter().any(|a| ["-n", "--non-interactive", "-y", "--no-confirm"].contains(a)) {
                        hit("DRG-IMG-020", shorten(&w.join(" ")));
                    }
                    let cleaned =
                        later.iter().any(|c| c.first().is_some_and(|t| t == "zypper") && c.iter().any(|a| a == "clean" || a == "cc"))
                            || cmd.contains("/var/cache/zypp");
                    if !cleaned {
                        hit("DRG-IMG-019", shorten(&w.join(" ")));
                    }
                    if matches!(verb(&w), Some("install" | "in")) {
                        let v = verb(&w).unwrap_or("install");
                        rpm_pins(&w, v, hit);
                    }
                }
                Some("refresh" | "ref") if !later.iter().any(|c| c.first().is_some_and(|t| t == "zypper")) => {
                    hit("DRG-IMG-023", shorten(&w.join(" ")));
                }
                Some("dist-upgrade" | "dup") => hit("DRG-IMG-022", shorten(&w.join(" "))),
                _ => {}
            },
            "gem" if verb(&w) == Some("install") => {
                let pinned_by_flag = w.iter().any(|a| *a == "-v" || *a == "--version" || a.starts_with("--version="));
                let unpinned: Vec<&str> =
                    packages(&w, "install", &["-v", "--version", "-s", "--source", "-i", "--install-dir", "-n", "--bindir"])
                        .into_iter()
                        .filter(|p| !p.contains(':') && !p.ends_with(".gem"))
                        .collect();
                if !pinned_by_flag && !unpinned.is_empty() {
                    hit("DRG-IMG-029", format!("unpinned: {}", unpinned.join(" ")));
                }
            }
            "go" if w.get(1) == Some(&"install") => {
                // Module paths (a dot in the first element), not local packages (`./cmd/...`).
                let unpinned: Vec<&str> = w[2..]
                    .iter()
                    .filter(|a| !a.starts_with('-') && !a.starts_with('.') && !a.starts_with('/'))
                    .filter(|a| a.split('/').next().is_some_and(|host| host.contains('.')))
                    .filter(|a| a.rsplit_once('@').is_none_or(|(_, v)| v == "latest" || v.is_empty()))
                    .copied()
                    .collect();
                if !unpinned.is_empty() {
                    hit("DRG-IMG-030", format!("unpinned: {}", unpinned.join(" ")));
                }
            }
            "yarn" => {
                let installs = matches!(verb(&w), Some("install" | "add")) || (verb(&w) == Some("global") && w.contains(&"add"));
                let cleaned = cmds
                    .iter()
                    .any(|c| c.first().is_some_and(|t| t == "yarn") && c.iter().any(|a| a == "cache") && c.iter().any(|a| a == "clean"));
                if installs && !cleaned && !cmd.contains(".cache/yarn") {
                    hit("DRG-IMG-031", shorten(&w.join(" ")));
                }
            }
            _ => {}
        }
        if !cred_seen && !cx.secret_mount {
            if let Some(what) = credential_command(&w) {
                cred_seen = true;
                hit("DRG-IMG-027", what);
            }
        }
        pip(&w, cx.pip_no_cache, hit);
        if first == "npm" && w.get(1).is_some_and(|a| ["install", "i", "add"].contains(a)) {
            let verb = w[1];
            let unpinned: Vec<&str> = packages(&w, verb, &["--registry", "--prefix", "--tag"])
                .into_iter()
                .filter(|p| !p.starts_with('.') && !p.starts_with('/') && !p.contains(':') && !p.trim_start_matches('@').contains('@'))
                .collect();
            if !unpinned.is_empty() {
                hit("DRG-IMG-013", format!("unpinned: {}", unpinned.join(" ")));
            }
        }
    }
    uses
}

/// `-y` alone or among short options (`-qy`), or one of `long`.
fn assume_yes(w: &[&str], long: &[&str]) -> bool {
    w.iter().any(|a| (a.starts_with('-') && !a.starts_with("--") && a[1..].contains('y')) || long.contains(a))
}

/// yum, dnf and microdnf installs: the cache cleaned in the same step, versions pinned.
fn yum_install(w: &[&str], cmd: &str, hit: &mut dyn FnMut(&'static str, String)) {
    let cleaned =
        ["yum clean all", "dnf clean all", "microdnf clean all", "/var/cache/yum", "/var/cache/dnf"].iter().any(|c| cmd.contains(c));
    if !cleaned {
        hit("DRG-IMG-010", shorten(&w.join(" ")));
    }
    rpm_pins(w, "install", hit);
}

/// The first word after the program that is not an option: `apk --update add x` → `add`.
fn verb<'a>(w: &[&'a str]) -> Option<&'a str> {
    let mut skip = false;
    for a in w.iter().skip(1) {
        if skip {
            skip = false;
            continue;
        }
        if a.starts_with('-') {
            // Options that take a separate value.
            skip = matches!(*a, "-o" | "-c" | "-t" | "-X" | "--repository" | "--root" | "-p" | "--installroot");
            continue;
        }
        return Some(a);
    }
    None
}

fn apt(w: &[&str], cmd: &str, later: &[Vec<String>], hit: &mut dyn FnMut(&'static str, String)) {
    let Some(v) = verb(w) else { return };
    let short = |c: char| w.iter().any(|a| a.starts_with('-') && !a.starts_with("--") && a[1..].contains(c));
    let opt = |name: &str, yes: &[&str]| {
        w.windows(2).any(|p| {
            p[0] == "-o"
                && p[1]
                    .split_once('=')
                    .is_some_and(|(k, val)| k.eq_ignore_ascii_case(name) && yes.contains(&val.to_ascii_lowercase().as_str()))
        })
    };
    match v {
        "install" => {
            if !cmd.contains("/var/lib/apt/lists") {
                hit("DRG-IMG-006", shorten(&w.join(" ")));
            }
            let unpinned = packages(w, "install", &["-o", "-t", "--target-release"]);
            let unpinned: Vec<&str> = unpinned.into_iter().filter(|p| !p.contains('=') && !p.ends_with(".deb")).collect();
            if !unpinned.is_empty() {
                hit("DRG-IMG-007", format!("unpinned: {}", unpinned.join(" ")));
            }
            // `-qq` implies `-y` (apt-get(8)).
            let yes = short('y')
                || w.iter().any(|a| ["--yes", "--assume-yes", "-qq", "--quiet=2"].contains(a))
                || opt("APT::Get::Assume-Yes", &["true", "1", "yes"]);
            if !yes {
                hit("DRG-IMG-020", shorten(&w.join(" ")));
            }
            let no_recommends = w.contains(&"--no-install-recommends") || opt("APT::Install-Recommends", &["false", "0", "no"]);
            if !no_recommends {
                hit("DRG-IMG-021", shorten(&w.join(" ")));
            }
        }
        "dist-upgrade" | "full-upgrade" => hit("DRG-IMG-022", shorten(&w.join(" "))),
        "update" => {
            let installs = later.iter().any(|c| {
                c.first().is_some_and(|t| t == "apt-get" || t == "apt")
                    && c.iter().any(|a| {
                        ["install", "upgrade", "dist-upgrade", "full-upgrade", "source", "build-dep", "reinstall"].contains(&a.as_str())
                    })
            });
            if !installs {
                hit("DRG-IMG-023", shorten(&w.join(" ")));
            }
        }
        _ => {}
    }
}

/// yum, dnf, microdnf and zypper packages without a version (`name-1.2`, `name=1.2`, `name-1.2.rpm`).
fn rpm_pins(w: &[&str], verb: &str, hit: &mut dyn FnMut(&'static str, String)) {
    let unpinned: Vec<&str> =
        packages(w, verb, &["-c", "--config", "--installroot", "--releasever", "--repo", "--enablerepo", "--disablerepo", "-r", "--from"])
            .into_iter()
            .filter(|p| {
                let versioned = p.char_indices().any(|(i, c)| c == '-' && p[i + 1..].starts_with(|d: char| d.is_ascii_digit()));
                !versioned && !p.contains(['=', '<', '>', '/', '*']) && !p.starts_with('@') && !p.ends_with(".rpm")
            })
            .collect();
    if !unpinned.is_empty() {
        hit("DRG-IMG-028", format!("unpinned: {}", unpinned.join(" ")));
    }
}

fn pip(w: &[&str], pip_no_cache: bool, hit: &mut dyn FnMut(&'static str, String)) {
    let Some(&first) = w.first() else { return };
    // pip, also as `python -m pip`.
    let at = if first.starts_with("pip") {
        0
    } else if first.starts_with("python") && w.get(1) == Some(&"-m") && w.get(2).is_some_and(|p| p.starts_with("pip")) {
        2
    } else {
        return;
    };
    let w = &w[at..];
    if w.get(1) != Some(&"install") {
        return;
    }
    if !pip_no_cache && !w.contains(&"--no-cache-dir") {
        hit("DRG-IMG-011", shorten(&w.join(" ")));
    }
    let takes_value = [
        "-r",
        "--requirement",
        "-c",
        "--constraint",
        "-e",
        "--editable",
        "-i",
        "--index-url",
        "--extra-index-url",
        "-f",
        "--find-links",
        "--target",
        "-t",
        "--prefix",
        "--root",
    ];
    if w.iter().any(|a| ["-r", "--requirement"].contains(a)) {
        return;
    }
    let unpinned: Vec<&str> = packages(w, "install", &takes_value)
        .into_iter()
        .filter(|p| !["==", "~=", ">=", "<=", "<", ">", "@", "/", ".whl", ".tar.gz", ".zip"].iter().any(|m| p.contains(m)) && *p != ".")
        .filter(|p| !(p.starts_with("pip") && w.contains(&"--upgrade") && p.len() <= 4))
        .collect();
    if !unpinned.is_empty() {
        hit("DRG-IMG-012", format!("unpinned: {}", unpinned.join(" ")));
    }
}

/// A cloud or registry CLI told a credential on its command line: it writes it into a file of
/// the layer (`~/.aws/credentials`, `~/.docker/config.json` …).
fn credential_command(w: &[&str]) -> Option<String> {
    let has = |a: &str| w.contains(&a);
    let flag = |names: &[&str]| w.iter().any(|a| names.iter().any(|n| a == n || a.starts_with(&format!("{n}="))));
    let what = match *w.first()? {
        "aws"
            if has("configure")
                && has("set")
                && w.iter().any(|a| ["aws_access_key_id", "aws_secret_access_key", "aws_session_token"].contains(a)) =>
        {
            "aws configure set"
        }
        "gcloud" if has("auth") && has("activate-service-account") => "gcloud auth activate-service-account",
        "az" if has("login") && flag(&["-p", "--password", "--federated-token"]) => "az login with a password",
        "doctl" if has("auth") && has("init") && flag(&["-t", "--access-token"]) => "doctl auth init with a token",
        "docker" | "podman" | "buildah" | "skopeo" if has("login") && flag(&["-p", "--password"]) => "registry login with a password",
        _ => return None,
    };
    Some(what.to_string())
}

/// The words after `verb` that are not options (nor the values of `takes_value` options).
pub(crate) fn packages<'a>(w: &[&'a str], verb: &str, takes_value: &[&str]) -> Vec<&'a str> {
    let Some(at) = w.iter().position(|a| *a == verb) else { return Vec::new() };
    let mut out = Vec::new();
    let mut skip = false;
    for a in &w[at + 1..] {
        if skip {
            skip = false;
            continue;
        }
        if a.starts_with('-') {
            skip = takes_value.contains(a);
            continue;
        }
        if a.starts_with('$') || a.contains("$(") || a.contains('`') {
            continue; // from a variable or a command: cannot be judged
        }
        out.push(*a);
    }
    out
}

/// The simple commands of a shell line, as words (quotes removed, no expansion): split at `&&`,
/// `||`, `;`, `|`, `&` and newlines. Enough for the checks; not a shell.
pub(crate) fn commands(cmd: &str) -> Vec<Vec<String>> {
    let mut out = split(cmd);
    // `env A=1 cmd`, `A=1 cmd`, `exec cmd`, `time cmd`, `sudo -u x cmd`: judge the command itself
    // (`sudo` is judged on its own too).
    let mut extra = Vec::new();
    for c in &mut out {
        while c.first().is_some_and(|w| w.contains('=') && !w.starts_with('-') || ["env", "exec", "time", "nohup"].contains(&w.as_str())) {
            c.remove(0);
        }
        if c.first().is_some_and(|w| w == "sudo") {
            let mut rest: Vec<String> = c[1..].to_vec();
            while rest.first().is_some_and(|w| w.starts_with('-')) {
                let opt = rest.remove(0);
                if ["-u", "-g", "-U", "-C", "-D", "-h", "-p", "-r", "-t", "-T"].contains(&opt.as_str()) && !rest.is_empty() {
                    rest.remove(0);
                }
            }
            if !rest.is_empty() {
                extra.push(rest);
            }
        }
    }
    out.extend(extra);
    out.retain(|c| !c.is_empty());
    out
}

/// The words of a shell line split into simple commands, quotes removed, nothing else changed.
pub(crate) fn split(cmd: &str) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = vec![Vec::new()];
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut chars = cmd.chars().peekable();
    let end_word = |word: &mut String, out: &mut Vec<Vec<String>>| {
        if !word.is_empty() {
            if let Some(last) = out.last_mut() {
                last.push(std::mem::take(word));
            }
        }
    };
    while let Some(ch) = chars.next() {
        match (quote, ch) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => quote = Some(ch),
            (None, '\\') => {
                // A line continuation joins; an escaped character is kept.
                match chars.next() {
                    Some('\n') | None => {}
                    Some(c) => word.push(c),
                }
            }
            (None, ';' | '&' | '|' | '\n' | '(' | ')') => {
                end_word(&mut word, &mut out);
                if out.last().is_some_and(|l| !l.is_empty()) {
                    out.push(Vec::new());
                }
            }
            (None, c) if c.is_whitespace() => end_word(&mut word, &mut out),
            (None, c) => word.push(c),
        }
    }
    end_word(&mut word, &mut out);
    out.retain(|c| !c.is_empty());
    out
}

/// A pipe (`a | b`, not `a || b`) outside quotes: without `pipefail` the step succeeds when
/// anything but the last command fails.
pub(crate) fn has_pipe(cmd: &str) -> bool {
    let b = cmd.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                b'\\' => i += 1,
                b'\'' | b'"' => quote = Some(c),
                b'|' if b.get(i + 1) == Some(&b'|') => i += 1,
                b'|' if i > 0 && b[i - 1] == b'>' => {} // `>|` clobber
                b'|' => return true,
                _ => {}
            },
        }
        i += 1;
    }
    false
}

/// Octal modes with the write bit for others, or symbolic ones granting it.
pub(crate) fn world_writable(mode: &str) -> bool {
    if !mode.is_empty() && mode.len() <= 4 && mode.chars().all(|c| ('0'..='7').contains(&c)) {
        return mode.chars().last().and_then(|c| c.to_digit(8)).is_some_and(|d| d & 2 != 0) && mode.len() >= 3;
    }
    mode.split(',').any(|m| WORLD_WRITABLE_SYMBOLIC.is_match(m))
}

pub(crate) fn shorten(s: &str) -> String {
    let s = s.trim();
    if s.chars().count() <= 120 { s.to_string() } else { format!("{}…", s.chars().take(119).collect::<String>()) }
}

/// `root`, uid 0 in any spelling (`0`, `00`), and Windows' `ContainerAdministrator`.
pub(crate) fn is_root_user(user: &str) -> bool {
    let name = user.trim().split(':').next().unwrap_or("").trim();
    name.is_empty() || name == "root" || name.parse::<u64>() == Ok(0) || name.eq_ignore_ascii_case("ContainerAdministrator")
}

/// Prefixes of well-known token formats (GitHub, GitLab, Slack, AWS, npm, OpenAI, Stripe …).
const TOKEN_PREFIXES: &[&str] = &[
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "AKIA",
    "ASIA",
    "npm_",
    "sk-",
    "sk_live_",
    "rk_live_",
];

/// A command quoted as evidence, with what may be a credential masked: the word after `Bearer`,
/// `token`, `Basic`, `-p`, `--password`, `--token`, `Authorization:`; the value of a
/// secret-named `NAME=value`; words that start like a known token; and long words that mix
/// letters and digits (not paths, URLs' paths, or hex digests).
pub(crate) fn redact(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut mask_next = false;
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String, mask_next: &mut bool| {
        if word.is_empty() {
            return;
        }
        let w = std::mem::take(word);
        let lower = w.to_ascii_lowercase();
        let masked = if *mask_next && w.len() >= 4 {
            *mask_next = false;
            Some(mask(&w))
        } else if let Some((name, value)) = w.split_once('=').filter(|(n, v)| !n.is_empty() && v.len() >= 4 && crate::image::secret_name(n))
        {
            Some(format!("{name}={}", mask(value)))
        } else {
            None
        };
        *mask_next = ["bearer", "token", "basic", "-p", "--password", "--token", "authorization:", "--access-token", "-t"]
            .contains(&lower.trim_end_matches(':'))
            || lower == "authorization:";
        let looks_secret = |t: &str| {
            let hex = t.chars().all(|c| c.is_ascii_hexdigit());
            TOKEN_PREFIXES.iter().any(|p| t.starts_with(p) && t.len() >= p.len() + 8)
                || (t.len() >= 20
                    && !hex
                    && t.chars().any(|c| c.is_ascii_digit())
                    && t.chars().any(|c| c.is_ascii_alphabetic())
                    && !t.contains('/')
                    && !t.contains('.'))
        };
        match masked {
            Some(m) => out.push_str(&m),
            None => {
                // Inside a word: `?token=…`, `user:secret@host`, `"ghp_…"`.
                let mut part = String::new();
                for c in w.chars() {
                    if "=&?:@\"'(),;".contains(c) {
                        out.push_str(&if looks_secret(&part) { mask(&part) } else { std::mem::take(&mut part) });
                        part.clear();
                        out.push(c);
                    } else {
                        part.push(c);
                    }
                }
                out.push_str(&if looks_secret(&part) { mask(&part) } else { part });
            }
        }
    };
    for c in s.chars() {
        if c.is_whitespace() {
            flush(&mut word, &mut out, &mut mask_next);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out, &mut mask_next);
    out
}

fn mask(v: &str) -> String {
    let v = v.trim_matches(['"', '\'']);
    let keep: String = v.chars().take(4).collect();
    format!("{keep}***")
}
