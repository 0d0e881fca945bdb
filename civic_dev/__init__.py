"""Development tooling of civic-ledger — never installed on an agency's machine.

- `bench`: gas and throughput benchmarks against the anchors (`ape run bench`)
- `devnet`: the local geth Clique devnet (`ape run devnet ...`)
- `netkit`: files and runbooks for a multi-machine network (`ape run network kit`)
- `slither_gate`: Slither over every contract against config/slither-triage.yaml

It imports the product package (`civic_ledger`); the product never imports it. Its
dependencies (pytest, hypothesis, slither, ruff) are the `dev` extra, not runtime ones.
"""
