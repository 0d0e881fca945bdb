"""The deploy plan (`ape run deploy`): deploy the suite behind upgradeable proxies, wire its
permissions, grant the agencies' roles, apply the city catalogue — idempotently, journaled,
resumable; and upgrades, checked for storage-layout compatibility before they are scheduled.

- `plan`: what to deploy — the phases and their order; what steps ask while the plan runs
- `steps`: `Step`, `StepEvent`, and the steps deploying the contracts and implementations
- `wiring`: the permission steps (function roles, labels, grants, delays), links, hand-over
- `executor`: running a phase — journal, send through the chain layer, settle, record, resume
- `accounts`: who signs — the deployer, the roles file's accounts, admin and records admin
- `upgrade`, `catalogue`: the upgrade stages and the city catalogue, as steps
- `layout`: storage-layout compatibility of a new implementation with the deployed one
"""

from civic_ledger.core.exceptions import DeployError
from civic_ledger.deploy.plan import DeployPlan
from civic_ledger.deploy.steps import Step, StepEvent, selector

__all__ = ["DeployError", "DeployPlan", "Step", "StepEvent", "selector"]
