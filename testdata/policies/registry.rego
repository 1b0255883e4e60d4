package dredge.acme.registry

import rego.v1

import data.acme.lib

metadata := {
  "id": "ACME-001",
  "title": "Image not from the company registry",
  "severity": "HIGH",
  "description": "Only images from registry.acme.example are scanned and signed.",
  "remediation": "Push the image to registry.acme.example and use that reference.",
  "input": "kubernetes",
}

containers contains c if {
  some c in input.document.spec.containers
}

containers contains c if {
  some c in input.document.spec.template.spec.containers
}

containers contains c if {
  some c in input.document.spec.jobTemplate.spec.template.spec.containers
}

deny contains msg if {
  some c in containers
  not lib.trusted(c.image)
  msg := sprintf("%s %s: container %s uses %s", [input.document.kind, input.document.metadata.name, c.name, c.image])
}
