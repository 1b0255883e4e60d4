//! Dockerfiles, parsed with `parse-dockerfile` (parser directives and the escape character,
//! continuations, heredocs, JSON and shell forms, `ONBUILD`) into what the checks read: stages
//! with their base image (global `ARG` defaults substituted) and instructions with their line.

use parse_dockerfile::{Command, Flag, HealthcheckArguments, Instruction, JsonOrStringArray, Source};

/// A Dockerfile larger than this is not parsed (a warning says so).
pub const MAX_DOCKERFILE: usize = 4 << 20;

/// A parsed Dockerfile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dockerfile {
    /// `ARG`s before the first `FROM`: name and default value.
    pub global_args: Vec<(String, Option<String>)>,
    /// The `ARG` instructions before the first `FROM`.
    pub global: Vec<Instr>,
    pub stages: Vec<Stage>,
}

/// A build stage: a `FROM` and what follows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stage {
    /// The line of its `FROM`.
    pub line: usize,
    /// The base image as written (`debian:${VERSION}`).
    pub base: String,
    /// The base image with global `ARG` defaults substituted; `None` when a variable in it has
    /// no default (the build must pass it: nothing to judge).
    pub base_resolved: Option<String>,
    /// `AS name`.
    pub name: Option<String>,
    /// `--platform=…`.
    pub platform: Option<String>,
    pub instructions: Vec<Instr>,
}

/// One instruction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Instr {
    /// `RUN`, `COPY`, … (upper case).
    pub keyword: &'static str,
    /// First and last line (1-based; continuations and heredocs make them differ).
    pub line: usize,
    pub end_line: usize,
    /// `--from=builder`, `--mount=type=secret,id=x`: name and value.
    pub flags: Vec<(String, Option<String>)>,
    /// The argument text as the shell or the instruction sees it: continuations joined, comment
    /// lines dropped, heredoc bodies of a `RUN` appended as script lines. For the exec form, the
    /// words joined by spaces.
    pub text: String,
    /// The words: the exec form's array, `COPY`/`ADD` sources and destination, `EXPOSE` ports,
    /// `VOLUME` paths, `SHELL`'s array. Empty for the shell form.
    pub words: Vec<String>,
    /// `RUN`/`CMD`/`ENTRYPOINT`/`HEALTHCHECK CMD` in the JSON form.
    pub exec: bool,
    /// `COPY <<EOF`, `ADD <<EOF`: sources written inline.
    pub heredoc_sources: usize,
    /// `HEALTHCHECK NONE`.
    pub none: bool,
    /// Inside `ONBUILD`: runs in the builds that use this image as their base.
    pub onbuild: bool,
}

impl Instr {
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.flags.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_deref().unwrap_or(""))
    }
}

/// Why a Dockerfile could not be read: the line and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{msg}", if *line > 0 { format!("line {line}: ") } else { String::new() })]
pub struct ParseError {
    pub line: usize,
    pub msg: String,
}

/// Byte offset → 1-based line.
struct Lines(Vec<usize>);

impl Lines {
    fn new(text: &str) -> Lines {
        Lines(text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i).collect())
    }
    fn line(&self, offset: usize) -> usize {
        self.0.partition_point(|&nl| nl < offset) + 1
    }
}

/// Parses a Dockerfile. Stage names may repeat (a check reports it; BuildKit refuses the file).
pub fn parse(text: &str) -> Result<Dockerfile, ParseError> {
    if text.len() > MAX_DOCKERFILE {
        return Err(ParseError {
            line: 0,
            msg: format!("{} bytes, more than the {} MiB a Dockerfile may have here; not checked", text.len(), MAX_DOCKERFILE >> 20),
        });
    }
    // The parser skips a byte-order mark and counts offsets after it; so do we.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines = Lines::new(text);
    let escape = escape_char(text);
    let iter = parse_dockerfile::parse_iter(text).map_err(|e| error(text, &e))?;
    let mut df = Dockerfile::default();
    // The variables of the current stage (its ARGs and ENVs, and the ENVs of the stage it is built
    // FROM), in declaration order; the ENVs each stage ends with.
    let mut vars: Vars = Vec::new();
    let mut stage_env: Vec<(Option<String>, Vars)> = Vec::new();
    for i in iter {
        let i = i.map_err(|e| error(text, &e))?;
        match i {
            Instruction::From(f) => {
                let base = f.image.value.to_string();
                if let Some(last) = stage_env.last_mut() {
                    last.1 = std::mem::take(&mut vars);
                }
                let resolved = substitute(&base, &df.global_args);
                // Built FROM an earlier stage: its ENVs carry over.
                vars = resolved
                    .as_deref()
                    .and_then(|b| stage_env.iter().rev().find(|(n, _)| n.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(b))))
                    .map(|(_, env)| env.clone())
                    .unwrap_or_default();
                let name = f.as_.as_ref().map(|(_, n)| n.value.to_string());
                stage_env.push((name, Vec::new()));
                let vars_for_from: Vec<(String, Option<String>)> = df.global_args.clone();
                df.stages.push(Stage {
                    line: lines.line(f.from.span.start),
                    base_resolved: substitute(&base, &vars_for_from),
                    base,
                    name: f.as_.as_ref().map(|(_, n)| n.value.to_string()),
                    platform: f
                        .options
                        .iter()
                        .find(|o| o.name.value == "platform")
                        .and_then(|o| o.value.as_ref())
                        .map(|v| v.value.to_string()),
                    instructions: Vec::new(),
                });
            }
            other => {
                let mut ins = convert(text, &lines, escape, &other, false);
                match df.stages.last_mut() {
                    Some(s) => {
                        resolve(&mut ins, &mut vars, &df.global_args);
                        s.instructions.push(ins);
                    }
                    None => {
                        df.global_args.extend(arg_pairs(ins.keyword, &ins.text));
                        df.global.push(ins);
                    }
                }
            }
        }
    }
    if df.stages.is_empty() {
        return Err(ParseError { line: 0, msg: "no FROM instruction: not a Dockerfile".into() });
    }
    Ok(df)
}

/// Variables in declaration order: name and value (`None`: declared without one).
type Vars = Vec<(String, Option<String>)>;

/// BuildKit substitutes variables in these instructions' arguments (a `RUN` is the shell's).
const SUBSTITUTED: &[&str] = &["ADD", "COPY", "ENV", "EXPOSE", "LABEL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR", "ARG"];

/// Substitutes the stage's variables into `ins` (where BuildKit does), and records the variables
/// an `ARG` or `ENV` declares. A variable without a value leaves the text as written.
fn resolve(ins: &mut Instr, vars: &mut Vec<(String, Option<String>)>, global: &[(String, Option<String>)]) {
    if ins.onbuild || !SUBSTITUTED.contains(&ins.keyword) {
        return;
    }
    let sub = |t: &str, vars: &[(String, Option<String>)]| substitute(t, vars).unwrap_or_else(|| t.to_string());
    match ins.keyword {
        "ARG" => {
            for (name, value) in arg_pairs("ARG", &ins.text) {
                // `ARG NAME` in a stage takes the global default, if there is one.
                let value =
                    value.map(|v| sub(&v, vars)).or_else(|| global.iter().rev().find(|(n, _)| *n == name).and_then(|(_, v)| v.clone()));
                vars.push((name, value));
            }
        }
        "ENV" => {
            for (name, value) in arg_pairs("ENV", &ins.text) {
                let value = value.map(|v| sub(&v, vars));
                vars.push((name, value));
            }
        }
        _ => {
            ins.text = sub(&ins.text, vars);
            for w in &mut ins.words {
                *w = sub(w, vars);
            }
        }
    }
}

fn error(text: &str, e: &parse_dockerfile::Error) -> ParseError {
    let msg = format!("{e:#}");
    // An unterminated here-document is reported where the file ends; the line to fix is the one
    // that opens it (the last `<<DELIM` before the end).
    if let Some(delim) = msg.split_once("expected end of here-document (").and_then(|(_, r)| r.split_once(')')).map(|(d, _)| d) {
        let opens = |l: &str| {
            ["<<", "<<-"].iter().any(|op| {
                [format!("{op}{delim}"), format!("{op}\"{delim}\""), format!("{op}'{delim}'")].iter().any(|p| {
                    l.match_indices(p.as_str()).any(|(i, _)| !l[i + p.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_'))
                })
            })
        };
        if let Some(open) = text.lines().take(e.line().max(1)).enumerate().filter(|(_, l)| opens(l)).map(|(n, _)| n + 1).last() {
            return ParseError {
                line: open,
                msg: format!("here-document {delim} opened on this line is never closed (the file ends first)"),
            };
        }
    }
    ParseError { line: e.line(), msg }
}

/// The `# escape=` directive (`\` by default).
fn escape_char(text: &str) -> char {
    for l in text.lines() {
        let Some(d) = l.trim().strip_prefix('#') else { break };
        let Some((k, v)) = d.split_once('=') else { break };
        if k.trim().eq_ignore_ascii_case("escape") {
            return v.trim().chars().next().unwrap_or('\\');
        }
    }
    '\\'
}

/// The shell form's text as the shell sees it: `escape` + newline joins lines, comment lines
/// inside a continuation go.
fn join_lines(raw: &str, escape: char) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut first = true;
    for line in raw.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if !first && line.trim_start().starts_with('#') {
            continue;
        }
        first = false;
        let t = line.trim_end();
        match t.strip_suffix(escape) {
            Some(body) => out.push_str(body),
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    while out.ends_with('\n') {
        out.pop();
    }
    out
}

fn flags(f: &[Flag<'_>]) -> Vec<(String, Option<String>)> {
    f.iter().map(|f| (f.name.value.to_string(), f.value.as_ref().map(|v| v.value.to_string()))).collect()
}

fn command(text: &str, escape: char, c: &Command<'_>, ins: &mut Instr) {
    match c {
        Command::Exec(a) => {
            ins.exec = true;
            ins.words = a.value.iter().map(|w| w.value.to_string()).collect();
            ins.text = ins.words.join(" ");
        }
        Command::Shell(s) => ins.text = join_lines(text.get(s.span.clone()).unwrap_or(s.value), escape),
        _ => {}
    }
}

fn convert(text: &str, lines: &Lines, escape: char, i: &Instruction<'_>, onbuild: bool) -> Instr {
    let mut ins = Instr { onbuild, ..Instr::default() };
    let span = |start: usize| lines.line(start);
    let words = |v: &[parse_dockerfile::UnescapedString<'_>]| v.iter().map(|w| w.value.to_string()).collect::<Vec<_>>();
    let mut end = 0usize;
    match i {
        Instruction::Add(a) => end = copy_like(&mut ins, "ADD", span(a.add.span.start), &a.options, &a.src, &a.dest),
        Instruction::Copy(a) => end = copy_like(&mut ins, "COPY", span(a.copy.span.start), &a.options, &a.src, &a.dest),
        Instruction::Arg(a) => {
            (ins.keyword, ins.line, ins.text, end) = ("ARG", span(a.arg.span.start), a.arguments.value.to_string(), a.arguments.span.end);
        }
        Instruction::Cmd(c) => {
            (ins.keyword, ins.line) = ("CMD", span(c.cmd.span.start));
            command(text, escape, &c.arguments, &mut ins);
            end = command_end(&c.arguments);
        }
        Instruction::Entrypoint(c) => {
            (ins.keyword, ins.line) = ("ENTRYPOINT", span(c.entrypoint.span.start));
            command(text, escape, &c.arguments, &mut ins);
            end = command_end(&c.arguments);
        }
        Instruction::Env(e) => {
            (ins.keyword, ins.line, ins.text, end) = ("ENV", span(e.env.span.start), e.arguments.value.to_string(), e.arguments.span.end);
        }
        Instruction::Expose(e) => {
            (ins.keyword, ins.line) = ("EXPOSE", span(e.expose.span.start));
            ins.words = words(&e.arguments);
            ins.text = ins.words.join(" ");
            end = e.arguments.last().map_or(0, |a| a.span.end);
        }
        Instruction::From(f) => {
            (ins.keyword, ins.line, ins.text, end) = ("FROM", span(f.from.span.start), f.image.value.to_string(), f.image.span.end);
        }
        Instruction::Healthcheck(h) => {
            (ins.keyword, ins.line) = ("HEALTHCHECK", span(h.healthcheck.span.start));
            ins.flags = flags(&h.options);
            match &h.arguments {
                HealthcheckArguments::Cmd { arguments, .. } => {
                    command(text, escape, arguments, &mut ins);
                    end = command_end(arguments);
                }
                HealthcheckArguments::None { none, .. } => {
                    ins.none = true;
                    end = none.span.end;
                }
                _ => {}
            }
        }
        Instruction::Label(l) => {
            (ins.keyword, ins.line, ins.text, end) =
                ("LABEL", span(l.label.span.start), l.arguments.value.to_string(), l.arguments.span.end);
        }
        Instruction::Maintainer(m) => {
            (ins.keyword, ins.line, ins.text, end) =
                ("MAINTAINER", span(m.maintainer.span.start), m.name.value.to_string(), m.name.span.end);
        }
        Instruction::Onbuild(o) => {
            let mut inner = convert(text, lines, escape, &o.instruction, true);
            inner.line = span(o.onbuild.span.start);
            return inner;
        }
        Instruction::Run(r) => {
            (ins.keyword, ins.line) = ("RUN", span(r.run.span.start));
            ins.flags = flags(&r.options);
            command(text, escape, &r.arguments, &mut ins);
            end = command_end(&r.arguments);
            for h in &r.here_docs {
                ins.text.push('\n');
                ins.text.push_str(&h.value);
                end = end.max(h.span.end);
            }
        }
        Instruction::Shell(s) => {
            (ins.keyword, ins.line) = ("SHELL", span(s.shell.span.start));
            ins.words = words(&s.arguments);
            ins.exec = true;
            ins.text = ins.words.join(" ");
            end = s.arguments.last().map_or(0, |a| a.span.end);
        }
        Instruction::Stopsignal(s) => {
            (ins.keyword, ins.line, ins.text, end) =
                ("STOPSIGNAL", span(s.stopsignal.span.start), s.arguments.value.to_string(), s.arguments.span.end);
        }
        Instruction::User(u) => {
            (ins.keyword, ins.line, ins.text, end) = ("USER", span(u.user.span.start), u.arguments.value.to_string(), u.arguments.span.end);
        }
        Instruction::Volume(v) => {
            (ins.keyword, ins.line) = ("VOLUME", span(v.volume.span.start));
            match &v.arguments {
                JsonOrStringArray::Json(a) => {
                    ins.words = words(&a.value);
                    end = a.span.end;
                }
                JsonOrStringArray::String(a) => {
                    ins.words = words(a);
                    end = a.last().map_or(0, |a| a.span.end);
                }
            }
            ins.text = ins.words.join(" ");
        }
        Instruction::Workdir(w) => {
            (ins.keyword, ins.line, ins.text, end) =
                ("WORKDIR", span(w.workdir.span.start), w.arguments.value.to_string(), w.arguments.span.end);
        }
        _ => {}
    }
    ins.end_line = if end > 0 { span(end.saturating_sub(1)).max(ins.line) } else { ins.line };
    // A heredoc's span ends with its body; the delimiter line follows.
    if let Instruction::Run(r) = i {
        if let Some(h) = r.here_docs.last() {
            ins.end_line = ins.end_line.max(span(h.span.end.saturating_sub(1)) + 1);
        }
    }
    ins
}

/// `ADD` and `COPY` (the same shape): sources (inline heredocs counted) and destination in
/// `words`; returns where the instruction ends.
fn copy_like(
    ins: &mut Instr,
    keyword: &'static str,
    line: usize,
    options: &[Flag<'_>],
    src: &[Source<'_>],
    dest: &parse_dockerfile::UnescapedString<'_>,
) -> usize {
    (ins.keyword, ins.line, ins.flags) = (keyword, line, flags(options));
    for s in src {
        match s {
            Source::Path(p) => ins.words.push(p.value.to_string()),
            Source::HereDoc(_) => ins.heredoc_sources += 1,
            _ => {}
        }
    }
    ins.words.push(dest.value.to_string());
    dest.span.end.max(src.iter().map(source_end).max().unwrap_or(0))
}

fn source_end(s: &Source<'_>) -> usize {
    match s {
        Source::Path(p) => p.span.end,
        Source::HereDoc(h) => h.span.end,
        _ => 0,
    }
}

fn command_end(c: &Command<'_>) -> usize {
    match c {
        Command::Exec(a) => a.span.end,
        Command::Shell(s) => s.span.end,
        _ => 0,
    }
}

/// `A=1 B="two words" C`: the names and values of an `ARG` or `ENV` (the legacy `ENV A 1` form
/// too). Quotes removed, no expansion.
pub fn arg_pairs(keyword: &str, text: &str) -> Vec<(String, Option<String>)> {
    let words = crate::run::split(text).into_iter().flatten().collect::<Vec<_>>();
    let t = text.trim_start();
    // `ENV NAME value with spaces` is ENV's legacy form; `ARG A B=1` is always a list of names.
    let legacy = keyword == "ENV"
        && words.first().is_some_and(|w| !w.contains('='))
        && words.len() > 1
        && t.find(char::is_whitespace).is_some_and(|i| !t[..i].contains('='));
    if legacy {
        // `ENV NAME value with spaces`
        let (name, value) = t.split_once(char::is_whitespace).unwrap_or((t, ""));
        return vec![(name.to_string(), Some(value.trim().to_string()))];
    }
    words
        .into_iter()
        .map(|w| match w.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (w, None),
        })
        .collect()
}

/// `${VAR}`, `$VAR`, `${VAR:-word}`, `${VAR-word}`, `${VAR:+word}` with the given values;
/// `None` when a variable has no value (nothing to judge).
pub fn substitute(s: &str, vars: &[(String, Option<String>)]) -> Option<String> {
    let value = |name: &str| vars.iter().rev().find(|(n, _)| n == name).and_then(|(_, v)| v.clone());
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(body) = after.strip_prefix('{') {
            let close = body.find('}')?;
            let expr = &body[..close];
            let (name, op, word) = match expr.find([':', '-', '+']) {
                Some(i) => {
                    let (n, r) = expr.split_at(i);
                    let op_len = if r.starts_with(":-") || r.starts_with(":+") { 2 } else { 1 };
                    (n, &r[..op_len], &r[op_len..])
                }
                None => (expr, "", ""),
            };
            let v = value(name);
            let got = match op {
                ":-" => v.filter(|v| !v.is_empty()).or_else(|| Some(word.to_string())),
                "-" => v.or_else(|| Some(word.to_string())),
                ":+" | "+" => Some(if v.is_some_and(|v| op == "+" || !v.is_empty()) { word.to_string() } else { String::new() }),
                _ => v,
            }?;
            out.push_str(&got);
            rest = &body[close + 1..];
        } else {
            let len = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after.len());
            if len == 0 {
                out.push('$');
                rest = after;
                continue;
            }
            out.push_str(&value(&after[..len])?);
            rest = &after[len..];
        }
    }
    out.push_str(rest);
    Some(out)
}

/// The Dockerfile as the custom policies see it (docs/misconfig.md, "Custom policies").
pub fn policy_input(path: &str, df: &Dockerfile) -> serde_json::Value {
    let instr = |i: &Instr| {
        let flags: serde_json::Map<String, serde_json::Value> =
            i.flags.iter().map(|(n, v)| (n.clone(), v.clone().map_or(serde_json::Value::Bool(true), serde_json::Value::String))).collect();
        serde_json::json!({
            "keyword": i.keyword, "line": i.line, "end_line": i.end_line, "flags": flags, "text": i.text,
            "words": i.words, "exec": i.exec, "onbuild": i.onbuild,
        })
    };
    let stages: Vec<serde_json::Value> = df
        .stages
        .iter()
        .enumerate()
        .map(|(n, s)| {
            serde_json::json!({
                "index": n, "name": s.name, "line": s.line, "base": s.base, "base_resolved": s.base_resolved,
                "platform": s.platform, "instructions": s.instructions.iter().map(instr).collect::<Vec<_>>(),
            })
        })
        .collect();
    serde_json::json!({"path": path, "args": df.global.iter().map(instr).collect::<Vec<_>>(), "stages": stages})
}
