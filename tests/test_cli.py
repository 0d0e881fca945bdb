"""The commands as a user runs them: `ape run deploy` / `ape run demo` in a subprocess."""

from __future__ import annotations

import pytest


def test_bad_roles_file_gives_one_line_naming_the_line(tmp_path, ape_run):
    bad = tmp_path / "roles.yaml"
    bad.write_text(
        "admin: {address: deployer}\n"
        "treasury: {test_account: 14}\n"
        "agencies:\n"
        "  tax_bureau: {test_account: 3, roles: [TAX_COLLECTOR]}\n"
    )
    result = ape_run("deploy", "--roles", str(bad), "--manifest", str(tmp_path / "m.json"))
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert f"{bad}:4: agency 'tax_bureau': unknown role 'TAX_COLLECTOR'" in output
    assert "Traceback" not in output
    assert not (tmp_path / "m.json").exists(), "nothing applied: no manifest written"


@pytest.mark.slow
def test_deploy_command_writes_manifest(tmp_path, ape_run):
    manifest = tmp_path / "local.json"
    result = ape_run("deploy", "--manifest", str(manifest))
    assert result.returncode == 0, result.stdout + result.stderr
    assert manifest.exists()
    assert "new transaction(s)" in result.stdout
    assert "CityAccessManager" in result.stdout
