"""Sample parcel CSVs for tests and demos (deterministic for a given seed).

    python -m civic_ledger.bulk.sample --count 10000 --owners 100 --out parcels.csv

writes `parcels.csv` and `parcels.owners.csv` (the owners' identity commitments and controller
addresses, to register with the identity office first — `ape run admin titles sample-csv
--register-owners` does both). Sample owners' controller keys are derived from public seeds:
development data only, never for a real network.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_utils import keccak

from civic_ledger.bulk.parcels import COLUMNS
from civic_ledger.core.csvfile import DEFAULT_ENCODING, check_encoding, csv_writer
from civic_ledger.core.exceptions import InputError

DISTRICTS = ("DC", "XC", "CY", "HD", "FT", "SJS", "TZ", "SY")
LAND_USES = (1, 1, 1, 2, 2, 3, 4, 5)  # residential, commercial, industrial, farm, public
PERSON = 1
IDENTITY_BATCH = 100  # IdentityRegistry.MAX_BATCH_SIZE


@dataclass(frozen=True)
class SampleOwner:
    index: int
    subject: bytes
    controller: str


def sample_owner(index: int, namespace: str = "sample") -> SampleOwner:
    """Owner `index`: a salted commitment and a controller derived from a public seed."""
    subject = keccak(text=f"civic-ledger {namespace} salt {index}")
    key = keccak(text=f"civic-ledger {namespace} owner key {index}")
    return SampleOwner(index, subject, Account.from_key(key).address)


def sample_owners(count: int, namespace: str = "sample") -> list[SampleOwner]:
    return [sample_owner(i, namespace) for i in range(count)]


def sample_rows(
    count: int, owners: Sequence[SampleOwner], seed: int = 7, prefix: str = "BJ"
) -> list[dict[str, str]]:
    """`count` valid parcel rows; consecutive parcels share an owner in runs (as cadastral
    extracts list them), which also makes `registerBatch` cheaper."""
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    owner_index = 0
    run_left = 0
    for i in range(count):
        if run_left == 0:
            owner_index = rng.randrange(len(owners))
            run_left = rng.randint(1, 20)
        run_left -= 1
        district = DISTRICTS[i % len(DISTRICTS)]
        code = f"{prefix}-{district}-{i:07d}"
        area = rng.randint(40, 20_000)
        rows.append(
            {
                "cadastral_code": code,
                "owner": "0x" + owners[owner_index].subject.hex(),
                "data_hash": "0x" + keccak(text=f"survey {code} {area}").hex(),
                "area_m2": str(area),
                "land_use": str(rng.choice(LAND_USES)),
            }
        )
    return rows


BAD_ROWS = (
    {"cadastral_code": "BAD-HASH", "data_hash": "0x1234", "why": "short data hash"},
    {"cadastral_code": "BAD-AREA", "area_m2": "-5", "why": "negative area"},
    {"cadastral_code": "BAD-OWNER", "owner": "0x" + "ab" * 32, "why": "unregistered owner"},
    {"cadastral_code": "", "why": "empty code"},
    {"cadastral_code": "BAD-USE", "land_use": "residential", "why": "non-numeric land use"},
)


def write_sample_csv(
    path: Path,
    count: int,
    owners: Sequence[SampleOwner],
    *,
    seed: int = 7,
    bad_rows: int = 0,
    prefix: str = "BJ",
    encoding: str = DEFAULT_ENCODING,
) -> list[int]:
    """Write `count` good rows plus `bad_rows` deliberately invalid ones (spread through the
    file), in `encoding`. Returns the line numbers of the bad rows."""
    rows = sample_rows(count, owners, seed, prefix)
    bad_lines: list[int] = []
    if bad_rows:
        step = max(1, len(rows) // (bad_rows + 1))
        for n in range(bad_rows):
            template = dict(rows[0])
            bad = BAD_ROWS[n % len(BAD_ROWS)]
            template.update({k: v for k, v in bad.items() if k != "why"})
            if template["cadastral_code"]:
                template["cadastral_code"] = f"{template['cadastral_code']}-{n}"
            position = min(len(rows), (n + 1) * step + n)
            rows.insert(position, template)
            bad_lines.append(position + 2)  # header is line 1
    path.parent.mkdir(parents=True, exist_ok=True)
    with csv_writer(path, InputError, encoding=encoding) as writer:
        writer.writerow(COLUMNS)
        writer.writerows([row[c] for c in COLUMNS] for row in rows)
    return bad_lines


def write_owners_csv(
    path: Path, owners: Sequence[SampleOwner], *, encoding: str = DEFAULT_ENCODING
) -> None:
    with csv_writer(path, InputError, encoding=encoding) as writer:
        writer.writerow(["subject", "controller"])
        for owner in owners:
            writer.writerow(["0x" + owner.subject.hex(), owner.controller])


def owners_path_for(csv_path: Path) -> Path:
    return csv_path.with_name(csv_path.stem + ".owners.csv")


def register_sample_owners(identities: Any, owners: Sequence[SampleOwner], sender: Any) -> int:
    """Registers the sample owners not yet known to the IdentityRegistry (identity office
    account). Returns how many were registered."""
    missing = [o for o in owners if int(identities.statusOf(o.subject)) == 0]
    for start in range(0, len(missing), IDENTITY_BATCH):
        chunk = missing[start : start + IDENTITY_BATCH]
        identities.registerBatch([(o.subject, o.controller, PERSON) for o in chunk], sender=sender)
    return len(missing)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="good parcel rows")
    parser.add_argument("--owners", type=int, default=50, help="distinct owners")
    parser.add_argument("--bad-rows", type=int, default=0, help="invalid rows to mix in")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--prefix", default="BJ", help="cadastral code prefix")
    parser.add_argument("--out", type=Path, default=Path("parcels.csv"))
    parser.add_argument("--encoding", type=check_encoding, default=DEFAULT_ENCODING)
    args = parser.parse_args(argv)
    owners = sample_owners(args.owners)
    bad = write_sample_csv(
        args.out, args.count, owners, seed=args.seed, bad_rows=args.bad_rows, prefix=args.prefix,
        encoding=args.encoding,
    )  # fmt: skip
    write_owners_csv(owners_path_for(args.out), owners, encoding=args.encoding)
    print(f"wrote {args.count + len(bad)} rows to {args.out} (bad rows on lines {bad or 'none'})")
    print(f"wrote {len(owners)} owners to {owners_path_for(args.out)}")


if __name__ == "__main__":
    main()
