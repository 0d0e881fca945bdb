"""What the portal's tests share: the demo's ids, and reading a page's parts."""

from __future__ import annotations

import html
import re
from typing import Any

from gateway.api_fixtures import DOCUMENTS, document_hash
from sqlalchemy import select

from civic_ledger.gateway import schema

__all__ = ["DOCUMENTS", "csrf_of", "document_hash", "main_text", "sold_parcel"]


def main_text(page: str) -> str:
    """The text of a page's <main>, tags removed."""
    body = page[page.find("<main") : page.find("</main>")]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


def sold_parcel(certified: Any) -> tuple[str, str, str]:
    """The demo's sold parcel: its id (decimal), seller and buyer commitments."""
    with certified.engine.connect() as conn:
        sale = conn.execute(select(schema.sales)).mappings().first()
    return sale["parcel_id"], sale["seller"], sale["buyer"]


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)
