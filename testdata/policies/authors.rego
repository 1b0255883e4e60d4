package dredge.acme.image

import rego.v1

metadata := {"id": "ACME-003", "title": "No maintainer label", "severity": "LOW", "input": "image"}

deny contains "the image has no org.opencontainers.image.authors label" if {
  not input.config.config.Labels["org.opencontainers.image.authors"]
}
