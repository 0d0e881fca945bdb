"""What every command shares: account selection, network handling, the deployed suite,
sending transactions with a readable report, and turning failures into one-line errors."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from ape.cli import ConnectedProviderCommand, network_option
from rich.console import Console

from civic_ledger.errors import explain

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

F = TypeVar("F", bound=Callable[..., Any])

PASSPHRASE_ENV = "CIVIC_PASSPHRASE"


def account_option(required: bool = True, help_text: str | None = None) -> Callable[[F], F]:
    """`--account ALIAS`: a named Ape account (keystore under the Ape data folder), or
    `TEST::N` for test account N on a local chain. Never prompts for which account."""
    return click.option(
        "--account",
        "account_alias",
        metavar="ALIAS",
        required=required,
        help=help_text
        or "Ape account that signs (an alias from `ape accounts list`, or TEST::N on a local chain).",
    )


def prepare_connection() -> None:
    """Make the connected provider able to read this chain's blocks: Clique PoA headers need
    web3's ExtraDataToPOAMiddleware, which Ape 0.8.51 fails to add with web3 7 (a no-op on
    chains with plain headers and on repeated calls)."""
    from ape import networks

    if networks.active_provider is not None and networks.provider.is_connected:
        from civic_ledger.devnet.ape_compat import ensure_poa_middleware

        ensure_poa_middleware(networks.provider)


def load_account(alias: str) -> Any:
    """Load a signer by alias, unlocking keystores non-interactively when a passphrase is given
    in $APE_ACCOUNTS_<alias>_PASSPHRASE or $CIVIC_PASSPHRASE."""
    from ape import accounts

    prepare_connection()

    if alias.upper().startswith("TEST::"):
        index_text = alias.split("::", 1)[1]
        if not index_text.isdigit():
            raise click.BadParameter(f"'{alias}': expected TEST::<number>", param_hint="--account")
        index = int(index_text)
        if index >= len(accounts.test_accounts):
            raise click.BadParameter(
                f"there are {len(accounts.test_accounts)} test accounts; {index} does not exist",
                param_hint="--account",
            )
        return accounts.test_accounts[index]
    try:
        account = accounts.load(alias)
    except Exception:
        known = ", ".join(a.alias for a in accounts if getattr(a, "alias", None)) or "none"
        raise click.BadParameter(
            f"no Ape account named '{alias}' (known: {known}); "
            "import one with `ape accounts import ALIAS`",
            param_hint="--account",
        ) from None
    passphrase = os.environ.get(f"APE_ACCOUNTS_{alias}_PASSPHRASE") or os.environ.get(
        PASSPHRASE_ENV
    )
    if passphrase and hasattr(account, "set_autosign"):
        try:
            account.set_autosign(True, passphrase=passphrase)
        except Exception as exc:
            raise click.ClickException(
                f"cannot unlock account '{alias}': {explain(exc)} (check the passphrase)"
            ) from None
    return account


def network_name() -> str:
    """The network part of Ape's `ecosystem:network:provider` for the connected provider."""
    from ape import networks

    prepare_connection()
    return networks.provider.network.name


def default_manifest_path() -> Path:
    from civic_ledger.manifest import manifest_path

    return manifest_path(network_name())


class Suite:
    """The deployed contracts of the connected network, from its manifest (contract name ->
    Ape ContractInstance, built on first use)."""

    def __init__(self, manifest_file: Path | None = None) -> None:
        from ape import networks

        from civic_ledger.manifest import Manifest

        path = manifest_file or default_manifest_path()
        if not path.exists():
            raise click.ClickException(
                f"no deployment manifest at {path}: run `ape run deploy --network ...` first"
            )
        manifest = Manifest.load(path)
        if manifest.chain_id != networks.provider.chain_id:
            raise click.ClickException(
                f"{path} is for chain {manifest.chain_id}, but the connected chain is "
                f"{networks.provider.chain_id}: pick the right --network"
            )
        self._use(manifest)

    @classmethod
    def from_manifest(cls, manifest: Any) -> Suite:
        """A suite for a manifest the caller just produced (e.g. by running the deploy plan)."""
        suite = cls.__new__(cls)
        suite._use(manifest)
        return suite

    def _use(self, manifest: Any) -> None:
        self.manifest = manifest
        self._instances: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._instances:
            from ape import project

            address = self.manifest.address_of(name)
            self._instances[name] = getattr(project, name).at(address)
        return self._instances[name]

    def __contains__(self, name: str) -> bool:
        return name in self.manifest.contracts


def send(label: str, method: Any, *args: Any, sender: Any, **kwargs: Any) -> Any:
    """Send one transaction and print actor, transaction and gas. Reverts propagate (and are
    rendered by `handle_errors`)."""
    receipt = method(*args, sender=sender, **kwargs)
    console.print(
        f"[green]✔[/] {label}  [dim]by {_who(sender)} · tx {receipt.txn_hash[:12]}… · "
        f"gas {receipt.gas_used:,}[/]"
    )
    return receipt


def _who(account: Any) -> str:
    alias = getattr(account, "alias", None)
    return f"{alias} ({account.address})" if alias else account.address


@contextmanager
def readable_errors() -> Iterator[None]:
    """Turn any failure into `Error: <one sentence>` and exit code 1 (no traceback, no hex)."""
    try:
        yield
    except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt):
        raise
    except Exception as exc:  # every other failure becomes one readable line
        raise click.ClickException(explain(exc)) from None


def handle_errors(func: F) -> F:
    """Decorator form of `readable_errors` for click commands."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with readable_errors():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def manifest_option(func: F) -> F:
    """`--manifest PATH` (or $CIVIC_MANIFEST): which deployment the command acts on."""
    return click.option(
        "--manifest",
        "manifest_file",
        type=click.Path(path_type=Path, dir_okay=False),
        envvar="CIVIC_MANIFEST",
        default=None,
        help="Deployment manifest (default: deployments/<network>.json).",
    )(func)


def command(group: click.Group, name: str, *, signs: bool = True) -> Callable[[F], F]:
    """A connected, error-handled subcommand of `group` with --network/--manifest(/--account)."""

    def wrap(func: F) -> F:
        func = handle_errors(func)
        func = manifest_option(func)
        if signs:
            func = account_option()(func)
        func = network_option()(func)
        return group.command(name, cls=ConnectedProviderCommand)(func)  # type: ignore[return-value]

    return wrap
