#!/usr/bin/env bash
# Advisory database benchmarks: build time and size for a synthetic OSV source of 300,000 records
# (bench/gen-osv.py), and matching time for 1,000 and 10,000 packages, with 1% of the packages
# having advisories (realistic) and with every package having ten (worst case). Replaces the
# section between the db markers in BENCHMARKS.md.
#
#   bash bench/db.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
WORK=${DREDGE_BENCH_DIR:-/var/tmp/dredge-bench}/db
mkdir -p "$WORK"
cd "$WORK"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/dredge-target}
(cd "$repo" && cargo build --release --locked -p dredge >&2)
D=$CARGO_TARGET_DIR/release/dredge
[ -f syn.zip ] || python3 "$here/gen-osv.py" 300000 30000 10000 syn.zip sbom-10k-all.json
python3 - <<'PY'
import json
def sbom(n, every, path):
    comps = [{"type": "operating-system", "bom-ref": "os", "name": "debian", "version": "12"}]
    for i in range(n):
        name = f"pkg{i % 30000:06d}" if i % every == 0 else f"other{i:06d}"
        comps.append({"type": "library", "bom-ref": f"c{i}", "name": name, "version": "1.0-1",
                      "purl": f"pkg:deb/debian/{name}@1.0-1?arch=amd64&distro=debian-12"})
    json.dump({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": comps}, open(path, "w"))
for n in (1000, 10000):
    sbom(n, 100, f"sbom-{n}-1pct.json")
    sbom(n, 1, f"sbom-{n}-all.json")
PY
rm -f syn.db
/usr/bin/time -f "%e %M" -o build.time "$D" db build --source syn.zip --output syn.db 2>/dev/null
read -r bt bm < build.time
zsize=$(du -h syn.zip | cut -f1); dsize=$(du -h syn.db | cut -f1)
match() { # median of 5 matching times (ms) reported by --debug-timing
  for _ in 1 2 3 4 5; do "$D" sbom-scan "$1" --db syn.db --offline --debug-timing -f json -o /dev/null 2>&1 | sed -n 's/.*in \([0-9.]*\) ms (\([0-9]*\) findings.*/\1 \2/p'; done | sort -n | sed -n 3p
}
rows=""
for f in sbom-1000-1pct sbom-10000-1pct sbom-1000-all sbom-10000-all; do
  read -r ms n <<<"$(match $f.json)"
  rows+="| ${f#sbom-} | $ms ms | $n |"$'\n'
done
# End to end: the image benchmark's 1.2 GB Debian image (bench/run.sh builds it) against this
# database, layers cached (the usual CI re-scan) and cold.
e2e=""
IMG=${DREDGE_BENCH_DIR:-/var/tmp/dredge-bench}/image.docker.tar
if [ -f "$IMG" ]; then
  rm -rf e2e-cache
  /usr/bin/time -f "%e %M" -o e2e.cold "$D" image "docker-archive:$IMG" --db syn.db --offline --cache-dir e2e-cache -q -f json -o /dev/null
  for _ in 1 2 3; do /usr/bin/time -f "%e %M" -o e2e.warm "$D" image "docker-archive:$IMG" --db syn.db --offline --cache-dir e2e-cache -q -f json -o /dev/null; done
  read -r ct cm < e2e.cold; read -r wt wm < e2e.warm
  e2e="| \`dredge image\` of the 1.2 GB bench image (OS, Python and Node packages) with this database, cold | ${ct} s, peak $((cm / 1024)) MiB |"$'\n'"| the same, layers cached (a CI re-scan) | ${wt} s, peak $((wm / 1024)) MiB |"
fi
section=$(cat <<MD
<!-- db -->
## Advisory database

Written by \`bash bench/db.sh\` on $(date -u +%Y-%m-%d). Synthetic OSV source (\`bench/gen-osv.py\`): 300,000
records over 30,000 Debian:12 packages, each with aliases, a CVSS v3.1 vector and a range; $zsize zipped.

| step | result |
|---|---:|
| \`dredge db build\` of the 300,000 records | ${bt} s, peak $((bm / 1024)) MiB |
| database size | $dsize |
$e2e

Matching (\`dredge sbom-scan --debug-timing\`: the lookup query, range evaluation, grouping and
severity of every finding; median of 5):

| packages - share with advisories | matching time | findings |
|---|---:|---:|
$rows
"1pct": one package in a hundred has ten advisories (a realistic share); "all": every package has
ten, every one of them matching (the worst case: 100,000 findings for 10,000 packages).
\`trivy image\` with vulnerability scanning cannot run beside it here: Trivy downloads its database
from ghcr.io, which this machine cannot reach.
<!-- /db -->
MD
)
. "$here/lib.sh"
replace_section "$repo/BENCHMARKS.md" db "$section"
echo "$section"
