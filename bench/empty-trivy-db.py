# Writes an empty Trivy vulnerability database (a bbolt file: two meta pages, an empty freelist,
# an empty root leaf) and its metadata.json into DIR/db, so that `trivy image --scanners vuln,...
# --skip-db-update` does all of its vulnerability-scanning work (package analysis, lookups) on a
# machine that cannot download Trivy's database. With no advisories its lookups find nothing:
# a comparison with it favours Trivy (dredge matches against a real database).
#
#   python3 bench/empty-trivy-db.py CACHE_DIR
import json, os
import struct, sys
PS = 4096
def fnv64a(b):
    h = 0xcbf29ce484222325
    for x in b:
        h ^= x
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h
def meta(pgid, txid):
    m = struct.pack('<IIII', 0xED0CDAED, 2, PS, 0) + struct.pack('<QQ', 3, 0) + struct.pack('<QQQ', 2, 4, txid)
    m += struct.pack('<Q', fnv64a(m))
    page = struct.pack('<QHHI', pgid, 0x04, 0, 0) + m
    return page.ljust(PS, b'\0')
pages = [meta(0, 0), meta(1, 1),
         struct.pack('<QHHI', 2, 0x10, 0, 0).ljust(PS, b'\0'),
         struct.pack('<QHHI', 3, 0x02, 0, 0).ljust(PS, b'\0')]
db = os.path.join(sys.argv[1], 'db')
os.makedirs(db, exist_ok=True)
open(os.path.join(db, 'trivy.db'), 'wb').write(b''.join(pages))
meta_json = {"Version": 2, "NextUpdate": "2099-01-01T00:00:00Z", "UpdatedAt": "2026-01-01T00:00:00Z", "DownloadedAt": "2026-01-01T00:00:00Z"}
open(os.path.join(db, 'metadata.json'), 'w').write(json.dumps(meta_json))
