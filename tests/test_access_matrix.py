"""Access matrix (issue #8): every state-changing function of every deployed contract, called
from every caller class, against the intended matrix in config/access-matrix.yaml.

Method
------
* The functions come from the compiled ABIs (every non-view, non-pure function of every
  contract the deploy plan deploys, `civic_ledger.spec.all_contracts()`), so a new function
  cannot escape: one with no entry in the YAML fails its test, and so does a YAML entry naming
  a function that no longer exists (or a contract that is not deployed).
* The caller classes are the YAML's `classes`: one per agency of config/roles.local.yaml (the
  test checks the two lists agree), the admin, the treasury, the controller of the identity
  the call concerns, another identity's controller, the parties a function needs (buyer, lien
  holder, ERC-20 spender) and an outsider.
* A module fixture (tests/access_matrix_cases.py `build_world`) prepares, with real
  transactions, one state in which every function has a valid call for its intended callers.
  Each function is one test: it optionally sends its `prepare` transactions (e.g. pause before
  `unpause`; Ape reverts them after the test) and then simulates the same call with `eth_call`
  from every class, so one prepared state serves all callers without being consumed.
* Intended callers must succeed (not revert). Every other class must revert with an access-type
  error (decoded with civic_ledger.core.revert): exactly `AccessManagedUnauthorized` for functions
  the deploy plan maps to a role, otherwise one of the YAML's `access_errors` (or the function's
  own `denied_with`). A denial for an unrelated validation reason therefore fails the test, so
  it cannot pass for the wrong reason.
* Execution delays: when an intended agency holds the function's role with an execution delay,
  its intended path is AccessManager.schedule, wait, then call: the test schedules (a real
  transaction), moves the chain past the delay and expects the call to succeed.

The module prints `access matrix: N functions x M caller classes = P (function, caller) pairs
tried, S allowed, R denied` at its end (through pytest's terminal reporter, no -s needed).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from access_matrix_cases import CASES, World, build_world, parcel, upgradeable_case
from eth_utils import keccak

from civic_ledger.access.roles import BY_NAME, ROLES, RoleId
from civic_ledger.core.revert import decode_revert, explain, project_registry, raw_revert_data
from civic_ledger.spec import all_contracts

MATRIX_FILE = Path(__file__).resolve().parent.parent / "config" / "access-matrix.yaml"
ANYONE = "anyone"
NO_DATA = "(no data)"


def load_matrix() -> dict[str, Any]:
    return yaml.safe_load(MATRIX_FILE.read_text())


MATRIX = load_matrix()


def deployed_contracts() -> list[str]:
    return [spec.name for spec in all_contracts()]


UPGRADEABLE = {spec.name for spec in all_contracts() if spec.upgradeable}


def matrix_entries(contract: str) -> dict[str, Any]:
    """The YAML's entries for `contract`: the `upgradeable` block (what every CityManaged
    contract shares) under the contract's own entries."""
    common = MATRIX.get("upgradeable") or {} if contract in UPGRADEABLE else {}
    return {**common, **(MATRIX["contracts"].get(contract) or {})}


@functools.cache
def restricted_signatures() -> dict[str, dict[str, str]]:
    """Contract -> {signature: role name} the deploy plan maps in the manager."""
    from ape import project

    return {
        spec.name: spec.restricted_signatures(getattr(project, spec.name).contract_type.abi)
        for spec in all_contracts()
    }


def state_changing(contract: str) -> dict[str, Any]:
    """Key -> MethodABI of every non-view, non-pure function of `contract`'s compiled ABI; the
    key is the name, or the ABI signature for overloaded names."""
    from ape import project

    methods = [
        abi
        for abi in getattr(project, contract).contract_type.abi
        if abi.type == "function" and abi.stateMutability not in ("view", "pure")
    ]
    names = [m.name for m in methods]
    return {(m.name if names.count(m.name) == 1 else m.selector): m for m in methods}


def function_ids() -> list[tuple[str, str]]:
    """Every (contract, key) of the ABIs and of the YAML (union: each mismatch fails a test)."""
    ids: list[tuple[str, str]] = []
    for contract in deployed_contracts():
        keys = list(state_changing(contract))
        keys += [k for k in matrix_entries(contract) if k not in keys]
        ids += [(contract, key) for key in keys]
    return ids


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "function_id" in metafunc.fixturenames:
        ids = function_ids()
        metafunc.parametrize("function_id", ids, ids=[f"{c}.{k}" for c, k in ids])


# ------------------------------------------------------------------------------ the matrix


def class_names() -> list[str]:
    classes = MATRIX["classes"]
    return [*classes["agencies"], *classes["parties"]]


def expand(entry: Any) -> tuple[set[str], list[str] | None]:
    """(allowed classes, denial errors override) of one YAML entry."""
    denied_with = None
    if isinstance(entry, dict):
        denied_with = list(entry["denied_with"])
        entry = entry["allow"]
    if entry == ANYONE:
        return set(class_names()), denied_with
    groups = MATRIX.get("groups") or {}
    allowed: set[str] = set()
    for name in entry:
        allowed.update(groups.get(name, [name]))
    unknown = allowed - set(class_names())
    assert not unknown, f"{MATRIX_FILE.name}: unknown caller classes {sorted(unknown)}"
    return allowed, denied_with


@dataclass(frozen=True)
class Outcome:
    cls: str
    allowed: bool  # what the matrix intends
    error: str | None  # None: the call succeeded
    detail: str = ""
    scheduled: bool = False  # went through AccessManager.schedule (execution delay)


def revert_name(exc: BaseException) -> tuple[str, str]:
    """(error name, readable sentence) of a failed eth_call."""
    data = raw_revert_data(exc)
    if data is None:
        return f"(not a revert: {type(exc).__name__})", str(exc)[:200]
    if not data:
        return NO_DATA, "reverted without data"
    decoded = decode_revert(data, project_registry())
    if decoded is None:
        return f"(undecoded 0x{data.hex()[:16]})", str(exc)[:200]
    return decoded[0].name, explain(exc)


def simulate(w: World, account: Any, target: str, data: bytes) -> tuple[str | None, str]:
    """eth_call `data` on `target` from `account`: (None, "") or (error name, sentence)."""
    web3 = w.chain.provider.web3
    try:
        web3.eth.call({"from": account.address, "to": target, "data": "0x" + data.hex()})
    except Exception as exc:  # eth-tester raises TransactionFailed, other providers web3 errors
        return revert_name(exc)
    return None, ""


def schedule_if_delayed(w: World, account: Any, target: str, data: bytes) -> bool:
    """When `account` may call `target`'s function only after an execution delay, schedule the
    call and move the chain past the delay (a real transaction). True if it did."""
    manager = w.c["CityAccessManager"]
    immediate, delay = manager.canCall(account.address, target, data[:4])
    if immediate or delay == 0:
        return False
    manager.schedule(target, data, 0, sender=account)
    w.chain.pending_timestamp += int(delay) + 1
    w.chain.mine()
    return True


def calldata(abi: Any, args: tuple[Any, ...]) -> bytes:
    from ape import networks

    encoded = networks.provider.network.ecosystem.encode_calldata(abi, *args)
    return keccak(text=abi.selector)[:4] + bytes(encoded)


def denials_for(
    w: World, contract: str, abi: Any, account: Any, expected: list[str], denied_with: Any
) -> list[str]:
    """The denials that prove `account` was refused: for a restricted function, exactly
    AccessManagedUnauthorized, unless the account holds the function's role (a second agency
    with the same function), when the YAML's `denied_with` (the contract's agency check) is
    the refusal."""
    role_name = restricted_signatures().get(contract, {}).get(abi.selector)
    if role_name is None or not denied_with:
        return expected
    member, _ = w.c["CityAccessManager"].hasRole(BY_NAME[role_name].id, account)
    return [*expected, *denied_with] if member else expected


def check_function(w: World, contract: str, key: str) -> tuple[list[Outcome], list[str]]:
    """Calls `contract.key` from every class; returns the outcomes and every violation."""
    entry = matrix_entries(contract).get(key)
    abis = state_changing(contract)
    assert key in abis, (
        f"{MATRIX_FILE.name} names {contract}.{key}, which is not a state-changing function of "
        f"the compiled {contract} (removed or renamed?): update the matrix"
    )
    assert entry is not None, (
        f"{contract}.{key} is a state-changing function of the ABI but has no entry in "
        f"{MATRIX_FILE.name}: decide who may call it"
    )
    case = CASES.get((contract, key)) or (
        upgradeable_case(contract, key) if contract in UPGRADEABLE else None
    )
    assert case is not None, (
        f"{contract}.{key}: no case (valid arguments) in tests/access_matrix_cases.py"
    )
    allowed, denied_with = expand(entry)
    abi = abis[key]
    restricted = abi.selector in restricted_signatures().get(contract, {})
    if restricted:
        expected_denials = ["AccessManagedUnauthorized"]
    else:
        expected_denials = denied_with or list(MATRIX["access_errors"])
    wanted = (
        " or ".join(expected_denials)
        if restricted or denied_with
        else f"an access error (`access_errors` in {MATRIX_FILE.name})"
    )

    if case.prepare is not None:
        case.prepare(w)
    target = case.target(w) if case.target is not None else w.c[contract].address
    data = calldata(abi, case.args(w))

    outcomes: list[Outcome] = []
    problems: list[str] = []
    for cls in class_names():
        account = w.who(cls)
        intended = cls in allowed
        scheduled = intended and restricted and schedule_if_delayed(w, account, target, data)
        error, detail = simulate(w, account, target, data)
        outcomes.append(Outcome(cls, intended, error, detail, scheduled))
        if intended and error is not None:
            problems.append(f"  {cls}: intended, but reverted with {error}: {detail}")
        elif not intended and error is None:
            problems.append(f"  {cls}: NOT intended, but the call succeeded")
        elif not intended and error not in denials_for(w, contract, abi, account, expected_denials,
                                                        denied_with):  # fmt: skip
            problems.append(
                f"  {cls}: denied for the wrong reason: {error} ({detail}); expected {wanted}"
            )
    return outcomes, problems


# ------------------------------------------------------------------------------ fixtures


@dataclass
class Tally:
    functions: int = 0
    pairs: int = 0
    succeeded: int = 0
    reverted: int = 0

    def line(self) -> str:
        return (
            f"access matrix: {self.functions} functions x {len(class_names())} caller classes "
            f"= {self.pairs} (function, caller) pairs tried, {self.succeeded} allowed, "
            f"{self.reverted} denied"
        )


TALLY = Tally()
SUMMARY_PLUGIN = "civic-ledger-access-matrix-summary"


class SummaryPlugin:
    """Writes the pair count into pytest's terminal summary (shown without -s)."""

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if TALLY.functions:
            terminalreporter.write_sep("-", "access matrix")
            terminalreporter.write_line(TALLY.line())


@pytest.fixture(scope="module", autouse=True)
def matrix_summary(request: pytest.FixtureRequest) -> Tally:
    manager = request.config.pluginmanager
    if not manager.has_plugin(SUMMARY_PLUGIN):
        manager.register(SummaryPlugin(), name=SUMMARY_PLUGIN)
    return TALLY


@pytest.fixture(scope="module")
def world(suite: Any, agency: dict[str, Any], outsider: Any, accounts: Any, chain: Any) -> World:
    return build_world(suite, agency, outsider, accounts, chain, MATRIX["classes"]["agencies"])


# ------------------------------------------------------------------------------ tests


def test_world_classes_are_what_they_claim(world: World, roles_config: Any) -> None:
    """Each class's account is distinct; the outsider and the parties hold no role; only the
    identity classes control identities (the outsider, agencies and admin none)."""
    manager, identities = world.c["CityAccessManager"], world.c["IdentityRegistry"]
    addresses = [world.who(cls).address for cls in class_names()]
    assert len(set(addresses)) == len(addresses), "two caller classes share an account"
    identity_classes = set(MATRIX["groups"]["identity_controllers"])
    for cls in class_names():
        account = world.who(cls).address
        has_identity = identities.subjectOf(account) != b"\x00" * 32
        assert has_identity == (cls in identity_classes), f"{cls}: identity {has_identity}"
        if cls in MATRIX["classes"]["parties"] and cls != "admin":
            held = [r.name for r in ROLES if manager.hasRole(r.id, account)[0]]
            assert not held, f"{cls} holds roles {held}"


def test_access(function_id: tuple[str, str], world: World) -> None:
    contract, key = function_id
    outcomes, problems = check_function(world, contract, key)
    TALLY.functions += 1
    TALLY.pairs += len(outcomes)
    TALLY.succeeded += sum(o.error is None for o in outcomes)
    TALLY.reverted += sum(o.error is not None for o in outcomes)
    assert not problems, f"{contract}.{key}:\n" + "\n".join(problems)


def test_delayed_member_goes_through_schedule(world: World) -> None:
    """With an execution delay on REGISTRAR, the registrar's direct call is refused until
    scheduled; the matrix check then takes the schedule path and still passes."""
    manager, registrar = world.c["CityAccessManager"], world.who("land_registry")
    manager.grantRole(RoleId.REGISTRAR, registrar, 600, sender=world.who("admin"))
    titles = world.c["TitleRegistry"]
    direct = titles.register.encode_input(world.subject("subject_controller"), parcel("D1"))
    assert simulate(world, registrar, titles.address, bytes(direct))[0] == (
        "AccessManagerNotScheduled"
    )

    outcomes, problems = check_function(world, "TitleRegistry", "register")
    assert not problems, "\n".join(problems)
    [scheduled] = [o for o in outcomes if o.scheduled]
    assert scheduled.cls == "land_registry" and scheduled.error is None


def test_matrix_covers_exactly_the_deployed_contracts() -> None:
    listed = set(MATRIX["contracts"])
    deployed = set(deployed_contracts())
    assert listed == deployed, (
        f"{MATRIX_FILE.name}: contracts deployed but missing {sorted(deployed - listed)}; "
        f"listed but not deployed {sorted(listed - deployed)}"
    )


def test_classes_are_the_roles_file_agencies_and_the_parties(roles_config: Any) -> None:
    agencies = [a.name for a in roles_config.agencies]
    assert MATRIX["classes"]["agencies"] == agencies, (
        f"{MATRIX_FILE.name}: agency classes must be exactly the agencies of "
        f"{roles_config.path.name}: {agencies}"
    )
    assert len(set(class_names())) == len(class_names()), "duplicate caller class names"
