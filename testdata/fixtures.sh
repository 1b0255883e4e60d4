#!/usr/bin/env bash
# Prints the directory that holds the real-data fixtures of testdata/fixtures.lock, every file
# checked against its pinned SHA-256. Looks, in order, at $DREDGE_FIXTURES and ../shared/fixtures
# (local mirrors); a mirror with a file that does not match its digest is an error naming it. Without
# a complete mirror, the files are downloaded from their upstream URLs into
# $DREDGE_FIXTURES_DOWNLOAD (default /var/tmp/dredge-fixtures) and checked the same way; when that is
# not possible either, it says so and exits 2.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
lock="$root/testdata/fixtures.lock"
entries() { grep -v '^#' "$lock" | grep -v '^$'; }

# check DIR: 0 when every file is there and matches; 1 when some are missing; 2 on a mismatch.
check() {
  local dir=$1 missing=0 path sum url actual
  while IFS=$'\t' read -r path sum url; do
    if [ ! -f "$dir/$path" ]; then missing=1; continue; fi
    actual=$(sha256sum "$dir/$path" | cut -d' ' -f1)
    if [ "$actual" != "$sum" ]; then
      echo "fixtures: $dir/$path has SHA-256 $actual, testdata/fixtures.lock pins $sum" >&2
      return 2
    fi
  done < <(entries)
  return $missing
}

for dir in ${DREDGE_FIXTURES:+"$DREDGE_FIXTURES"} "$root/../shared/fixtures"; do
  [ -d "$dir" ] || continue
  rc=0; check "$dir" || rc=$?
  if [ $rc -eq 0 ]; then (cd "$dir" && pwd); exit 0; fi
  if [ $rc -eq 2 ]; then exit 2; fi
  echo "fixtures: $dir lacks some files of testdata/fixtures.lock" >&2
done

dl=${DREDGE_FIXTURES_DOWNLOAD:-/var/tmp/dredge-fixtures}
while IFS=$'\t' read -r path sum url; do
  if [ -f "$dl/$path" ] && [ "$(sha256sum "$dl/$path" | cut -d' ' -f1)" = "$sum" ]; then continue; fi
  if [ "$url" = "-" ]; then
    echo "fixtures: $path has no upstream URL and no local mirror has it: set DREDGE_FIXTURES to a copy of the shared fixtures" >&2
    exit 2
  fi
  mkdir -p "$(dirname "$dl/$path")"
  if ! curl -fsSL --retry 2 --connect-timeout 15 -o "$dl/$path.part" "$url"; then
    rm -f "$dl/$path.part"
    echo "fixtures: cannot download $path from $url, and no local mirror has it (set DREDGE_FIXTURES, or place the shared fixtures at ../shared/fixtures)" >&2
    exit 2
  fi
  actual=$(sha256sum "$dl/$path.part" | cut -d' ' -f1)
  if [ "$actual" != "$sum" ]; then
    rm -f "$dl/$path.part"
    echo "fixtures: $url has SHA-256 $actual, testdata/fixtures.lock pins $sum: refusing it" >&2
    exit 2
  fi
  mv "$dl/$path.part" "$dl/$path"
done < <(entries)
(cd "$dl" && pwd)
