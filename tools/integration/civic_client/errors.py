"""The client's errors: one root, `ClientError`, and what a caller may want to catch apart."""

from __future__ import annotations

from typing import Any


class ClientError(Exception):
    """The client cannot do what was asked (wrong chain, bad input, failed transaction)."""


class ChainMismatch(ClientError):
    """The node is not the chain the manifest was written for."""


class CivicRevert(ClientError):
    """A contract refused a call with a custom error (name and arguments decoded from the ABIs)."""

    def __init__(self, name: str, args: tuple[Any, ...], contract: str) -> None:
        super().__init__(f"{contract} reverted with {name}{args}")
        self.name = name
        self.args_ = args
        self.contract = contract
