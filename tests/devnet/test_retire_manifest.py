"""`devnet up --fresh` / `down --clean` move the deleted chain's deploy manifest away."""

from __future__ import annotations

from pathlib import Path

from civic_dev.devnet.local import LocalDevnet


def test_manifest_of_a_deleted_chain_is_moved_not_lost(tmp_path: Path) -> None:
    manifest = tmp_path / "deployments" / "city-devnet.json"
    manifest.parent.mkdir()
    manifest.write_text('{"chain_id": 7341}')
    archive = tmp_path / "retired"
    moved = LocalDevnet.retire_deploy_manifest(manifest, archive)
    assert moved is not None and moved.parent == archive
    assert moved.name.startswith("city-devnet-") and moved.suffix == ".json"
    assert moved.read_text() == '{"chain_id": 7341}'
    assert not manifest.exists()
    assert LocalDevnet.retire_deploy_manifest(manifest, archive) is None  # nothing left to move
