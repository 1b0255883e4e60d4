#!/usr/bin/env bash
# The cost of `--scanners misconfig` (issue 13): a full scan (`vuln,secret`) of bench/run.sh's
# image against the same scan with misconfig added, cold and warm, on the docker archive and the
# gzip OCI layout. Writes the <!-- misconfig --> section of BENCHMARKS.md.
#
#   bash bench/misconfig.sh        # BENCH_RUNS=5 by default (median)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
WORK=${DREDGE_BENCH_DIR:-/var/tmp/dredge-bench}
RUNS=${BENCH_RUNS:-5}
IMG=$WORK/image.docker.tar
OCI=$WORK/oci
[ -f "$IMG" ] && [ -d "$OCI" ] || { echo "bench/misconfig.sh: run bench/run.sh first (it builds $IMG and $OCI)" >&2; exit 2; }
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/dredge-target}
(cd "$repo" && cargo build --release --locked -p dredge >&2)
DREDGE=$CARGO_TARGET_DIR/release/dredge
cd "$WORK"
. "$here/lib.sh"
FIX=$(cd "$repo" && bash testdata/fixtures.sh)
DB=$WORK/engine.db
[ -f "$DB" ] || "$DREDGE" db build -o "$DB" --source "$FIX/osv/almalinux8-osv.tar.gz" --source "$FIX/osv/pypa-advisory-database.tar.gz" >&2
C=$WORK/cache-misconfig
prep() { rm -rf "$C"; }
for src in "docker-archive:$IMG" "oci-dir:$OCI"; do
  kind=${src%%:*}
  measure "vuln,secret, $kind" "$DREDGE" image "$src" --scanners vuln,secret --db "$DB" --format json --cache-dir "$C" -q
  measure "vuln,secret,misconfig, $kind" "$DREDGE" image "$src" --scanners vuln,secret,misconfig --db "$DB" --format json --cache-dir "$C" -q
done
prep() { :; }
"$DREDGE" image "docker-archive:$IMG" --scanners vuln,secret --db "$DB" --cache-dir "$C" -q >/dev/null
"$DREDGE" image "docker-archive:$IMG" --scanners vuln,secret,misconfig --db "$DB" --cache-dir "$C" -q >/dev/null
measure "vuln,secret, warm" "$DREDGE" image "docker-archive:$IMG" --scanners vuln,secret --db "$DB" --format json --cache-dir "$C" -q
measure "vuln,secret,misconfig, warm" "$DREDGE" image "docker-archive:$IMG" --scanners vuln,secret,misconfig --db "$DB" --format json --cache-dir "$C" -q
n=$("$DREDGE" image "docker-archive:$IMG" --scanners misconfig --format json --cache-dir "$C" -q | jq '.misconfigurations | length')
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.1f%%", (a / b - 1) * 100 }'; }
row() { echo "| $1 | $(t "vuln,secret, $1") s | $(t "vuln,secret,misconfig, $1") s | $(pct "$(t "vuln,secret,misconfig, $1")" "$(t "vuln,secret, $1")") |"; }
section=$(cat <<MD
<!-- misconfig -->
## Misconfiguration checks: their cost

Written by \`bash bench/misconfig.sh\` on $(date -u +%Y-%m-%d) ($(nproc) cores; median of $RUNS runs) on the image of
bench/run.sh. The checks read the image config and build history, the tar headers (setuid files)
and the Dockerfiles the layer pass meets (picked by name; no other file is read for them); $n
findings on this image.

| image | \`vuln,secret\` | \`vuln,secret,misconfig\` | added (aim < 5%) |
|---|---:|---:|---:|
$(row docker-archive)
$(row oci-dir)
$(row warm)
<!-- /misconfig -->
MD
)
replace_section "$repo/BENCHMARKS.md" misconfig "$section"
echo "$section"
