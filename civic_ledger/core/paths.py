"""Well-known project paths."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = ROOT / "config"
DEPLOYMENTS_DIR = ROOT / "deployments"
DEFAULT_ROLES_FILE = CONFIG_DIR / "roles.local.yaml"
DEFAULT_CATALOGUE = CONFIG_DIR / "catalogue.yaml"
