"""The deploy plan (`ape run deploy`): deploy the suite behind upgradeable proxies, wire its
permissions, grant the agencies' roles, apply the city catalogue — idempotently, journaled,
resumable; and upgrades, checked for storage-layout compatibility before they are scheduled.

- `plan`: the steps and their order, the run loop and the manifest it writes
- `layout`: storage-layout compatibility of a new implementation with the deployed one
"""

from civic_ledger.core.exceptions import DeployError
from civic_ledger.deploy.plan import DeployPlan, Step, StepEvent, role_id, selector

__all__ = ["DeployError", "DeployPlan", "Step", "StepEvent", "role_id", "selector"]
