"""What "the index equals a fresh re-index" means, for the fault tests (gateway and devnet):
`dump(engine)` is every table of the gateway database as sorted rows, without what depends on
when and how often the indexer ran rather than on the chain:

- `cursor`: the poll's bookkeeping (`head`, `head_time`, `polled_at`) and the status notes
  (`reorgs`, `last_reorg`, `node_error`: the tests check those through `status()`);
- `undo`: the autoincrement id (the records themselves are compared);
- `blocks`: only the blocks that hold an indexed event and the cursor's block (a step also
  stores the last block of every chunk it read, which depends on when it ran).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from civic_ledger.chain.client import ChainClient
from civic_ledger.chain.manifest import Manifest
from civic_ledger.gateway import schema
from civic_ledger.gateway.db import connect
from civic_ledger.gateway.indexer import Indexer

SKIPPED_COLUMNS = {
    "cursor": {"head", "head_time", "polled_at", "reorgs", "last_reorg", "node_error"},
    "undo": {"id"},
}


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Table name -> its rows (column-name/value pairs), sorted."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in schema.metadata.sorted_tables:
            skipped = SKIPPED_COLUMNS.get(table.name, set())
            rows = [
                tuple((k, v) for k, v in row.items() if k not in skipped)
                for row in conn.execute(select(table)).mappings()
            ]
            out[table.name] = sorted(rows, key=repr)
        wanted = set(conn.execute(select(schema.events.c.block)).scalars())
        wanted |= set(conn.execute(select(schema.cursor.c.block)).scalars())
    out["blocks"] = [row for row in out["blocks"] if dict(row)["number"] in wanted]
    return out


def fresh_index(database: str, client: ChainClient, manifest: Manifest, *, last: int | None = None,
                **options: Any) -> Indexer:  # fmt: skip
    """A new index of `manifest`'s deployment in the empty `database`, up to block `last`
    (default: the node's head)."""
    indexer = Indexer.for_manifest(connect(database), client, manifest, **options)
    if last is None:
        indexer.step()
    else:
        indexer.step(max_blocks=last - indexer.cursor()["block"])
    return indexer


def differences(mine: dict[str, list[Any]], fresh: dict[str, list[Any]]) -> list[str]:
    """Readable differences between two dumps (empty: equal)."""
    out = []
    for name in sorted(set(mine) | set(fresh)):
        a, b = mine.get(name, []), fresh.get(name, [])
        if a != b:
            extra = [r for r in a if r not in b][:3]
            missing = [r for r in b if r not in a][:3]
            out.append(f"{name}: {len(a)} rows vs {len(b)} fresh; only here {extra}; "
                       f"only in the fresh index {missing}")  # fmt: skip
    return out
