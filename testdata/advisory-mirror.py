#!/usr/bin/env python3
"""Writes a mirror of every default advisory source of `dredge db update`, at the paths the
publishers use, into ROOT (served by http-source.py for tests/dbupdate.rs and bench/db-sources.sh):
OSV's `<Ecosystem>/all.zip` for each of ECOSYSTEMS (the real AlmaLinux 8 and PyPA records from the
fixtures, empty exports for the others), and the distributions' own feeds (DREDGE_FEEDS_MIRROR):
Amazon's yum mirror lists -> repomd.xml -> updateinfo.xml.gz (the real AL1 and AL2 excerpts of
testdata/advisories; an empty AL2023 one), Oracle's OVAL as .xml.bz2, Microsoft's OVAL files.
Usage: advisory-mirror.py ROOT ALMALINUX_TGZ PYPA_TGZ ECOSYSTEMS(comma-separated) PORT"""
import bz2, gzip, os, sys, tarfile, zipfile

root, alma, pypa, ecos, port = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(","), sys.argv[5]
adv = os.path.join(os.path.dirname(os.path.abspath(__file__)), "advisories")

for e in ecos:
    os.makedirs(os.path.join(root, e), exist_ok=True)
    with zipfile.ZipFile(os.path.join(root, e, "all.zip"), "w", zipfile.ZIP_DEFLATED) as z:
        src = {"AlmaLinux": alma, "PyPI": pypa}.get(e)
        if src:
            with tarfile.open(src) as t:
                for m in t.getmembers():
                    if m.isfile() and m.name.endswith((".json", ".yaml")) and ("advisories/" in m.name or "vulns/" in m.name):
                        z.writestr(os.path.basename(m.name), t.extractfile(m).read())


def put(path, data):
    p = os.path.join(root, path.lstrip("/"))
    os.makedirs(os.path.dirname(p), exist_ok=True)
    open(p, "wb").write(data)


def read(rel):
    return open(os.path.join(adv, rel), "rb").read()


empty = b'<?xml version="1.0" ?>\n<updates></updates>\n'
for (lst, name, data) in [("/2018.03/updates/x86_64/mirror.list", "al1", read("amazon/al1-updateinfo.xml")),
                          ("/2/core/latest/x86_64/mirror.list", "al2", read("amazon/al2-updateinfo.xml")),
                          ("/al2023/core/mirrors/latest/x86_64/mirror.list", "al2023", empty)]:
    put(lst, f"http://127.0.0.1:{port}/repos/{name}\n".encode())
    put(f"/repos/{name}/repodata/repomd.xml", (
        '<?xml version="1.0" encoding="UTF-8"?>\n<repomd xmlns="http://linux.duke.edu/metadata/repo">'
        '<data type="primary"><location href="repodata/p-primary.xml.gz"/></data>'
        f'<data type="updateinfo"><location href="repodata/0f{name}-updateinfo.xml.gz"/></data></repomd>\n').encode())
    put(f"/repos/{name}/repodata/0f{name}-updateinfo.xml.gz", gzip.compress(data))
put("/security/oval/com.oracle.elsa-all.xml.bz2", bz2.compress(read("oracle/elsa-all-excerpt.xml")))
put("/microsoft/AzureLinuxVulnerabilityData/main/cbl-mariner-2.0-oval.xml", read("microsoft/cbl-mariner-2.0-oval-excerpt.xml"))
put("/microsoft/AzureLinuxVulnerabilityData/main/azurelinux-3.0-oval.xml", read("microsoft/azure-linux-truncated-3.0-oval.xml"))
