#!/usr/bin/env bash
# Application dependencies at scale: an image with a few thousand Node packages (every `node-*`
# package of Debian laid out as an app's node_modules) and a few hundred jars (Debian's lib*-java
# jars, plus a Spring-Boot-style fat jar holding 100 of them), cataloged by dredge, Syft and Trivy,
# cold and warm. Writes the <!-- lang --> section of BENCHMARKS.md.
#
#   bash bench/lang.sh        # BENCH_RUNS=3 by default; network to Debian's mirror on the first run
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
WORK=${DREDGE_BENCH_LANG_DIR:-/var/tmp/dredge-bench-lang}
RUNS=${BENCH_RUNS:-3}
PEERS=${PEERS:-/tmp/peers}
FIX=${DREDGE_FIXTURES:-$repo/../shared/fixtures}
mkdir -p "$WORK/debs"
cd "$WORK"

if [ ! -f image.docker.tar ]; then
  if [ ! -f debs/.done ]; then
    apt-cache search --names-only '^node-' | awk '{print $1}' | sort > node.list
    apt-cache search --names-only '^lib.*-java$' | awk '{print $1}' | sort | head -400 > java.list
    (cd debs && cat ../node.list ../java.list | xargs -n 50 apt-get download -q >/dev/null 2>&1 || true)
    touch debs/.done
  fi
  rm -rf x layout bundle boot
  for d in debs/*.deb; do dpkg-deb -x "$d" x 2>/dev/null || true; done
  umoci init --layout layout
  umoci new --image layout:lang
  umoci unpack --image layout:lang bundle >/dev/null
  tar xzf "$FIX/alpine/alpine-minirootfs-3.20.3-x86_64.tar.gz" -C bundle/rootfs
  umoci repack --refresh-bundle --history.created_by "ADD alpine-minirootfs-3.20.3-x86_64.tar.gz /" --image layout:lang bundle
  mkdir -p bundle/rootfs/app/node_modules
  cp -a x/usr/share/nodejs/. bundle/rootfs/app/node_modules/
  printf '{"name":"bench-app","version":"1.0.0"}\n' > bundle/rootfs/app/package.json
  umoci repack --refresh-bundle --history.created_by "COPY node_modules /app/node_modules" --image layout:lang bundle
  mkdir -p bundle/rootfs/opt/jars
  find x/usr/share/java -maxdepth 1 -name '*.jar' -type f -exec cp {} bundle/rootfs/opt/jars/ \;
  umoci repack --refresh-bundle --history.created_by "COPY jars /opt/jars" --image layout:lang bundle
  mkdir -p boot/BOOT-INF/lib bundle/rootfs/opt/app
  find x/usr/share/java -maxdepth 1 -name '*.jar' -type f | sort | head -100 | xargs -I{} cp {} boot/BOOT-INF/lib/
  jar --create --file bundle/rootfs/opt/app/app.jar --no-compress -C boot .
  umoci repack --refresh-bundle --history.created_by "COPY app.jar /opt/app/" --image layout:lang bundle
  rm -rf bundle boot x
  skopeo copy -q oci:layout:lang docker-archive:image.docker.tar:dredge-bench/lang-large:1
fi
[ -x "$PEERS/bin/trivy" ] && [ -x "$PEERS/bin/syft" ] || PEERS=$PEERS bash "$repo/../shared/bench/peers.sh" >&2

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/dredge-target}
(cd "$repo" && cargo build --release --locked -p dredge >&2)
DREDGE=$CARGO_TARGET_DIR/release/dredge
TRIVY=$PEERS/bin/trivy
SYFT=$PEERS/bin/syft
export SYFT_CHECK_FOR_APP_UPDATE=false TRIVY_NO_PROGRESS=true
IMG=$WORK/image.docker.tar
. "$here/lib.sh"

prep() { rm -rf "$WORK/cache-dredge" "$WORK/cache-trivy"; }
measure "dredge cold" "$DREDGE" sbom "docker-archive:$IMG" --format cyclonedx --cache-dir "$WORK/cache-dredge" -q
# Trivy's jar analyzer needs its Java DB from the internet (unreachable here: the scan fails), so
# Trivy runs without /opt: it catalogs the Node packages only.
measure "trivy cold (no jars)" "$TRIVY" image --input "$IMG" --skip-dirs /opt --format cyclonedx --cache-dir "$WORK/cache-trivy" -q
measure "syft" "$SYFT" scan "docker-archive:$IMG" -o cyclonedx-json -q
prep() { :; }
"$DREDGE" sbom "docker-archive:$IMG" --cache-dir "$WORK/cache-dredge" -q >/dev/null
"$TRIVY" image --input "$IMG" --skip-dirs /opt --format cyclonedx --cache-dir "$WORK/cache-trivy" -q >/dev/null
measure "dredge warm" "$DREDGE" sbom "docker-archive:$IMG" --format cyclonedx --cache-dir "$WORK/cache-dredge" -q
measure "trivy warm (no jars)" "$TRIVY" image --input "$IMG" --skip-dirs /opt --format cyclonedx --cache-dir "$WORK/cache-trivy" -q

d_json=$("$DREDGE" sbom "docker-archive:$IMG" --format json --cache-dir "$WORK/cache-dredge" -q)
d_npm=$(jq '[.packages[] | select(.ecosystem=="npm")] | length' <<<"$d_json")
d_mvn=$(jq '[.packages[] | select(.ecosystem=="maven")] | length' <<<"$d_json")
d_mvn_nested=$(jq '[.packages[] | select(.ecosystem=="maven" and .member != null)] | length' <<<"$d_json")
d_warn=$(jq '.warnings | length' <<<"$d_json")
s_json=$("$SYFT" scan "docker-archive:$IMG" -o json -q)
s_npm=$(jq '[.artifacts[] | select(.type=="npm")] | length' <<<"$s_json")
s_mvn=$(jq '[.artifacts[] | select(.type=="java-archive")] | length' <<<"$s_json")
s_mvn_unknown=$(jq '[.artifacts[] | select(.type=="java-archive" and (.version=="" or .version=="UNKNOWN"))] | length' <<<"$s_json")
t_npm=$("$TRIVY" image --input "$IMG" --skip-dirs /opt --format cyclonedx --cache-dir "$WORK/cache-trivy" -q | jq '[.components[]? | select(.purl? // "" | startswith("pkg:npm"))] | length')
jars=$(jq '[.packages[] | select(.ecosystem=="maven") | .location.path] | unique | length' <<<"$d_json")
size=$(du -sh "$IMG" | cut -f1)

section=$(cat <<MD
<!-- lang -->
## Application dependencies at scale

Written by \`bash bench/lang.sh\` on $(date -u +%Y-%m-%d) (median of $RUNS runs). Image ($size, docker archive,
4 layers): Alpine 3.20; every \`node-*\` package of Debian bookworm laid out as \`/app/node_modules\`;
the jars of 400 Debian \`lib*-java\` packages in \`/opt/jars\`; a Spring-Boot-style fat jar holding 100
of them (stored, \`BOOT-INF/lib\`).

| run | wall | peak RSS |
|---|---:|---:|
$(for r in "${results[@]}"; do IFS='|' read -r n tt mm <<<"$r"; echo "| $n | ${tt} s | $((mm / 1024)) MiB |"; done)

| comparison (peer ÷ dredge) | time | memory |
|---|---:|---:|
| Syft vs dredge, cold | $(ratio "$(t syft)" "$(t 'dredge cold')") | $(ratio "$(m syft)" "$(m 'dredge cold')") |
| Trivy vs dredge, cold (Trivy without the jars) | $(ratio "$(t 'trivy cold (no jars)')" "$(t 'dredge cold')") | $(ratio "$(m 'trivy cold (no jars)')" "$(m 'dredge cold')") |
| Trivy vs dredge, warm (Trivy without the jars) | $(ratio "$(t 'trivy warm (no jars)')" "$(t 'dredge warm')") | $(ratio "$(m 'trivy warm (no jars)')" "$(m 'dredge warm')") |

| found | dredge | Syft | Trivy |
|---|---:|---:|---:|
| npm packages | $d_npm | $s_npm | $t_npm |
| Java packages (dredge: from $jars archive files, $d_mvn_nested of them nested in the fat jar) | $d_mvn | $s_mvn ($s_mvn_unknown without a version) | not run (needs its Java DB) |

Differences, looked at on $(date -u +%Y-%m-%d): npm — Trivy and Syft also count \`package.json\` files
inside packages' own subfolders that are not packages (\`jsdom/scripts/eslint-plugin\`,
\`requirejs/text\`; Syft adds the \`exports\` stubs such as \`dom-helpers/css\`) and the project's own
\`/app/package.json\`; Trivy drops \`coffee-script 2.7.0\`, whose \`dependencies\` is a string (dredge
needs only name and version). Java — Syft lists archives without any version as \`UNKNOWN\` (dredge
reports no package without a version) and names artifacts from the file (\`biojava5-core\`) where
dredge uses the Maven coordinates of \`pom.properties\` (\`biojava-core\`, whose version Debian's
build wrote as e.g. \`9.4-SNAPSHOT\` for asm, which dredge reports as written). dredge's $d_warn
warning(s): $(jq -r '[.warnings[].message] | join("; ")' <<<"$d_json").
<!-- /lang -->
MD
)
replace_section "$repo/BENCHMARKS.md" lang "$section"
echo "$section"
