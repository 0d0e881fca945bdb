"""The gateway API's published OpenAPI schema, docs/gateway-openapi.json.

    python -m civic_ledger.gateway.openapi --write   # regenerate it
    python -m civic_ledger.gateway.openapi --check   # exit 1 when it is stale

(tests/gateway/test_openapi.py fails when the published file is stale.)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

PUBLISHED = Path(__file__).resolve().parents[2] / "docs" / "gateway-openapi.json"


def render() -> str:
    """The schema as published: JSON, two-space indents, keys in the API's order."""
    from civic_ledger.gateway.api import openapi_schema

    return json.dumps(openapi_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = render()
    if args == ["--write"]:
        PUBLISHED.write_text(text, encoding="utf-8")
        print(f"wrote {PUBLISHED}")
        return 0
    if args == ["--check"]:
        current = PUBLISHED.read_text(encoding="utf-8") if PUBLISHED.is_file() else ""
        if current != text:
            print(
                f"Error: {PUBLISHED} is stale: run python -m civic_ledger.gateway.openapi --write",
                file=sys.stderr,
            )
            return 1
        print(f"{PUBLISHED} is current")
        return 0
    if not args:
        sys.stdout.write(text)
        return 0
    print(
        "Error: usage: python -m civic_ledger.gateway.openapi [--write | --check]", file=sys.stderr
    )
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
