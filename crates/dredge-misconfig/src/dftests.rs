#![allow(clippy::panic, clippy::unwrap_used)]
//! Dockerfiles: the parser on real-world-shaped files, and a failing and a passing example of
//! every check a Dockerfile can trip.

use crate::dfcheck::check_dockerfile;
use crate::dockerfile::{parse, substitute};

fn testdata(name: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/dockerfiles").join(name);
    std::fs::read_to_string(&p).unwrap()
}

fn hits(text: &str) -> Vec<(&'static str, usize, String)> {
    check_dockerfile(&parse(text).unwrap_or_else(|e| panic!("{e}: {text}")))
}

/// A Dockerfile that trips no check; `body` is added to its final stage.
fn clean_with(body: &str) -> String {
    format!("FROM debian:12.6-slim\nWORKDIR /app\n{body}\nUSER app\nHEALTHCHECK CMD [\"/app/health\"]\nCMD [\"/app/run\"]\n")
}

/// `check` fires on `body` (in an otherwise clean file), at `line` (1-based, in the full file:
/// the body starts at line 3) and nothing else does.
fn fails(check: &str, body: &str, line: usize) {
    let text =
        if body.starts_with("FROM") || body.starts_with("ARG") || body.starts_with('#') { body.to_string() } else { clean_with(body) };
    let h = hits(&text);
    let ids: Vec<(&str, usize)> = h.iter().map(|h| (h.0, h.1)).collect();
    assert_eq!(ids, vec![(check, line)], "{text}\n{h:#?}");
}

fn passes(body: &str) {
    let text =
        if body.starts_with("FROM") || body.starts_with("ARG") || body.starts_with('#') { body.to_string() } else { clean_with(body) };
    assert_eq!(hits(&text), vec![], "{text}");
}

#[test]
fn the_clean_file_is_clean() {
    passes("RUN echo hello");
    for f in ["multistage.Dockerfile", "windows.Dockerfile"] {
        assert_eq!(hits(&testdata(f)), vec![], "{f}");
    }
}

#[test]
fn real_world_shapes_parse_with_their_lines() {
    // Multi-stage, global ARGs substituted into FROM, BuildKit flags, comments in continuations.
    let df = parse(&testdata("multistage.Dockerfile")).unwrap();
    assert_eq!(df.stages.len(), 2);
    let (build, fin) = (&df.stages[0], &df.stages[1]);
    assert_eq!((build.line, build.name.as_deref(), build.platform.as_deref()), (5, Some("build"), Some("$BUILDPLATFORM")));
    assert_eq!(build.base_resolved.as_deref(), Some("golang:1.22.5-bookworm"));
    assert_eq!(fin.base_resolved.as_deref(), Some("gcr.io/distroless/static-debian12:nonroot"));
    let run = &build.instructions[2];
    assert_eq!((run.keyword, run.line, run.end_line), ("RUN", 8, 9));
    assert_eq!(run.flag("mount"), Some("type=cache,target=/go/pkg/mod"));
    let go_build = &build.instructions[5];
    assert_eq!((go_build.line, go_build.end_line), (12, 14));
    assert_eq!(
        go_build.text,
        "CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH     go build -trimpath -ldflags=\"-s -w\" -o /out/server ./cmd/server"
    );
    let copy = &fin.instructions[0];
    assert_eq!(
        (copy.keyword, copy.flag("from"), copy.words.clone()),
        ("COPY", Some("build"), vec!["/out/server".to_string(), "/usr/local/bin/server".into()])
    );
    let hc = &fin.instructions[3];
    assert_eq!((hc.keyword, hc.exec, hc.flag("interval")), ("HEALTHCHECK", true, Some("30s")));

    // Heredocs: the RUN's body is its script; a COPY heredoc's body is file content, not
    // instructions; lines after it are counted right.
    let df = parse(&testdata("heredoc.Dockerfile")).unwrap();
    let i = &df.stages[0].instructions;
    assert_eq!((i[0].keyword, i[0].line, i[0].end_line), ("RUN", 3, 8));
    assert!(i[0].text.contains("apt-get install -y --no-install-recommends ca-certificates=20230311\nrm -rf /var/lib/apt/lists/*"));
    assert_eq!((i[1].keyword, i[1].line, i[1].heredoc_sources, i[1].words.clone()), ("COPY", 9, 1, vec!["/etc/app/app.conf".to_string()]));
    assert_eq!((i[2].keyword, i[2].line), ("RUN", 14));
    assert_eq!(
        i.iter().map(|i| (i.keyword, i.line)).collect::<Vec<_>>()[3..],
        [("RUN", 17), ("USER", 18), ("HEALTHCHECK", 19), ("CMD", 20)]
    );

    // The escape directive: backticks continue lines, backslashes are path separators.
    let df = parse(&testdata("windows.Dockerfile")).unwrap();
    let i = &df.stages[0].instructions;
    assert_eq!((i[1].keyword, i[1].text.as_str()), ("WORKDIR", "C:\\app"));
    assert_eq!((i[2].keyword, i[2].line, i[2].end_line), ("RUN", 5, 7));
    assert!(i[2].text.starts_with("Invoke-WebRequest") && i[2].text.ends_with("Remove-Item tool.zip") && !i[2].text.contains('`'));
    assert_eq!(i[0].words, vec!["powershell", "-Command", "$ErrorActionPreference = 'Stop';"]);

    // ONBUILD: the inner instruction, marked, at the ONBUILD line.
    let df = parse(&testdata("onbuild.Dockerfile")).unwrap();
    let i = &df.stages[0].instructions;
    assert_eq!((i[2].keyword, i[2].line, i[2].onbuild, i[2].text.as_str()), ("RUN", 4, true, "npm install express"));
}

#[test]
fn the_legacy_file_trips_what_a_reviewer_would_flag() {
    let h = hits(&testdata("legacy.Dockerfile"));
    let got: Vec<(&str, usize)> = h.iter().map(|h| (h.0, h.1)).collect();
    // Each by hand from the file (line: instruction → checks).
    let want = vec![
        ("DRG-IMG-001", 1),  // no USER
        ("DRG-IMG-017", 1),  // FROM ubuntu
        ("DRG-IMG-026", 2),  // MAINTAINER
        ("DRG-IMG-016", 3),  // ENV DB_PASSWORD supersecretvalue
        ("DRG-IMG-016", 4),  // ARG NPM_TOKEN=…
        ("DRG-IMG-023", 5),  // RUN apt-get update (alone)
        ("DRG-IMG-006", 6),  // apt-get install: lists kept,
        ("DRG-IMG-007", 6),  // unpinned,
        ("DRG-IMG-020", 6),  // no -y,
        ("DRG-IMG-021", 6),  // recommends
        ("DRG-DF-013", 7),   // wget | bash without pipefail
        ("DRG-IMG-005", 7),  // remote script to a shell
        ("DRG-IMG-024", 7),  // cd
        ("DRG-IMG-014", 8),  // sudo
        ("DRG-IMG-015", 8),  // chmod 777 (under sudo)
        ("DRG-IMG-011", 9),  // pip cache
        ("DRG-IMG-012", 9),  // pip unpinned
        ("DRG-IMG-022", 10), // dist-upgrade
        ("DRG-IMG-004", 11), // ADD https://
        ("DRG-DF-010", 12),  // ADD local file
        ("DRG-DF-005", 13),  // COPY a b /dest
        ("DRG-DF-004", 14),  // WORKDIR relative
        ("DRG-DF-003", 15),  // EXPOSE 70000
        ("DRG-IMG-003", 15), // EXPOSE 22
        ("DRG-DF-012", 16),  // CMD shell form
        ("DRG-DF-007", 17),  // second CMD
        ("DRG-DF-002", 19),  // second ENTRYPOINT
        ("DRG-DF-009", 21),  // second HEALTHCHECK
    ];
    assert_eq!(got, want, "{h:#?}");
    // Secret values never appear in evidence.
    assert!(h.iter().all(|h| !h.2.contains("supersecretvalue") && !h.2.contains("npm_abcdefgh")));
}

#[test]
fn user_and_healthcheck_of_the_final_image() {
    fails("DRG-IMG-001", "FROM debian:12.6\nHEALTHCHECK CMD [\"true\"]\n", 1);
    fails("DRG-IMG-001", "FROM debian:12.6\nUSER root:root\nHEALTHCHECK CMD [\"true\"]\n", 2);
    fails("DRG-IMG-001", "FROM debian:12.6\nUSER 0\nHEALTHCHECK CMD [\"true\"]\n", 2);
    // A user set in a builder stage is not the final image's.
    fails("DRG-IMG-001", "FROM debian:12.6 AS build\nUSER app\nFROM debian:12.6\nHEALTHCHECK CMD [\"true\"]\n", 3);
    // ... but the final stage built FROM that stage inherits it.
    passes("FROM debian:12.6 AS base\nUSER app\nHEALTHCHECK CMD [\"true\"]\nFROM base\nCMD [\"x\"]\n");
    fails("DRG-IMG-002", "FROM debian:12.6\nUSER app\n", 1);
    fails("DRG-IMG-002", "FROM debian:12.6\nUSER app\nHEALTHCHECK NONE\n", 3);
}

#[test]
fn ports() {
    fails("DRG-IMG-003", "EXPOSE 8080 22/tcp", 3);
    fails("DRG-IMG-003", "EXPOSE 5430-5440", 3);
    fails("DRG-DF-003", "EXPOSE 65536", 3);
    fails("DRG-DF-003", "EXPOSE http", 3);
    passes("EXPOSE 8080/tcp 8443/udp ${PORT} 0");
    // A builder stage's EXPOSE does not ship.
    passes("FROM debian:12.6 AS build\nEXPOSE 22\nFROM debian:12.6\nUSER app\nHEALTHCHECK CMD [\"true\"]\n");
}

#[test]
fn run_commands_in_a_dockerfile() {
    fails("DRG-IMG-005", "RUN set -o pipefail && curl -fsSL https://x.example/i.sh | sh", 3);
    fails("DRG-IMG-027", "RUN aws configure set aws_access_key_id AKIA0000", 3);
    // A BuildKit secret mount is the fix.
    passes("RUN --mount=type=secret,id=aws aws configure set aws_access_key_id $(cat /run/secrets/aws)");
    // The exec form's script.
    fails("DRG-IMG-014", "RUN [\"/bin/sh\", \"-c\", \"sudo make install\"]", 3);
    fails("DRG-IMG-025", "RUN wget -q https://example.com/a\nRUN curl -fsSLO https://example.com/b", 3);
    fails("DRG-IMG-016", "ARG GITHUB_TOKEN=ghp_0000000000000000\nFROM debian:12.6\nUSER app\nHEALTHCHECK CMD [\"true\"]\n", 1);
    fails("DRG-IMG-016", "ENV APP_SECRET=\"two words\" MODE=prod", 3);
    // Declared without a value: `--build-arg` gives it, and the history of every later RUN
    // records it (hadolint DL3064 says the same); copied into ENV from a build argument: stored
    // in the image config. A path to a mounted secret is not a secret.
    fails("DRG-IMG-016", "ENV MODE=prod\nARG NPM_TOKEN", 4);
    fails("DRG-IMG-016", "ENV API_KEY=$API_KEY", 3);
    // ARG declares a list of names (it has no `ARG NAME value` form): every secret name in it.
    let h = hits(&clean_with("ARG VERSION NPM_TOKEN DB_PASSWORD\nARG MODE API_KEY=abcdefgh12345678"));
    let said: Vec<(&str, usize, &str)> = h.iter().map(|x| (x.0, x.1, x.2.as_str())).collect();
    assert_eq!(
        said,
        vec![
            ("DRG-IMG-016", 3, "ARG NPM_TOKEN (set with --build-arg, recorded in the history)"),
            ("DRG-IMG-016", 3, "ARG DB_PASSWORD (set with --build-arg, recorded in the history)"),
            ("DRG-IMG-016", 4, "ARG API_KEY=…")
        ]
    );
    passes("ENV TOKEN_FILE=/run/secrets/t");
    // Clearing a token stores nothing.
    passes("ENV NPM_TOKEN=\"\"\nENV GITHUB_TOKEN=");
    // Windows shells: the POSIX command checks do not apply.
    passes("SHELL [\"powershell\", \"-Command\"]\nRUN iwr https://x.example/a | iex");
}

#[test]
fn base_images() {
    fails("DRG-IMG-017", "FROM debian\nUSER app\nHEALTHCHECK CMD [\"true\"]\n", 1);
    fails("DRG-IMG-017", "ARG TAG=latest\nFROM debian:${TAG}\nUSER app\nHEALTHCHECK CMD [\"true\"]\n", 2);
    // A digest, a version, scratch, an earlier stage, a variable the build must pass.
    passes("FROM debian@sha256:0000 AS a\nFROM scratch AS b\nFROM a\nARG IMG\nUSER app\nHEALTHCHECK CMD [\"true\"]\n");
    passes("ARG IMG\nFROM ${IMG}\nUSER app\nHEALTHCHECK CMD [\"true\"]\n");
    passes("ARG V=3.20\nFROM alpine:${V:-3.19}\nUSER app\nHEALTHCHECK CMD [\"true\"]\n");
}

#[test]
fn stages_and_copy_from() {
    let tail = "USER app\nHEALTHCHECK CMD [\"true\"]\n";
    fails("DRG-DF-001", &format!("FROM debian:12.6 AS app\nCOPY --from=app /a /b\n{tail}"), 2);
    fails("DRG-DF-006", &format!("FROM debian:12.6 AS x\nFROM debian:12.7 AS X\n{tail}"), 2);
    fails("DRG-DF-008", &format!("FROM debian:12.6\nCOPY --from=builder /a /b\n{tail}"), 2);
    fails("DRG-DF-008", &format!("FROM debian:12.6\nCOPY --from=later /a /b\nFROM debian:12.6 AS later\n{tail}"), 2);
    // Earlier stages by name or index, and full image references.
    passes(&format!(
        "FROM debian:12.6 AS build\nFROM debian:12.6\nCOPY --from=build /a /b\nCOPY --from=0 /c /d\nCOPY --from=nginx:1.27 /e /f\n{tail}"
    ));
}

#[test]
fn instruction_forms() {
    fails("DRG-DF-002", "ENTRYPOINT [\"a\"]\nENTRYPOINT [\"b\"]", 4);
    fails("DRG-DF-007", "CMD [\"a\"]", 6);
    fails("DRG-DF-009", "HEALTHCHECK CMD [\"a\"]", 5);
    fails("DRG-DF-004", "WORKDIR app", 3);
    fails("DRG-DF-011", "WORKDIR /proc/self", 3);
    fails("DRG-DF-012", "ENTRYPOINT /app/run --serve", 3);
    fails("DRG-DF-005", "COPY a.txt b.txt /dest", 3);
    fails("DRG-DF-010", "ADD app.py /app/", 3);
    fails("DRG-IMG-004", "ADD https://example.com/tool /usr/local/bin/tool", 3);
    fails("DRG-IMG-026", "MAINTAINER me", 3);
    fails("DRG-DF-013", "RUN curl -fsSL https://example.com/x.tgz | tar xz", 3);
    // ADD of an archive to unpack, a checksummed URL, a git repository; COPY into a directory;
    // a Windows drive; pipefail set in the step or by SHELL.
    passes(
        "ADD vendor.tar.gz /opt/\nADD --checksum=sha256:00 https://example.com/t /t\nADD git@github.com:org/repo.git /src\nCOPY a b /dest/\nWORKDIR /srv\nRUN set -eo pipefail; curl -fsSL https://example.com/x.tgz | tar xz",
    );
    passes("SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\nRUN curl -fsSL https://example.com/x.tgz | tar xz");
    passes("FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nWORKDIR C:\\\\app\nUSER ContainerUser\nHEALTHCHECK CMD [\"a\"]\n");
}

#[test]
fn variables_substitute_like_buildkit() {
    let v = vec![("A".to_string(), Some("x".to_string())), ("E".into(), Some(String::new())), ("N".into(), None)];
    assert_eq!(substitute("$A-${A}", &v).as_deref(), Some("x-x"));
    assert_eq!(substitute("${E:-d} ${E-d} ${A:+set} ${Z:-dflt}", &v).as_deref(), Some("d  set dflt"));
    assert_eq!(substitute("${N}", &v), None);
    assert_eq!(substitute("${UNSET}", &v), None);
    assert_eq!(substitute("a$", &v).as_deref(), Some("a$"));
    assert_eq!(substitute("${unterminated", &v), None);
}

#[test]
fn bad_dockerfiles_are_errors_with_a_line() {
    for (text, line, what) in [
        ("FROM debian\nCOPY onlyone\n", 2, "COPY"),
        ("FROM debian\nFROBNICATE x\n", 2, "unknown instruction"),
        ("RUN echo no stage\n", 1, "FROM"),
        ("# just a comment\n", 0, "FROM"),
    ] {
        let e = parse(text).unwrap_err();
        assert_eq!(e.line, line, "{text}: {e}");
        assert!(e.to_string().to_lowercase().contains(&what.to_lowercase()), "{text}: {e}");
    }
    // An unterminated heredoc: an error at the line that opens it (not the end of the file),
    // whatever the quoting; the last opening when an earlier one was closed.
    for (text, line, delim) in [
        ("FROM debian\nRUN <<EOF\necho never closed\n", 2, "EOF"),
        ("FROM debian\nUSER app\nRUN <<-'END' bash\n  echo never closed\nmore\n", 3, "END"),
        ("FROM debian\nRUN <<EOF\necho closed\nEOF\nCOPY <<\"EOF\" /x\nbody\n", 5, "EOF"),
    ] {
        let e = parse(text).unwrap_err();
        assert_eq!(e.line, line, "{text}: {e}");
        assert!(e.msg.contains(&format!("here-document {delim}")) && e.msg.contains("never closed"), "{text}: {e}");
    }
    // Too large.
    let big = format!("FROM debian\nRUN echo {}\n", "x".repeat(crate::dockerfile::MAX_DOCKERFILE));
    assert!(parse(&big).unwrap_err().to_string().contains("MiB"));
}

#[test]
fn hostile_dockerfiles_stay_bounded() {
    let t = std::time::Instant::now();
    // A 3 MB single line, 100,000 continuation lines, 10,000 stages copying from each other,
    // 50,000 heredocs.
    let one_line = format!("FROM debian\nRUN {}\n", "a | b && ".repeat(3 << 20 >> 9));
    let _ = check_dockerfile(&parse(&one_line).unwrap());
    let continued = format!("FROM debian\nRUN true{}\n", " \\\n && echo x".repeat(100_000));
    let h = check_dockerfile(&parse(&continued).unwrap());
    assert!(h.iter().all(|h| h.1 == 1 || h.1 == 2));
    let mut stages = String::new();
    for i in 0..10_000_usize {
        stages.push_str(&format!("FROM debian:12.6 AS s{i}\nCOPY --from=s{} /a /b\n", i.saturating_sub(1_usize)));
    }
    let _ = check_dockerfile(&parse(&stages).unwrap());
    let heredocs = format!("FROM debian\n{}", "RUN <<E\necho x\nE\n".repeat(50_000));
    let _ = check_dockerfile(&parse(&heredocs).unwrap());
    // Binary junk and odd bytes: errors, not panics.
    for junk in ["\u{feff}FROM debian\n", "FROM \u{0}\n", "FROM debian\nRUN \\", "FROM debian\nONBUILD ONBUILD RUN x\n", "FROM a AS\n"] {
        if let Ok(df) = parse(junk) {
            let _ = check_dockerfile(&df);
        }
    }
    assert!(t.elapsed() < std::time::Duration::from_secs(20), "{:?}", t.elapsed());
}

#[test]
fn arg_and_env_are_substituted_where_buildkit_substitutes() {
    let tail = "HEALTHCHECK CMD [\"true\"]\n";
    // USER, EXPOSE, WORKDIR see the stage's ARG and ENV values.
    let h = hits(&format!("FROM debian:12.6\nENV APP_USER=root\nUSER $APP_USER\n{tail}"));
    assert_eq!(h, vec![("DRG-IMG-001", 3, "USER root".to_string())]);
    let h = hits(&format!("FROM debian:12.6\nARG PORT=22\nEXPOSE ${{PORT}}/tcp\nUSER app\n{tail}"));
    assert_eq!(h.iter().map(|h| (h.0, h.1)).collect::<Vec<_>>(), vec![("DRG-IMG-003", 3)]);
    let h = hits(&format!("FROM debian:12.6\nENV DIR=app\nWORKDIR $DIR\nUSER app\n{tail}"));
    assert_eq!(h, vec![("DRG-DF-004", 3, "WORKDIR app".to_string())]);
    // A global ARG redeclared in the stage takes its default; ENV carries into a stage built FROM
    // the stage that set it.
    let h = hits(&format!("ARG U=0\nFROM debian:12.6 AS base\nARG U\nENV RUNAS=$U\nFROM base\nUSER ${{RUNAS}}\n{tail}"));
    assert_eq!(h.iter().map(|h| (h.0, h.1)).collect::<Vec<_>>(), vec![("DRG-IMG-001", 6)]);
    // A global ARG not redeclared is not visible in the stage; nor is a variable without a value:
    // nothing to judge.
    passes(&format!("ARG U=0\nFROM debian:12.6\nUSER $U\n{tail}"));
    passes(&format!("FROM debian:12.6\nARG UID\nUSER $UID\nEXPOSE $PORT\nWORKDIR $HOME/app\n{tail}"));
}

#[test]
fn root_in_any_spelling_and_windows_shells() {
    let tail = "HEALTHCHECK CMD [\"true\"]\n";
    fails("DRG-IMG-001", &format!("FROM debian:12.6\nUSER 00:0\n{tail}"), 2);
    fails("DRG-IMG-001", &format!("FROM mcr.microsoft.com/windows/servercore:ltsc2022\nUSER ContainerAdministrator\n{tail}"), 2);
    // A Windows base runs RUN with cmd: no POSIX pipefail advice, no apt checks.
    passes(&format!("FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nRUN type a.txt | findstr x\nUSER ContainerUser\n{tail}"));
}
