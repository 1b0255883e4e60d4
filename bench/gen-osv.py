#!/usr/bin/env python3
"""Writes a synthetic OSV source for database benchmarks: N records spread over P package names of
the Debian:12 ecosystem (each with a CVSS v3 vector, aliases and two ranges), as an OSV-style zip,
plus a CycloneDX SBOM listing K of those packages at versions inside the ranges.
Usage: gen-osv.py RECORDS PACKAGES SBOM_PACKAGES OUT_ZIP OUT_SBOM"""
import json, random, sys, zipfile

records, packages, sbom_n, out_zip, out_sbom = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
rnd = random.Random(42)
names = [f"pkg{i:06d}" for i in range(packages)]
with zipfile.ZipFile(out_zip, "w", zipfile.ZIP_DEFLATED) as z:
    for i in range(records):
        name = names[i % packages]
        fixed = f"{rnd.randint(1, 9)}.{rnd.randint(0, 20)}-{rnd.randint(1, 5)}"
        rec = {
            "id": f"DEBIAN-SYN-{i:07d}",
            "modified": "2026-01-01T00:00:00Z",
            "aliases": [f"CVE-2026-{i:07d}"],
            "summary": f"synthetic advisory {i} for {name}",
            "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
            "affected": [{
                "package": {"ecosystem": "Debian:12", "name": name},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}],
            }],
            "references": [{"type": "WEB", "url": f"https://example.invalid/{i}"}],
        }
        z.writestr(f"DEBIAN-SYN-{i:07d}.json", json.dumps(rec))
comps = [{"type": "operating-system", "bom-ref": "os", "name": "debian", "version": "12"}]
for i in range(sbom_n):
    n = names[i % packages]
    comps.append({"type": "library", "bom-ref": f"c{i}", "name": n, "version": "1.0-1",
                  "purl": f"pkg:deb/debian/{n}@1.0-1?arch=amd64&distro=debian-12"})
json.dump({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": comps}, open(out_sbom, "w"))
