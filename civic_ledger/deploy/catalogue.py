"""The city catalogue (`config/catalogue.yaml`): the record schemas and standing policies a
deployment starts with, so a fresh deployment can issue records at once.

    schemas:
      business-licence:
        issuer: MARKET_RECORD_ISSUER      # the role whose members issue and revoke
        layout: "uint64 licenceNo,uint16 sector"
        validity: 3y                      # default validity: seconds or 12h / 30d / 2w / 3y; 0 = none
        adverse: false
        revocable: true
        dispute_stay: 14d                 # optional (adverse schemas): how long a dispute suspends
        certificate: true                 # optional: a certificate schema (verifyCertificate)
    policies:
      1:                                  # policy id (other contracts are configured with it)
        name: grant-eligible enterprise
        required: [business-licence]      # schema names
        disqualifying: [tax-penalty]

`ape run deploy` applies it idempotently: a schema or policy missing on chain is created; one
that exists as declared is left alone; one that exists DIFFERENTLY is never changed silently —
the plan refuses with a sentence naming the difference (changes are explicit `ape run admin
records ...` commands). The file is validated whole before anything is sent; every error names
the file and line. Registering schemas and policies is RECORDS_ADMIN's function: the plan signs
them with the records administrator's account from the roles file when this machine holds it
(always on the dev chains); otherwise it says which command that agency runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from civic_ledger.access.roles import ADMIN_ROLE, BY_NAME, PUBLIC_ROLE
from civic_ledger.core.exceptions import CatalogueError, DeployError
from civic_ledger.core.yamlfile import (
    boolean,
    compose,
    fail,
    integer,
    mapping,
    scalar,
    string_list,
)
from civic_ledger.deploy.steps import Step, standalone_step

if TYPE_CHECKING:
    from civic_ledger.deploy.plan import DeployPlan

MAX_UINT64 = 2**64 - 1
SCHEMA_KEYS = {
    "issuer",
    "layout",
    "validity",
    "adverse",
    "revocable",
    "dispute_stay",
    "certificate",
}
POLICY_KEYS = {"name", "required", "disqualifying"}


@dataclass(frozen=True)
class SchemaEntry:
    name: str
    issuer_role: str
    layout: str
    validity: int
    adverse: bool
    revocable: bool
    dispute_stay: int | None
    line: int
    certificate: bool | None = None  # None: not declared (left as it is on chain)


@dataclass(frozen=True)
class PolicyEntry:
    policy_id: int
    name: str
    required: tuple[str, ...]
    disqualifying: tuple[str, ...]
    line: int


@dataclass
class Catalogue:
    path: Path
    schemas: list[SchemaEntry] = field(default_factory=list)
    policies: list[PolicyEntry] = field(default_factory=list)


def load_catalogue(path: Path) -> Catalogue:
    """Parse and validate the whole file (CatalogueError naming file:line on the first fault)."""
    from civic_ledger.identity.records import parse_duration, parse_layout

    root = compose(path, CatalogueError, "catalogue")
    catalogue = Catalogue(path)
    if root is None:
        return catalogue
    top = mapping(path, root, "the catalogue", CatalogueError)
    _refuse_unknown(path, top, ("schemas", "policies"), "")

    def duration(node: Any, what: str) -> int:
        text = scalar(path, node, what, CatalogueError)
        try:
            value = parse_duration(text)
        except ValueError as exc:
            raise fail(path, node, f"{what}: {exc}", CatalogueError) from None
        if value > MAX_UINT64:
            raise fail(path, node, f"{what} is too long", CatalogueError)
        return value

    names: set[str] = set()
    if "schemas" in top:
        for name, (key_node, node) in mapping(
            path, top["schemas"][1], "schemas", CatalogueError
        ).items():
            what = f"schema '{name}'"
            if not name or len(name.encode()) > 256:
                raise fail(path, key_node, f"{what}: a name has 1 to 256 bytes", CatalogueError)
            fields = mapping(path, node, what, CatalogueError)
            _refuse_unknown(path, fields, sorted(SCHEMA_KEYS), what)
            for key in ("issuer", "adverse", "revocable"):
                if key not in fields:
                    raise fail(path, key_node, f"{what}: missing '{key}'", CatalogueError)
            issuer = scalar(path, fields["issuer"][1], f"{what}.issuer", CatalogueError).upper()
            role = BY_NAME.get(issuer)
            if role is None or role.id in (ADMIN_ROLE, PUBLIC_ROLE):
                raise fail(
                    path,
                    fields["issuer"][1],
                    f"{what}: unknown role '{issuer}'; known roles: {', '.join(BY_NAME)}",
                    CatalogueError,
                )
            layout = ""
            if "layout" in fields:
                layout = scalar(path, fields["layout"][1], f"{what}.layout", CatalogueError)
                try:
                    parse_layout(layout)
                except ValueError as exc:
                    raise fail(
                        path, fields["layout"][1], f"{what}: {exc}", CatalogueError
                    ) from None
            adverse = boolean(path, fields["adverse"][1], f"{what}.adverse", CatalogueError)
            validity = (
                duration(fields["validity"][1], f"{what}.validity") if "validity" in fields else 0
            )
            if adverse and validity == 0:
                raise fail(
                    path,
                    key_node,
                    f"{what}: an adverse schema needs a validity (adverse records always expire)",
                    CatalogueError,
                )
            stay = None
            if "dispute_stay" in fields:
                stay = duration(fields["dispute_stay"][1], f"{what}.dispute_stay")
            certificate = None
            if "certificate" in fields:
                certificate = boolean(
                    path, fields["certificate"][1], f"{what}.certificate", CatalogueError
                )
            catalogue.schemas.append(
                SchemaEntry(
                    name=name,
                    issuer_role=issuer,
                    layout=layout,
                    validity=validity,
                    adverse=adverse,
                    revocable=boolean(
                        path, fields["revocable"][1], f"{what}.revocable", CatalogueError
                    ),
                    dispute_stay=stay,
                    line=key_node.start_mark.line + 1,
                    certificate=certificate,
                )
            )
            names.add(name)
    if "policies" in top:
        for _key, (key_node, node) in mapping(
            path, top["policies"][1], "policies", CatalogueError
        ).items():
            policy_id = integer(path, key_node, "policy id", 1, 2**256 - 1, CatalogueError)
            what = f"policy {policy_id}"
            fields = mapping(path, node, what, CatalogueError)
            _refuse_unknown(path, fields, sorted(POLICY_KEYS), what)
            lists: dict[str, tuple[str, ...]] = {}
            for part in ("required", "disqualifying"):
                items = (
                    string_list(path, fields[part][1], f"{what}.{part}", CatalogueError)
                    if part in fields
                    else []
                )
                for item in items:
                    if item not in names:
                        raise fail(
                            path,
                            fields[part][1],
                            f"{what}: '{item}' is not a schema of this catalogue",
                            CatalogueError,
                        )
                lists[part] = tuple(items)
            adverse = {s.name: s.adverse for s in catalogue.schemas}
            for item in lists["required"]:
                if adverse[item]:
                    raise fail(
                        path,
                        fields["required"][1],
                        f"{what}: required schema '{item}' is "
                        "adverse (adverse schemas can only disqualify)",
                        CatalogueError,
                    )
            for item in lists["disqualifying"]:
                if not adverse[item]:
                    raise fail(
                        path,
                        fields["disqualifying"][1],
                        f"{what}: disqualifying schema '{item}' is not adverse",
                        CatalogueError,
                    )
            name = (
                scalar(path, fields["name"][1], f"{what}.name", CatalogueError)
                if "name" in fields
                else ""
            )
            catalogue.policies.append(
                PolicyEntry(
                    policy_id,
                    name,
                    lists["required"],
                    lists["disqualifying"],
                    key_node.start_mark.line + 1,
                )
            )
    return catalogue


def _refuse_unknown(
    path: Path, fields: dict[str, Any], known: list[str] | tuple[str, ...], what: str
) -> None:
    """CatalogueError naming the first unknown key of `fields` (`what`: whose keys they are)."""
    for key in sorted(set(fields) - set(known)):
        prefix = f"{what}: " if what else ""
        message = f"{prefix}unknown key '{key}' (expected {', '.join(known)})"
        raise fail(path, fields[key][0], message, CatalogueError)


# -------------------------------------------------------------------------------- the steps


def catalogue_steps(plan: DeployPlan, catalogue: Catalogue) -> Iterator[Step]:
    """Steps creating what the catalogue declares and the chain lacks (signed by the records
    administrator); a declared item that exists differently refuses the plan."""
    if not catalogue.schemas and not catalogue.policies:
        return
    registry = plan.instance("RecordRegistry")
    signer = plan.records_admin()
    for entry in catalogue.schemas:

        def done(entry: SchemaEntry = entry) -> bool:
            schema_id = int(registry.schemaIdByName(entry.name))
            if schema_id == 0:
                return False
            _compare_schema(
                catalogue.path, entry, registry.getSchema(schema_id), registry, schema_id
            )
            return True

        def build(entry: SchemaEntry = entry) -> Any:
            _need(signer, catalogue.path, f"schema '{entry.name}'")
            return registry.registerSchema.as_transaction(
                (
                    entry.name,
                    entry.layout,
                    BY_NAME[entry.issuer_role].id,
                    entry.revocable,
                    entry.adverse,
                    entry.validity,
                ),
                sender=signer,
            )

        what = f"register schema '{entry.name}' ({catalogue.path.name}:{entry.line})"
        yield standalone_step(f"catalogue:schema:{entry.name}", what, done, build, signer=signer)
        if entry.dispute_stay is not None:
            yield _stay_step(catalogue, registry, signer, entry)
        if entry.certificate is not None:
            yield _certificate_step(catalogue, registry, signer, entry)
    for policy in catalogue.policies:

        def policy_done(policy: PolicyEntry = policy) -> bool:
            if not registry.policyExists(policy.policy_id):
                return False
            _compare_policy(catalogue.path, policy, registry)
            return True

        def policy_build(policy: PolicyEntry = policy) -> Any:
            _need(signer, catalogue.path, f"policy {policy.policy_id}")
            ids = {
                name: int(registry.schemaIdByName(name))
                for name in (*policy.required, *policy.disqualifying)
            }
            return registry.setPolicy.as_transaction(
                policy.policy_id,
                policy.name,
                [ids[n] for n in policy.required],
                [ids[n] for n in policy.disqualifying],
                sender=signer,
            )

        what = f"define policy {policy.policy_id} '{policy.name}' ({catalogue.path.name}:{policy.line})"
        step_id = f"catalogue:policy:{policy.policy_id}"
        yield standalone_step(step_id, what, policy_done, policy_build, signer=signer)


def _stay_step(catalogue: Catalogue, registry: Any, signer: Any, entry: SchemaEntry) -> Step:
    return _setting_step(
        catalogue, registry, signer, entry,
        key="stay", setting="dispute stay", setter="setDisputeStay", value=entry.dispute_stay,
        current=lambda schema_id: int(registry.getSchema(schema_id).disputeStay),
        what=f"a dispute suspends it for {entry.dispute_stay}s",
    )  # fmt: skip


def _certificate_step(catalogue: Catalogue, registry: Any, signer: Any, entry: SchemaEntry) -> Step:
    from ape import networks

    from civic_ledger.identity.certificates import is_certificate

    return _setting_step(
        catalogue, registry, signer, entry,
        key="certificate", setting="certificate flag", setter="setCertificate",
        value=entry.certificate,
        current=lambda schema_id: is_certificate(
            networks.provider.web3, registry.address, schema_id
        ),
        what=f"{'a' if entry.certificate else 'not a'} certificate schema",
    )  # fmt: skip


def _setting_step(
    catalogue: Catalogue, registry: Any, signer: Any, entry: SchemaEntry, *, key: str,
    setting: str, setter: str, value: Any, current: Callable[[int], Any], what: str,
) -> Step:  # fmt: skip
    """The step setting one per-schema value (`setter(schemaId, value)`) when `current` differs."""

    def done() -> bool:
        schema_id = int(registry.schemaIdByName(entry.name))
        return schema_id != 0 and current(schema_id) == value

    def build() -> Any:
        _need(signer, catalogue.path, f"schema '{entry.name}' {setting}")
        schema_id = int(registry.schemaIdByName(entry.name))
        return getattr(registry, setter).as_transaction(schema_id, value, sender=signer)

    step_what = f"schema '{entry.name}': {what}"
    return standalone_step(f"catalogue:{key}:{entry.name}", step_what, done, build, signer=signer)


def _need(signer: Any, path: Path, what: str) -> None:
    if signer is None:
        raise DeployError(
            f"{path}: {what} is missing on chain and only the records administrator (RECORDS_ADMIN) "
            "may create it, whose account is not on this machine: that agency runs "
            f"`ape run deploy --catalogue-only --account <its alias> --roles ...`"
        )


def _compare_schema(
    path: Path, entry: SchemaEntry, schema: Any, registry: Any, schema_id: int
) -> None:
    on_chain = {
        "issuer": int(schema.issuerRole),
        "layout": str(schema.fieldLayout),
        "validity": int(schema.defaultValidity),
        "adverse": bool(schema.adverse),
        "revocable": bool(schema.revocable),
    }
    wanted = {
        "issuer": BY_NAME[entry.issuer_role].id,
        "layout": entry.layout,
        "validity": entry.validity,
        "adverse": entry.adverse,
        "revocable": entry.revocable,
    }
    differing = [k for k in wanted if on_chain[k] != wanted[k]]
    if differing:
        detail = ", ".join(
            f"{k} {on_chain[k]!r} on chain, {wanted[k]!r} declared" for k in differing
        )
        raise DeployError(
            f"{path}:{entry.line}: schema '{entry.name}' (id {schema_id}) exists with other "
            f"settings ({detail}); the plan never changes a schema silently: fix the catalogue, "
            "or change the schema with `ape run admin records ...`"
        )


def _compare_policy(path: Path, policy: PolicyEntry, registry: Any) -> None:
    on_chain = registry.getPolicy(policy.policy_id)
    names = {int(registry.schemaIdByName(n)): n for n in (*policy.required, *policy.disqualifying)}
    required = tuple(names.get(int(i), f"#{int(i)}") for i in on_chain.required)
    disqualifying = tuple(names.get(int(i), f"#{int(i)}") for i in on_chain.disqualifying)
    if (str(on_chain.name), set(required), set(disqualifying)) != (
        policy.name,
        set(policy.required),
        set(policy.disqualifying),
    ):
        raise DeployError(
            f"{path}:{policy.line}: policy {policy.policy_id} exists differently on chain (name "
            f"{str(on_chain.name)!r}, required {list(required)}, disqualifying "
            f"{list(disqualifying)}); the plan never changes a policy silently: fix the "
            "catalogue, or change the policy with `ape run admin records policy-set ...`"
        )
