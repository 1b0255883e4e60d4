#!/usr/bin/env python3
"""Validates an SBOM with the official tools: CycloneDX 1.6 against its JSON schema
(cyclonedx-python-lib's strict validator, which ships the official schema files) and SPDX 2.3
with spdx-tools (the SPDX project's parser and validator); an OpenVEX document against the
OpenVEX project's JSON schema (testdata/schemas, pinned in its SOURCES). Exit 0 when valid;
prints the errors and exits 1 otherwise."""
import json
import sys


def cyclonedx(path):
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
    with open(path) as f:
        text = f.read()
    errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text, all_errors=True)
    errors = [] if errors is None else list(errors) if not hasattr(errors, "data") else [errors]
    for e in errors:
        print(e)
    return 1 if errors else 0


def spdx(path):
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document
    doc = parse_file(path)
    messages = validate_full_spdx_document(doc)
    for m in messages:
        print(m.validation_message, m.context)
    return 1 if messages else 0


def openvex(path):
    import hashlib
    import os
    import jsonschema
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schemas")
    raw = open(os.path.join(here, "openvex_json_schema.json"), "rb").read()
    pinned = [l.split()[2] for l in open(os.path.join(here, "SOURCES")) if l.startswith("openvex_json_schema.json ")][0]
    if hashlib.sha256(raw).hexdigest() != pinned:
        print("testdata/schemas/openvex_json_schema.json does not match its SHA-256 in SOURCES")
        return 1
    v = jsonschema.Draft202012Validator(json.loads(raw), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    errors = list(v.iter_errors(json.load(open(path))))
    for e in errors:
        print(e.message, list(e.absolute_path))
    return 1 if errors else 0


kind, path = sys.argv[1], sys.argv[2]
sys.exit({"cyclonedx": cyclonedx, "spdx": spdx, "openvex": openvex}[kind](path))
