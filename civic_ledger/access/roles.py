"""The city's role catalogue: the single definition of every AccessManager role.

`contracts/access/CityRoles.sol` is generated from this module (`python -m civic_ledger.access.roles`)
and a test fails when the two disagree, so Solidity and Python can never drift apart.

Role ids are OpenZeppelin AccessManager `uint64` ids. 0 (ADMIN) and 2**64-1 (PUBLIC) are
AccessManager's own. The admin role is meant for a multisig or a timelock, never a person.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

from civic_ledger.core.times import DAY

ADMIN_ROLE = 0
PUBLIC_ROLE = 2**64 - 1


def N_(text: str) -> str:
    """Marks a role's label for the portal's message catalogues (pybabel extracts it from here:
    civic_ledger/portal/babel.cfg); the label itself stays English here."""
    return text


@dataclass(frozen=True)
class Role:
    """One agency function. `grant_delay` applies to new members of the role (seconds);
    `sensitive` roles are the ones whose members should get an execution delay in production."""

    name: str
    id: int
    label: str
    description: str
    grant_delay: int = 0
    sensitive: bool = False


ROLES: tuple[Role, ...] = (
    Role(
        "UPGRADER",
        5,
        N_("Upgrader"),
        "Upgrades the city's contracts: held by the admin with the announced notice period as "
        "execution delay, so every upgrade is scheduled, visible and cancellable first.",
        grant_delay=DAY,
        sensitive=True,
    ),
    Role(
        "IDENTITY_OFFICE",
        10,
        N_("Identity office"),
        "Registers persons, enterprises and agencies; changes identity status; recovers keys.",
        grant_delay=DAY,
        sensitive=True,
    ),
    Role(
        "RECORDS_ADMIN",
        11,
        N_("Records administrator"),
        "Registers record schemas and standing policies.",
        grant_delay=DAY,
        sensitive=True,
    ),
    Role(
        "TAX_RECORD_ISSUER",
        20,
        N_("Tax bureau (records)"),
        "Issues tax-compliance records and tax penalties.",
    ),
    Role(
        "MARKET_RECORD_ISSUER",
        21,
        N_("Market regulator (records)"),
        "Issues business licences, certifications and market penalties.",
    ),
    Role(
        "COURT_RECORD_ISSUER",
        22,
        N_("Courts (records)"),
        "Issues court judgments and enforcement records.",
    ),
    Role("ARBITER", 30, N_("Arbiter"), "Resolves disputes raised by record subjects."),
    Role(
        "REGISTRAR",
        40,
        N_("Land registrar"),
        "Registers parcels, approves sales, splits and merges parcels, orders lien releases.",
        grant_delay=DAY,
        sensitive=True,
    ),
    Role(
        "TAX_ASSESSOR",
        41,
        N_("Tax bureau (property tax)"),
        "Assesses property tax per parcel per year.",
    ),
    Role(
        "FUND_MANAGER",
        50,
        N_("Fund manager"),
        "Creates and closes grant rounds; keeps the committee's register of interests.",
    ),
    Role(
        "FUND_COMMITTEE",
        51,
        N_("Fund committee"),
        "Votes on awards, milestones and clawbacks (M-of-N) through the identity it controls.",
        grant_delay=DAY,
    ),
    Role(
        "TREASURER",
        60,
        N_("Treasurer"),
        "Mints and burns the settlement token and funds grant rounds.",
        grant_delay=DAY,
        sensitive=True,
    ),
    Role(
        "DATA_STEWARD",
        80,
        N_("Data steward"),
        "Registers, versions and retires the data resources of its agency (the owner role it also "
        "holds); approves or denies requests for them, revokes their grants, asks for deletion.",
        grant_delay=DAY,
        sensitive=True,
    ),
    Role(
        "DATA_REQUESTER",
        81,
        N_("Data requester"),
        "Requests other agencies' data resources for its agency (the recipient role it also "
        "holds) and confirms deletions asked of it.",
    ),
    Role(
        "DATA_EXEMPTION_OFFICER",
        82,
        N_("Data exemption officer"),
        "Records legal-basis exemptions (personal data without consent) for its agency's "
        "requests; every exemption is disputable by its subject.",
        grant_delay=DAY,
        sensitive=True,
    ),
    Role(
        "DATA_RECEIPTS",
        83,
        N_("Data receipts"),
        "Anchors its agency's batches of access receipts as Merkle roots.",
    ),
    Role(
        "GUARDIAN",
        70,
        N_("Guardian"),
        "Pauses contracts in an emergency and cancels scheduled operations.",
    ),
)

BY_NAME: dict[str, Role] = {role.name: role for role in ROLES}
BY_ID: dict[int, Role] = {role.id: role for role in ROLES}

#: Every role id under its name, as contracts/access/CityRoles.sol has them, with
#: AccessManager's own ADMIN and PUBLIC: `RoleId.REGISTRAR` in code, `role_id(text)` for a name
#: read from a file or a command line.
RoleId = IntEnum(  # type: ignore[misc]  # members come from the catalogue
    "RoleId", [("ADMIN", ADMIN_ROLE), *((r.name, r.id) for r in ROLES), ("PUBLIC", PUBLIC_ROLE)]
)


def role(name: str) -> Role:
    """Look a role up by name (case-insensitive), with an error listing the known names."""
    try:
        return BY_NAME[name.upper()]
    except KeyError:
        known = ", ".join(BY_NAME)
        raise KeyError(f"unknown role {name!r}; known roles: {known}") from None


def role_id(name: str) -> int:
    """The id of a catalogue role, ADMIN or PUBLIC by name (case-insensitive)."""
    try:
        return int(RoleId[name.upper()])
    except KeyError:
        known = ", ".join(RoleId.__members__)
        raise KeyError(f"unknown role {name!r}; known roles: {known}") from None


def render_solidity() -> str:
    """The Solidity library of role ids, generated from `ROLES` (and AccessManager's own
    ADMIN_ROLE and PUBLIC_ROLE, which the contracts refuse as agency roles)."""
    assert PUBLIC_ROLE == 2**64 - 1, "PUBLIC is written as type(uint64).max"
    lines = [
        "// SPDX-License-Identifier: Apache-2.0",
        "// GENERATED by `python -m civic_ledger.access.roles` from civic_ledger/access/roles.py. Do not edit.",
        "pragma solidity ^0.8.28;",
        "",
        "/// @title CityRoles",
        "/// @notice AccessManager role ids of the city's agency functions.",
        "/// @dev ADMIN and PUBLIC are AccessManager's own roles (ADMIN_ROLE, PUBLIC_ROLE): never an agency.",
        "library CityRoles {",
        "    /// @dev AccessManager's ADMIN_ROLE: the city's admin (a multisig or a timelock).",
        f"    uint64 internal constant ADMIN = {ADMIN_ROLE};",
        "    /// @dev AccessManager's PUBLIC_ROLE: every account.",
        "    uint64 internal constant PUBLIC = type(uint64).max;",
    ]
    for r in ROLES:
        lines.append(f"    /// @dev {r.label}: {r.description}")
        lines.append(f"    uint64 internal constant {r.name} = {r.id};")
    lines.append("}")
    return "\n".join(lines) + "\n"


SOLIDITY_PATH = Path(__file__).resolve().parents[2] / "contracts" / "access" / "CityRoles.sol"


def main() -> None:
    SOLIDITY_PATH.write_text(render_solidity())
    print(f"wrote {SOLIDITY_PATH}", file=sys.stderr)


if __name__ == "__main__":
    main()
