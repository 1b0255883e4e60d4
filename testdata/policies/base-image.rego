package dredge.acme.dockerfile

import rego.v1

import data.acme.lib

metadata := {"id": "ACME-002", "title": "Base image not from the company registry", "severity": "MEDIUM", "input": "dockerfile"}

deny contains {"msg": sprintf("FROM %s", [s.base]), "line": s.line} if {
  some s in input.stages
  not lib.trusted(s.base)
  s.base != "scratch"
}
