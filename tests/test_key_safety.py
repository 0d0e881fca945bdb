"""No private key or passphrase is ever printed, logged or written outside the files meant
to hold it.

The secrets: Ape's 20 test accounts (the test mnemonic in ape-config.yaml), every devnet key
(signers, node keys, agency accounts; `civic_dev.devnet.keys`), the network kit's keys, the
devnet's default passphrase and the passphrases the test uses (a wrong one included). The
commands that handle keys run as an operator runs them (`ape run ...` subprocesses, no
terminal); their stdout/stderr and every file they write are searched for each key in hex
(with or without 0x, any case) and for each passphrase. Files meant to hold secrets — the kit's
`secrets/` folder and Ape keystores — must be owner-only (0600, folders 0700), and the
encrypted keystores must not hold a key in the clear either.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import yaml
from eth_account import Account

from civic_dev.devnet.config import DEFAULT_PASSPHRASE, DEFAULT_SEED, DevnetConfig
from civic_dev.devnet.keys import DEVNET_SCRYPT_N, Key, derive_key, write_ape_account
from civic_dev.devnet.local import LocalDevnet, load_config

ROOT = Path(__file__).resolve().parent.parent
PASSPHRASE = "ks-Test-Passphrase-7f3a"
WRONG_PASSPHRASE = "ks-Wrong-Passphrase-91c2"
KIT_SEED = "key-safety-kit"
KIT_VALIDATORS = 2
# Agencies of config/roles.local.yaml, as keystore aliases holding their test account's key.
KEYSTORES = {"civic-identity-office": 1, "civic-land-registry": 7}


@dataclass(frozen=True)
class Secret:
    name: str
    value: str  # hex key without 0x (lower case), or a passphrase

    def found_in(self, text: str) -> bool:
        return self.value.lower() in text.lower()


def ape_test_keys() -> list[str]:
    """Private keys (hex, no 0x) of Ape's test accounts, derived like ape_test does."""
    config = yaml.safe_load((ROOT / "ape-config.yaml").read_text())["test"]
    Account.enable_unaudited_hdwallet_features()
    return [
        bytes(
            Account.from_mnemonic(config["mnemonic"], account_path=f"m/44'/60'/0'/0/{i}").key
        ).hex()
        for i in range(int(config["number_of_accounts"]))
    ]


def devnet_keys(net: LocalDevnet) -> dict[str, Key]:
    keys = {f"devnet signer {i}": k for i, k in enumerate(net.signer_keys)}
    keys.update({f"devnet node key {i}": k for i, k in enumerate(net.node_keys)})
    keys.update({f"devnet agency {alias}": k for alias, k in net.agencies.items()})
    return keys


def kit_keys() -> dict[str, Key]:
    keys = {"kit operator": derive_key(KIT_SEED, "kit-operator", 0)}
    for i in range(KIT_VALIDATORS):
        for purpose in ("kit-clique-signer", "kit-clique-node", "kit-qbft-validator"):
            keys[f"{purpose} {i}"] = derive_key(KIT_SEED, purpose, i)
    return keys


@pytest.fixture(scope="module")
def secrets() -> list[Secret]:
    found = [Secret(f"test account {i}", key) for i, key in enumerate(ape_test_keys())]
    nets = [LocalDevnet(load_config()), LocalDevnet(DevnetConfig(seed=DEFAULT_SEED))]
    keys: dict[str, Key] = {}
    for net in nets:
        keys.update(devnet_keys(net))
    keys.update(kit_keys())
    found += [Secret(name, key.private.hex()) for name, key in keys.items()]
    found += [
        Secret("devnet default passphrase", DEFAULT_PASSPHRASE),
        Secret("test passphrase", PASSPHRASE),
        Secret("wrong passphrase", WRONG_PASSPHRASE),
    ]
    return found


def leaks(text: str, secrets: list[Secret]) -> list[str]:
    return [s.name for s in secrets if s.found_in(text)]


# ------------------------------------------------------------------ files


def is_keystore(path: Path) -> bool:
    try:
        data = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(data, dict) and "crypto" in data and "address" in data


def owner_only(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600)


def scan_files(root: Path, secrets: list[Secret], vaults: dict[Path, bool]) -> list[str]:
    """Problems under `root`: a secret in a file not meant to hold it, a secret file (or a
    vault's folder) readable by others, a key in the clear inside an encrypted keystore.

    `vaults` are the folders meant to hold secrets (the kit's secrets/: True = its folders
    must be 0700 too; Ape's accounts/: False = Ape's own folder, only the files are checked).
    Keystores (encrypted) may hold no key in the clear; plain secret files (node keys,
    passwords) may."""
    problems: list[str] = []
    keys = [s for s in secrets if "passphrase" not in s.name]
    for path in sorted(root.rglob("*")):
        vault = next((v for v in vaults if path == v or v in path.parents), None)
        if vault is not None and (path.is_file() or vaults[vault]) and not owner_only(path):
            problems.append(f"{path}: mode {oct(stat.S_IMODE(path.stat().st_mode))}")
        if not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        if vault is not None:
            if is_keystore(path) and (found := leaks(text, keys)):
                problems.append(f"{path}: keystore holds in the clear: {found}")
        elif found := leaks(text, secrets):
            problems.append(f"{path}: {found}")
    return problems


def test_the_secrets_are_the_real_ones(secrets: list[Secret]) -> None:
    """The grep targets are the keys the commands use (a wrong derivation would make every
    scan below pass vacuously)."""
    keys = ape_test_keys()
    assert Account.from_key(keys[0]).address == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    assert len(set(keys)) == 20
    net = LocalDevnet(DevnetConfig(seed=DEFAULT_SEED))
    deployer = net.agencies["civic-deployer"]
    assert Account.from_key(deployer.private).address == deployer.address
    values = {s.value for s in secrets}
    assert deployer.private.hex() in values and keys[7] in values


def test_the_scan_finds_a_planted_key(secrets: list[Secret], tmp_path: Path) -> None:
    key = ape_test_keys()[3]
    assert leaks(f"signing with 0x{key.upper()}\n", secrets) == ["test account 3"]
    assert leaks(f"pw={PASSPHRASE}", secrets) == ["test passphrase"]
    assert leaks("nothing secret here 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", secrets) == []
    (tmp_path / "log.txt").write_text(f"key {key}")
    vault = tmp_path / "secrets"
    vault.mkdir(mode=0o700)
    (vault / "nodekey").write_text(key)
    (vault / "nodekey").chmod(0o644)
    problems = scan_files(tmp_path, secrets, {vault: True})
    assert any("log.txt" in p for p in problems)
    assert any("nodekey: mode 0o644" in p for p in problems)
    (vault / "nodekey").chmod(0o600)
    (tmp_path / "log.txt").unlink()
    assert scan_files(tmp_path, secrets, {vault: True}) == []


# ------------------------------------------------------------------ commands


@dataclass
class Outcome:
    args: tuple[str, ...]
    code: int
    output: str  # stdout + stderr


class Commands:
    """Runs `ape run ...` like an operator (no terminal), recording every outcome."""

    def __init__(self, data_folder: Path) -> None:
        self.data_folder = data_folder
        self.outcomes: list[Outcome] = []

    def __call__(self, *args: str, passphrase: str | None = None, ok: bool = True) -> Outcome:
        env = {
            k: v
            for k, v in os.environ.items()
            if k != "CIVIC_PASSPHRASE" and not k.startswith("APE_ACCOUNTS_")
        }
        env["APE_DATA_FOLDER"] = str(self.data_folder)
        if passphrase is not None:
            env["CIVIC_PASSPHRASE"] = passphrase
        done = subprocess.run(
            [str(Path(sys.executable).with_name("ape")), "run", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            stdin=subprocess.DEVNULL,
        )
        outcome = Outcome(args, done.returncode, done.stdout + done.stderr)
        self.outcomes.append(outcome)
        if ok:
            assert done.returncode == 0, f"{args}: exit {done.returncode}\n{outcome.output}"
        else:
            assert done.returncode != 0, f"{args} should have failed:\n{outcome.output}"
        return outcome

    def leaks(self, secrets: list[Secret]) -> list[str]:
        return [
            f"`ape run {' '.join(o.args)}` printed {found}"
            for o in self.outcomes
            if (found := leaks(o.output, secrets))
        ]


@pytest.mark.slow
def test_kit_and_devnet_accounts_keep_keys_in_their_secret_files(
    secrets: list[Secret], tmp_path: Path
) -> None:
    run = Commands(tmp_path / "ape-data")
    kit = tmp_path / "kit"
    run("network", "kit", "--validators", str(KIT_VALIDATORS), "--out", str(kit),
        "--dev-seed", KIT_SEED, "--scrypt-n", "1024", passphrase=PASSPHRASE)  # fmt: skip
    listed = run("devnet", "accounts")  # default passphrase
    run("network", "kit", "--out", str(kit), passphrase=PASSPHRASE, ok=False)  # not empty

    # The secrets are where they belong (so the scan below covers real key files) ...
    node = kit / "secrets" / "clique-geth" / "node1"
    assert (node / "nodekey").read_text() == kit_keys()["kit-clique-node 0"].private.hex()
    assert (node / "password").read_text().strip() == PASSPHRASE
    stores = sorted((tmp_path / "ape-data" / "accounts").glob("*.json"))
    assert len(stores) == len(LocalDevnet(load_config()).agencies)
    assert "civic-deployer" in listed.output
    # ... and nowhere else: not in any output, not in any other file.
    assert run.leaks(secrets) == []
    vaults = {kit / "secrets": True, tmp_path / "ape-data" / "accounts": False}
    assert scan_files(tmp_path, secrets, vaults) == []


@pytest.fixture(scope="module")
def anvil() -> Iterator[str]:
    """A private anvil (free port, automine) with Ape's test accounts funded."""
    from civic_dev.bench.anvil import AnvilSettings, running_anvil

    with running_anvil(AnvilSettings(block_time=1)) as node:
        body = {"jsonrpc": "2.0", "id": 1, "method": "evm_setAutomine", "params": [True]}
        requests.post(node.url, json=body, timeout=10).raise_for_status()
        yield node.url


@pytest.mark.slow
def test_chain_commands_print_and_write_no_key(
    secrets: list[Secret], anvil: str, tmp_path: Path
) -> None:
    data = tmp_path / "ape-data"
    test_keys = ape_test_keys()
    for alias, index in KEYSTORES.items():
        key = Key(bytes.fromhex(test_keys[index]))
        assert write_ape_account(data, alias, key, PASSPHRASE, DEVNET_SCRYPT_N) == "created"
    run = Commands(data)
    network = f"ethereum:local:{anvil}"
    manifest = tmp_path / "deployments" / "local.json"
    chain = ("--network", network, "--manifest", str(manifest))
    parcels, journal = tmp_path / "parcels.csv", tmp_path / "import.jsonl"
    registrar = (*chain, "--journal", str(journal))

    run("deploy", "--account", "TEST::0", *chain)
    run("admin", "identity", "register", "--official-id", "KS-0001",
        "--controller", Account.from_key(test_keys[15]).address,
        "--salts-out", str(tmp_path / "salts.csv"), "--account", "TEST::1", *chain)  # fmt: skip
    run("admin", "titles", "sample-csv", "--count", "30", "--owners", "3", "--out", str(parcels),
        "--register-owners", "--account", "civic-identity-office", *chain,
        passphrase=PASSPHRASE)  # fmt: skip
    imported = run("admin", "titles", "import", str(parcels), "--account",
                   "civic-land-registry", *registrar, passphrase=PASSPHRASE)  # fmt: skip
    assert "imported 30" in imported.output

    # Error paths: a wrong passphrase, no passphrase and no terminal, a private key pasted
    # where an account alias belongs.
    wrong = run("admin", "titles", "import", str(parcels), "--account", "civic-land-registry",
                *registrar, passphrase=WRONG_PASSPHRASE, ok=False)  # fmt: skip
    assert "passphrase" in wrong.output
    run("admin", "titles", "import", str(parcels), "--account", "civic-land-registry",
        *registrar, ok=False)  # fmt: skip
    pasted = run("admin", "titles", "import", str(parcels), "--account", "0x" + test_keys[7],
                 *registrar, ok=False)  # fmt: skip
    assert "not a private key" in pasted.output

    # ... and in a roles file, as an address or as an account alias.
    roles = (ROOT / "config" / "roles.local.yaml").read_text()
    for field, value in (("address", "0x" + test_keys[14]), ("account", test_keys[14])):
        bad = tmp_path / f"roles-{field}.yaml"
        bad.write_text(roles.replace("  test_account: 14", f'  {field}: "{value}"', 1))
        assert value in bad.read_text()
        refused = run("deploy", "--account", "TEST::0", "--roles", str(bad), *chain, ok=False)
        assert "private key" in refused.output
        bad.unlink()  # it holds a key on purpose: not part of the scan below

    assert run.leaks(secrets) == []
    assert manifest.exists() and journal.exists()
    assert scan_files(tmp_path, secrets, {data / "accounts": False}) == []
