"""The generated half of docs/integration.md: the events reference and the error catalogue,
from the compiled ABIs and their NatSpec (so the doc cannot drift from the contracts).

    python -m civic_dev.integration_doc --write    # rewrite the generated sections
    python -m civic_dev.integration_doc --check    # exit 1 if they are out of date

The hand-written part of the doc stays as it is; the generated sections sit between
`<!-- generated:events -->` / `<!-- generated:errors -->` markers and their `end` markers.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from eth_utils import keccak

from civic_dev.generated import write_or_check
from civic_ledger.core.paths import ROOT

DOC = ROOT / "docs" / "integration.md"
CONTRACTS = (
    "CityAccessManager", "IdentityRegistry", "RecordRegistry", "CityToken", "TitleRegistry",
    "LienRegistry", "PropertyTax", "GrantFund", "DataExchange",
)  # fmt: skip
# Events and errors of the libraries every contract inherits are listed once, under the first
# contract that has them (OpenZeppelin's are in its documentation).
SKIP_PREFIXES = ("ERC20", "ERC721", "ERC1967", "UUPS", "ECDSA", "AddressEmpty", "FailedCall")


def _contract_types() -> dict[str, dict[str, Any]]:
    build = json.loads((ROOT / ".build" / "__local__.json").read_text())
    return {name: build["contractTypes"][name] for name in CONTRACTS}


def _signature(item: dict[str, Any]) -> str:
    def canonical(param: dict[str, Any]) -> str:
        kind = param["type"]
        if kind.startswith("tuple"):
            return "(" + ",".join(canonical(c) for c in param["components"]) + ")" + kind[5:]
        return kind

    return f"{item['name']}({','.join(canonical(p) for p in item.get('inputs', []))})"


def _params(item: dict[str, Any]) -> str:
    parts = []
    for p in item.get("inputs", []):
        indexed = " indexed" if p.get("indexed") else ""
        parts.append(f"{p['type']}{indexed} {p['name']}".strip())
    return ", ".join(parts)


def _doc(contract: dict[str, Any], kind: str, signature: str) -> str:
    """The NatSpec @notice, else the @dev text, else the CLI's sentence for the error."""
    text = ""
    for source, key in (("userdoc", "notice"), ("devdoc", "details")):
        entry = ((contract.get(source) or {}).get(kind) or {}).get(signature)
        if isinstance(entry, list):
            entry = entry[0] if entry else None
        if isinstance(entry, dict) and entry.get(key):
            text = entry[key]
            break
    if not text and kind == "errors":
        from civic_ledger.core.revert import TEMPLATES

        text = TEMPLATES.get(signature.split("(")[0], "")
    return " ".join(text.split()).replace("|", "\\|")


def events_section() -> str:
    lines = [
        "<!-- generated:events -->",
        "| contract | event (indexed arguments are topics) | topic0 | meaning |",
        "| --- | --- | --- | --- |",
    ]
    seen: set[str] = set()
    for name, contract in _contract_types().items():
        for item in sorted(
            (i for i in contract["abi"] if i["type"] == "event"), key=lambda i: i["name"]
        ):
            signature = _signature(item)
            if signature in seen or item["name"].startswith(SKIP_PREFIXES):
                continue
            seen.add(signature)
            topic = "0x" + keccak(text=signature).hex()[:16] + "…"
            lines.append(
                f"| {name} | `{item['name']}({_params(item)})` | `{topic}` | "
                f"{_doc(contract, 'events', signature)} |"
            )
    lines.append("<!-- generated:events end -->")
    return "\n".join(lines)


def errors_section() -> str:
    lines = [
        "<!-- generated:errors -->",
        "| selector | error | raised by | meaning |",
        "| --- | --- | --- | --- |",
    ]
    found: dict[str, tuple[str, str, list[str]]] = {}
    for name, contract in _contract_types().items():
        for item in (i for i in contract["abi"] if i["type"] == "error"):
            signature = _signature(item)
            if item["name"].startswith(SKIP_PREFIXES):
                continue
            selector = "0x" + keccak(text=signature).hex()[:8]
            entry = found.setdefault(signature, (selector, _doc(contract, "errors", signature), []))
            entry[2].append(name)
    for signature, (selector, meaning, where) in sorted(found.items(), key=lambda kv: kv[0]):
        raised = ", ".join(where) if len(where) < 4 else "every contract"
        lines.append(f"| `{selector}` | `{signature}` | {raised} | {meaning} |")
    lines.append("<!-- generated:errors end -->")
    return "\n".join(lines)


def rendered(text: str) -> str:
    for tag, section in (("events", events_section()), ("errors", errors_section())):
        pattern = re.compile(rf"<!-- generated:{tag} -->.*?<!-- generated:{tag} end -->", re.DOTALL)
        if not pattern.search(text):
            raise SystemExit(f"{DOC}: missing the <!-- generated:{tag} --> markers")
        text = pattern.sub(lambda _m, s=section: s, text)
    return text


def main(argv: list[str]) -> int:
    wanted = rendered(DOC.read_text(encoding="utf-8"))
    return write_or_check(DOC, wanted, argv, "civic_dev.integration_doc", "generated sections")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
