"""Storage-layout compatibility of an upgrade, from the compiler's AST.

Every stateful contract keeps its state in ERC-7201 namespaced structs (`/// @custom:
storage-location erc7201:<id>`), so the layout to protect is each namespace's struct, member by
member, and the structs and enums reachable from it. `layout_of` reads it from the AST; the
deploy plan stores it in the manifest with each implementation it deploys, and `check_upgrade`
compares a new implementation with what is deployed. The rules (each refusal is a sentence
naming the variable):

- a namespace may not disappear, and its struct may only grow at the end: every existing member
  keeps its position, name and type;
- a struct reachable from a namespace may only grow at the end, and only where it is stored as
  a mapping value (appending to a struct kept in an array or embedded in another struct would
  shift what follows it);
- an enum may only gain values at the end (a stored uint8 keeps its meaning);
- a contract may not declare state variables outside a namespace (they would land in slot 0+,
  where a proxy's first implementation may have put something else); constants are fine, and
  so are immutables OpenZeppelin marks `@custom:oz-upgrades-unsafe-allow
  state-variable-immutable` (UUPS's own address); other immutables are refused (their value
  belongs to one implementation, not to the proxy's state).

Struct and enum names are compared without the contract or interface that declares them, so
moving a type into the contract's interface is not a change.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from civic_ledger.core.introspect import walk_ast

_NAMESPACE = re.compile(r"@custom:storage-location\s+erc7201:(\S+)")
_QUALIFIED = re.compile(r"\b(struct|enum)\s+(?:[A-Za-z_][A-Za-z0-9_]*\.)?([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class Member:
    name: str
    type: str  # canonical: "struct Parcel", "enum SaleState", "mapping(uint256 => struct Parcel)"


@dataclass
class ContractLayout:
    """What an implementation's storage looks like (JSON-serialisable via `to_json`)."""

    contract: str
    namespaces: dict[str, list[Member]] = field(default_factory=dict)  # erc7201 id -> members
    structs: dict[str, list[Member]] = field(default_factory=dict)  # short name -> members
    enums: dict[str, list[str]] = field(default_factory=dict)  # short name -> values
    loose: list[str] = field(default_factory=list)  # state variables outside any namespace

    def to_json(self) -> dict[str, Any]:
        def members(items: list[Member]) -> list[list[str]]:
            return [[m.name, m.type] for m in items]

        return {
            "contract": self.contract,
            "namespaces": {k: members(v) for k, v in sorted(self.namespaces.items())},
            "structs": {k: members(v) for k, v in sorted(self.structs.items())},
            "enums": dict(sorted(self.enums.items())),
            "loose": list(self.loose),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ContractLayout:
        def members(items: list[list[str]]) -> list[Member]:
            return [Member(name, kind) for name, kind in items]

        return cls(
            contract=str(data["contract"]),
            namespaces={k: members(v) for k, v in data.get("namespaces", {}).items()},
            structs={k: members(v) for k, v in data.get("structs", {}).items()},
            enums={k: list(v) for k, v in data.get("enums", {}).items()},
            loose=list(data.get("loose", [])),
        )


def canonical(type_string: str) -> str:
    """A typeString without declaring scopes, storage locations or contract names."""
    text = _QUALIFIED.sub(lambda m: f"{m.group(1)} {m.group(2)}", type_string)
    text = re.sub(r"\s+(storage|memory|calldata)(\s+(ref|pointer))?", "", text)
    text = re.sub(r"\bcontract\s+[A-Za-z_][A-Za-z0-9_]*", "address", text)
    return re.sub(r"\s+", " ", text).strip()


def _doc(node: dict[str, Any]) -> str:
    doc = node.get("documentation")
    if isinstance(doc, dict):
        return str(doc.get("text") or "")
    return str(doc or "")


def layout_of(contract: str, ast_sources: Mapping[str, Any]) -> ContractLayout:
    """The storage layout of `contract` (by name) from a standard-JSON `sources` AST."""
    nodes = {
        n["id"]: n for s in ast_sources.values() for n in walk_ast(s.get("ast", {})) if "id" in n
    }
    target = next(
        (
            n
            for n in nodes.values()
            if n.get("nodeType") == "ContractDefinition" and n.get("name") == contract
        ),
        None,
    )
    if target is None:
        raise LookupError(f"no contract named {contract} in the compiled sources")
    structs_by_name: dict[str, dict[str, Any]] = {}
    enums_by_name: dict[str, dict[str, Any]] = {}
    for node in nodes.values():
        if node.get("nodeType") == "StructDefinition":
            structs_by_name.setdefault(node["name"], node)
        elif node.get("nodeType") == "EnumDefinition":
            enums_by_name.setdefault(node["name"], node)

    layout = ContractLayout(contract)
    for base_id in target.get("linearizedBaseContracts", []):
        base = nodes.get(base_id, {})
        for item in base.get("nodes", []):
            kind = item.get("nodeType")
            if kind == "StructDefinition" and (match := _NAMESPACE.search(_doc(item))):
                layout.namespaces[match.group(1)] = _members(item)
            elif kind == "VariableDeclaration" and item.get("stateVariable"):
                if item.get("constant") or item.get("mutability") in ("constant", "immutable"):
                    allowed = "oz-upgrades-unsafe-allow state-variable-immutable" in _doc(item)
                    if item.get("mutability") == "immutable" and not allowed:
                        layout.loose.append(f"{base.get('name')}.{item['name']} (immutable)")
                    continue
                layout.loose.append(f"{base.get('name')}.{item['name']}")

    # Every struct and enum reachable from the namespaces.
    todo = [m.type for members in layout.namespaces.values() for m in members]
    while todo:
        type_string = todo.pop()
        for kind, name in re.findall(r"\b(struct|enum) ([A-Za-z_][A-Za-z0-9_]*)", type_string):
            if kind == "struct" and name not in layout.structs and name in structs_by_name:
                layout.structs[name] = _members(structs_by_name[name])
                todo.extend(m.type for m in layout.structs[name])
            elif kind == "enum" and name not in layout.enums and name in enums_by_name:
                layout.enums[name] = [v["name"] for v in enums_by_name[name].get("members", [])]
    return layout


def _members(struct: dict[str, Any]) -> list[Member]:
    return [
        Member(m["name"], canonical(m.get("typeDescriptions", {}).get("typeString", "")))
        for m in struct.get("members", [])
    ]


def _array_or_embedded(layout: ContractLayout) -> set[str]:
    """Structs whose size fixes where something else is stored: array elements and members
    embedded in another struct or namespace (mapping values are hashed apart)."""
    fixed: set[str] = set()
    every = [m for members in layout.namespaces.values() for m in members]
    every += [m for members in layout.structs.values() for m in members]
    for member in every:
        text = member.type
        for match in re.finditer(r"struct ([A-Za-z_][A-Za-z0-9_]*)", text):
            name, end = match.group(1), match.end()
            before = text[: match.start()]
            as_mapping_value = before.rstrip().endswith("=>") and not text[end:].startswith("[")
            if not as_mapping_value:
                fixed.add(name)
    return fixed


def check_upgrade(deployed: ContractLayout, new: ContractLayout) -> list[str]:
    """Every incompatibility of `new` with `deployed`, as sentences (empty: compatible)."""
    problems: list[str] = []
    who = new.contract
    for loose in new.loose:
        problems.append(
            f"{who}: state variable {loose} is outside an ERC-7201 namespace (move it into the "
            "contract's namespaced storage struct)"
        )
    for namespace, old_members in deployed.namespaces.items():
        if namespace not in new.namespaces:
            problems.append(f"{who}: storage namespace erc7201:{namespace} was removed")
            continue
        problems += _prefix(f"{who}: in namespace erc7201:{namespace},", old_members,
                            new.namespaces[namespace])  # fmt: skip
    fixed = _array_or_embedded(deployed)
    for name, old_members in deployed.structs.items():
        if name not in new.structs:
            continue  # no longer reachable: its old slots are simply unused
        new_members = new.structs[name]
        problems += _prefix(f"{who}: in struct {name},", old_members, new_members)
        if name in fixed and len(new_members) > len(old_members):
            added = new_members[len(old_members)].name
            problems.append(
                f"{who}: struct {name} gained member '{added}', but {name} is stored in an "
                "array or inside another struct, where growing it moves what follows"
            )
    for name, old_values in deployed.enums.items():
        new_values = new.enums.get(name)
        if new_values is not None and new_values[: len(old_values)] != old_values:
            problems.append(
                f"{who}: enum {name} changed its existing values {old_values} -> {new_values} "
                "(values may only be added at the end)"
            )
    return problems


def _prefix(where: str, old: list[Member], new: list[Member]) -> list[str]:
    problems = []
    for index, member in enumerate(old):
        if index >= len(new):
            problems.append(f"{where} member '{member.name}' ({member.type}) was removed")
            continue
        now = new[index]
        if now.name != member.name or now.type != member.type:
            problems.append(
                f"{where} member '{member.name}' ({member.type}) at position {index} is now "
                f"'{now.name}' ({now.type}): members may only be added at the end"
            )
    return problems
