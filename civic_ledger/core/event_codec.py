"""Event arguments decoded from a log's topics and data, fast.

The indexer decodes every event of the chain, so decoding is on its hot path. Each event
signature is compiled once into a plan of word readers: static types (uintN, intN, bool,
address, bytesN) are read from their 32-byte word, `bytes`/`string` and arrays of static types
through their offset; anything else (tuples, fixed-size or nested arrays) falls back to
eth_abi for that event. The values are what a report shows: addresses checksummed, bytes as
0x-hex, lists as lists, an indexed dynamic argument as its topic hash.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import to_checksum_address

Reader = Callable[[bytes], Any]  # one 32-byte word -> value


@lru_cache(maxsize=4096)
def checksum(raw: bytes) -> str:
    """EIP-55 form of a 20-byte address (cached: a chain has few distinct actors)."""
    return to_checksum_address(raw)


def _word_reader(typ: str) -> Reader | None:
    if "[" in typ or "(" in typ:
        return None
    if typ.startswith("uint"):
        return lambda w: int.from_bytes(w, "big")
    if typ.startswith("int"):
        return lambda w: int.from_bytes(w, "big", signed=True)
    if typ == "bool":
        return lambda w: w[31] != 0
    if typ == "address":
        return lambda w: checksum(w[12:])
    if typ.startswith("bytes") and typ[5:].isdigit():
        size = int(typ[5:])
        return lambda w: "0x" + w[:size].hex()
    return None


def is_dynamic(typ: str) -> bool:
    return typ in ("string", "bytes") or typ.endswith("]") or typ.startswith("(")


@lru_cache(maxsize=1024)
def _data_plan(types: tuple[str, ...]) -> tuple[Callable[[bytes, int], Any], ...] | None:
    """One reader per data argument `(data, head offset) -> value`, or None: use eth_abi."""
    plan: list[Callable[[bytes, int], Any]] = []
    for typ in types:
        word = _word_reader(typ)
        if word is not None:
            plan.append(lambda data, at, word=word: word(data[at : at + 32]))
        elif typ in ("bytes", "string"):
            plan.append(_dynamic_bytes(typ == "string"))
        elif typ.endswith("[]") and (item := _word_reader(typ[:-2])) is not None:
            plan.append(_static_array(item))
        else:
            return None
    return tuple(plan)


def _dynamic_bytes(text: bool) -> Callable[[bytes, int], Any]:
    def read(data: bytes, at: int) -> Any:
        offset = int.from_bytes(data[at : at + 32], "big")
        length = int.from_bytes(data[offset : offset + 32], "big")
        raw = data[offset + 32 : offset + 32 + length]
        if len(raw) != length:
            raise ValueError("bytes run past the end of the data")
        return raw.decode("utf-8") if text else "0x" + raw.hex()

    return read


def _static_array(item: Reader) -> Callable[[bytes, int], Any]:
    def read(data: bytes, at: int) -> list[Any]:
        offset = int.from_bytes(data[at : at + 32], "big")
        count = int.from_bytes(data[offset : offset + 32], "big")
        start = offset + 32
        if start + 32 * count > len(data):
            raise ValueError("array runs past the end of the data")
        return [item(data[start + 32 * i : start + 32 * i + 32]) for i in range(count)]

    return read


@lru_cache(maxsize=1024)
def _topic_plan(inputs: tuple[tuple[str, str, bool], ...]) -> tuple[Callable[[bytes], Any], ...]:
    """One reader per indexed argument: its value from its topic word."""
    plan: list[Callable[[bytes], Any]] = []
    for _, typ, indexed in inputs:
        if not indexed:
            continue
        word = None if is_dynamic(typ) else _word_reader(typ)
        if word is not None:
            plan.append(word)
        elif is_dynamic(typ):
            plan.append(lambda topic: "0x" + topic.hex())  # only its hash is on chain
        else:
            plan.append(lambda topic, typ=typ: _shown(typ, abi_decode([typ], topic)[0]))
    return tuple(plan)


def decode_event(
    inputs: Sequence[tuple[str, str, bool]], topics: Sequence[bytes], data: bytes
) -> dict[str, Any]:
    """Arguments by name from `inputs` ((name, canonical type, indexed) in ABI order), the
    log's `topics` (the first is the signature) and `data`."""
    inputs = tuple(inputs)
    plain = tuple(t for _, t, indexed in inputs if not indexed)
    plan = _data_plan(plain)
    values: list[Any]
    if plan is not None and len(data) >= 32 * len(plain):
        values = [read(data, 32 * i) for i, read in enumerate(plan)]
    else:
        values = [_shown(t, v) for t, v in zip(plain, abi_decode(list(plain), data), strict=True)]
    data_values = iter(values)
    topic_values = (
        read(topic) for read, topic in zip(_topic_plan(inputs), topics[1:], strict=False)
    )
    return {name: next(topic_values if indexed else data_values) for name, _, indexed in inputs}


def _shown(typ: str, value: Any) -> Any:
    """An eth_abi value as the plan's readers give it (addresses checksummed, bytes as hex)."""
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if typ == "address":
        return checksum(bytes.fromhex(value[2:]))
    if typ.endswith("]"):
        return [_shown(typ[: typ.rindex("[")], v) for v in value]
    if typ.startswith("("):
        return [_shown(t, v) for t, v in zip(_components(typ[1:-1]), value, strict=True)]
    return value


def _components(types: str) -> list[str]:
    """The top-level parts of a tuple's comma-separated component types."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(types):
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            parts.append(types[start:i])
            start = i + 1
    return [*parts, types[start:]]
