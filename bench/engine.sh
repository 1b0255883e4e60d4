#!/usr/bin/env bash
# The scan engine (issue 12): on bench/run.sh's image (run that first), a full scan
# (`--scanners vuln,secret`) against `dredge sbom`, on the docker archive and the gzip OCI layout;
# `dredge sbom` on gzip layers against single-threaded streaming inflate of the same layers
# (zlib-rs as dredge builds it, `igzip -dc`, `gzip -dc`); Trivy with the same scanners, cold and
# warm; peak memory; secret-scanning skips and their recall. Writes the <!-- engine --> section of
# BENCHMARKS.md.
#
#   bash bench/engine.sh                         # BENCH_RUNS=3 (median); Trivy's slow cold run once
#   DREDGE_BEFORE=/path/to/old/dredge bash bench/engine.sh   # adds the same rows for another build
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
WORK=${DREDGE_BENCH_DIR:-/var/tmp/dredge-bench}
RUNS=${BENCH_RUNS:-3}
PEERS=${PEERS:-/tmp/peers}
IMG=$WORK/image.docker.tar
OCI=$WORK/oci
[ -f "$IMG" ] && [ -d "$OCI" ] || { echo "bench/engine.sh: run bench/run.sh first (it builds $IMG and $OCI)" >&2; exit 2; }
[ -x "$PEERS/bin/trivy" ] || PEERS=$PEERS bash "$repo/../shared/bench/peers.sh" >&2
command -v igzip >/dev/null || { echo "bench/engine.sh: needs igzip (apt-get install isal)" >&2; exit 2; }
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/dredge-target}
# With ISA-L (the `isal` feature) when nasm is there to build it, then the default build.
if command -v nasm >/dev/null; then
  (cd "$repo" && cargo build --release --locked -p dredge --features isal >&2)
  cp "$CARGO_TARGET_DIR/release/dredge" "$WORK/dredge-isal"
  ISAL=$WORK/dredge-isal
fi
(cd "$repo" && cargo build --release --locked -p dredge-layer --example inflate >&2 && cargo build --release --locked -p dredge >&2)
DREDGE=$CARGO_TARGET_DIR/release/dredge
INFLATE=$CARGO_TARGET_DIR/release/examples/inflate
TRIVY=$PEERS/bin/trivy
export TRIVY_NO_PROGRESS=true
cd "$WORK"
. "$here/lib.sh"
TRIVY_SKIP=$(cd "$WORK/rootfs" && find . -name '*.jar' | sed 's|^\.||' | paste -sd, -)
FIX=$(cd "$repo" && bash testdata/fixtures.sh)

# The advisory database for the full scans: real OSV records (AlmaLinux, PyPA).
DB=$WORK/engine.db
[ -f "$DB" ] || "$DREDGE" db build -o "$DB" --source "$FIX/osv/almalinux8-osv.tar.gz" --source "$FIX/osv/pypa-advisory-database.tar.gz" >&2
# Trivy's database cannot be downloaded here: an empty one (bench/empty-trivy-db.py) lets it run
# the same scanners. With no advisories its lookups are free, so the comparison favours Trivy.
TCACHE=$WORK/cache-trivy-engine
tcold() { rm -rf "$TCACHE" && python3 "$here/empty-trivy-db.py" "$TCACHE"; }
TRIVY_FULL=("$TRIVY" image --input "$IMG" --scanners vuln,secret --skip-db-update --skip-java-db-update --offline-scan --skip-files "$TRIVY_SKIP" --format json --cache-dir "$TCACHE" -q)

# The same root filesystem as one gzip layer (the shape where one layer dominates a scan).
SINGLE=$WORK/oci-single
if [ ! -d "$SINGLE" ]; then
  rm -rf "$WORK/single-layout" "$WORK/single-bundle"
  umoci init --layout "$WORK/single-layout" && umoci new --image "$WORK/single-layout:one"
  umoci unpack --image "$WORK/single-layout:one" "$WORK/single-bundle" >/dev/null
  rsync -a "$WORK/rootfs/" "$WORK/single-bundle/rootfs/"
  umoci repack --image "$WORK/single-layout:one" "$WORK/single-bundle" --history.created_by "debootstrap bookworm (one layer)"
  skopeo copy -q "oci:$WORK/single-layout:one" "oci:$SINGLE:one"
  rm -rf "$WORK/single-layout" "$WORK/single-bundle"
fi
ms=$(jq -r '.manifests[0].digest' "$SINGLE/index.json" | cut -d: -f2)
SINGLE_BLOB=$(jq -r '.layers[0].digest' "$SINGLE/blobs/sha256/$ms" | sed "s|sha256:|$SINGLE/blobs/sha256/|")

# The layers of the OCI layout, in order.
m=$(jq -r '.manifests[0].digest' "$OCI/index.json" | cut -d: -f2)
LAYERS=$(jq -r '.layers[].digest' "$OCI/blobs/sha256/$m" | sed "s|sha256:|$OCI/blobs/sha256/|" | paste -sd' ' -)

prep() { rm -rf "$WORK/cache-dredge"; }
for who in now isal before; do
  bin=$DREDGE; tag=""
  if [ $who = before ]; then [ -n "${DREDGE_BEFORE:-}" ] || continue; bin=$DREDGE_BEFORE; tag=" (before)"; fi
  if [ $who = isal ]; then [ -n "${ISAL:-}" ] || continue; bin=$ISAL; tag=" (isal)"; fi
  measure "sbom, docker archive$tag" "$bin" sbom "docker-archive:$IMG" --format json --cache-dir "$WORK/cache-dredge" -q
  measure "full scan, docker archive$tag" "$bin" image "docker-archive:$IMG" --scanners vuln,secret --db "$DB" --format json --cache-dir "$WORK/cache-dredge" -q
  measure "sbom, OCI gzip$tag" "$bin" sbom "oci-dir:$OCI" --format json --cache-dir "$WORK/cache-dredge" -q
  measure "full scan, OCI gzip$tag" "$bin" image "oci-dir:$OCI" --scanners vuln,secret --db "$DB" --format json --cache-dir "$WORK/cache-dredge" -q
  measure "sbom, one gzip layer$tag" "$bin" sbom "oci-dir:$SINGLE" --format json --cache-dir "$WORK/cache-dredge" -q
  measure "full scan, one gzip layer$tag" "$bin" image "oci-dir:$SINGLE" --scanners vuln,secret --db "$DB" --format json --cache-dir "$WORK/cache-dredge" -q
done
prep() { :; }
"$DREDGE" image "docker-archive:$IMG" --scanners vuln,secret --db "$DB" --cache-dir "$WORK/cache-dredge" -q >/dev/null
measure "full scan, docker archive, warm" "$DREDGE" image "docker-archive:$IMG" --scanners vuln,secret --db "$DB" --format json --cache-dir "$WORK/cache-dredge" -q
# shellcheck disable=SC2086
measure "inflate: zlib-rs (dredge's), 1 thread" "$INFLATE" $LAYERS
measure "inflate: igzip -dc, 1 thread" sh -c "igzip -dc $LAYERS"
measure "inflate: gzip -dc, 1 thread" sh -c "for f in $LAYERS; do gzip -dc < \$f; done"
measure "inflate one layer: zlib-rs (dredge's)" "$INFLATE" "$SINGLE_BLOB"
measure "inflate one layer: igzip -dc" igzip -dc "$SINGLE_BLOB"
measure "inflate one layer: gzip -dc" sh -c "gzip -dc < $SINGLE_BLOB"
prep() { tcold; }
RUNS_SAVED=$RUNS; RUNS=${TRIVY_SLOW_RUNS:-1}
measure "trivy full scan, docker archive, cold" "${TRIVY_FULL[@]}"
RUNS=$RUNS_SAVED
measure "trivy vuln only, docker archive, cold" "$TRIVY" image --input "$IMG" --scanners vuln --skip-db-update --skip-java-db-update --offline-scan --skip-files "$TRIVY_SKIP" --format json --cache-dir "$TCACHE" -q
prep() { :; }
tcold; "${TRIVY_FULL[@]}" >/dev/null
measure "trivy full scan, docker archive, warm" "${TRIVY_FULL[@]}"

# Secret-scanning skips: findings and time with the built-in skips, and with every skip of this
# issue disabled (the planted-secret test image and this image).
SKIPS=$(cd "$repo" && grep -o '("\(package-manager\|system\|media\|archive\)-[a-z0-9-]*"' crates/dredge-secret/src/rules.rs | tr -d '("' | grep -v -e system-docs -e system-man-pages | paste -sd, -)
printf 'disable-rules: [%s]\n' "$SKIPS" > noskip.yaml
prep() { rm -rf "$WORK/cache-dredge"; }
measure "secrets only, with skips" "$DREDGE" image "docker-archive:$IMG" --scanners secret --format json --cache-dir "$WORK/cache-dredge" -q
measure "secrets only, skips disabled" "$DREDGE" image "docker-archive:$IMG" --scanners secret --secret-config noskip.yaml --format json --cache-dir "$WORK/cache-dredge" -q
n_skip=$("$DREDGE" image "docker-archive:$IMG" --scanners secret --format json --no-cache -q | jq '.secrets | length')
n_all=$("$DREDGE" image "docker-archive:$IMG" --scanners secret --secret-config noskip.yaml --format json --no-cache -q | jq '.secrets | length')
TI=${DREDGE_TEST_IMAGES:-/var/tmp/dredge-testimages}
planted=$(wc -l < "$TI/expected/secrets-values.txt")
p_skip=$("$DREDGE" image "$TI/secrets.docker.tar" --scanners secret --format json --no-cache -q | jq '.secrets | length')
p_all=$("$DREDGE" image "$TI/secrets.docker.tar" --scanners secret --secret-config noskip.yaml --format json --no-cache -q | jq '.secrets | length')

fastest1=$(printf '%s\n' "$(t 'inflate one layer: zlib-rs (dredge'"'"'s)')" "$(t 'inflate one layer: igzip -dc')" | sort -n | head -1)
fastest=$(printf '%s\n' "$(t 'inflate: zlib-rs (dredge'"'"'s), 1 thread')" "$(t 'inflate: igzip -dc, 1 thread')" | sort -n | head -1)
row() { echo "| $1 | $(t "$1") s | $(m "$1") MiB |"; }
rows=$(for r in "${results[@]}"; do n=${r%%|*}; row "$n"; done)
maxrss=0; for r in "${results[@]}"; do case $r in trivy*|inflate*|*before*) continue;; esac; n=${r%%|*}; [ "$(m "$n")" -gt "$maxrss" ] && maxrss=$(m "$n"); done
before_rows=""
if [ -n "${DREDGE_BEFORE:-}" ]; then
  before_rows="
- Before → after (\`DREDGE_BEFORE\`): full scan $(t 'full scan, docker archive (before)') s → $(t 'full scan, docker archive') s on the docker archive,
  $(t 'full scan, OCI gzip (before)') s → $(t 'full scan, OCI gzip') s on gzip layers; sbom $(t 'sbom, docker archive (before)') s → $(t 'sbom, docker archive') s and
  $(t 'sbom, OCI gzip (before)') s → $(t 'sbom, OCI gzip') s."
fi
section=$(cat <<MD
<!-- engine -->
## Scan engine: full scan against the package listing, inflate and Trivy

Written by \`bash bench/engine.sh\` on $(date -u +%Y-%m-%d) ($(nproc) cores; median of $RUNS runs,
Trivy's cold full scan ${TRIVY_SLOW_RUNS:-1} run), on the image of bench/run.sh ($(du -sh "$IMG" | cut -f1) docker archive, the same
image as an OCI layout with gzip layers, and its root filesystem as one gzip layer). Rows marked
(isal) are the same build with the \`isal\` feature (ISA-L inflate); (before) is \`DREDGE_BEFORE\`. Full scan = \`--scanners vuln,secret\` with a real OSV
database; Trivy runs the same scanners against an empty database of its own (its database cannot be
downloaded here), so its lookups cost it nothing.

| run | wall | peak RSS |
|---|---:|---:|
$rows

| aim | measured | |
|---|---:|---|
| full scan ÷ sbom, docker archive (≤ 1.25×) | $(ratio "$(t 'full scan, docker archive')" "$(t 'sbom, docker archive')") | |
| full scan ÷ sbom, OCI gzip (≤ 1.25×) | $(ratio "$(t 'full scan, OCI gzip')" "$(t 'sbom, OCI gzip')") | |
| sbom on one gzip layer ÷ fastest 1-thread inflate of it (≤ 1.10×) | $(ratio "$(t 'sbom, one gzip layer')" "$fastest1") | vs igzip: $(ratio "$(t 'sbom, one gzip layer')" "$(t 'inflate one layer: igzip -dc')"), vs gzip: $(ratio "$(t 'sbom, one gzip layer')" "$(t 'inflate one layer: gzip -dc')")${ISAL:+; with ISA-L: $(ratio "$(t 'sbom, one gzip layer (isal)')" "$fastest1") (vs igzip $(ratio "$(t 'sbom, one gzip layer (isal)')" "$(t 'inflate one layer: igzip -dc')"))} |
| full scan ÷ sbom, one gzip layer (≤ 1.25×) | $(ratio "$(t 'full scan, one gzip layer')" "$(t 'sbom, one gzip layer')") | |
| sbom on gzip ÷ fastest 1-thread inflate of its layers (≤ 1.10×) | $(ratio "$(t 'sbom, OCI gzip')" "$fastest") | vs igzip: $(ratio "$(t 'sbom, OCI gzip')" "$(t 'inflate: igzip -dc, 1 thread')"), vs gzip: $(ratio "$(t 'sbom, OCI gzip')" "$(t 'inflate: gzip -dc, 1 thread')") |
| Trivy ÷ dredge, full scan, cold (≥ 3×) | $(ratio "$(t 'trivy full scan, docker archive, cold')" "$(t 'full scan, docker archive')") | Trivy vuln only ÷ dredge full: $(ratio "$(t 'trivy vuln only, docker archive, cold')" "$(t 'full scan, docker archive')") |
| Trivy ÷ dredge, full scan, warm (≥ 10×) | $(ratio "$(t 'trivy full scan, docker archive, warm')" "$(t 'full scan, docker archive, warm')") | |
| dredge peak RSS, any run above (< 100 MiB) | ${maxrss} MiB | |
$before_rows
- Secret-scanning skips (the OS package manager's state, the distribution's own language
  libraries, headers, locales, media and archives; \`docs/secrets.md\`): on this image
  $n_skip findings with them, $n_all with them disabled, secret scanning
  $(t 'secrets only, with skips') s against $(t 'secrets only, skips disabled') s. Recall on the
  planted-secret test image: $p_skip findings with the skips, $p_all without ($planted planted values,
  some found twice: in a file and in the history).
- Trivy's secret scanner is slow on this image (its packages alone take
  $(t 'trivy vuln only, docker archive, cold') s): the cold ratio above is mostly that; the vuln-only figure is the
  fairer floor.
<!-- /engine -->
MD
)
replace_section "$repo/BENCHMARKS.md" engine "$section"
echo "$section"
