//! Every check, with its stable id. `docs/misconfig.md` lists them (generated; a test keeps it
//! current). Severities follow Trivy's for the checks it shares (named in `peers`).

use dredge_model::Severity;

/// A check: what it finds, why it matters, how to fix it, where to read more.
#[derive(Debug, Clone, Copy)]
pub struct Check {
    pub id: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    pub why: &'static str,
    pub fix: &'static str,
    pub reference: &'static str,
    /// The peers' checks it corresponds to (Trivy `DS…`, hadolint `DL…`).
    pub peers: &'static str,
}

const BEST_PRACTICES: &str = "https://docs.docker.com/build/building/best-practices/";

pub static CHECKS: &[Check] = &[
    Check {
        id: "DRG-IMG-001",
        severity: Severity::High,
        title: "Image runs as root",
        why: "A process running as root in the container is root on the host's kernel: a container escape or a writable host mount becomes full host compromise.",
        fix: "Create an unprivileged user and end the Dockerfile with `USER <name or uid>` (not 0 or root).",
        reference: "https://docs.docker.com/build/building/best-practices/#user",
        peers: "Trivy DS002, hadolint DL3002",
    },
    Check {
        id: "DRG-IMG-002",
        severity: Severity::Low,
        title: "No HEALTHCHECK",
        why: "Without a health check the runtime cannot tell a hung service from a working one, so it is never restarted.",
        fix: "Add `HEALTHCHECK CMD <command that fails when the service is unhealthy>`.",
        reference: "https://docs.docker.com/reference/dockerfile/#healthcheck",
        peers: "Trivy DS026",
    },
    Check {
        id: "DRG-IMG-003",
        severity: Severity::Medium,
        title: "Sensitive port exposed",
        why: "The image exposes a remote administration or database port (SSH, Telnet, RDP, VNC, the Docker API, database servers): it invites running that service reachable from outside.",
        fix: "Remove the `EXPOSE` line; reach administration through `docker exec` or the orchestrator, and keep database ports on internal networks.",
        reference: "https://docs.docker.com/reference/dockerfile/#expose",
        peers: "Trivy DS004 (port 22)",
    },
    Check {
        id: "DRG-IMG-004",
        severity: Severity::Medium,
        title: "ADD of a remote URL",
        why: "`ADD https://…` downloads at build time with no checksum check: whoever controls the URL (or the network) controls what goes into the image.",
        fix: "Download with `curl` and verify a pinned SHA-256, or use `ADD --checksum=sha256:… URL`, or COPY a vendored file.",
        reference: "https://docs.docker.com/reference/dockerfile/#add",
        peers: "Trivy DS005, hadolint DL3020",
    },
    Check {
        id: "DRG-IMG-005",
        severity: Severity::High,
        title: "Remote script piped to a shell",
        why: "`curl … | sh` runs whatever the server returns, unverified; a compromised or spoofed server owns the build.",
        fix: "Download the script, verify its checksum or signature, then run it.",
        reference: BEST_PRACTICES,
        peers: "hadolint DL4006 (pipefail)",
    },
    Check {
        id: "DRG-IMG-006",
        severity: Severity::Low,
        title: "apt-get install without removing the package lists",
        why: "The apt lists left in `/var/lib/apt/lists` add tens of MB to the layer and pin a stale view of the archive.",
        fix: "End the same RUN with `&& rm -rf /var/lib/apt/lists/*`.",
        reference: "https://docs.docker.com/build/building/best-practices/#apt-get",
        peers: "hadolint DL3009",
    },
    Check {
        id: "DRG-IMG-007",
        severity: Severity::Low,
        title: "apt-get install without version pins",
        why: "Unpinned packages make the image differ from build to build; a rebuild can pull a different (or compromised) version.",
        fix: "Pin versions: `apt-get install -y curl=7.88.1-10+deb12u5`.",
        reference: "https://hadolint.github.io/hadolint/rules/DL3008",
        peers: "hadolint DL3008",
    },
    Check {
        id: "DRG-IMG-008",
        severity: Severity::Low,
        title: "apk add without --no-cache",
        why: "The apk index cache stays in the layer: size, and a stale view of the repository.",
        fix: "Use `apk add --no-cache …`.",
        reference: "https://github.com/gliderlabs/docker-alpine/blob/master/docs/usage.md#disabling-cache",
        peers: "Trivy DS025, hadolint DL3019",
    },
    Check {
        id: "DRG-IMG-009",
        severity: Severity::Low,
        title: "apk add without version pins",
        why: "Unpinned packages make the image differ from build to build.",
        fix: "Pin versions: `apk add --no-cache curl=8.5.0-r0`.",
        reference: "https://hadolint.github.io/hadolint/rules/DL3018",
        peers: "hadolint DL3018",
    },
    Check {
        id: "DRG-IMG-010",
        severity: Severity::Low,
        title: "yum/dnf install without cleaning the cache",
        why: "The package manager's metadata and package cache stay in the layer.",
        fix: "End the same RUN with `&& yum clean all` (or `dnf clean all`, `microdnf clean all`).",
        reference: BEST_PRACTICES,
        peers: "Trivy DS015, DS019, hadolint DL3032, DL3040",
    },
    Check {
        id: "DRG-IMG-011",
        severity: Severity::Low,
        title: "pip install without --no-cache-dir",
        why: "pip's download cache stays in the layer.",
        fix: "Use `pip install --no-cache-dir …` or set `ENV PIP_NO_CACHE_DIR=1`.",
        reference: "https://hadolint.github.io/hadolint/rules/DL3042",
        peers: "hadolint DL3042",
    },
    Check {
        id: "DRG-IMG-012",
        severity: Severity::Low,
        title: "pip install without version pins",
        why: "Unpinned Python packages make the image differ from build to build; a rebuild can pull a compromised release.",
        fix: "Pin versions (`pip install flask==3.0.3`) or install from a requirements file with hashes.",
        reference: "https://hadolint.github.io/hadolint/rules/DL3013",
        peers: "hadolint DL3013",
    },
    Check {
        id: "DRG-IMG-013",
        severity: Severity::Low,
        title: "npm install of unpinned packages",
        why: "`npm install name` takes whatever version is newest at build time.",
        fix: "Pin versions (`npm install express@4.19.2`) or use `npm ci` with a committed lockfile.",
        reference: "https://hadolint.github.io/hadolint/rules/DL3016",
        peers: "hadolint DL3016",
    },
    Check {
        id: "DRG-IMG-014",
        severity: Severity::Critical,
        title: "sudo in a build step",
        why: "Build steps already run as the current USER; `sudo` in an image means sudo is installed and configured, a privilege escalation path at run time.",
        fix: "Switch user with `USER root` for the step that needs it, then back; remove sudo from the image.",
        reference: "https://docs.docker.com/build/building/best-practices/#user",
        peers: "Trivy DS010, hadolint DL3004",
    },
    Check {
        id: "DRG-IMG-015",
        severity: Severity::High,
        title: "World-writable permissions set",
        why: "`chmod 777` (or `o+w`) lets any user in the container rewrite the files, including code that a privileged process runs.",
        fix: "Give ownership to the user that needs it (`chown app:app`) and use 755/644 or narrower.",
        reference: BEST_PRACTICES,
        peers: "",
    },
    Check {
        id: "DRG-IMG-016",
        severity: Severity::Medium,
        title: "Secret-looking build argument or environment variable",
        why: "Build arguments and ENV values are stored in the image config and history in clear text: anyone who can pull the image can read them.",
        fix: "Pass secrets with `RUN --mount=type=secret` (BuildKit) or at run time; never as ARG or ENV. The secret scanner (`--scanners secret`) judges the value.",
        reference: "https://docs.docker.com/build/building/secrets/",
        peers: "Trivy DS031",
    },
    Check {
        id: "DRG-IMG-017",
        severity: Severity::Low,
        title: "Base image not pinned",
        why: "A base image named `:latest` or without a tag changes under the build: rebuilds are not reproducible and can pull an unreviewed base.",
        fix: "Build FROM a versioned tag, better a digest (`FROM debian:12.6@sha256:…`).",
        reference: "https://docs.docker.com/build/building/best-practices/#pin-base-image-versions",
        peers: "Trivy DS001, hadolint DL3006, DL3007",
    },
    Check {
        id: "DRG-IMG-018",
        severity: Severity::Medium,
        title: "setuid/setgid file not from an OS package",
        why: "A setuid or setgid program runs with its owner's (usually root's) rights whoever starts it; one that no package manager installed is unreviewed and unpatched, a ready privilege escalation.",
        fix: "Remove the bit (`chmod u-s,g-s FILE`) in the layer that adds the file, or drop the file; if it must stay, document why.",
        reference: "https://man7.org/linux/man-pages/man2/execve.2.html",
        peers: "",
    },
];

/// The check with this id.
pub fn check(id: &str) -> Option<&'static Check> {
    CHECKS.iter().find(|c| c.id == id)
}

/// The generated list of checks in `docs/misconfig.md`.
pub fn markdown() -> String {
    let mut s = String::from(
        "<!-- generated from crates/dredge-misconfig/src/checks.rs by `DREDGE_UPDATE_DOCS=1 cargo test -p dredge-misconfig`; do not edit -->\n\n| id | severity | title | peers | why | fix |\n|---|---|---|---|---|---|\n",
    );
    for c in CHECKS {
        s.push_str(&format!(
            "| {} | {} | [{}]({}) | {} | {} | {} |\n",
            c.id,
            c.severity.as_str(),
            c.title,
            c.reference,
            if c.peers.is_empty() { "-" } else { c.peers },
            c.why.replace('|', "\\|"),
            c.fix.replace('|', "\\|")
        ));
    }
    s
}
