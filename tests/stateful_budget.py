"""One budget mechanism for every hypothesis state machine, and the invariant sweep's counters.

Budgets (examples x steps per example):

- the default suite runs each machine with its own small, fast budget (`stateful_budget`);
  CIVIC_STATEFUL_EXAMPLES / CIVIC_STATEFUL_STEPS override it for every machine at once;
- the invariant sweep (`-m slow`, issue #8) runs each machine with a larger budget
  (`sweep_budget`): a bounded one by default, sized so CI spends at most ~2-3 minutes per machine
  on a 2-core runner; CIVIC_SWEEP_EXAMPLES / CIVIC_SWEEP_STEPS raise it for a local deep run.

Counting: machines derive from `CountingMachine`, which counts the examples (machine instances)
and steps (rules executed) that really ran, including hypothesis' shrinking and database
replays, and checks that every example starts from the same chain state (no state leaked
through the per-example snapshot/restore). The sweep prints one line per machine:
`invariant sweep: <machine>: N examples, M steps, S s (budget E x T)`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ape.exceptions import ContractLogicError
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test
from reverts import decoded_error

EXAMPLES_ENV, STEPS_ENV = "CIVIC_STATEFUL_EXAMPLES", "CIVIC_STATEFUL_STEPS"
SWEEP_EXAMPLES_ENV, SWEEP_STEPS_ENV = "CIVIC_SWEEP_EXAMPLES", "CIVIC_SWEEP_STEPS"


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    value = int(raw)
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {raw!r}")
    return value


@dataclass(frozen=True)
class Budget:
    """How many examples, of up to how many steps each, a state machine runs."""

    examples: int
    steps: int
    label: str  # "default" or "sweep"

    def settings(self, **overrides: Any) -> settings:
        """Hypothesis settings for this budget (no deadline: EVM calls have uneven latency)."""
        options: dict[str, Any] = {
            "max_examples": self.examples,
            "stateful_step_count": self.steps,
            "deadline": None,
            "suppress_health_check": [
                HealthCheck.too_slow,
                HealthCheck.filter_too_much,
                HealthCheck.data_too_large,
            ],
        }
        options.update(overrides)
        return settings(**options)

    def __str__(self) -> str:
        return f"{self.examples} x {self.steps}"


def stateful_budget(examples: int, steps: int) -> Budget:
    """The default-suite budget of a machine: its own defaults unless the env overrides them."""
    return Budget(_env_int(EXAMPLES_ENV, examples), _env_int(STEPS_ENV, steps), "default")


# Fallback CI budget of the sweep. Each machine passes its own SWEEP_BUDGET instead: the cost of
# a step differs per machine (0.5-1 s on the embedded chain), so each is sized to ~2 minutes.
SWEEP_EXAMPLES, SWEEP_STEPS = 10, 15


def sweep_budget(examples: int = SWEEP_EXAMPLES, steps: int = SWEEP_STEPS) -> Budget:
    """The invariant sweep's budget: bounded for CI, raised by CIVIC_SWEEP_EXAMPLES/_STEPS."""
    return Budget(_env_int(SWEEP_EXAMPLES_ENV, examples), _env_int(SWEEP_STEPS_ENV, steps), "sweep")


@dataclass
class SweepCounter:
    """What one run of a state machine did: examples, steps, wall time, starting state."""

    machine: str
    budget: Budget
    examples: int = 0
    steps: int = 0
    started: float = field(default_factory=time.perf_counter)
    start_state: Hashable | None = None

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started

    def line(self) -> str:
        return (
            f"invariant sweep: {self.machine}: {self.examples} examples, {self.steps} steps, "
            f"{self.seconds:.0f} s (budget {self.budget}, {self.budget.label})"
        )


class CountingMachine(RuleBasedStateMachine):
    """Base of the project's state machines: counts examples and steps into `counter` (when a
    test sets one) and asserts every example starts from the same `start_state()`."""

    counter: ClassVar[SweepCounter | None] = None

    def __init__(self) -> None:
        super().__init__()
        self._invariant_checks = 0

    def start_state(self) -> Hashable:
        """A cheap fingerprint of the chain state an example starts from (override: add the
        machine's counters). Two examples starting differently means state leaked."""
        return ()

    def count_example(self) -> None:
        """Call at the end of `__init__`, once the snapshot is taken: counts the example and
        checks it starts where the first one did."""
        counter = type(self).counter
        if counter is None:
            return
        counter.examples += 1
        state = self.start_state()
        if counter.start_state is None:
            counter.start_state = state
        assert state == counter.start_state, (
            f"example {counter.examples} starts from {state!r}, the first from "
            f"{counter.start_state!r}: chain state leaked between examples"
        )

    def note(self, label: str) -> None:
        """Count an outcome of a step ("accepted: fn", "refused: Error"); override to keep it."""

    def attempt(self, expect_ok: bool, method: Any, *args: Any, sender: Any) -> Any:
        """Send `method(*args)` as `sender`: the contract must accept it exactly when the model
        predicts it (`expect_ok`); returns the receipt, or None when it refused."""
        try:
            receipt = method(*args, sender=sender)
        except ContractLogicError as exc:
            name, arguments = decoded_error(exc)
            assert not expect_ok, f"model expected success, contract refused: {name} {arguments}"
            self.note(f"refused: {name}")
            return None
        assert expect_ok, f"model expected a refusal, contract accepted {method} {args}"
        self.note(f"accepted: {method.abis[0].name}")
        return receipt

    def check_invariants(self, *args: Any, **kwargs: Any) -> None:
        # hypothesis calls this once before the first step and once after every step
        if self._invariant_checks and type(self).counter is not None:
            type(self).counter.steps += 1  # type: ignore[union-attr]
        self._invariant_checks += 1
        super().check_invariants(*args, **kwargs)


def run_counted(
    machine: type[CountingMachine], name: str, budget: Budget, **settings: Any
) -> SweepCounter:
    """Run `machine` under hypothesis with `budget` (plus hypothesis `settings` overrides),
    counting its examples and steps as `name`; returns the counter (see `report`)."""
    counter = machine.counter = SweepCounter(name, budget)
    try:
        run_state_machine_as_test(machine, settings=budget.settings(**settings))
    finally:
        machine.counter = None
    return counter


def report(counter: SweepCounter, capsys: Any = None, record_property: Any = None) -> str:
    """Print the sweep line to the terminal (past pytest's capture when `capsys` is given) and
    into the JUnit XML properties (when `record_property` is given)."""
    line = counter.line()
    if capsys is not None:
        with capsys.disabled():
            print(f"\n{line}")
    else:
        print(line)
    if record_property is not None:
        record_property(f"{counter.machine}_examples", counter.examples)
        record_property(f"{counter.machine}_steps", counter.steps)
        record_property(f"{counter.machine}_seconds", round(counter.seconds, 1))
    return line


def invariant_sweep(
    run: Callable[[Budget], SweepCounter],
    budget: tuple[int, int],
    capsys: Any = None,
    record_property: Any = None,
) -> SweepCounter:
    """A machine's invariant sweep (issue #8): `run` it with the sweep budget (`budget`, its CI
    size, unless CIVIC_SWEEP_EXAMPLES/_STEPS raise it), `report` what ran, and fail when no
    example or no step ran."""
    counter = run(sweep_budget(*budget))
    report(counter, capsys, record_property)
    assert counter.examples > 0 and counter.steps > 0, counter.line()
    return counter
