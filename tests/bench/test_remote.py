"""Fast checks of the remote (PoA devnet) bulk import's pure parts: fee cap, block time,
manifest and devnet keys, the report's devnet section."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from civic_dev.bench.remote import (
    AGENCIES,
    ManifestError,
    block_time_from,
    devnet_signers,
    manifest_targets,
)
from civic_dev.bench.report import (
    DEVNET_HEADING,
    devnet_markdown,
    extract_section,
    replace_section,
    write_devnet_markdown,
    write_markdown,
)
from civic_dev.bench.runner import BenchOptions, BenchResult
from civic_dev.bench.throughput import ThroughputRow
from civic_dev.devnet.accounts import alias_for
from civic_dev.devnet.keys import derive_key
from civic_ledger.chain.fees import (
    GWEI,
    PRIORITY_FEE,
    max_fee_per_gas,
    max_start_base_fee,
)
from civic_ledger.chain.fees import MAX_FEE_FLOOR as MAX_FEE

SEED = "unit-test-seed"


def test_max_fee_floor_on_a_cheap_chain_and_under_the_node_fee_cap() -> None:
    assert max_fee_per_gas(0, 100, 1_000_000) == MAX_FEE  # anvil: base fee 0
    assert max_fee_per_gas(7, 80, 15_000_000) == 10**18 // 15_000_000  # geth's 1-ether cap
    assert max_fee_per_gas(7, 80, 15_000_000) * 15_000_000 <= 10**18


def test_max_fee_covers_the_base_fee_after_the_full_blocks() -> None:
    fee = max_fee_per_gas(GWEI, 20, 100_000, floor=0)
    assert fee >= GWEI * 1.125**20 + PRIORITY_FEE
    assert fee == pytest.approx(GWEI * 1.125**22 + PRIORITY_FEE, rel=1e-9)


def test_max_fee_refuses_a_base_fee_the_cap_cannot_cover() -> None:
    with pytest.raises(ValueError, match="fee cap"):
        max_fee_per_gas(GWEI, 200, 15_000_000)


@pytest.mark.parametrize(("blocks", "tx_gas"), [(75, 15_000_000), (112, 14_765_416), (5, 300_000)])
def test_max_start_base_fee_is_the_highest_workable_base_fee(blocks: int, tx_gas: int) -> None:
    highest = max_start_base_fee(blocks, tx_gas)
    assert max_fee_per_gas(highest, blocks, tx_gas) * tx_gas <= 10**18
    with pytest.raises(ValueError):
        max_fee_per_gas(highest + max(1, highest // 10**6) + 1, blocks, tx_gas)


def test_block_time_is_the_median_interval() -> None:
    assert block_time_from([10, 11, 12, 15, 16, 17]) == 1.0
    assert block_time_from([0, 2, 4, 6]) == 2.0
    with pytest.raises(ValueError):
        block_time_from([5])


def _manifest() -> dict:
    agencies = {
        name: {"address": derive_key(SEED, f"agency:{alias_for(name)}", 0).address}
        for name in AGENCIES.values()
    }
    contracts = {
        name: {"address": f"0x{i:040x}"}
        for i, name in enumerate(("IdentityRegistry", "TitleRegistry", "RecordRegistry"), 1)
    }
    return {"contracts": contracts, "roles": {"agencies": agencies}}


def test_manifest_targets_and_devnet_signers_match() -> None:
    contracts, agencies = manifest_targets(_manifest())
    assert contracts["TitleRegistry"] == f"0x{2:040x}"
    signers = devnet_signers(agencies, seed=SEED)
    assert set(signers) == set(AGENCIES)
    assert signers["registrar"].address == agencies["land_registry"]
    assert signers["record_issuer"].address == agencies["tax_bureau"]


def test_manifest_errors_name_what_is_missing_or_wrong() -> None:
    broken = _manifest()
    del broken["contracts"]["RecordRegistry"]
    with pytest.raises(ManifestError, match="RecordRegistry"):
        manifest_targets(broken)
    _, agencies = manifest_targets(_manifest())
    with pytest.raises(ManifestError, match="another devnet seed"):
        devnet_signers(agencies, seed="other-seed")


def test_replace_section_inserts_replaces_and_keeps_the_rest() -> None:
    doc = "# B\n\nintro\n\n## Gas\n\ng\n\n## Throughput\n\nt\n"
    added = replace_section(doc, "## Devnet", "## Devnet\n\nd1\n")
    assert added.endswith("## Throughput\n\nt\n\n## Devnet\n\nd1\n")
    replaced = replace_section(added, "## Devnet", "## Devnet\n\nd2\n")
    assert "d1" not in replaced and replaced.endswith("## Devnet\n\nd2\n")
    middle = replace_section(doc, "## Gas", "## Gas\n\nnew\n")
    assert middle == "# B\n\nintro\n\n## Gas\n\nnew\n\n## Throughput\n\nt\n"
    assert extract_section(replaced, "## Devnet") == "## Devnet\n\nd2\n"
    assert extract_section(doc, "## Devnet") == ""


def _devnet_result() -> BenchResult:
    row = ThroughputRow(
        kind="parcels", items=1000, resumed=0, txs=16, batch_size=66, gas_per_item=220_000,
        seconds=8.0, blocks=8, block_gas_limit=30_000_000, block_time=1.0, block_interval=1.0,
    )  # fmt: skip
    return BenchResult(
        options=BenchOptions(throughput=1000, window=16, gas=False),
        started=datetime(2026, 1, 1, tzinfo=UTC),
        chain={"client": "Geth/v1.13.15", "chain_id": 7341, "block_time": 1.0,
               "block_gas_limit": 30_000_000, "base_fee": 7, "genesis_base_fee": GWEI,
               "base_fee_end": 100, "max_fees": {"parcels": 66 * GWEI}},
        throughput_rows=[row],
    )  # fmt: skip


def test_devnet_section_is_written_and_survives_an_anvil_rewrite(tmp_path: Path) -> None:
    text = devnet_markdown(_devnet_result(), "ape run bench --rpc X --devnet")
    assert text.startswith(DEVNET_HEADING) and "ape run bench --rpc X --devnet" in text
    assert "| parcels | 1,000 | 16 x ≤66 | 220,000 | 8.0 | 8 | 1.00 | 125.0 | 136.4 | 92% |" in text
    assert "Genesis base fee 1,000,000,000 wei" in text and "parcels 66 gwei" in text
    out = tmp_path / "benchmarks.md"
    out.write_text("# Benchmarks\n\n## Gas per operation, side by side\n\nold\n")
    write_devnet_markdown(_devnet_result(), "cmd", out)
    assert "old" in out.read_text() and DEVNET_HEADING in out.read_text()
    anvil = BenchResult(
        options=BenchOptions(throughput=0, gas=False),
        started=datetime(2026, 1, 1, tzinfo=UTC),
    )
    write_markdown(anvil, "ape run bench", out)
    rewritten = out.read_text()
    assert "old" not in rewritten and extract_section(rewritten, DEVNET_HEADING) == text.replace(
        "ape run bench --rpc X --devnet", "cmd"
    )
