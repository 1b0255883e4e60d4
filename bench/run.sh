#!/usr/bin/env bash
# Times `dredge sbom` against `trivy image --format cyclonedx` and `syft scan -o cyclonedx-json` on
# the same large image (Debian bookworm with npm, a JDK, python3-pip, git, perl: ~520 packages,
# ~1 GB, 3 layers), cold and warm, and writes wall time, peak memory and ratios to BENCHMARKS.md.
#
#   bash bench/run.sh            # BENCH_RUNS=3 by default; the median of the runs is reported
#
# Needs: debootstrap (network to Debian's mirror on the first run), umoci, skopeo, rsync, jq, GNU time, the
# peers from ../shared/bench/peers.sh (installed here if missing).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
WORK=${DREDGE_BENCH_DIR:-/var/tmp/dredge-bench}
RUNS=${BENCH_RUNS:-3}
PEERS=${PEERS:-/tmp/peers}
mkdir -p "$WORK"
cd "$WORK"

# --- the image -------------------------------------------------------------------------------
if [ ! -d rootfs ]; then
  rm -rf rootfs.tmp
  # debootstrap's --include cannot order npm's dependency graph; finish the job with dpkg/apt.
  debootstrap --variant=minbase --include=npm,python3-pip,default-jdk-headless,git,curl,perl bookworm rootfs.tmp http://deb.debian.org/debian >debootstrap.log 2>&1 || true
  chroot rootfs.tmp dpkg --configure -a >>debootstrap.log 2>&1 || true
  chroot rootfs.tmp apt-get -f install -y >>debootstrap.log 2>&1
  rm -rf rootfs.tmp/var/cache/apt/archives/*.deb
  mv rootfs.tmp rootfs
fi
if [ ! -f image.docker.tar ]; then
  rm -rf layout bundle
  umoci init --layout layout
  umoci new --image layout:large
  umoci unpack --image layout:large bundle >/dev/null
  # Four layers: the base system, the JDK, Debian's node modules, an app with node_modules.
  rsync -a --exclude /usr/lib/jvm --exclude /usr/share/nodejs rootfs/ bundle/rootfs/
  umoci repack --refresh-bundle --history.created_by "debootstrap bookworm (base)" --image layout:large bundle
  rsync -a rootfs/usr/lib/jvm/ bundle/rootfs/usr/lib/jvm/
  umoci repack --refresh-bundle --history.created_by "COPY /usr/lib/jvm" --image layout:large bundle
  rsync -a rootfs/usr/share/nodejs/ bundle/rootfs/usr/share/nodejs/
  umoci repack --refresh-bundle --history.created_by "COPY /usr/share/nodejs" --image layout:large bundle
  # An application with a big node_modules: Debian's real node packages laid out as npm would.
  mkdir -p bundle/rootfs/app
  rsync -a rootfs/usr/share/nodejs/ bundle/rootfs/app/node_modules/
  printf '{"name":"bench-app","version":"1.0.0"}\n' > bundle/rootfs/app/package.json
  umoci repack --refresh-bundle --history.created_by "COPY app /app" --image layout:large bundle
  rm -rf bundle
  n=$(jq '.layers | length' layout/blobs/sha256/$(jq -r '.manifests[0].digest' layout/index.json | cut -d: -f2))
  [ "$n" = 4 ] || { echo "bench: expected 4 layers, umoci made $n" >&2; exit 1; }
  skopeo copy -q oci:layout:large docker-archive:image.docker.tar:dredge-bench/debian-large:1
  # A layout holding only this image, gzip layers (as registries serve them).
  rm -rf oci && skopeo copy -q oci:layout:large oci:oci:large
fi
[ -x "$PEERS/bin/trivy" ] && [ -x "$PEERS/bin/syft" ] || PEERS=$PEERS bash "$repo/../shared/bench/peers.sh" >&2

# --- the tools -------------------------------------------------------------------------------
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/dredge-target}
(cd "$repo" && cargo build --release --locked -p dredge >&2)
DREDGE=$CARGO_TARGET_DIR/release/dredge
TRIVY=$PEERS/bin/trivy
SYFT=$PEERS/bin/syft
export SYFT_CHECK_FOR_APP_UPDATE=false TRIVY_NO_PROGRESS=true
# Trivy's jar analyzer needs its 470 MB Java DB from the internet; this machine has none, so the
# image's jars are skipped for Trivy (dredge and Syft read them).
TRIVY_SKIP=$(cd "$WORK/rootfs" && find . -name '*.jar' | sed 's|^\.||' | paste -sd, -)

. "$here/lib.sh"
cold() { rm -rf "$WORK/cache-dredge" "$WORK/cache-trivy"; }
warm() { :; }

IMG=$WORK/image.docker.tar
OCI=$WORK/oci
prep=cold
prep() { cold; }
measure "dredge cold (docker-archive)" "$DREDGE" sbom "docker-archive:$IMG" --format cyclonedx --cache-dir "$WORK/cache-dredge" -q
measure "trivy cold (docker-archive)" "$TRIVY" image --skip-files "$TRIVY_SKIP" --input "$IMG" --format cyclonedx --cache-dir "$WORK/cache-trivy" -q
measure "trivy cold, OS packages only (docker-archive)" "$TRIVY" image --skip-files "$TRIVY_SKIP" --input "$IMG" --format cyclonedx --pkg-types os --cache-dir "$WORK/cache-trivy" -q
measure "syft (docker-archive)" "$SYFT" scan "docker-archive:$IMG" -o cyclonedx-json -q
measure "syft, dpkg cataloger only (docker-archive)" "$SYFT" scan "docker-archive:$IMG" -o cyclonedx-json -q --select-catalogers dpkg
measure "dredge cold (OCI layout, gzip)" "$DREDGE" sbom "oci-dir:$OCI" --format cyclonedx --cache-dir "$WORK/cache-dredge" -q
measure "trivy cold (OCI layout, gzip)" "$TRIVY" image --skip-files "$TRIVY_SKIP" --input "$OCI" --format cyclonedx --cache-dir "$WORK/cache-trivy" -q
measure "syft (OCI layout, gzip)" "$SYFT" scan "oci-dir:$OCI" -o cyclonedx-json -q
# Warm: fill the caches once, then measure.
prep() { :; }
"$DREDGE" sbom "docker-archive:$IMG" --cache-dir "$WORK/cache-dredge" -q >/dev/null
"$TRIVY" image --skip-files "$TRIVY_SKIP" --input "$IMG" --format cyclonedx --cache-dir "$WORK/cache-trivy" -q >/dev/null
measure "dredge warm (docker-archive)" "$DREDGE" sbom "docker-archive:$IMG" --format cyclonedx --cache-dir "$WORK/cache-dredge" -q
measure "trivy warm (docker-archive)" "$TRIVY" image --skip-files "$TRIVY_SKIP" --input "$IMG" --format cyclonedx --cache-dir "$WORK/cache-trivy" -q
# The floor: just decompressing the gzip layers, all cores at once (GNU gzip).
measure "floor: gzip -dc of the layers, $(nproc) at a time" bash -c "jq -r '.layers[].digest' $OCI/blobs/sha256/\$(jq -r '.manifests[0].digest' $OCI/index.json | cut -d: -f2) | cut -d: -f2 | xargs -P $(nproc) -I{} sh -c 'gzip -dc $OCI/blobs/sha256/{} >/dev/null'"

# Package counts, to say what each tool found.
count_dredge=$("$DREDGE" sbom "docker-archive:$IMG" --format json --cache-dir "$WORK/cache-dredge" -q | jq '.packages | length')
count_trivy=$("$TRIVY" image --skip-files "$TRIVY_SKIP" --input "$IMG" --format cyclonedx --cache-dir "$WORK/cache-trivy" -q | jq '[.components[] | select(.type=="library")] | length')
count_trivy_os=$("$TRIVY" image --skip-files "$TRIVY_SKIP" --input "$IMG" --format cyclonedx --pkg-types os --cache-dir "$WORK/cache-trivy" -q | jq '[.components[] | select(.type=="library")] | length')
count_syft=$("$SYFT" scan "docker-archive:$IMG" -o cyclonedx-json -q | jq '[.components[] | select(.type=="library")] | length')
count_syft_dpkg=$("$SYFT" scan "docker-archive:$IMG" -o cyclonedx-json -q --select-catalogers dpkg | jq '[.components[] | select(.type=="library")] | length')
size=$(du -sh "$IMG" | cut -f1)
ozsize=$(du -sh "$OCI" | cut -f1)

# --- the report ------------------------------------------------------------------------------
{
  echo "# Benchmarks"
  echo
  echo "Written by \`bash bench/run.sh\` on $(date -u +%Y-%m-%d) ($(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; median of $RUNS runs; wall time and peak RSS from GNU time)."
  echo "dredge $("$DREDGE" --version | cut -d' ' -f2), trivy $("$TRIVY" --version | awk '/^Version/{print $2; exit}'), syft $("$SYFT" version | awk '/^Version/{print $2}')."
  echo
  echo "Image: Debian bookworm minbase + npm, default-jdk-headless, python3-pip, git, curl, perl (debootstrap),"
  echo "4 layers (base, JDK, /usr/share/nodejs, /app with node_modules): docker archive $size (uncompressed layers), OCI layout $ozsize (gzip layers)."
  echo
  echo "| run | wall | peak RSS |"
  echo "|---|---:|---:|"
  for r in "${results[@]}"; do IFS='|' read -r n tt mm <<<"$r"; echo "| $n | ${tt} s | $((mm / 1024)) MiB |"; done
  echo
  echo "## Ratios (peer ÷ dredge; higher is better for dredge)"
  echo
  echo "| comparison | time | memory |"
  echo "|---|---:|---:|"
  echo "| Trivy cold vs dredge cold (docker archive) | $(ratio "$(t 'trivy cold (docker-archive)')" "$(t 'dredge cold (docker-archive)')") | $(ratio "$(m 'trivy cold (docker-archive)')" "$(m 'dredge cold (docker-archive)')") |"
  echo "| Trivy cold, OS only vs dredge cold (docker archive) | $(ratio "$(t 'trivy cold, OS packages only (docker-archive)')" "$(t 'dredge cold (docker-archive)')") | $(ratio "$(m 'trivy cold, OS packages only (docker-archive)')" "$(m 'dredge cold (docker-archive)')") |"
  echo "| Trivy warm vs dredge warm (docker archive) | $(ratio "$(t 'trivy warm (docker-archive)')" "$(t 'dredge warm (docker-archive)')") | $(ratio "$(m 'trivy warm (docker-archive)')" "$(m 'dredge warm (docker-archive)')") |"
  echo "| Syft vs dredge cold (docker archive) | $(ratio "$(t 'syft (docker-archive)')" "$(t 'dredge cold (docker-archive)')") | $(ratio "$(m 'syft (docker-archive)')" "$(m 'dredge cold (docker-archive)')") |"
  echo "| Syft dpkg-only vs dredge cold (docker archive) | $(ratio "$(t 'syft, dpkg cataloger only (docker-archive)')" "$(t 'dredge cold (docker-archive)')") | $(ratio "$(m 'syft, dpkg cataloger only (docker-archive)')" "$(m 'dredge cold (docker-archive)')") |"
  echo "| Trivy cold vs dredge cold (OCI, gzip) | $(ratio "$(t 'trivy cold (OCI layout, gzip)')" "$(t 'dredge cold (OCI layout, gzip)')") | $(ratio "$(m 'trivy cold (OCI layout, gzip)')" "$(m 'dredge cold (OCI layout, gzip)')") |"
  echo "| Syft vs dredge cold (OCI, gzip) | $(ratio "$(t 'syft (OCI layout, gzip)')" "$(t 'dredge cold (OCI layout, gzip)')") | $(ratio "$(m 'syft (OCI layout, gzip)')" "$(m 'dredge cold (OCI layout, gzip)')") |"
  echo "| dredge cold (OCI, gzip) ÷ the decompression floor (lower is better; 1.0× = only decompressing) | $(ratio "$(t 'dredge cold (OCI layout, gzip)')" "$(t "floor: gzip -dc of the layers, $(nproc) at a time")") | |"
  echo
  echo "## What each tool found"
  echo
  echo "| tool | packages |"
  echo "|---|---:|"
  echo "| dredge (OS and language packages, jars included; OS-owned ones once) | $count_dredge |"
  echo "| Trivy, default (OS + language packages) | $count_trivy |"
  echo "| Trivy, \`--pkg-types os\` | $count_trivy_os |"
  echo "| Syft, default (all catalogers) | $count_syft |"
  echo "| Syft, \`--select-catalogers dpkg\` | $count_syft_dpkg |"
  echo
  echo "The peers' default runs catalog more ecosystems (Java and others) and count npm packages their own way"
  echo "(dredge reports a package the OS owns once, as the OS package). The OS-only rows compare equal work. Cold = empty cache; warm = the same image again with"
  echo "the cache from the previous run (Syft has no cache). Trivy runs with \`--skip-files\` for the image's"
  echo "two jars: its jar analyzer needs the Java DB from the internet, which this machine cannot reach."
  echo
  echo "dredge does more per byte than the peers here: it hashes every blob and every uncompressed layer"
  echo "and compares them with the manifest digests and \`rootfs.diff_ids\` (a tampered layer is an"
  echo "error); Trivy and Syft verify neither. On uncompressed docker archives that hashing is most of"
  echo "dredge's cold time; on gzip layers decompression is, and dredge (zlib-rs, layers in parallel)"
  echo "finishes before GNU gzip alone decompresses the same layers."
} > "$repo/BENCHMARKS.md"
# The advisory database, application dependency and secret sections (their own scripts, also runnable alone).
bash "$here/db.sh" >/dev/null
bash "$here/lang.sh" >/dev/null
bash "$here/secrets.sh" >/dev/null
cat "$repo/BENCHMARKS.md"
