#!/usr/bin/env bash
# The cost of adding one scanner to a full scan: `vuln,secret` of bench/run.sh's image against the
# same scan with SCANNER added, cold and warm, on the docker archive and the gzip OCI layout.
# Writes the <!-- SCANNER --> section of BENCHMARKS.md.
#
#   bash bench/scanner-cost.sh misconfig     # issue 13 (aim: under 5%)
#   bash bench/scanner-cost.sh license       # issue 14 (aim: under 10%)
#   BENCH_RUNS=5 by default (median)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
SCANNER=${1:?usage: bench/scanner-cost.sh misconfig|license}
case $SCANNER in
  misconfig)
    TITLE="Misconfiguration checks: their cost"; AIM=5; KEY=misconfigurations
    WHAT="The checks read the image config and build history, the tar headers (setuid files) and the Dockerfiles the layer pass meets (picked by name; no other file is read for them)" ;;
  license)
    TITLE="License scanning: its cost"; AIM=10; KEY=licenses
    WHAT="Declared licenses come with the packages the extractors read (Debian copyright files are read by an extractor in every scan); the scanner identifies the text of the files named LICENSE, COPYING, NOTICE … as the layer streams by" ;;
  *) echo "bench/scanner-cost.sh: no scanner $SCANNER here (misconfig, license)" >&2; exit 2 ;;
esac
WORK=${DREDGE_BENCH_DIR:-/var/tmp/dredge-bench}
RUNS=${BENCH_RUNS:-5}
IMG=$WORK/image.docker.tar
OCI=$WORK/oci
[ -f "$IMG" ] && [ -d "$OCI" ] || { echo "bench/scanner-cost.sh: run bench/run.sh first (it builds $IMG and $OCI)" >&2; exit 2; }
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/dredge-target}
(cd "$repo" && cargo build --release --locked -p dredge >&2)
DREDGE=$CARGO_TARGET_DIR/release/dredge
cd "$WORK"
. "$here/lib.sh"
FIX=$(cd "$repo" && bash testdata/fixtures.sh)
DB=$WORK/engine.db
[ -f "$DB" ] || "$DREDGE" db build -o "$DB" --source "$FIX/osv/almalinux8-osv.tar.gz" --source "$FIX/osv/pypa-advisory-database.tar.gz" >&2
C=$WORK/cache-$SCANNER
prep() { rm -rf "$C"; }
for src in "docker-archive:$IMG" "oci-dir:$OCI"; do
  kind=${src%%:*}
  measure "vuln,secret, $kind" "$DREDGE" image "$src" --scanners vuln,secret --db "$DB" --format json --cache-dir "$C" -q
  measure "vuln,secret,$SCANNER, $kind" "$DREDGE" image "$src" --scanners vuln,secret,$SCANNER --db "$DB" --format json --cache-dir "$C" -q
done
prep() { :; }
"$DREDGE" image "docker-archive:$IMG" --scanners vuln,secret --db "$DB" --cache-dir "$C" -q >/dev/null
"$DREDGE" image "docker-archive:$IMG" --scanners vuln,secret,$SCANNER --db "$DB" --cache-dir "$C" -q >/dev/null
# Warm scans take tens of milliseconds: GNU time's 10 ms steps are too coarse, hyperfine's mean of
# 30 runs is used (in ms).
warm_ms() { hyperfine -N -w 3 -r 30 --export-json hf.json "$*" >/dev/null 2>&1; jq '.results[0].mean * 1000 | . * 10 | round / 10' hf.json; }
w0=$(warm_ms "$DREDGE" image "docker-archive:$IMG" --scanners vuln,secret --db "$DB" --format json --cache-dir "$C" -q)
w1=$(warm_ms "$DREDGE" image "docker-archive:$IMG" --scanners vuln,secret,$SCANNER --db "$DB" --format json --cache-dir "$C" -q)
n=$("$DREDGE" image "docker-archive:$IMG" --scanners "$SCANNER" --format json --cache-dir "$C" -q | jq ".$KEY | length")
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.1f%%", (a / b - 1) * 100 }'; }
row() { echo "| $1 | $(t "vuln,secret, $1") s | $(t "vuln,secret,$SCANNER, $1") s | $(pct "$(t "vuln,secret,$SCANNER, $1")" "$(t "vuln,secret, $1")") |"; }
section=$(cat <<MD
<!-- $SCANNER -->
## $TITLE

Written by \`bash bench/scanner-cost.sh $SCANNER\` on $(date -u +%Y-%m-%d) ($(nproc) cores; median of $RUNS runs) on the image of
bench/run.sh. $WHAT; $n findings on this image.

| image | \`vuln,secret\` | \`vuln,secret,$SCANNER\` | added (aim < $AIM%) |
|---|---:|---:|---:|
$(row docker-archive)
$(row oci-dir)
| warm (hyperfine, mean of 30) | $w0 ms | $w1 ms | $(pct "$w1" "$w0") |
<!-- /$SCANNER -->
MD
)
replace_section "$repo/BENCHMARKS.md" "$SCANNER" "$section"
echo "$section"
