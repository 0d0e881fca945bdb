"""Hostile roles files (issue #8): hypothesis-generated malformed YAML (syntax errors, wrong
types, unknown roles, duplicate agencies, bad addresses, binary junk). Every one is refused by
`load_roles_file` with ONE line `path:LINE: ...`, never another exception; and `ape run deploy`
with one refuses before sending anything."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civic_ledger.core.config import load_roles_file
from civic_ledger.core.exceptions import RolesFileError
from civic_ledger.core.paths import DEFAULT_ROLES_FILE

from .harness import EXAMPLES, Refuser, count

SETTINGS = settings(
    max_examples=EXAMPLES * 2,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    derandomize=True,
)

GOOD = DEFAULT_ROLES_FILE.read_text()
LOCATED = re.compile(r"^(?P<path>.+):(?P<line>\d+): \S")

# Targeted defects: (replacement of a line of the good file, or a whole text) -> words expected.
HEAD = "admin: {address: deployer}\ntreasury: {test_account: 14}\n"  # a valid start
AGENCIES = HEAD + "agencies:\n"

TARGETED: list[tuple[str, tuple[str, ...]]] = [
    (AGENCIES + "  a: {test_account: 1, roles: [TAX_COLLECTOR]}\n",
     (":4:", "unknown role 'TAX_COLLECTOR'")),
    (AGENCIES + "  a: {test_account: 1, roles: [REGISTRAR]}\n"
     "  a: {test_account: 2, roles: [ARBITER]}\n", (":5:", "duplicate key 'a'")),
    ("admin: {address: 0x1234}\ntreasury: {test_account: 14}\nagencies: {}\n",
     (":1:", "not a 0x-prefixed 20-byte address")),
    ("admin: {address: deployer}\ntreasury: {test_account: fourteen}\nagencies: {}\n",
     (":2:", "whole number")),
    (AGENCIES + "  a: {test_account: 1, roles: REGISTRAR}\n", (":4:", "non-empty list")),
    (AGENCIES + "  a: {test_account: 1, roles: [REGISTRAR, registrar]}\n", (":4:", "listed twice")),
    (AGENCIES + "  a: {test_account: 1, roles: [REGISTRAR], execution_delay: 99999999999}\n",
     (":4:", "execution_delay")),
    ("admin: {address: deployer\ntreasury: {test_account: 14}\n", (":1:", "not valid YAML")),
    ("admin: [\n", ("roles.yaml:", "not valid YAML")),
    ("admin: 'unterminated\n", (":1:", "not valid YAML")),
    ("\tadmin: x\n", (":1:", "not valid YAML")),
    ("admin: {address: deployer}\x00\n", (":1:", "not allowed")),
    ("- just\n- a list\n", (":1:", "must be a mapping")),
    ("", (":1:", "empty")),
    (HEAD + "agencies: {}\nextra: 1\n", (":4:", "unknown top-level key 'extra'")),
    (HEAD, (":1:", "missing top-level key 'agencies'")),
    ("admin: {address: deployer, account: x}\ntreasury: {test_account: 14}\nagencies: {}\n",
     (":1:", "exactly one of")),
    (AGENCIES + "  a: {test_account: 1, roles: [\"TAX\\nX\"]}\n", (":4:", "unknown role")),
    (AGENCIES + "  a: {test_account: 1, roles: [REGISTRAR], colour: red}\n",
     (":4:", "unknown key 'colour'")),
    ("admin: &x {address: deployer}\ntreasury: *x\nagencies:\n  a: *x\n",
     (":4:", "missing 'roles'")),
    ("[" * 5000 + "]" * 5000, (":1:", "")),
]  # fmt: skip


def _assert_located(path: Path, message: str) -> int:
    assert "\n" not in message, message
    match = LOCATED.match(message)
    assert match and match.group("path") == str(path), message
    return int(match.group("line"))


@pytest.mark.parametrize("index", range(len(TARGETED)))
def test_targeted_roles_defects(index: int, tmp_path: Path) -> None:
    text, words = TARGETED[index]
    path = tmp_path / "roles.yaml"
    path.write_text(text)
    count("roles-yaml")
    with pytest.raises(RolesFileError) as refused:
        load_roles_file(path)
    message = str(refused.value)
    _assert_located(path, message)
    for word in words:
        assert word in message, message


def test_binary_and_unreadable_roles_files(tmp_path: Path) -> None:
    binary = tmp_path / "roles.yaml"
    binary.write_bytes(b"admin: {address: deployer}\n\xff\xfe\x00\x01")
    count("roles-yaml", 2)
    with pytest.raises(RolesFileError, match=r"roles.yaml:2: not UTF-8"):
        load_roles_file(binary)
    with pytest.raises(RolesFileError, match="cannot read roles file"):
        load_roles_file(tmp_path / "absent.yaml")


# hypothesis: mutate the good file line by line, or write YAML-ish junk


@st.composite
def mutated_roles(draw: Any) -> str:
    lines = GOOD.splitlines()
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["delete", "duplicate", "junk", "retype", "indent", "cut"]))
        if op == "delete":
            lines.pop(i)
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "junk":
            lines[i] = draw(st.text(max_size=40))
        elif op == "retype":
            lines[i] = re.sub(
                r"\d+|\[[^\]]*\]|deployer",
                lambda _: draw(
                    st.sampled_from(["x", "[]", "{}", "-1", "1.5", "0x12", "~", "[[]]"])
                ),
                lines[i],
            )
        elif op == "indent":
            lines[i] = draw(st.sampled_from(["\t", " ", "   "])) + lines[i]
        else:
            lines[i] = lines[i][: draw(st.integers(0, max(0, len(lines[i]) - 1)))]
        if not lines:
            lines = [""]
    return "\n".join(lines) + "\n"


YAMLISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10)),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@SETTINGS
@given(text=st.one_of(mutated_roles(), YAMLISH.map(repr), st.text(max_size=200)))
def test_any_roles_text_loads_or_names_its_line(text: str, tmp_path_factory: Any) -> None:
    path = tmp_path_factory.mktemp("roles") / "roles.yaml"
    path.write_text(text)
    count("roles-yaml")
    try:
        config = load_roles_file(path)
    except RolesFileError as exc:
        line = _assert_located(path, str(exc))
        assert 1 <= line <= max(1, text.count("\n") + 1) + 1, str(exc)
    else:  # a harmless mutation (e.g. a comment): the result is a valid configuration
        assert config.agencies or "agencies" in text


def test_deploy_with_a_hostile_roles_file_sends_nothing(refuse: Refuser, tmp_path: Path) -> None:
    from civic_ledger.cli.deploy import cli as deploy_cli

    bad = tmp_path / "roles.yaml"
    bad.write_text(GOOD.replace("REGISTRAR", "REGISTRAR, REGISTRAR", 1))
    manifest = tmp_path / "m.json"
    refuse(
        deploy_cli,
        ["--roles", str(bad), "--manifest", str(manifest)],
        names=(f"{bad}:", "listed twice"),
        kind="roles-yaml (deploy)",
        manifest=False,
    )
    assert not manifest.exists()
