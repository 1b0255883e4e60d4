#!/usr/bin/env bash
# Secret scanning cost: on bench/run.sh's 1.2 GB Debian image (built there; run that first), dredge
# with and without the secret scanner, and Trivy's secret scanner beside its package listing.
# Writes the <!-- secrets --> section of BENCHMARKS.md.
#
#   bash bench/secrets.sh        # BENCH_RUNS=3 by default
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
WORK=${DREDGE_BENCH_DIR:-/var/tmp/dredge-bench}
RUNS=${BENCH_RUNS:-3}
PEERS=${PEERS:-/tmp/peers}
IMG=$WORK/image.docker.tar
[ -f "$IMG" ] || { echo "bench/secrets.sh: run bench/run.sh first (it builds $IMG)" >&2; exit 2; }
[ -x "$PEERS/bin/trivy" ] || PEERS=$PEERS bash "$repo/../shared/bench/peers.sh" >&2
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/dredge-target}
(cd "$repo" && cargo build --release --locked -p dredge >&2)
DREDGE=$CARGO_TARGET_DIR/release/dredge
TRIVY=$PEERS/bin/trivy
export TRIVY_NO_PROGRESS=true
cd "$WORK"
. "$here/lib.sh"
TRIVY_SKIP=$(cd "$WORK/rootfs" && find . -name '*.jar' | sed 's|^\.||' | paste -sd, -)

# CPU seconds (user + system) of one cold run, for the throughput figure.
cpu() { rm -rf "$WORK/cache-dredge"; /usr/bin/time -f "%U %S" -o cpu.out "$@" >/dev/null 2>&1; awk '{print $1 + $2}' cpu.out; }

prep() { rm -rf "$WORK/cache-dredge" "$WORK/cache-trivy"; }
measure "dredge, packages only (sbom)" "$DREDGE" sbom "docker-archive:$IMG" --format json --cache-dir "$WORK/cache-dredge" -q
measure "dredge, packages + secrets" "$DREDGE" image "docker-archive:$IMG" --scanners secret --format json --cache-dir "$WORK/cache-dredge" -q
measure "dredge, packages only (OCI layout, gzip)" "$DREDGE" sbom "oci-dir:$WORK/oci" --format json --cache-dir "$WORK/cache-dredge" -q
measure "dredge, packages + secrets (OCI layout, gzip)" "$DREDGE" image "oci-dir:$WORK/oci" --scanners secret --format json --cache-dir "$WORK/cache-dredge" -q
measure "trivy, packages only (sbom)" "$TRIVY" image --skip-files "$TRIVY_SKIP" --input "$IMG" --format cyclonedx --cache-dir "$WORK/cache-trivy" -q
measure "trivy, secrets only" "$TRIVY" image --skip-files "$TRIVY_SKIP" --input "$IMG" --scanners secret --format json --cache-dir "$WORK/cache-trivy" -q
prep() { :; }
"$DREDGE" image "docker-archive:$IMG" --scanners secret --cache-dir "$WORK/cache-dredge" -q >/dev/null
measure "dredge, packages + secrets, warm" "$DREDGE" image "docker-archive:$IMG" --scanners secret --format json --cache-dir "$WORK/cache-dredge" -q

c0=$(cpu "$DREDGE" sbom "docker-archive:$IMG" --format json --cache-dir "$WORK/cache-dredge" -q)
c1=$(cpu "$DREDGE" image "docker-archive:$IMG" --scanners secret --format json --cache-dir "$WORK/cache-dredge" -q)
bytes=$(stat -c %s "$IMG")
tput=$(awk -v b="$bytes" -v a="$c0" -v c="$c1" 'BEGIN { d = c - a; if (d > 0.001) printf "%.0f", b / 1048576 / d; else print "n/a" }')
added=$(awk -v a="$(t 'dredge, packages only (sbom)')" -v b="$(t 'dredge, packages + secrets')" 'BEGIN { printf "%.0f%%", (b - a) / a * 100 }')
added_gz=$(awk -v a="$(t 'dredge, packages only (OCI layout, gzip)')" -v b="$(t 'dredge, packages + secrets (OCI layout, gzip)')" 'BEGIN { printf "%.0f%%", (b - a) / a * 100 }')
nsec_d=$("$DREDGE" image "docker-archive:$IMG" --scanners secret --format json --cache-dir "$WORK/cache-dredge" -q | jq '.secrets | length')
nsec_t=$("$TRIVY" image --skip-files "$TRIVY_SKIP" --input "$IMG" --scanners secret --format json --cache-dir "$WORK/cache-trivy" -q | jq '[.Results[]?.Secrets[]?] | length')

section=$(cat <<MD
<!-- secrets -->
## Secret scanning

Written by \`bash bench/secrets.sh\` on $(date -u +%Y-%m-%d) (median of $RUNS runs), on the image above
($(du -sh "$IMG" | cut -f1) docker archive). dredge's secret scanner reads every regular file of every
layer in the same pass as the package extractors.

| run | wall | peak RSS |
|---|---:|---:|
$(for r in "${results[@]}"; do IFS='|' read -r n tt mm <<<"$r"; echo "| $n | ${tt} s | $((mm / 1024)) MiB |"; done)

- Added cost of secret scanning in dredge: **$added** of a cold scan of the uncompressed docker
  archive, **$added_gz** of a cold scan of the same image with gzip layers (as a registry serves
  it; decompression then dominates). Aim: under 20%.
- Throughput: $tput MB of image per CPU-second of added work (CPU time with secrets minus without:
  ${c1} s − ${c0} s, user + system, over all $(nproc) cores).
- Trivy's secret scan alone takes $(ratio "$(t 'trivy, secrets only')" "$(t 'dredge, packages + secrets')") dredge's packages-and-secrets time.
- Findings on this image: dredge $nsec_d, Trivy $nsec_t.
<!-- /secrets -->
MD
)
replace_section "$repo/BENCHMARKS.md" secrets "$section"
echo "$section"
