#!/usr/bin/env python3
"""Validates an SBOM with the official tools: CycloneDX 1.6 against its JSON schema
(cyclonedx-python-lib's strict validator, which ships the official schema files) and SPDX 2.3
with spdx-tools (the SPDX project's parser and validator). Exit 0 when valid; prints the errors
and exits 1 otherwise."""
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


kind, path = sys.argv[1], sys.argv[2]
sys.exit({"cyclonedx": cyclonedx, "spdx": spdx}[kind](path))
