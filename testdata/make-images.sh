#!/usr/bin/env bash
# Builds the test images from the real root filesystems in ../shared/fixtures with tools that are
# not dredge (umoci, skopeo, docker, debootstrap), plus the oracle package lists of each image
# (apk's installed DB read with awk, dpkg-query --admindir). Idempotent: rebuilt only when this
# script or its inputs change. Output: $DREDGE_TESTIMAGES (default /var/tmp/dredge-testimages).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
FIX=${DREDGE_FIXTURES:-$repo/../shared/fixtures}
OUT=${DREDGE_TESTIMAGES:-/var/tmp/dredge-testimages}
DEBIAN_ROOT=${DREDGE_DEBIAN_ROOTFS:-/var/tmp/dredge-fixtures/debian-bookworm-minbase}
# Rebuilt when this script or anything it copies into an image changes.
stamp=$( (cat "$0" "$here/build-npm-app.sh"; find "$here/misconfig" -type f | sort | xargs cat; find "$repo/crates/dredge-extract/testdata/lang" -type f | sort | xargs cat) | sha256sum | cut -c1-16)
if [ -f "$OUT/.stamp-$stamp" ]; then exit 0; fi
for t in umoci skopeo jq python3 dpkg-query npm jar dpkg-deb apt-get docker; do command -v $t >/dev/null || { echo "make-images: $t is missing (run .ci/setup)" >&2; exit 2; }; done

# Debian minbase root filesystem (network: Debian's mirror), cached outside the clone.
if [ ! -d "$DEBIAN_ROOT" ]; then
  mkdir -p "$(dirname "$DEBIAN_ROOT")"
  rm -rf "$DEBIAN_ROOT.tmp"
  debootstrap --variant=minbase bookworm "$DEBIAN_ROOT.tmp" http://deb.debian.org/debian >&2
  mv "$DEBIAN_ROOT.tmp" "$DEBIAN_ROOT"
fi

rm -rf "$OUT"
mkdir -p "$OUT/expected"
cd "$OUT"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
L=oci
umoci init --layout $L

# new TAG: an empty image; layer TAG CREATED_BY: commit the bundle as a new layer.
new() { umoci new --image $L:$1; umoci unpack --image $L:$1 "$work/$1" >/dev/null; }
layer() { umoci repack --history.created_by "$2" --image $L:$1 "$work/$1"; rm -rf "$work/$1"; umoci unpack --image $L:$1 "$work/$1" >/dev/null; }
apk_list() { awk -F: '/^P:/{p=substr($0,3)} /^V:/{print p"\t"substr($0,3)}' "$1" | sort; }

# Alpine 3.9.6: one layer.
new alpine-3.9
tar xzf "$FIX/alpine/alpine-minirootfs-3.9.6-x86_64.tar.gz" -C "$work/alpine-3.9/rootfs"
apk_list "$work/alpine-3.9/rootfs/lib/apk/db/installed" > expected/alpine-3.9.tsv
layer alpine-3.9 "ADD alpine-minirootfs-3.9.6-x86_64.tar.gz /"
umoci config --image $L:alpine-3.9 --config.cmd /bin/sh

# Alpine 3.19.4 in three layers: the base; a layer that removes libc-utils (its files deleted,
# the installed DB rewritten without it); a layer that adds an unrelated file.
new alpine-3.19
tar xzf "$FIX/alpine/alpine-minirootfs-3.19.4-x86_64.tar.gz" -C "$work/alpine-3.19/rootfs"
layer alpine-3.19 "ADD alpine-minirootfs-3.19.4-x86_64.tar.gz /"
db="$work/alpine-3.19/rootfs/lib/apk/db/installed"
awk 'BEGIN{RS="";ORS="\n\n"} !/(^|\n)P:libc-utils\n/' "$db" > "$db.new" && mv "$db.new" "$db"
rm -f "$work/alpine-3.19/rootfs/usr/bin/getconf" "$work/alpine-3.19/rootfs/usr/bin/getent" "$work/alpine-3.19/rootfs/usr/bin/iconv" || true
apk_list "$db" > expected/alpine-3.19-multi.tsv
layer alpine-3.19 "RUN apk del libc-utils"
echo hello > "$work/alpine-3.19/rootfs/etc/motd.d-test"
layer alpine-3.19 "RUN echo hello > /etc/motd.d-test"
grep -q libc-utils expected/alpine-3.19-multi.tsv && { echo "libc-utils should be gone" >&2; exit 1; }

# Alpine 3.20.3 for two platforms, then an index over both, then an index nesting that index.
for arch in x86_64:amd64 aarch64:arm64; do
  src=${arch%%:*}; goarch=${arch##*:}
  new alpine-3.20-$goarch
  tar xzf "$FIX/alpine/alpine-minirootfs-3.20.3-$src.tar.gz" -C "$work/alpine-3.20-$goarch/rootfs"
  apk_list "$work/alpine-3.20-$goarch/rootfs/lib/apk/db/installed" > expected/alpine-3.20-$goarch.tsv
  layer alpine-3.20-$goarch "ADD alpine-minirootfs-3.20.3-$src.tar.gz /"
  umoci config --image $L:alpine-3.20-$goarch --os linux --architecture $goarch
done
blob() { local d; d=$(sha256sum "$1" | cut -d' ' -f1); mv "$1" $L/blobs/sha256/$d; echo "$d"; }
desc() { jq -c --arg t "$1" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]==$t) | del(.annotations)' $L/index.json; }
amd=$(desc alpine-3.20-amd64 | jq -c '. + {platform:{os:"linux",architecture:"amd64"}}')
arm=$(desc alpine-3.20-arm64 | jq -c '. + {platform:{os:"linux",architecture:"arm64",variant:"v8"}}')
jq -n --argjson a "$amd" --argjson b "$arm" '{schemaVersion:2,mediaType:"application/vnd.oci.image.index.v1+json",manifests:[$a,$b]}' > "$work/idx.json"
isz=$(stat -c %s "$work/idx.json"); idig=$(blob "$work/idx.json")
jq -n --arg d "sha256:$idig" --argjson s "$isz" '{schemaVersion:2,mediaType:"application/vnd.oci.image.index.v1+json",manifests:[{mediaType:"application/vnd.oci.image.index.v1+json",digest:$d,size:$s}]}' > "$work/nested.json"
nsz=$(stat -c %s "$work/nested.json"); ndig=$(blob "$work/nested.json")
jq --arg d "sha256:$idig" --argjson s "$isz" --arg n "sha256:$ndig" --argjson ns "$nsz" \
  '.manifests += [{mediaType:"application/vnd.oci.image.index.v1+json",digest:$d,size:$s,annotations:{"org.opencontainers.image.ref.name":"alpine-3.20"}},
                  {mediaType:"application/vnd.oci.image.index.v1+json",digest:$n,size:$ns,annotations:{"org.opencontainers.image.ref.name":"nested"}}]' \
  $L/index.json > "$work/index.json" && mv "$work/index.json" $L/index.json
echo "sha256:$idig" > expected/alpine-3.20-index.digest

# Debian 12 minbase (debootstrap), one layer, and its dpkg oracle.
new debian-12
cp -a "$DEBIAN_ROOT/." "$work/debian-12/rootfs/"
dpkg-query --admindir="$DEBIAN_ROOT/var/lib/dpkg" -W -f '${db:Status-Abbrev}\t${Package}\t${Version}\t${Architecture}\t${source:Package}\t${source:Version}\n' \
  | awk -F'\t' '$1 ~ /^ii/ {print $2"\t"$3"\t"$4"\t"$5"\t"$6}' | sort > expected/debian-12.tsv
layer debian-12 "debootstrap --variant=minbase bookworm"
# A distroless-style image: os-release and one dpkg status file per package in status.d/ (as
# Google's distroless images carry them), made from three packages of the debootstrap tree.
new distroless
mkdir -p "$work/distroless/rootfs/var/lib/dpkg/status.d" "$work/distroless/rootfs/etc" "$work/distroless/rootfs/usr/lib"
cp "$DEBIAN_ROOT/usr/lib/os-release" "$work/distroless/rootfs/usr/lib/os-release"
ln -s ../usr/lib/os-release "$work/distroless/rootfs/etc/os-release"
for p in base-files libc6 tzdata; do
  awk -v p="$p" 'BEGIN{RS="";ORS="\n"} $0 ~ ("(^|\n)Package: " p "\n") {print}' "$DEBIAN_ROOT/var/lib/dpkg/status" \
    | grep -v '^Status:' > "$work/distroless/rootfs/var/lib/dpkg/status.d/$p"
  [ -s "$work/distroless/rootfs/var/lib/dpkg/status.d/$p" ] || { echo "no stanza for $p" >&2; exit 1; }
  echo "d41d8cd98f00b204e9800998ecf8427e  usr/share/doc/$p/copyright" > "$work/distroless/rootfs/var/lib/dpkg/status.d/$p.md5sums"
done
layer distroless "COPY status.d /var/lib/dpkg/status.d"
awk -F'\t' '$1=="base-files"||$1=="libc6"||$1=="tzdata" {print $1"\t"$2}' expected/debian-12.tsv | sort > expected/distroless.tsv
[ "$(wc -l < expected/distroless.tsv)" = 3 ] || { echo "distroless oracle should list 3 packages" >&2; exit 1; }

# rpm databases in the three formats (the fixtures hold only the database files), each as an
# image at the path its distro uses; Mariner's os-release as that distro writes it.
rpmq() { rpm "$@" -qa --qf '%{NAME}\t%|EPOCH?{%{EPOCH}}:{}|\t%{VERSION}\t%{RELEASE}\t%{ARCH}\n' 2>/dev/null | grep -v '^gpg-pubkey' | sort; }
new rpm-sqlite
mkdir -p "$work/rpm-sqlite/rootfs/var/lib/rpm" "$work/rpm-sqlite/rootfs/etc"
cp "$FIX/rpmdb/cbl-mariner-2.0/rpmdb.sqlite" "$work/rpm-sqlite/rootfs/var/lib/rpm/"
printf 'NAME="Common Base Linux Mariner"\nVERSION="2.0"\nID=mariner\nVERSION_ID="2.0"\nPRETTY_NAME="CBL-Mariner/Linux"\n' > "$work/rpm-sqlite/rootfs/etc/os-release"
layer rpm-sqlite "COPY rpmdb.sqlite /var/lib/rpm/"
rpmq --dbpath "$FIX/rpmdb/cbl-mariner-2.0" > expected/rpm-sqlite.tsv
new rpm-bdb
mkdir -p "$work/rpm-bdb/rootfs/var/lib/rpm"
cp "$FIX/rpmdb/libuuid/Packages" "$work/rpm-bdb/rootfs/var/lib/rpm/"
layer rpm-bdb "COPY Packages /var/lib/rpm/"
rpmq --dbpath "$FIX/rpmdb/libuuid" -D '_db_backend bdb_ro' > expected/rpm-bdb.tsv
new rpm-ndb
mkdir -p "$work/rpm-ndb/rootfs/usr/lib/sysimage/rpm"
cp "$FIX/rpmdb/sle15-bci/Packages.db" "$work/rpm-ndb/rootfs/usr/lib/sysimage/rpm/"
layer rpm-ndb "COPY Packages.db /usr/lib/sysimage/rpm/"
tail -n +2 "$FIX/rpmdb/sle15-bci/expected-packages.tsv" | sort > expected/rpm-ndb.tsv
for t in rpm-sqlite rpm-bdb rpm-ndb; do [ -s expected/$t.tsv ] || { echo "empty oracle for $t" >&2; exit 1; }; done

# Language packages installed by their own tools: old wheels by pip (real dist-info), and a real
# npm package manifest (Debian's node-semver) in an application's node_modules, on Alpine 3.20.
new lang-app
tar xzf "$FIX/alpine/alpine-minirootfs-3.20.3-x86_64.tar.gz" -C "$work/lang-app/rootfs"
layer lang-app "ADD alpine-minirootfs-3.20.3-x86_64.tar.gz /"
mkdir -p "$work/lang-app/rootfs/usr/lib/python3.12/site-packages"
pip install -q --disable-pip-version-check --no-deps --only-binary=:all: --target "$work/lang-app/rootfs/usr/lib/python3.12/site-packages" \
  requests==2.19.0 urllib3==1.24.1 Jinja2==2.10 Django==2.2 Flask==0.12.2 >&2
rm -rf "$work/lang-app/rootfs/usr/lib/python3.12/site-packages/bin"
layer lang-app "RUN pip install requests==2.19.0 urllib3==1.24.1 Jinja2==2.10 Django==2.2 Flask==0.12.2"
(cd "$work" && apt-get download -q node-semver >/dev/null 2>&1 && dpkg-deb -x node-semver_*.deb nodesemver)
mkdir -p "$work/lang-app/rootfs/app/node_modules/semver"
cp "$work/nodesemver/usr/share/nodejs/semver/package.json" "$work/lang-app/rootfs/app/node_modules/semver/package.json"
echo '{"name":"app","version":"1.0.0","private":true}' > "$work/lang-app/rootfs/app/package.json"
layer lang-app "COPY app /app"
printf 'Django\t2.2\nFlask\t0.12.2\nJinja2\t2.10\nrequests\t2.19.0\nurllib3\t1.24.1\n' > expected/lang-app-pypi.tsv
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["name"]+"\t"+d["version"])' "$work/lang-app/rootfs/app/node_modules/semver/package.json" > expected/lang-app-npm.tsv

# Every language ecosystem at once, on Alpine 3.20, each layer made by the ecosystem's own tool:
# a real npm project (node_modules + package-lock v3, from Debian's npm modules, offline); Debian's
# jars (Maven metadata inside) in a lib folder, a Spring-Boot-style fat jar, a war and an ear
# holding the war, built by the JDK's `jar`; Debian's `age` (a Go binary with build info); a Rust
# binary built by `cargo auditable`; the lockfile fixtures of crates/dredge-extract/testdata/lang;
# then a layer that deletes one lockfile (it must not be reported).
new lang-full
tar xzf "$FIX/alpine/alpine-minirootfs-3.20.3-x86_64.tar.gz" -C "$work/lang-full/rootfs"
layer lang-full "ADD alpine-minirootfs-3.20.3-x86_64.tar.gz /"
bash "$here/build-npm-app.sh" "$work/lang-full/rootfs/srv/node" > expected/lang-full-npm.tsv
layer lang-full "RUN npm install"
mkdir -p "$work/debs" && (cd "$work/debs" && apt-get download -q liblog4j2-java libcommons-lang3-java libjackson2-core-java age >/dev/null 2>&1)
for d in "$work"/debs/*.deb; do dpkg-deb -x "$d" "$work/debs/x"; done
J="$work/debs/x/usr/share/java"
app="$work/lang-full/rootfs/opt/app"
mkdir -p "$app/lib" "$work/boot/BOOT-INF/lib" "$work/boot/BOOT-INF/classes" "$work/war/WEB-INF/lib" "$work/ear"
cp "$J"/log4j-api-2.19.0.jar "$J"/jackson-core-2.14.1.jar "$app/lib/"
cp "$J"/log4j-core-2.19.0.jar "$J"/commons-lang3-3.12.0.jar "$work/boot/BOOT-INF/lib/"
echo 'class placeholder' > "$work/boot/BOOT-INF/classes/App.class"
jar --create --file "$app/app-boot.jar" --no-compress -C "$work/boot" .
cp "$J"/log4j-core-2.19.0.jar "$work/war/WEB-INF/lib/"
jar --create --file "$work/ear/shop.war" -C "$work/war" .
jar --create --file "$app/shop.ear" -C "$work/ear" .
# The oracle: Python's zipfile reads every pom.properties, descending into nested archives.
python3 - "$app" > expected/lang-full-maven.tsv <<'PY'
import io, os, sys, zipfile
root = sys.argv[1]
rows = set()
def walk(z, where):
    for n in z.namelist():
        if n.startswith("META-INF/maven/") and n.endswith("/pom.properties"):
            p = dict(l.split("=", 1) for l in z.read(n).decode().splitlines() if "=" in l and not l.startswith("#"))
            rows.add(f'{p["groupId"]}:{p["artifactId"]}\t{p["version"]}\t{where}')
        elif n.endswith((".jar", ".war", ".ear")):
            walk(zipfile.ZipFile(io.BytesIO(z.read(n))), where)
for dp, _, files in os.walk(root):
    for f in files:
        path = os.path.join(dp, f)
        walk(zipfile.ZipFile(path), "/" + os.path.relpath(path, os.path.dirname(os.path.dirname(root))))
print("\n".join(sorted(rows)))
PY
layer lang-full "COPY app /opt/app"
mkdir -p "$work/lang-full/rootfs/usr/local/bin"
cp "$work/debs/x/usr/bin/age" "$work/lang-full/rootfs/usr/local/bin/age"
# An upstream Go binary built in module mode (Debian builds in GOPATH mode: no modules recorded):
# shfmt, as its PyPI wheel ships it.
(cd "$work/debs" && pip download -q --disable-pip-version-check --no-deps --only-binary=:all: --platform manylinux2014_x86_64 --python-version 3.11 shfmt-py==3.13.0.2 && unzip -o -q shfmt_py-*.whl)
cp "$work"/debs/shfmt_py-*.data/scripts/shfmt "$work/lang-full/rootfs/usr/local/bin/shfmt"
cp "$repo/crates/dredge-extract/testdata/lang/cargo-auditable/audited" "$work/lang-full/rootfs/usr/local/bin/audited"
# shfmt padded past 32 MiB (ELF ignores trailing bytes): read sparsely, it must give the same modules.
{ cat "$work/lang-full/rootfs/usr/local/bin/shfmt"; head -c $((40 << 20)) /dev/zero; } > "$work/lang-full/rootfs/usr/local/bin/shfmt-large"
chmod 755 "$work/lang-full/rootfs/usr/local/bin/"*
# The Go oracle: the module lines the Go linker stores as plain text, found by a byte search (not
# by reading ELF or build-info structures as dredge does), and the toolchain's version string.
for b in age shfmt; do
python3 - "$work/lang-full/rootfs/usr/local/bin/$b" > expected/lang-full-go-$b.tsv <<'PY'
import re, sys
b = open(sys.argv[1], "rb").read()
rows, last = set(), None
for m in re.finditer(rb"\n(mod|dep|=>)\t([^\t\n]+)\t([^\t\n]*)", b):
    kind, path, ver = m.group(1).decode(), m.group(2).decode(), m.group(3).decode()
    if kind == "=>":
        if ver and last:
            rows.discard(last); rows.add((path, ver))
    elif ver != "(devel)":
        last = (path, ver); rows.add(last)
go = re.search(rb"go1\.\d+(\.\d+)?", b).group(0).decode()
rows.add(("stdlib", go[2:]))
print("\n".join(f"{p}\t{v}" for p, v in sorted(rows)))
PY
done
layer lang-full "COPY age shfmt shfmt-large audited /usr/local/bin/"
mkdir -p "$work/lang-full/rootfs/srv/locks"
cp -r "$repo/crates/dredge-extract/testdata/lang/." "$work/lang-full/rootfs/srv/locks/"
rm -rf "$work/lang-full/rootfs/srv/locks/cargo-auditable" "$work/lang-full/rootfs/srv/locks/generate.sh" "$work/lang-full/rootfs/srv/locks/README.md"
layer lang-full "COPY locks /srv/locks"
rm "$work/lang-full/rootfs/srv/locks/yarn-v1/yarn.lock"
layer lang-full "RUN rm /srv/locks/yarn-v1/yarn.lock"
[ -s expected/lang-full-maven.tsv ] && [ "$(wc -l < expected/lang-full-go-shfmt.tsv)" -gt 3 ] && [ -s expected/lang-full-npm.tsv ] || { echo "empty lang-full oracle" >&2; exit 1; }

# Planted secrets across layers (values generated here, random each build, written to
# expected/secrets-values.txt so tests can check that no output ever contains one in full):
# layer 1 .env, a settings file with an AWS key pair, an OpenSSH private key made by ssh-keygen, an
# .npmrc token and an executable deploy script with a GitHub token; layer 2 deletes the key and
# rewrites .env without its password; the config's Env carries a token; a history line leaks a build
# argument. The "secrets-clean" image has the same files with placeholders and documentation
# examples only: it must have no findings.
rnd() { python3 -c 'import secrets,sys; a=sys.argv[1]; print("".join(secrets.choice(a) for _ in range(int(sys.argv[2]))))' "$1" "$2"; }
AN=ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789
AWS_ID="AKIA$(rnd ABCDEFGHIJKLMNOPQRSTUVWXYZ234567 16)"
AWS_SECRET=$(rnd "$AN/+" 40)
GH="ghp_$(rnd $AN 36)"
GH_ARG="ghp_$(rnd $AN 36)"
NPM="npm_$(rnd $AN 36)"
DBPW=$(rnd $AN 18)
ENV_TOKEN="glpat-$(rnd $AN 20)"
for variant in secrets secrets-clean; do
  new $variant
  tar xzf "$FIX/alpine/alpine-minirootfs-3.20.3-x86_64.tar.gz" -C "$work/$variant/rootfs"
  layer $variant "ADD alpine-minirootfs-3.20.3-x86_64.tar.gz /"
  r="$work/$variant/rootfs"
  mkdir -p "$r/app/config" "$r/root/.ssh"
  if [ $variant = secrets ]; then
    printf 'APP_ENV=production\nDB_USER=app\nDB_PASSWORD=%s\n' "$DBPW" > "$r/app/.env"
    printf 'REGION = "eu-west-1"\naws_access_key_id = "%s"\naws_secret_access_key = "%s"\n' "$AWS_ID" "$AWS_SECRET" > "$r/app/config/settings.py"
    ssh-keygen -q -t ed25519 -N "" -C planted -f "$r/root/.ssh/id_ed25519"
    printf 'registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=%s\n' "$NPM" > "$r/app/.npmrc"
    printf '#!/bin/sh\n# deploy\ncurl -H "Authorization: token %s" https://api.github.com/user\n' "$GH" > "$r/app/deploy.sh"
  else
    printf 'APP_ENV=production\nDB_USER=app\nDB_PASSWORD=${DB_PASSWORD}\n' > "$r/app/.env"
    printf 'REGION = "eu-west-1"\naws_access_key_id = "AKIAIOSFODNN7EXAMPLE"\naws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"\n' > "$r/app/config/settings.py"
    printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\n<your key here>\n-----END OPENSSH PRIVATE KEY-----\n' > "$r/root/.ssh/id_ed25519"
    printf 'registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n' > "$r/app/.npmrc"
    printf '#!/bin/sh\n# deploy\ncurl -H "Authorization: token $GITHUB_TOKEN" https://api.github.com/user\n' > "$r/app/deploy.sh"
  fi
  chmod 755 "$r/app/deploy.sh"
  layer $variant "COPY app /app"
  rm "$r/root/.ssh/id_ed25519"
  printf 'APP_ENV=production\nDB_USER=app\n' > "$r/app/.env"
  if [ $variant = secrets ]; then
    layer $variant "RUN |1 GITHUB_TOKEN=$GH_ARG /bin/sh -c rm /root/.ssh/id_ed25519 && sed -i /PASSWORD/d /app/.env"
    umoci config --image $L:$variant --config.env "API_TOKEN=$ENV_TOKEN" --config.env "PATH=/usr/local/bin:/usr/bin:/bin"
  else
    layer $variant "RUN |1 GITHUB_TOKEN=\${GITHUB_TOKEN} /bin/sh -c rm /root/.ssh/id_ed25519 && sed -i /PASSWORD/d /app/.env"
    umoci config --image $L:$variant --config.env 'API_TOKEN=${API_TOKEN}' --config.env "PATH=/usr/local/bin:/usr/bin:/bin"
  fi
done
printf '%s\n' "$AWS_ID" "$AWS_SECRET" "$GH" "$GH_ARG" "$NPM" "$DBPW" "$ENV_TOKEN" > expected/secrets-values.txt
umoci gc --layout $L

# Archives, written by skopeo from the layout.
skopeo copy -q oci:$L:alpine-3.9 docker-archive:alpine-3.9.docker.tar:dredge-test/alpine:3.9
skopeo copy -q oci:$L:alpine-3.9 oci-archive:alpine-3.9.oci.tar:alpine-3.9
skopeo copy -q oci:$L:alpine-3.19 docker-archive:alpine-3.19-multi.docker.tar:dredge-test/alpine:3.19-multi
skopeo copy -q oci:$L:debian-12 docker-archive:debian-12.docker.tar:dredge-test/debian:12
skopeo copy -q oci:$L:lang-full docker-archive:lang-full.docker.tar:dredge-test/lang-full:1
skopeo copy -q oci:$L:secrets docker-archive:secrets.docker.tar:dredge-test/secrets:1
skopeo copy -q oci:$L:secrets-clean docker-archive:secrets-clean.docker.tar:dredge-test/secrets-clean:1
# Misconfigurations planted in a real Docker build (the classic builder's history and config,
# HEALTHCHECK and USER included), and a clean twin: `docker build` FROM scratch, `docker save`.
for variant in planted clean dockerfiles; do
  ctx="$work/misconfig-$variant"
  mkdir -p "$ctx"
  cp -r "$here/misconfig/$variant/." "$ctx/"
  cp "$FIX/alpine/alpine-minirootfs-3.20.3-x86_64.tar.gz" "$ctx/"
  DOCKER_BUILDKIT=0 docker build -q --build-arg NPM_TOKEN=planted-build-arg-value -t "dredge-test/misconfig-$variant:1" "$ctx" >/dev/null
  docker save "dredge-test/misconfig-$variant:1" -o "misconfig-$variant.docker.tar"
  docker rmi -f "dredge-test/misconfig-$variant:1" >/dev/null
done
gzip -c alpine-3.9.docker.tar > alpine-3.9.docker.tar.gz
# The whole multi-image layout as an OCI archive.
tar -C $L -cf multi.oci.tar .
# docker load accepts gzip-compressed layer members: make such an archive.
python3 - alpine-3.9.docker.tar alpine-3.9.gzlayers.docker.tar <<'PY'
import gzip, io, json, sys, tarfile
src, dst = sys.argv[1], sys.argv[2]
with tarfile.open(src) as i, tarfile.open(dst, "w") as o:
    layers = set(json.load(i.extractfile("manifest.json"))[0]["Layers"])
    for m in i.getmembers():
        data = i.extractfile(m).read() if m.isfile() else None
        if m.name in layers:
            data = gzip.compress(data)
            m.size = len(data)
        o.addfile(m, io.BytesIO(data) if data is not None else None)
PY
touch "$OUT/.stamp-$stamp"
ls -la "$OUT" >&2
