#!/usr/bin/env bash
# Regenerates the lockfile fixtures of crates/dredge-extract/testdata/lang with the real tools,
# and each folder's expected.tsv (name<TAB>version<TAB>prod|dev) from the tool's own listing —
# never from dredge. Needs the network (PyPI, crates.io, Debian); run by hand, results committed:
#   bash crates/dredge-extract/testdata/lang/generate.sh
# Formats whose tools cannot run on this machine (pnpm, bun, yarn berry, .NET, Dart, Elixir, Swift,
# CocoaPods, Conan, Julia, Gradle, conda) are small files written to the published formats; their
# expected.tsv is written by hand from the file, see README.md there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tools=$work/venv
python3 -m venv "$tools"
"$tools/bin/pip" install -q uv==0.9.* poetry==2.* pdm "hishel>=1,<2" pipenv
export PATH=$tools/bin:$PATH

# --- Python: one project locked by uv, Poetry, PDM and Pipenv -------------------------------
proj() {
  rm -rf "$work/py" && mkdir -p "$work/py" && cd "$work/py"
  cat > pyproject.toml <<'TOML'
[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["requests==2.19.0", "PyYAML==5.3"]

[dependency-groups]
dev = ["pytest==7.0.1"]

[tool.poetry]
package-mode = false

# The PyPI mirror here serves the simple index only (no JSON API).
[[tool.poetry.source]]
name = "simple"
url = "https://pypi.org/simple/"
priority = "primary"

[tool.pdm]
distribution = false
TOML
}
# `name==version` lines of a requirements export → TSV rows with the given group.
rows() { grep -E '^[A-Za-z0-9_.-]+==' | sed -E 's/ *;.*//; s/ .*//' | awk -F'==' -v g="$1" '{print tolower($1) "\t" $2 "\t" g}'; }

proj; uv lock -q
mkdir -p "$here/uv-lock" && cp uv.lock "$here/uv-lock/"
{ uv export -q --no-dev --no-hashes --no-emit-project | rows prod; uv export -q --only-dev --no-hashes --no-emit-project | rows dev; } | sort > "$here/uv-lock/expected.tsv"

proj; poetry lock -q
mkdir -p "$here/poetry-lock" && cp poetry.lock "$here/poetry-lock/"
# Poetry 2 records groups per package; `poetry show` lists them by group.
{ poetry show --only main --no-ansi | sed 's/ (!)//' | awk '{print tolower($1) "\t" $2 "\tprod"}'; poetry show --only dev --no-ansi | sed 's/ (!)//' | awk '{print tolower($1) "\t" $2 "\tdev"}'; } | sort -u > "$work/poetry.tsv"
# `poetry show` hides packages whose markers exclude this platform (win32-only atomicwrites and
# colorama); the lock pins them all the same. The same project's uv export lists them: add those.
cut -f1 "$work/poetry.tsv" > "$work/poetry.names"
{ cat "$work/poetry.tsv"; grep -v -F -w -f "$work/poetry.names" "$here/uv-lock/expected.tsv" || true; } | sort -u > "$here/poetry-lock/expected.tsv"

proj; pdm lock -q -G dev 2>/dev/null || pdm lock -G dev
mkdir -p "$here/pdm-lock" && cp pdm.lock "$here/pdm-lock/"
{ pdm export --prod --no-hashes | rows prod; pdm export --no-default -G dev --no-hashes | rows dev; } | sort -u > "$here/pdm-lock/expected.tsv"

rm -rf "$work/pipenv" && mkdir -p "$work/pipenv" && cd "$work/pipenv"
printf '[packages]\nrequests = "==2.19.0"\npyyaml = "==5.3"\n\n[dev-packages]\npytest = "==7.0.1"\n\n[requires]\npython_version = "3.11"\n' > Pipfile
PIPENV_VENV_IN_PROJECT=1 pipenv lock >/dev/null 2>&1
mkdir -p "$here/pipfile-lock" && cp Pipfile.lock "$here/pipfile-lock/"
{ pipenv requirements | rows prod; pipenv requirements --dev-only | rows dev; } | sort -u > "$here/pipfile-lock/expected.tsv"

# requirements.txt as pip-compile style output (uv pip compile), with hashes and markers.
proj; printf 'requests==2.19.0\nPyYAML==5.3\n' > requirements.in
uv pip compile -q --generate-hashes requirements.in -o requirements.txt
mkdir -p "$here/requirements" && cp requirements.txt "$here/requirements/requirements-prod.txt"
# The oracle is pip's own parser of requirement lines (packaging), not dredge.
python3 - "$here/requirements/requirements-prod.txt" > "$here/requirements/expected.tsv" <<'PY'
import sys
from packaging.requirements import Requirement
text = open(sys.argv[1]).read().replace("\\\n", " ")
rows = set()
for line in text.splitlines():
    line = line.split(" #")[0].strip()
    if not line or line.startswith(("#", "-")):
        continue
    r = Requirement(line.split(" --hash")[0])
    specs = list(r.specifier)
    if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
        rows.add(f"{r.name}\t{specs[0].version}\tprod")
print("\n".join(sorted(rows)))
PY

# --- Rust: a Cargo.lock and a cargo-auditable binary ----------------------------------------
if command -v cargo >/dev/null; then
  cargo install -q cargo-auditable --version '^0.7' --locked 2>/dev/null || cargo install -q cargo-auditable --locked
  rm -rf "$work/rs" && cargo new -q --bin "$work/rs" --name audited && cd "$work/rs"
  # Old versions on purpose: smallvec 1.6.0 has RUSTSEC advisories.
  cat >> Cargo.toml <<'TOML'
itoa = "=1.0.1"
smallvec = "=1.6.0"
[profile.release]
opt-level = "z"
strip = true
TOML
  printf 'fn main() { let mut b = itoa::Buffer::new(); let v: smallvec::SmallVec<[u8; 4]> = smallvec::smallvec![1]; println!("{} {}", b.format(v.len()), 1); }\n' > src/main.rs
  cargo auditable build -q --release
  mkdir -p "$here/cargo-auditable"
  cp target/release/audited "$here/cargo-auditable/audited"
  cargo metadata -q --format-version 1 | python3 -c '
import json, sys
m = json.load(sys.stdin)
for p in sorted(m["packages"], key=lambda p: p["name"]):
    if p["source"]:
        print(p["name"] + "\t" + p["version"] + "\tprod")' > "$here/cargo-auditable/expected.tsv"
fi

# --- Ruby: installed gem specifications and a Gemfile.lock, offline from Debian's gems --------
if command -v bundle >/dev/null; then
  rm -rf "$work/rb" && mkdir -p "$work/rb" && cd "$work/rb"
  printf 'source "https://rubygems.org"\ngem "json"\ngem "rake"\n' > Gemfile
  bundle lock --local >/dev/null
  mkdir -p "$here/gemfile-lock" && cp Gemfile.lock "$here/gemfile-lock/"
  bundle list | sed -nE 's/^  \* ([^ ]+) \(([^)]+)\).*/\1\t\2\tprod/p' | sort > "$here/gemfile-lock/expected.tsv"
fi
echo "fixtures written under $here"
