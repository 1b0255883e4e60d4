#!/usr/bin/env bash
# The advisory database from every default source (issue 11): build time and size on the largest
# real data at hand (AlmaLinux 8's 3,237 OSV records, PyPA's ~2,600, the ALAS/ELSA excerpts), the
# per-record cost, a scale check with real records copied under new ids, and `db update` against
# a local mirror of OSV's layout serving every default export (real data for AlmaLinux and PyPI,
# empty exports for the others): first download and build, then the no-change update (one
# conditional request per source). Replaces the section between the db-sources markers in
# BENCHMARKS.md.
#
#   bash bench/db-sources.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
FIX=${DREDGE_FIXTURES:-$repo/../shared/fixtures}
WORK=${DREDGE_BENCH_DIR:-/var/tmp/dredge-bench}/db-sources
RUNS=${RUNS:-3}
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/dredge-target}
(cd "$repo" && cargo build --release --locked -p dredge >&2)
D=$CARGO_TARGET_DIR/release/dredge
export DREDGE_CACHE_DIR=$WORK/cache
. "$here/lib.sh"
prep() { rm -f out.db; }

# 1. Real data, one source at a time and together.
measure alma "$D" db build --source "$FIX/osv/almalinux8-osv.tar.gz" --output out.db
alma_size=$(stat -c %s out.db)
measure pypa "$D" db build --source "$FIX/osv/pypa-advisory-database.tar.gz" --output out.db
pypa_size=$(stat -c %s out.db)
measure both "$D" db build --source "$FIX/osv/almalinux8-osv.tar.gz" --source "$FIX/osv/pypa-advisory-database.tar.gz" \
  --source "$repo/testdata/advisories/amazon" --source "$repo/testdata/advisories/oracle" --output out.db
both_size=$(stat -c %s out.db)
both_recs=$("$D" db status --db out.db --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["advisories"])')

# 2. Scale: the real AlmaLinux and PyPA records copied 25 times under new ids (their ranges,
# packages and texts unchanged), as one OSV zip: does the cost per record stay flat?
python3 - "$FIX/osv/almalinux8-osv.tar.gz" "$FIX/osv/pypa-advisory-database.tar.gz" scaled.zip 25 <<'PY'
import json, sys, tarfile, zipfile
alma, pypa, out, copies = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
recs = []
for src in (alma, pypa):
    with tarfile.open(src) as t:
        for m in t.getmembers():
            if m.isfile() and m.name.endswith(".json") and "advisories/" in m.name:
                recs.append(json.loads(t.extractfile(m).read()))
            elif m.isfile() and m.name.endswith(".yaml") and "vulns/" in m.name:
                recs.append(("yaml", m.name, t.extractfile(m).read()))
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    n = 0
    for c in range(copies):
        for r in recs:
            if isinstance(r, tuple):
                text = r[2].decode()
                first = text.splitlines()[0]
                z.writestr(f"{c}-{n}.yaml", text.replace(first, first + f"-X{c}", 1))
            else:
                r = dict(r, id=f"{r['id']}-X{c}")
                z.writestr(f"{c}-{n}.json", json.dumps(r))
            n += 1
print(n, file=sys.stderr)
PY
scaled_recs=$(python3 -c 'import zipfile,sys; print(len(zipfile.ZipFile(sys.argv[1]).namelist()))' scaled.zip)
measure scaled "$D" db build --source scaled.zip --output out.db
scaled_size=$(stat -c %s out.db)
scaled_in=$("$D" db status --db out.db --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["advisories"])')

# 3. db update against a local mirror of OSV's layout with every default export.
mkdir -p mirror
ecos=$(awk '/pub const DEFAULT_ECOSYSTEMS/ {f = 1; next} f && /^\];/ {exit} f' "$repo/crates/dredge-vulndb/src/update.rs" | grep -o '"[^"]*"' | tr -d '"' | paste -sd,)
neco=$(echo "$ecos" | tr ',' '\n' | wc -l)
nfeeds=$(awk '/pub const DEFAULT_FEEDS/ {f = 1; next} f && /^\];/ {exit} f' "$repo/crates/dredge-vulndb/src/update.rs" | grep -c '"https\?://')
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 "$repo/testdata/advisory-mirror.py" mirror "$FIX/osv/almalinux8-osv.tar.gz" "$FIX/osv/pypa-advisory-database.tar.gz" "$ecos" "$port"
python3 "$repo/testdata/http-source.py" "$port" mirror requests.log &
srv=$!
trap 'kill $srv 2>/dev/null || true' EXIT
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
export DREDGE_OSV_BASE=http://127.0.0.1:$port DREDGE_FEEDS_MIRROR=http://127.0.0.1:$port
prep() { rm -rf upd.db cache; }
measure update-first "$D" db update --db upd.db
prep() { :; }
measure update-unchanged "$D" db update --db upd.db
not_modified=$(grep -c ' 304$' requests.log || true)

kib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
per() { awk -v s="$1" -v n="$2" 'BEGIN { printf "%.2f", s * 1000 / n }'; }
alma_n=3237
pypa_n=$("$D" db build --source "$FIX/osv/pypa-advisory-database.tar.gz" --output out.db 2>&1 | sed -n 's/.*(\([0-9]*\) advisories.*/\1/p')
section=$(cat <<MD
<!-- db-sources -->
## Advisory database from real sources

Written by \`bash bench/db-sources.sh\` on $(date -u +%Y-%m-%d) (median of $RUNS; wall time, peak RSS). Real OSV data at hand:
AlmaLinux 8 (AlmaLinux/osv-database) and the PyPA advisory database, plus the ALAS/ELSA excerpts.

| build | records | time | peak RSS | database |
|---|---:|---:|---:|---:|
| AlmaLinux 8 | $alma_n | $(t alma) s | $(m alma) MiB | $(kib "$alma_size") |
| PyPA | $pypa_n | $(t pypa) s | $(m pypa) MiB | $(kib "$pypa_size") |
| both + Amazon + Oracle excerpts | $both_recs | $(t both) s | $(m both) MiB | $(kib "$both_size") |
| the same real records ×25 under new ids (scale check) | $scaled_in | $(t scaled) s | $(m scaled) MiB | $(kib "$scaled_size") |

Per record at scale: $(per "$(t scaled)" "$scaled_in") ms and $(awk -v s="$scaled_size" -v n="$scaled_in" 'BEGIN { printf "%.1f KiB", s / 1024 / n }') of database
(small scale: $(per "$(t both)" "$both_recs") ms, $(awk -v s="$both_size" -v n="$both_recs" 'BEGIN { printf "%.1f KiB", s / 1024 / n }')). Extrapolation, linear as the scale check
shows: a database of every default source is (OSV records of those ecosystems) × that cost — for
example 500,000 records would take about $(awk -v t="$(t scaled)" -v n="$scaled_in" 'BEGIN { printf "%.0f s", t / n * 500000 }') and $(awk -v s="$scaled_size" -v n="$scaled_in" 'BEGIN { printf "%.1f GiB", s / n * 500000 / 1073741824 }'). The record
count is an assumption: OSV's exports cannot be downloaded from this machine to count them, and
distributions' records (Debian, Ubuntu: one per CVE and release, many affected entries each) are
larger than these, so read it as an order of magnitude. The synthetic 300,000-record build above
is the other data point (small records, one range each).

| \`db update\` from a local mirror of every default source ($neco OSV exports: AlmaLinux and PyPI real, the others empty; $nfeeds distribution feeds: the real excerpts of testdata/advisories) | time | peak RSS |
|---|---:|---:|
| first: every export downloaded, database built | $(t update-first) s | $(m update-first) MiB |
| nothing changed: $((neco + nfeeds)) conditional requests ($not_modified × 304 over $RUNS runs; the mirror lists are followed again first), no download, no rebuild | $(t update-unchanged) s | $(m update-unchanged) MiB |
<!-- /db-sources -->
MD
)
replace_section "$repo/BENCHMARKS.md" db-sources "$section"
echo "$section"
