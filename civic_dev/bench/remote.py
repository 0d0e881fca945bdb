"""The bulk-import throughput against a chain that is already running with the suite deployed
(`ape run bench --rpc URL --manifest deployments/<net>.json --devnet`), e.g. the PoA devnet.

Nothing here goes through Ape: the import speaks plain JSON-RPC (no web3 header decoding, so
Clique's 97-byte extraData needs no PoA middleware), takes the contract addresses from the
deploy manifest and signs with the agencies' keys. With `--devnet` those are the devnet's
deterministic agency keys (civic_dev.devnet.keys), checked against the manifest's roles.
"""

from __future__ import annotations

import math
import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

from eth_abi import decode as abi_decode

from civic_dev.bench import city
from civic_dev.bench.runner import BENCH_CACHE, BenchOptions, BenchResult, _package_versions
from civic_dev.bench.throughput import BulkImport, ImportTarget
from civic_ledger.access.roles import BY_NAME
from civic_ledger.chain.client import ChainRef, HttpClient
from civic_ledger.chain.fees import MAX_FEE_FLOOR
from civic_ledger.chain.journal import Journal
from civic_ledger.chain.manifest import Manifest, check_chain
from civic_ledger.chain.sender import Sender, TxRequest
from civic_ledger.chain.signer import KeySigner as Signer
from civic_ledger.core.exceptions import ManifestError

#: geth keeps 16 executable transactions per account guaranteed (txpool.accountslots); more
#: only while the pool is below its global limit. 16 batches are still ~8 full blocks ahead.
GETH_WINDOW = 16

#: Agencies the import acts as: bench role -> agency name in the roles file / manifest.
AGENCIES = {
    "identity_office": "identity_office",  # registers the owners' identities
    "registrar": "land_registry",  # REGISTRAR: registers parcels
    "record_issuer": "tax_bureau",  # TAX_RECORD_ISSUER: issues the records
    "records_admin": "data_bureau",  # RECORDS_ADMIN: registers the bench schema once
}

CONTRACTS = ("IdentityRegistry", "TitleRegistry", "RecordRegistry")


@dataclass(frozen=True)
class RemoteOptions:
    rpc: str
    manifest: Path
    throughput: int = 10_000
    window: int = GETH_WINDOW
    block_time: float | None = None  # default: the chain's (median of recent block intervals)
    run_id: str = "bulk"
    journal_dir: Path = BENCH_CACHE / "journals"


def manifest_targets(manifest: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """(contract name -> address, agency name -> address) from a deploy manifest."""
    contracts = manifest.get("contracts") or {}
    missing = [name for name in CONTRACTS if not (contracts.get(name) or {}).get("address")]
    if missing:
        raise ManifestError(f"manifest has no address for {', '.join(missing)}")
    agencies = ((manifest.get("roles") or {}).get("agencies")) or {}
    needed = sorted(set(AGENCIES.values()) - set(agencies))
    if needed:
        raise ManifestError(f"manifest roles name no {', '.join(needed)} agency")
    return (
        {name: str(contracts[name]["address"]) for name in CONTRACTS},
        {name: str(entry["address"]) for name, entry in agencies.items()},
    )


def devnet_signers(agency_addresses: dict[str, str], seed: str | None = None) -> dict[str, Signer]:
    """The devnet agency keys (deterministic from the devnet seed) for the bench roles,
    each checked against the address the manifest granted the role to."""
    from civic_dev.devnet.accounts import alias_for
    from civic_dev.devnet.config import seed as devnet_seed
    from civic_dev.devnet.keys import derive_key

    seed = seed or devnet_seed()
    out: dict[str, Signer] = {}
    for role, agency in AGENCIES.items():
        key = derive_key(seed, f"agency:{alias_for(agency)}", 0)
        expected = agency_addresses[agency]
        if key.address.lower() != expected.lower():
            raise ManifestError(
                f"devnet key for {agency} is {key.address}, the manifest has {expected}: "
                "another devnet seed ($CIVIC_DEVNET_SEED) or not a devnet deployment"
            )
        out[role] = Signer(key.address, key.hex)
    return out


def block_time_from(timestamps: Sequence[int]) -> float:
    """The chain's block time: the median interval of consecutive block timestamps."""
    intervals = [b - a for a, b in pairwise(timestamps)]
    if not intervals:
        raise ValueError("need at least two blocks to tell the block time")
    return float(statistics.median(intervals))


def _schema_id(rpc: HttpClient, records: str) -> int:
    data = city.encode_call("schemaIdByName(string)", city.SCHEMA_NAME)
    raw = rpc.call("eth_call", {"to": records, "data": "0x" + data.hex()}, "latest")
    return int(abi_decode(["uint64"], bytes.fromhex(raw[2:]))[0])


def ensure_schema(rpc: HttpClient, records: str, admin: Signer, chain_id: int) -> int:
    """The bench schema's id, registered by the records admin first if the chain lacks it."""
    existing = _schema_id(rpc, records)
    if existing:
        return existing
    data = city.encode_call(
        "registerSchema((string,string,uint64,bool,bool,uint64))",
        (city.SCHEMA_NAME, city.SCHEMA_LAYOUT, BY_NAME[city.SCHEMA_ISSUER_ROLE].id, True, False,
         city.YEAR),
    )  # fmt: skip
    gas = math.ceil(rpc.estimate_gas(admin.address, records, data) * 1.2)
    journal_path = BENCH_CACHE / "journals" / f"{chain_id}-{records[2:10].lower()}-schema.jsonl"
    header = {"job": "bench-schema", "chain_id": chain_id, "contract": records}
    with Journal.open(journal_path, header) as journal:
        sender = Sender(rpc, admin, journal, chain_id=chain_id, max_fee=MAX_FEE_FLOOR, timeout=120)
        [outcome] = sender.run([TxRequest(0, ("schema",), records, data, gas)])
    if not outcome.ok:
        raise RuntimeError(f"registerSchema reverted: {outcome.signed.tx_hash}")
    return _schema_id(rpc, records)


def chain_block_time(rpc: HttpClient, blocks: int = 20) -> float:
    head = int(rpc.call("eth_blockNumber"), 16)
    numbers = range(max(0, head - blocks), head + 1)
    headers = rpc.batch([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
    return block_time_from([int(h["timestamp"], 16) for h in headers])


def run_remote(
    options: RemoteOptions,
    *,
    progress_factory: Callable[[], Any] | None = None,
    say: Callable[[str], None] = lambda message: None,
) -> BenchResult:
    """Bulk-import `options.throughput` parcels and records (and their owners' identities)
    into the suite of `options.manifest` on the running chain at `options.rpc`."""
    bench_options = BenchOptions(
        throughput=options.throughput, window=options.window, gas=False, run_id=options.run_id,
        journal_dir=options.journal_dir,
    )  # fmt: skip
    result = BenchResult(options=bench_options, started=datetime.now(UTC))
    result.machine = {"cpus": os.cpu_count(), "load_start": os.getloadavg()[0]}
    result.versions.update(_package_versions())
    t0 = time.monotonic()
    loaded = Manifest.load(options.manifest)
    manifest = loaded.data
    contracts, agencies = manifest_targets(manifest)
    rpc = HttpClient(options.rpc)
    genesis, latest = rpc.block(0), rpc.block("latest")
    chain_id = rpc.chain_id()
    check_chain(loaded, ChainRef(chain_id, str(genesis["hash"])))
    for name, address in sorted(contracts.items()):
        if rpc.call("eth_getCode", address, "latest") in ("0x", "0x0", None):
            raise ManifestError(
                f"{options.manifest} says {name} is at {address} but there is no code there: "
                "the chain was reset (deploy again, then rerun)"
            )
    signers = devnet_signers(agencies)
    block_time = options.block_time or chain_block_time(rpc)
    gas_limit = int(latest["gasLimit"], 16)
    result.chain = {
        "client": rpc.call("web3_clientVersion"),
        "chain_id": chain_id,
        "hardfork": "london (Clique)" if genesis.get("baseFeePerGas") else "?",
        "block_time": block_time,
        "block_gas_limit": gas_limit,
        "base_fee": int(latest.get("baseFeePerGas", "0x0"), 16),
        "genesis_base_fee": int(genesis.get("baseFeePerGas", "0x0"), 16),
        "rpc": options.rpc,
        "manifest": str(options.manifest),
    }
    schema_id = ensure_schema(rpc, contracts["RecordRegistry"], signers["records_admin"], chain_id)
    target = ImportTarget(
        url=options.rpc,
        identity_registry=contracts["IdentityRegistry"],
        title_registry=contracts["TitleRegistry"],
        record_registry=contracts["RecordRegistry"],
        schema_id=schema_id,
        identity_office=signers["identity_office"],
        registrar=signers["registrar"],
        record_issuer=signers["record_issuer"],
        block_time=block_time,
        block_gas_limit=gas_limit,
    )
    say(
        f"{result.chain['client']} at {options.rpc}: {options.throughput:,} parcels and records, "
        f"{block_time:g} s blocks, block gas limit {gas_limit:,}, base fee "
        f"{result.chain['base_fee']:,} wei, window {options.window}"
    )
    progress = progress_factory() if progress_factory else None
    # Journals stay: the chain outlives the run, so the same command resumes an interruption.
    importer = BulkImport(
        target, options.throughput, journal_dir=options.journal_dir, run_id=options.run_id,
        window=options.window, progress=progress,
    )  # fmt: skip
    result.throughput_rows = importer.run()
    result.chain["base_fee_end"] = int(rpc.block("latest").get("baseFeePerGas", "0x0"), 16)
    result.chain["max_fees"] = importer.max_fees
    result.chain["fee_waits"] = importer.fee_waits
    result.seconds = time.monotonic() - t0
    result.machine["load_end"] = os.getloadavg()[0]
    return result
