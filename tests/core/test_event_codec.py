"""The fast event decoder equals eth_abi on every type the suite's events use (and falls back
to it for the rest)."""

from __future__ import annotations

from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from civic_ledger.core.event_codec import decode_event, decoder

ADDRESS = st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
VALUES = {
    "uint256": st.integers(0, 2**256 - 1),
    "uint64": st.integers(0, 2**64 - 1),
    "uint8": st.integers(0, 255),
    "int128": st.integers(-(2**127), 2**127 - 1),
    "bool": st.booleans(),
    "address": ADDRESS,
    "bytes32": st.binary(min_size=32, max_size=32),
    "bytes4": st.binary(min_size=4, max_size=4),
    "bytes": st.binary(max_size=300),
    "string": st.text(max_size=60),
    "uint64[]": st.lists(st.integers(0, 2**64 - 1), max_size=6),
    "address[]": st.lists(ADDRESS, max_size=4),
    "(uint8,address)": st.tuples(st.integers(0, 255), ADDRESS),
    "uint16[2]": st.lists(st.integers(0, 2**16 - 1), min_size=2, max_size=2),
}


def expected(typ: str, value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if typ == "address":
        return to_checksum_address(value)
    if typ.startswith("("):
        return [expected(t, v) for t, v in zip(typ[1:-1].split(","), value, strict=True)]
    if typ.endswith("]"):
        return [expected(typ[: typ.rindex("[")], v) for v in value]
    return value


@st.composite
def events(draw: Any) -> tuple[list[tuple[str, str, bool]], list[Any]]:
    types = draw(st.lists(st.sampled_from(sorted(VALUES)), min_size=1, max_size=6))
    inputs, values = [], []
    indexed_left = 3
    for i, typ in enumerate(types):
        indexed = indexed_left > 0 and draw(st.booleans())
        indexed_left -= indexed
        inputs.append((f"a{i}", typ, indexed))
        values.append(draw(VALUES[typ]))
    return inputs, values


@settings(max_examples=300, deadline=None)
@given(events())
def test_decoding_equals_eth_abi(event):
    inputs, values = event
    topics = [keccak(text="E()")]
    for (_, typ, indexed), value in zip(inputs, values, strict=True):
        if indexed:
            encoded = abi_encode([typ], [value])
            topics.append(keccak(encoded) if typ in ("bytes", "string") or "[" in typ
                          or typ.startswith("(") else encoded)  # fmt: skip
    plain = [(t, v) for (_, t, indexed), v in zip(inputs, values, strict=True) if not indexed]
    data = abi_encode([t for t, _ in plain], [v for _, v in plain])
    got = decode_event(inputs, topics, data)
    # what a node sends: 0x-hex text, in either case
    as_text = decoder(tuple(inputs))(["0x" + t.hex().upper() for t in topics], "0x" + data.hex())
    assert as_text == got
    reference = iter(abi_decode([t for t, _ in plain], data))
    for (name, typ, indexed), value in zip(inputs, values, strict=True):
        if not indexed:
            assert got[name] == expected(typ, next(reference)), (name, typ)
        elif typ in ("bytes", "string") or "[" in typ or typ.startswith("("):
            assert got[name] == "0x" + keccak(abi_encode([typ], [value])).hex()
        else:
            assert got[name] == expected(typ, abi_decode([typ], abi_encode([typ], [value]))[0])
