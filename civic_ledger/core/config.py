"""The roles file: which agency wallet holds which AccessManager roles on a network.

Parsed from the YAML node tree (not plain `safe_load`) so every error names the file and line:

    config/roles.local.yaml:12: agency 'tax_bureau': unknown role 'TAX_COLLECTOR'; known roles: ...
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from civic_ledger.access.roles import BY_NAME
from civic_ledger.core.encoding import ADDRESS
from civic_ledger.core.exceptions import RolesFileError
from civic_ledger.core.yamlfile import compose, fail, integer, mapping, scalar

PRIVATE_KEY_RE = re.compile(r"(0[xX])?[0-9a-fA-F]{64}")
MAX_EXECUTION_DELAY = 2**32 - 1  # AccessManager delays are uint32 seconds
DEFAULT_UPGRADE_NOTICE = 7 * 24 * 60 * 60  # a week: the notice a city announces before an upgrade


@dataclass(frozen=True)
class AccountRef:
    """A wallet given in the roles file: a literal address, an Ape account alias, a test
    account index (local chains only), or the deploying account itself."""

    address: str | None = None
    alias: str | None = None
    test_account: int | None = None
    deployer: bool = False
    line: int = 0

    def describe(self) -> str:
        if self.deployer:
            return "the deployer"
        if self.address:
            return self.address
        if self.alias:
            return f"account '{self.alias}'"
        return f"test account {self.test_account}"


@dataclass(frozen=True)
class SafeAdmin:
    """The city's admin as a Safe multisig the deploy plan deploys: its owners' wallets and
    how many of them must sign an admin operation."""

    owners: tuple[AccountRef, ...]
    threshold: int
    line: int = 0

    def describe(self) -> str:
        return f"a {self.threshold}-of-{len(self.owners)} Safe"


@dataclass(frozen=True)
class Agency:
    name: str
    account: AccountRef
    roles: tuple[str, ...]
    execution_delay: int = 0
    line: int = 0


@dataclass(frozen=True)
class RolesConfig:
    path: Path
    admin: AccountRef | SafeAdmin
    treasury: AccountRef
    agencies: tuple[Agency, ...] = field(default_factory=tuple)
    # Per-role grant delays (seconds) overriding the catalogue defaults; None = catalogue.
    grant_delays: dict[str, int] = field(default_factory=dict)
    # The city's announced notice period for upgrades (seconds): the UPGRADER's execution delay
    # and every proxy's target admin delay. Production: 7 days (the default).
    upgrade_notice: int = DEFAULT_UPGRADE_NOTICE


def _fail(path: Path, node: yaml.Node | None, message: str) -> RolesFileError:
    return fail(path, node, message, RolesFileError)  # type: ignore[return-value]


def _mapping(path: Path, node: yaml.Node, what: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    return mapping(path, node, what, RolesFileError)


def _scalar(path: Path, node: yaml.Node, what: str) -> str:
    return scalar(path, node, what, RolesFileError)


def _int(path: Path, node: yaml.Node, what: str, low: int, high: int) -> int:
    return integer(path, node, what, low, high, RolesFileError)


def _account(path: Path, node: yaml.Node, what: str, allow_deployer: bool) -> AccountRef:
    fields = _mapping(path, node, what)
    given = [k for k in ("address", "account", "test_account") if k in fields]
    if len(given) != 1:
        raise _fail(path, node, f"{what} needs exactly one of address / account / test_account")
    key = given[0]
    value_node = fields[key][1]
    line = value_node.start_mark.line + 1
    if key == "test_account":
        index = _int(path, value_node, f"{what}.test_account", 0, 10_000)
        return AccountRef(test_account=index, line=line)
    text = _scalar(path, value_node, f"{what}.{key}")
    if PRIVATE_KEY_RE.fullmatch(text.strip()):
        # Never echo it: error messages end up in terminals, CI logs and tickets.
        raise _fail(
            path,
            value_node,
            f"{what}.{key} looks like a private key (not shown): a roles file names wallets "
            "by address or Ape account alias only; remove the key and treat it as leaked",
        )
    if key == "account":
        if not text:
            raise _fail(path, value_node, f"{what}.account must name an Ape account alias")
        return AccountRef(alias=text, line=line)
    if text == "deployer":
        if not allow_deployer:
            raise _fail(path, value_node, f"{what}.address cannot be 'deployer'")
        return AccountRef(deployer=True, line=line)
    if not ADDRESS.match(text):
        raise _fail(
            path, value_node, f"{what}.address '{text}' is not a 0x-prefixed 20-byte address"
        )
    return AccountRef(address=text, line=line)


MAX_SAFE_OWNERS = 20


def _safe_admin(path: Path, node: yaml.Node, agencies: tuple[Agency, ...]) -> SafeAdmin:
    """`admin: {safe: {owners: [...], threshold: M}}`: each owner an agency name (its wallet)
    or an account mapping (address / account / test_account)."""
    fields = _mapping(path, node, "admin.safe")
    for key in sorted(set(fields) - {"owners", "threshold"}):
        raise _fail(path, fields[key][0], f"admin.safe: unknown key '{key}' (expected owners, "
                    "threshold)")  # fmt: skip
    for required in ("owners", "threshold"):
        if required not in fields:
            raise _fail(path, node, f"admin.safe: missing '{required}'")
    owners_node = fields["owners"][1]
    if not isinstance(owners_node, yaml.SequenceNode) or not owners_node.value:
        raise _fail(path, owners_node, "admin.safe.owners must be a non-empty list")
    if len(owners_node.value) > MAX_SAFE_OWNERS:
        raise _fail(path, owners_node, f"admin.safe.owners: at most {MAX_SAFE_OWNERS} owners")
    by_name = {agency.name: agency for agency in agencies}
    owners: list[AccountRef] = []
    for position, item in enumerate(owners_node.value, 1):
        what = f"admin.safe owner {position}"
        if isinstance(item, yaml.ScalarNode):
            name = _scalar(path, item, what)
            if name not in by_name:
                raise _fail(path, item, f"{what}: '{name}' is not an agency of this file "
                            "(give an agency name or an address / account / test_account)")  # fmt: skip
            owners.append(by_name[name].account)
        else:
            owners.append(_account(path, item, what, allow_deployer=False))
        if any(o.describe() == owners[-1].describe() for o in owners[:-1]):
            raise _fail(path, item, f"{what}: {owners[-1].describe()} is listed twice")
    threshold = _int(path, fields["threshold"][1], "admin.safe.threshold", 1, len(owners))
    return SafeAdmin(tuple(owners), threshold, node.start_mark.line + 1)


AGENCY_KEYS = {"address", "account", "test_account", "roles", "execution_delay"}


def load_roles_file(path: str | Path) -> RolesConfig:
    """Parse and validate a roles file. Raises RolesFileError naming the line at fault."""
    path = Path(path)
    root = compose(path, RolesFileError, "roles file")
    if root is None:
        raise RolesFileError(f"{path}:1: the roles file is empty")
    top = _mapping(path, root, "the roles file")
    known = ("admin", "treasury", "agencies", "grant_delays", "upgrade_notice")
    unknown = set(top) - set(known)
    for key in sorted(unknown):
        raise _fail(
            path, top[key][0], f"unknown top-level key '{key}' (expected {', '.join(known)})"
        )
    for required in ("admin", "treasury", "agencies"):
        if required not in top:
            raise _fail(path, root, f"missing top-level key '{required}'")

    admin_node = top["admin"][1]
    treasury = _account(path, top["treasury"][1], "treasury", allow_deployer=True)

    agencies: list[Agency] = []
    for name, (key_node, node) in _mapping(path, top["agencies"][1], "agencies").items():
        what = f"agency '{name}'"
        fields = _mapping(path, node, what)
        for key in sorted(set(fields) - AGENCY_KEYS):
            raise _fail(
                path,
                fields[key][0],
                f"{what}: unknown key '{key}' (expected {', '.join(sorted(AGENCY_KEYS))})",
            )
        account_fields = yaml.MappingNode(
            tag=node.tag,
            value=[
                (k, v) for k, v in node.value if k.value in ("address", "account", "test_account")
            ],
            start_mark=node.start_mark,
            end_mark=node.end_mark,
        )
        account = _account(path, account_fields, what, allow_deployer=True)
        if "roles" not in fields:
            raise _fail(path, key_node, f"{what}: missing 'roles' (a list of role names)")
        roles_node = fields["roles"][1]
        if not isinstance(roles_node, yaml.SequenceNode) or not roles_node.value:
            raise _fail(path, roles_node, f"{what}: 'roles' must be a non-empty list of role names")
        roles: list[str] = []
        for item in roles_node.value:
            role_name = _scalar(path, item, f"{what} role").upper()
            if role_name not in BY_NAME:
                raise _fail(
                    path,
                    item,
                    f"{what}: unknown role '{item.value}'; known roles: {', '.join(BY_NAME)}",
                )
            if role_name in roles:
                raise _fail(path, item, f"{what}: role '{role_name}' listed twice")
            roles.append(role_name)
        delay = 0
        if "execution_delay" in fields:
            delay = _int(
                path,
                fields["execution_delay"][1],
                f"{what}.execution_delay",
                0,
                MAX_EXECUTION_DELAY,
            )
        agencies.append(Agency(name, account, tuple(roles), delay, key_node.start_mark.line + 1))

    grant_delays: dict[str, int] = {}
    if "grant_delays" in top:
        for name, (key_node, node) in _mapping(
            path, top["grant_delays"][1], "grant_delays"
        ).items():
            if name.upper() not in BY_NAME:
                raise _fail(path, key_node, f"grant_delays: unknown role '{name}'")
            grant_delays[name.upper()] = _int(
                path, node, f"grant_delays.{name}", 0, MAX_EXECUTION_DELAY
            )

    notice = DEFAULT_UPGRADE_NOTICE
    if "upgrade_notice" in top:
        notice = _int(path, top["upgrade_notice"][1], "upgrade_notice", 1, MAX_EXECUTION_DELAY)

    admin: AccountRef | SafeAdmin
    admin_fields = _mapping(path, admin_node, "admin")
    if "safe" in admin_fields:
        if len(admin_fields) != 1:
            raise _fail(path, admin_node, "admin: give either safe or one of address / account "
                        "/ test_account")  # fmt: skip
        admin = _safe_admin(path, admin_fields["safe"][1], tuple(agencies))
    else:
        admin = _account(path, admin_node, "admin", allow_deployer=True)
    return RolesConfig(path, admin, treasury, tuple(agencies), grant_delays, notice)
