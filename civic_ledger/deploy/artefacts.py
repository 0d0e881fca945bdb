"""What an outside integrator programs against, written by `ape run deploy` beside the manifest:

- `deployments/abi/<Contract>.json`: `{"abi": [...], "userdoc": {...}, "devdoc": {...}}` of every
  deployed contract (for a proxy: the implementation it runs), referenced from the manifest
  entry (`"abi": "abi/<Contract>.json"`, relative to the manifest's folder);
- the manifest's `roles.catalogue`: every role of the city (name, numeric id, label), the
  functions it may call (contract + signature) and its members' addresses.

Files are written only when their content changes (sorted keys, fixed indentation), so a re-run
that changes nothing leaves them byte-identical.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from civic_ledger.access.roles import ADMIN_ROLE, PUBLIC_ROLE, ROLES, role_id

if TYPE_CHECKING:
    from civic_ledger.deploy.plan import DeployPlan

ABI_FOLDER = "abi"


def abi_document(contract_type: Any) -> dict[str, Any]:
    """The published ABI document of one compiled contract type."""
    return {
        "contractName": contract_type.name,
        "abi": [
            json.loads(item.model_dump_json(by_alias=True, exclude_none=True))
            for item in contract_type.abi
        ],
        "userdoc": _plain(contract_type.userdoc),
        "devdoc": _plain(contract_type.devdoc),
    }


def _plain(value: Any) -> Any:
    if value is None:
        return {}
    if hasattr(value, "model_dump"):
        return value.model_dump(by_alias=True, exclude_none=True)
    return value


def write_if_changed(path: Path, document: Any) -> bool:
    """Write `document` as canonical JSON (atomically) unless the file already holds it."""
    text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    return True


def publish(plan: DeployPlan) -> None:
    """Write the ABI files and the role catalogue for everything the manifest lists."""
    manifest = plan.manifest
    folder = manifest.path.parent / ABI_FOLDER
    for name, entry in manifest.contracts.items():
        artefact = name
        if entry.get("implementation"):
            artefact = plan.current_implementation(name).get("artefact", name)
        document = abi_document(getattr(plan.project, artefact).contract_type)
        document["contractName"] = name
        write_if_changed(folder / f"{name}.json", document)
        entry["abi"] = f"{ABI_FOLDER}/{name}.json"
    manifest.data.setdefault("roles", {})["catalogue"] = role_catalogue(plan)


def role_catalogue(plan: DeployPlan) -> list[dict[str, Any]]:
    """Every role: id, name, label, the functions mapped to it and who holds it (as the roles
    file and the plan granted it; `admin` for ADMIN_ROLE)."""
    functions: dict[int, list[dict[str, str]]] = {}
    for spec in plan.specs:
        if spec.name not in plan.manifest.contracts:
            continue
        abi = getattr(plan.project, spec.name).contract_type.abi
        for signature, role_name in sorted(spec.restricted_signatures(abi).items()):
            rid = role_id(role_name)
            functions.setdefault(rid, []).append({"contract": spec.name, "function": signature})
    members: dict[int, set[str]] = {ADMIN_ROLE: {plan.final_admin()}}
    for agency in plan.roles.agencies:
        address = plan.resolve(agency.account)
        for role_name in agency.roles:
            members.setdefault(role_id(role_name), set()).add(address)
    upgrader = next((r for r in ROLES if r.name == "UPGRADER"), None)
    if upgrader is not None and any(s.upgradeable for s in plan.specs):
        members.setdefault(upgrader.id, set()).add(plan.final_admin())
    rows = [
        {"name": "ADMIN", "id": ADMIN_ROLE, "label": "Admin (AccessManager)",
         "functions": functions.get(ADMIN_ROLE, []), "members": sorted(members[ADMIN_ROLE])},
    ]  # fmt: skip
    for role in ROLES:
        rows.append(
            {
                "name": role.name,
                "id": role.id,
                "label": role.label,
                "functions": functions.get(role.id, []),
                "members": sorted(members.get(role.id, set())),
            }
        )
    if functions.get(PUBLIC_ROLE):
        rows.append({"name": "PUBLIC", "id": PUBLIC_ROLE, "label": "Anyone",
                     "functions": functions[PUBLIC_ROLE], "members": []})  # fmt: skip
    return rows
