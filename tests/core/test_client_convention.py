"""The one calling convention of the domain clients (docs/architecture.md, "client calls"):
every function that sends takes `sender` and `transact` keyword-only and returns what the call
created or decided, else the receipt — never a tuple with the receipt in it."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from civic_ledger.core.transact import Recording

DOMAINS = ("civic_ledger.identity", "civic_ledger.property", "civic_ledger.fund")


def _modules() -> Iterator[ModuleType]:
    for domain in DOMAINS:
        package = importlib.import_module(domain)
        for info in pkgutil.iter_modules(package.__path__):
            yield importlib.import_module(f"{domain}.{info.name}")


def _client_functions() -> list[tuple[str, Callable[..., Any]]]:
    """Every public function defined in a domain module that takes a `transact` parameter."""
    found = []
    for module in _modules():
        for name, fn in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(fn):
                continue
            if fn.__module__ != module.__name__:  # a re-export: checked where it is defined
                continue
            if "transact" in inspect.signature(fn).parameters:
                found.append((f"{module.__name__}.{name}", fn))
    return found


CLIENT_FUNCTIONS = _client_functions()


def _is_tuple(annotation: str) -> bool:
    """Whether a (string) return annotation is a tuple, alone or in a union."""

    def check(node: ast.expr) -> bool:
        if isinstance(node, ast.BinOp):  # X | Y
            return check(node.left) or check(node.right)
        if isinstance(node, ast.Subscript):
            node = node.value
        if isinstance(node, ast.Attribute):  # typing.Tuple
            return node.attr in {"tuple", "Tuple"}
        return isinstance(node, ast.Name) and node.id in {"tuple", "Tuple"}

    return check(ast.parse(annotation, mode="eval").body)


def test_the_clients_are_found() -> None:
    """The introspection sees every domain (a refactoring that hides them fails here)."""
    domains = {name.rsplit(".", 2)[0] for name, _ in CLIENT_FUNCTIONS}
    assert domains == set(DOMAINS)
    assert len(CLIENT_FUNCTIONS) > 50


@pytest.mark.parametrize(("name", "fn"), CLIENT_FUNCTIONS, ids=[n for n, _ in CLIENT_FUNCTIONS])
def test_sender_and_transact_are_keyword_only(name: str, fn: Callable[..., Any]) -> None:
    params = inspect.signature(fn).parameters
    for keyword in ("sender", "transact"):
        assert keyword in params, f"{name} has no `{keyword}` parameter"
        assert params[keyword].kind is inspect.Parameter.KEYWORD_ONLY, (
            f"{name}: `{keyword}` must be keyword-only (fn(contract, ..., *, sender, transact))"
        )
    assert params["transact"].default is not inspect.Parameter.empty, (
        f"{name}: `transact` defaults to `direct`"
    )


@pytest.mark.parametrize(("name", "fn"), CLIENT_FUNCTIONS, ids=[n for n, _ in CLIENT_FUNCTIONS])
def test_no_tuple_returns(name: str, fn: Callable[..., Any]) -> None:
    annotation = inspect.signature(fn).return_annotation
    assert annotation is not inspect.Signature.empty, f"{name} has no return annotation"
    text = annotation if isinstance(annotation, str) else inspect.formatannotation(annotation)
    assert not _is_tuple(text), (
        f"{name} returns {text}: return what the call created or decided, else the receipt "
        "(a caller that needs the receipt too passes a core.transact.Recording)"
    )


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [("tuple[int, Any]", True), ("int | tuple[bytes, Any]", True), ("typing.Tuple", True),
     ("list[tuple[int, int]]", False), ("int", False), ("Any", False)],
)  # fmt: skip
def test_tuple_detection(annotation: str, expected: bool) -> None:
    assert _is_tuple(annotation) is expected


def test_recording_keeps_the_receipts_it_produced() -> None:
    sent: list[tuple[Any, ...]] = []

    def method(*args: Any, sender: Any) -> Any:
        sent.append((*args, sender))
        return SimpleNamespace(txn_hash=f"0x{len(sent)}")

    recording = Recording()
    with pytest.raises(LookupError):
        _ = recording.last
    first = recording("first", method, 1, sender="alice")
    second = recording("second", method, 2, 3, sender="bob")
    assert sent == [(1, "alice"), (2, 3, "bob")]
    assert recording.receipts == [first, second] and recording.last is second
    assert recording.take() == [first, second] and recording.receipts == []
