package acme.lib

import rego.v1

# A library module: not under `dredge.`, so not a policy itself; policies import it.
trusted(image) if startswith(image, "registry.acme.example/")
