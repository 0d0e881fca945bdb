"""Run one bulk job against a node, for tests/chain/test_kill_pending.py to SIGKILL midway.

    python tests/chain/kill_driver.py CONFIG.json

CONFIG: {"url", "job": "parcels"|"bench", "contracts": {...}, "journal"/"journal_dir", ...}.
Prints one JSON line with the result; exit 3 when a journaled transaction is still pending
(StillPending), 1 on any other failure.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main() -> int:
    config = json.loads(Path(sys.argv[1]).read_text())
    from ape import accounts, networks, project

    from civic_ledger.core.exceptions import StillPending

    with networks.parse_network_choice(f"ethereum:local:{config['url']}"):
        try:
            if config["job"] == "parcels":
                from civic_ledger.bulk.parcels import ParcelImporter, read_parcels_csv

                titles = project.TitleRegistry.at(config["contracts"]["TitleRegistry"])
                identities = project.IdentityRegistry.at(config["contracts"]["IdentityRegistry"])
                rows, _ = read_parcels_csv(Path(config["csv"]))
                result = ParcelImporter(
                    titles, identities, accounts.test_accounts[config["signer"]],
                    Path(config["journal"]), batch_size=config["batch"], window=config["window"],
                ).run(rows)  # fmt: skip
                print(json.dumps({"imported": result.imported, "recovered": result.recovered,
                                  "ok": result.ok}))  # fmt: skip
            else:
                from civic_dev.bench.throughput import BulkImport, ImportTarget
                from civic_ledger.chain.signer import KeySigner

                def key(index: int) -> KeySigner:
                    return KeySigner.from_key(accounts.test_accounts[index].private_key)

                c = config["contracts"]
                target = ImportTarget(
                    url=config["url"], identity_registry=c["IdentityRegistry"],
                    title_registry=c["TitleRegistry"], record_registry=c["RecordRegistry"],
                    schema_id=config["schema_id"], identity_office=key(1), registrar=key(7),
                    record_issuer=key(3), block_time=1,
                )  # fmt: skip
                rows = BulkImport(
                    target, config["count"], journal_dir=Path(config["journal_dir"]),
                    run_id=config["run_id"], window=config["window"],
                ).run()  # fmt: skip
                print(json.dumps({r.kind: r.items for r in rows}))
        except StillPending as exc:
            print(json.dumps({"still_pending": str(exc)}))
            return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
