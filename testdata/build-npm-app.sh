#!/usr/bin/env bash
# Builds a real npm project in DEST offline: Debian's packaged npm modules (node-lodash,
# node-minimist, node-ms, node-inherits) are packed with `npm pack` and installed with
# `npm install --offline` (inherits as a devDependency), so DEST gets a real node_modules and a
# real package-lock.json (v3) written by npm. Prints `name<TAB>version<TAB>prod|dev` per package,
# from `npm ls`. Needs npm, apt-get and dpkg-deb; the npm registry is not used.
set -euo pipefail
dest=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get download -q node-lodash node-minimist node-ms node-inherits >/dev/null 2>&1
for d in *.deb; do dpkg-deb -x "$d" x; done
mkdir tgz
for p in lodash minimist ms inherits; do (cd tgz && npm pack -q --ignore-scripts "../x/usr/share/nodejs/$p" >/dev/null); done
mkdir -p "$dest" && cd "$dest"
echo '{"name":"app","version":"1.0.0","private":true}' > package.json
npm install -q --offline --no-audit --no-fund --ignore-scripts "$work"/tgz/lodash-*.tgz "$work"/tgz/minimist-*.tgz "$work"/tgz/ms-*.tgz >/dev/null
npm install -q --offline --no-audit --no-fund --ignore-scripts --save-dev "$work"/tgz/inherits-*.tgz >/dev/null
prod=$(npm ls --all --parseable --long --omit=dev | sed -n 's#.*/node_modules/[^:]*:\(.*\)@\(.*\)#\1\t\2#p')
all=$(npm ls --all --parseable --long | sed -n 's#.*/node_modules/[^:]*:\(.*\)@\(.*\)#\1\t\2#p')
# The lockfile records where the tarballs were: make that path stable.
sed -i "s#file:[^\"]*/tgz/#file:tgz/#g" package.json package-lock.json
{ echo "$prod" | awk '{print $0 "\tprod"}'; comm -13 <(echo "$prod" | sort) <(echo "$all" | sort) | awk '{print $0 "\tdev"}'; } | sort
