"""One exception root (issue #13): every exception class the product or the development tooling
defines derives from `CivicError`, so the CLI reports each as one sentence; and the product
declares all of them in one module, `civic_ledger.core.exceptions`, the whole hierarchy on one
page (the development tooling's own errors stay with the tool)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import civic_dev
import civic_ledger
from civic_ledger.core.exceptions import CivicError


def _exception_classes() -> list[type[BaseException]]:
    found = []
    for package in (civic_ledger, civic_dev):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            module = importlib.import_module(info.name)
            for _, value in inspect.getmembers(module, inspect.isclass):
                if issubclass(value, BaseException) and value.__module__ == info.name:
                    found.append(value)
    return found


def test_every_exception_class_derives_from_civic_error() -> None:
    classes = _exception_classes()
    assert len(classes) > 10, classes  # the walk found the project's exceptions
    strays = sorted(
        f"{c.__module__}.{c.__name__}" for c in classes if not issubclass(c, CivicError)
    )
    assert strays == [], f"exception classes outside the CivicError root: {strays}"


def test_the_product_declares_every_exception_in_core_exceptions() -> None:
    classes = _exception_classes()
    elsewhere = sorted(
        f"{c.__module__}.{c.__name__}"
        for c in classes
        if c.__module__.startswith("civic_ledger.")
        and c.__module__ != "civic_ledger.core.exceptions"
    )
    assert elsewhere == [], f"declare these in civic_ledger.core.exceptions: {elsewhere}"
