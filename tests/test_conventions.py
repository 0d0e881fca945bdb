"""Conventions of the suite that a reviewer would otherwise have to remember."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent

# `ape.reverts(contract.SomeError)` checks the error only when Ape decoded it: a revert it left
# as a plain ContractLogicError satisfies any expected error. Ape 0.8 leaves undecoded every
# custom error whose arguments eth-tester prints as b"..." (a 0x27 byte, no 0x22): a timestamp
# or an id holding one made a test fail (f80c6cd's CI), and a wrong error could pass.
_UNCHECKED_REVERT = re.compile(r"ape\.reverts\((?!\))|\.value\)\.__name__ ==")


def test_custom_errors_are_expected_through_tests_reverts():
    """Every expected custom error goes through tests/reverts.py (`reverts("Name", **args)`,
    decoded from the raw bytes when Ape did not); bare `ape.reverts()` stays for reverts
    without data."""
    offenders = [
        f"{path.relative_to(TESTS.parent)}:{number}: {line.strip()}"
        for path in sorted(TESTS.rglob("*.py"))
        if path.name not in {"reverts.py", "test_conventions.py"}
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if _UNCHECKED_REVERT.search(line)
    ]
    assert not offenders, "expect custom errors with tests/reverts.py:\n" + "\n".join(offenders)
