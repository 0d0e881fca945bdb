"""Role catalogue (single source for Solidity and Python) and the roles file parser."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civic_ledger.access.roles import (
    ADMIN_ROLE,
    PUBLIC_ROLE,
    ROLES,
    SOLIDITY_PATH,
    RoleId,
    render_solidity,
    role,
    role_id,
)
from civic_ledger.core.config import SafeAdmin, load_roles_file
from civic_ledger.core.exceptions import RolesFileError
from civic_ledger.core.paths import CONFIG_DIR, DEFAULT_ROLES_FILE


def test_generated_solidity_matches_python_catalogue():
    assert SOLIDITY_PATH.read_text() == render_solidity(), (
        "contracts/access/CityRoles.sol is stale: run `python -m civic_ledger.access.roles`"
    )


def test_role_ids_are_unique_and_not_reserved():
    ids = [r.id for r in ROLES]
    assert len(ids) == len(set(ids))
    assert all(0 < i < PUBLIC_ROLE for i in ids) and ADMIN_ROLE not in ids
    assert len({r.name for r in ROLES}) == len(ROLES)


def test_role_lookup_error_lists_known_roles():
    assert role("treasurer").id == 60
    with pytest.raises(KeyError, match="known roles: UPGRADER, IDENTITY_OFFICE"):
        role("TAX_COLLECTOR")


def test_role_ids_by_name_are_the_catalogue_plus_admin_and_public():
    """`RoleId` (code) and `role_id` (text) are the one way to name a role id in Python: the
    catalogue's ids under its names, as CityRoles.sol has them, and AccessManager's own two."""
    assert {m.name: int(m) for m in RoleId} == {
        "ADMIN": ADMIN_ROLE,
        **{r.name: r.id for r in ROLES},
        "PUBLIC": PUBLIC_ROLE,
    }
    assert RoleId.TREASURER == 60 and f"{RoleId.TREASURER}" == "60"  # an int where ABIs want one
    assert role_id("admin") == ADMIN_ROLE and role_id("Public") == PUBLIC_ROLE
    assert role_id("registrar") == role("REGISTRAR").id
    with pytest.raises(
        KeyError, match="unknown role 'TAX_COLLECTOR'; known roles: ADMIN, UPGRADER"
    ):
        role_id("TAX_COLLECTOR")


def test_shipped_roles_file_parses():
    config = load_roles_file(DEFAULT_ROLES_FILE)
    assert config.admin.deployer
    assert {a.name for a in config.agencies} >= {
        "identity_office",
        "land_registry",
        "finance_bureau",
    }
    indices = [a.account.test_account for a in config.agencies]
    assert len(indices) == len(set(indices)), "each agency has its own wallet"


GOOD = """\
admin: {address: deployer}
treasury: {address: "0x00000000000000000000000000000000000000aa"}
agencies:
  tax_bureau:
    address: "0x00000000000000000000000000000000000000bb"
    roles: [TAX_RECORD_ISSUER, TAX_ASSESSOR]
    execution_delay: 3600
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "roles.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_good_file(tmp_path):
    config = load_roles_file(write(tmp_path, GOOD))
    (agency,) = config.agencies
    assert agency.roles == ("TAX_RECORD_ISSUER", "TAX_ASSESSOR")
    assert agency.execution_delay == 3600
    assert agency.account.address == "0x00000000000000000000000000000000000000bb"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (GOOD.replace("TAX_ASSESSOR", "TAX_COLLECTOR"), 6, "unknown role 'TAX_COLLECTOR'"),
        (
            GOOD.replace('"0x00000000000000000000000000000000000000bb"', '"0x12"'),
            5,
            "not a 0x-prefixed 20-byte address",
        ),
        (
            GOOD.replace("execution_delay: 3600", "execution_delay: soon"),
            7,
            "must be a whole number",
        ),
        (GOOD.replace("execution_delay: 3600", "execution_delay: -1"), 7, "between 0 and"),
        (GOOD.replace("execution_delay: 3600", "colour: blue"), 7, "unknown key 'colour'"),
        (
            GOOD.replace("[TAX_RECORD_ISSUER, TAX_ASSESSOR]", "[TAX_ASSESSOR, TAX_ASSESSOR]"),
            6,
            "listed twice",
        ),
        (GOOD.replace("[TAX_RECORD_ISSUER, TAX_ASSESSOR]", "[]"), 6, "non-empty list"),
        (
            GOOD + "  tax_bureau: {test_account: 3, roles: [ARBITER]}\n",
            8,
            "duplicate key 'tax_bureau'",
        ),
        (GOOD.replace("roles: [", "roles: [\n    colour: 'blue"), 7, "not valid YAML"),
        (GOOD.replace("treasury:", "treasurer:"), 2, "unknown top-level key 'treasurer'"),
        ("", 1, "empty"),
    ],
)
def test_bad_files_name_the_line(tmp_path, text, line, message):
    path = write(tmp_path, text)
    with pytest.raises(RolesFileError) as info:
        load_roles_file(path)
    assert f"{path}:{line}:" in str(info.value)
    assert message in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(RolesFileError, match="cannot read roles file"):
        load_roles_file(tmp_path / "nope.yaml")


@given(st.text(max_size=200))
def test_arbitrary_text_never_crashes_the_parser(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("fuzz") / "roles.yaml"
    path.write_text(text)
    try:
        load_roles_file(path)
    except RolesFileError as exc:
        assert str(exc).startswith(f"{path}:")


SAFE = """\
admin:
  safe:
    owners: [tax_bureau, {test_account: 16}, {address: "0x00000000000000000000000000000000000000cc"}]
    threshold: 2
treasury: {address: "0x00000000000000000000000000000000000000aa"}
agencies:
  tax_bureau: {address: "0x00000000000000000000000000000000000000bb", roles: [TAX_ASSESSOR]}
"""


def test_safe_admin(tmp_path):
    config = load_roles_file(write(tmp_path, SAFE))
    assert isinstance(config.admin, SafeAdmin)
    assert config.admin.threshold == 2
    bureau, test_account, address = config.admin.owners
    assert bureau.address == "0x00000000000000000000000000000000000000bb"  # the agency's wallet
    assert test_account.test_account == 16
    assert address.address == "0x00000000000000000000000000000000000000cc"


def test_shipped_safe_roles_file_parses():
    config = load_roles_file(CONFIG_DIR / "roles.safe.yaml")
    assert isinstance(config.admin, SafeAdmin)
    assert (config.admin.threshold, len(config.admin.owners)) == (2, 3)
    local = load_roles_file(DEFAULT_ROLES_FILE)
    # Otherwise the local file: the same agencies, wallets and roles.
    assert [(a.name, a.account.test_account, a.roles) for a in config.agencies] == [
        (a.name, a.account.test_account, a.roles) for a in local.agencies
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("threshold: 2", "threshold: 4"), "between 1 and 3"),
        (("threshold: 2", "threshold: 0"), "between 1 and 3"),
        (("    threshold: 2\n", ""), "missing 'threshold'"),
        (("tax_bureau, {", "nobody, {"), "'nobody' is not an agency"),
        (("{test_account: 16}", "tax_bureau"), "listed twice"),
        (("{test_account: 16}", "{address: deployer}"), "cannot be 'deployer'"),
        (("owners: [tax_bureau,", "owners: [\n    ] #"), "non-empty list"),
        (("    threshold: 2\n", "    threshold: 2\n    delay: 5\n"), "unknown key 'delay'"),
        (("  safe:\n", "  address: deployer\n  safe:\n"), "either safe or one of"),
    ],
)
def test_bad_safe_admin(tmp_path, change, message):
    with pytest.raises(RolesFileError, match=message) as info:
        load_roles_file(write(tmp_path, SAFE.replace(*change)))
    assert str(info.value).startswith(f"{tmp_path / 'roles.yaml'}:")
