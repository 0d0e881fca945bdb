"""Event arguments decoded from a log's topics and data, fast.

The indexer decodes every event of the chain, so decoding is on its hot path. Each event
signature is compiled once (`decoder`) into a plan of readers over the hex text a node sends
(no conversion to bytes first): static types (uintN, intN, bool, address, bytesN) are read from
their 64-digit word, `bytes`/`string` and arrays of static types through their offset; anything
else (tuples, fixed-size or nested arrays) falls back to eth_abi for that event. The values are
what a report shows: addresses checksummed, bytes as 0x-hex (lower case), lists as lists, an
indexed dynamic argument as its topic hash.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import to_checksum_address

Inputs = tuple[tuple[str, str, bool], ...]  # (name, canonical type, indexed) in ABI order
Decoder = Callable[[Sequence[str], str], dict[str, Any]]  # (0x-topics, 0x-data) -> arguments
WordReader = Callable[[str], Any]  # one 64-digit hex word -> value
DataReader = Callable[[str, int], Any]  # (data hex without 0x, head position in digits) -> value

_SIGN = 1 << 255
_WRAP = 1 << 256


@lru_cache(maxsize=8192)
def checksum_hex(digits: str) -> str:
    """EIP-55 form of an address given as 40 lower-case hex digits (cached: a chain has few
    distinct actors)."""
    return to_checksum_address("0x" + digits)


def _signed(word: str) -> int:
    value = int(word, 16)
    return value - _WRAP if value & _SIGN else value


def _word_reader(typ: str) -> WordReader | None:
    if "[" in typ or "(" in typ:
        return None
    if typ.startswith("uint"):
        return lambda w: int(w, 16)
    if typ.startswith("int"):
        return _signed
    if typ == "bool":
        return lambda w: int(w, 16) != 0
    if typ == "address":
        return lambda w: checksum_hex(w[24:])
    if typ.startswith("bytes") and typ[5:].isdigit():
        digits = 2 * int(typ[5:])
        return lambda w: "0x" + w[:digits]
    return None


def is_dynamic(typ: str) -> bool:
    return typ in ("string", "bytes") or typ.endswith("]") or typ.startswith("(")


def _data_reader(typ: str) -> DataReader | None:
    word = _word_reader(typ)
    if word is not None:
        return lambda data, at: word(data[at : at + 64])
    if typ in ("bytes", "string"):
        return _dynamic_bytes(typ == "string")
    if typ.endswith("[]") and (item := _word_reader(typ[:-2])) is not None:
        return _static_array(item)
    return None


def _dynamic_bytes(text: bool) -> DataReader:
    def read(data: str, at: int) -> Any:
        offset = 2 * int(data[at : at + 64], 16)
        length = 2 * int(data[offset : offset + 64], 16)
        raw = data[offset + 64 : offset + 64 + length]
        if len(raw) != length:
            raise ValueError("bytes run past the end of the data")
        return bytes.fromhex(raw).decode("utf-8") if text else "0x" + raw

    return read


def _static_array(item: WordReader) -> DataReader:
    def read(data: str, at: int) -> list[Any]:
        offset = 2 * int(data[at : at + 64], 16)
        count = int(data[offset : offset + 64], 16)
        start = offset + 64
        if start + 64 * count > len(data):
            raise ValueError("array runs past the end of the data")
        return [item(data[start + 64 * i : start + 64 * i + 64]) for i in range(count)]

    return read


def _topic_reader(typ: str) -> WordReader:
    """An indexed argument's value from its topic's 64 digits."""
    if is_dynamic(typ):
        return lambda word: "0x" + word  # only its hash is on chain
    word = _word_reader(typ)
    if word is not None:
        return word
    return lambda w: _shown(typ, abi_decode([typ], bytes.fromhex(w))[0])


@lru_cache(maxsize=1024)
def decoder(inputs: Inputs) -> Decoder:
    """The decoder of one event signature: `(topics, data)` as a node sends them (0x-hex
    text, the first topic the signature) -> the arguments by name."""
    plain = [t for _, t, indexed in inputs if not indexed]
    readers = [_data_reader(t) for t in plain]
    fast = all(r is not None for r in readers)
    need = 64 * len(plain)
    # (name, True, reader, topic number) or (name, False, reader, head position in digits)
    steps: list[tuple[str, bool, Any, int]] = []
    topic_number, word = 1, 0
    for name, typ, indexed in inputs:
        if indexed:
            steps.append((name, True, _topic_reader(typ), topic_number))
            topic_number += 1
        else:
            steps.append((name, False, readers[word], 64 * word))
            word += 1

    def slow(data: str) -> list[Any]:
        values = abi_decode(plain, bytes.fromhex(data))
        return [_shown(t, v) for t, v in zip(plain, values, strict=True)]

    def decode(topics: Sequence[str], data: str) -> dict[str, Any]:
        digits = data[2:].lower() if data[:2] in ("0x", "0X") else data.lower()
        values = None if fast and len(digits) >= need else iter(slow(digits))
        out: dict[str, Any] = {}
        for name, indexed, read, at in steps:
            if indexed:
                topic = topics[at]
                out[name] = read(topic[2:].lower() if topic[:2] in ("0x", "0X") else topic.lower())
            else:
                out[name] = read(digits, at) if values is None else next(values)
        return out

    return decode


def decode_event(
    inputs: Sequence[tuple[str, str, bool]], topics: Sequence[bytes], data: bytes
) -> dict[str, Any]:
    """Arguments by name from `inputs` ((name, canonical type, indexed) in ABI order), the
    log's `topics` (the first is the signature) and `data`, as bytes."""
    return decoder(tuple(inputs))([t.hex() for t in topics], data.hex())


def _shown(typ: str, value: Any) -> Any:
    """An eth_abi value as the plan's readers give it (addresses checksummed, bytes as hex)."""
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if typ == "address":
        return checksum_hex(value[2:].lower())
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
