#!/usr/bin/env bash
# A/B of reports: runs two dredge binaries on every test image (testdata/make-images.sh) and
# root filesystem fixture, in every output format, with the same advisory database, and
# compares the outputs byte for byte (SOURCE_DATE_EPOCH pins the report time).
#
#   bash bench/ab-reports.sh BEFORE AFTER      # exit 1 and a diff when any output differs
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
A=${1:?usage: ab-reports.sh BEFORE-BINARY AFTER-BINARY}
B=${2:?usage: ab-reports.sh BEFORE-BINARY AFTER-BINARY}
IMAGES=${DREDGE_TEST_IMAGES:-/var/tmp/dredge-testimages}
FIX=$(cd "$repo" && bash testdata/fixtures.sh)
WORK=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
export SOURCE_DATE_EPOCH=1700000000
# One database for both, built by the first binary from the real advisory fixtures.
"$A" db build -o "$WORK/db" --source "$FIX/osv/almalinux8-osv.tar.gz" --source "$FIX/osv/pypa-advisory-database.tar.gz" \
  --source "$FIX/alpine-secdb/v3.9-main.yaml" --source "$FIX/alpine-secdb/v3.9-community.yaml" \
  $(for d in "$repo"/testdata/advisories/*/; do printf -- '--source %s ' "$d"; done) 2>/dev/null
targets=()
for f in "$IMAGES"/*.tar "$IMAGES"/*.tar.gz; do
  case $f in *multi.oci.tar) continue ;; esac # the layout below, archived
  [ -f "$f" ] && targets+=("$f")
done
# Every image of the OCI layout (gzip layers), by tag.
for tag in $(jq -r '.manifests[].annotations["org.opencontainers.image.ref.name"] // empty' "$IMAGES/oci/index.json"); do
  targets+=("oci-dir:$IMAGES/oci:$tag")
done
n=0 diffs=0
run() { # run NAME BIN ARGS... → $WORK/NAME.{a,b}
  local name=$1 side=$2; shift 2
  "$@" >"$WORK/$name.$side" 2>/dev/null || echo "exit $?" >>"$WORK/$name.$side"
}
compare() {
  local name=$1; shift
  run "$name" a "$A" "$@"
  run "$name" b "$B" "$@"
  n=$((n + 1))
  if ! cmp -s "$WORK/$name.a" "$WORK/$name.b"; then
    diffs=$((diffs + 1))
    echo "ab: $name differs:" >&2
    diff "$WORK/$name.a" "$WORK/$name.b" | head -20 >&2
  fi
}
i=0
for t in "${targets[@]}"; do
  i=$((i + 1))
  for fmt in json table sarif cyclonedx; do
    compare "image$i-$fmt" image "$t" --scanners vuln,secret --db "$WORK/db" --format "$fmt" --no-cache -q
  done
  compare "image$i-sbom-cdx" sbom "$t" --format cyclonedx --no-cache -q
  compare "image$i-sbom-spdx" sbom "$t" --format spdx-json --no-cache -q
done
for d in "$FIX"/alpine "$FIX"/rpmdb "$repo"/testdata/images/*/; do
  [ -d "$d" ] || continue
  i=$((i + 1))
  compare "rootfs$i-json" rootfs "$d" --scanners vuln,secret --db "$WORK/db" --format json -q
  compare "fs$i-json" fs "$d" --scanners vuln,secret --db "$WORK/db" --format json -q
done
failed=$(cat "$WORK"/*.a | grep -c "^exit " || true)
echo "ab: $n outputs compared over ${#targets[@]} images and $((i - ${#targets[@]})) directories, $diffs differ, $failed failed (a run that fails proves nothing: KEEP=1 keeps $WORK)" >&2
[ "$diffs" = 0 ] && [ "$failed" = 0 ]
