"""What every command shares: account selection, network handling, the deployed suite,
sending transactions with a readable report, and turning failures into one-line errors."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from ape.cli import ConnectedProviderCommand, network_option
from rich.console import Console, ConsoleDimensions
from rich.table import Table

from civic_ledger.core.names import IDENTITY_REGISTRY, TITLE_REGISTRY, TOKEN
from civic_ledger.core.revert import explain

PIPE_WIDTH = 4096  # off a terminal, lines and tables are never cut or wrapped before this


class OutputConsole(Console):
    """A rich console that never cuts what it writes to a pipe or a file: in a terminal it
    wraps at the terminal's width, elsewhere ids, hashes and table cells are printed whole
    (a piped table is not squeezed into 80 columns)."""

    @property
    def size(self) -> ConsoleDimensions:
        dimensions = super().size
        if self.is_terminal:
            return dimensions
        return ConsoleDimensions(PIPE_WIDTH, dimensions.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)  # type: ignore[attr-defined]

    def rule(self, title: Any = "", **kwargs: Any) -> None:
        """A horizontal rule: the terminal's width, or 80 columns in a pipe or a file."""
        if self.is_terminal:
            super().rule(title, **kwargs)
        else:
            from rich.rule import Rule

            self.print(Rule(title, **kwargs), width=80)


console = OutputConsole(highlight=False)
err_console = OutputConsole(stderr=True, highlight=False)

F = TypeVar("F", bound=Callable[..., Any])

PASSPHRASE_ENV = "CIVIC_PASSPHRASE"
_PRIVATE_KEY = re.compile(r"(0[xX])?[0-9a-fA-F]{64}")  # what a pasted secp256k1 key looks like

# ----------------------------------------------------------------------- parameter types
# Bounded by the Solidity type the value ends up in, so an out-of-range number is refused by
# click (naming the parameter) instead of failing deep inside ABI encoding.

UINT16_MAX = 2**16 - 1
UINT32_MAX = 2**32 - 1
UINT64_MAX = 2**64 - 1
UINT256_MAX = 2**256 - 1


def uint(bits: int = 256, low: int = 0) -> click.IntRange:
    """A whole number in [low, 2**bits - 1]."""
    return click.IntRange(low, 2**bits - 1)


UINT256 = uint(256)
UINT64 = uint(64)


class AddressType(click.ParamType):
    """A 0x-prefixed 20-byte address (a mixed-case one must carry a valid EIP-55 checksum);
    converted to its checksummed form."""

    name = "address"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from eth_utils import is_address, is_checksum_address, to_checksum_address

        text = str(value).strip()
        if not (text.startswith(("0x", "0X")) and len(text) == 42 and is_address(text)) or (
            not is_plain_case_address(text) and not is_checksum_address(text)
        ):
            self.fail(
                f"{value!r} is not an address (0x + 40 hex digits, valid EIP-55 checksum "
                "if mixed-case)",
                param,
                ctx,
            )
        return to_checksum_address(text)


ADDRESS = AddressType()


def is_plain_case_address(text: str) -> bool:
    """All-lower or all-upper hex digits: no EIP-55 checksum to verify (eth_utils 5 accepts a
    mixed-case address whose checksum is wrong, so it is checked here)."""
    digits = text[2:]
    return digits == digits.lower() or digits == digits.upper()


def parse_amount(amount: str, decimals: int, hint: str = "--amount") -> int:
    """Whole tokens ("1200.50") -> base units, refusing what no uint256 can hold (NaN,
    infinities, negatives, too many decimals, more than 2**256 - 1 units)."""
    from decimal import Decimal, InvalidOperation

    from civic_ledger.property.titles import to_units

    text = str(amount).strip()
    if not text.isascii():
        raise click.BadParameter(f"{amount!r} is not a number (ASCII digits only)", param_hint=hint)
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise click.BadParameter(f"{amount!r} is not a number", param_hint=hint) from None
    if not value.is_finite():
        raise click.BadParameter(f"{amount!r} is not a finite amount", param_hint=hint)
    if value.adjusted() > 80:  # far beyond 2**256 base units whatever the decimals
        raise click.BadParameter(f"{amount!r} is too large", param_hint=hint)
    try:
        units = to_units(text, decimals)
    except (ValueError, ArithmeticError) as exc:
        raise click.BadParameter(str(exc), param_hint=hint) from None
    if units > UINT256_MAX:
        raise click.BadParameter(
            f"{amount!r} is too large ({units} base units exceed 2**256 - 1)", param_hint=hint
        )
    return units


def parse_param(parse: Callable[[str], Any], value: Any, hint: str) -> Any:
    """`parse(value)`, with a refusal turned into click's one-line error naming `hint`."""
    try:
        return parse(value)
    except (ValueError, LookupError, TypeError, OverflowError) as exc:
        raise click.BadParameter(str(exc), param_hint=hint) from None
    except Exception as exc:  # e.g. eth_abi's EncodingError for a value its type cannot hold
        if type(exc).__module__.startswith("eth_abi"):
            raise click.BadParameter(" ".join(str(exc).split())[:200], param_hint=hint) from None
        raise


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


EXISTING_FILE = click.Path(path_type=Path, exists=True, dir_okay=False)


def csv_file_argument() -> Callable[[F], F]:
    """`CSV_FILE`: an existing CSV file to read rows from."""
    return click.argument("csv_file", type=EXISTING_FILE)


def path_option(
    *decls: str, help: str | None, file_only: bool = True, **kwargs: Any
) -> Callable[[F], F]:
    """An option naming a path, handed to the command as a `Path`: with `file_only` never a
    directory; `exists=True` requires it to exist; other keywords go to `click.option`."""
    kind = click.Path(path_type=Path, dir_okay=not file_only, exists=kwargs.pop("exists", False))
    return click.option(*decls, type=kind, help=help, **kwargs)


def roles_option(help_text: str) -> Callable[[F], F]:
    """`--roles FILE`: which wallets act for which agency, with which roles."""
    from civic_ledger.core.paths import DEFAULT_ROLES_FILE

    return path_option(
        "--roles", "roles_file", file_only=False, default=DEFAULT_ROLES_FILE, show_default=True,
        help=help_text,
    )  # fmt: skip


def prepare_connection() -> None:
    """Make the connected provider able to read this chain's blocks: Clique PoA headers need
    web3's ExtraDataToPOAMiddleware, which Ape 0.8.51 fails to add with web3 7 (a no-op on
    chains with plain headers and on repeated calls)."""
    from ape import networks

    if networks.active_provider is not None and networks.provider.is_connected:
        from civic_ledger.chain.poa import ensure_poa_middleware

        ensure_poa_middleware(networks.provider)


def load_account(alias: str) -> Any:
    """Load a signer by alias, unlocking keystores non-interactively when a passphrase is given
    in $APE_ACCOUNTS_<alias>_PASSPHRASE or $CIVIC_PASSPHRASE."""
    from ape import accounts

    prepare_connection()

    if not alias.strip():
        raise click.BadParameter("the account alias is empty", param_hint="--account")
    if _PRIVATE_KEY.fullmatch(alias.strip()):
        # Never echo it back (an error message ends up in terminals, CI logs and tickets).
        raise click.BadParameter(
            "expects an account alias, not a private key (the value given is not shown): "
            "import the key once with `ape accounts import ALIAS` and pass that ALIAS",
            param_hint="--account",
        )
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
    if not passphrase and _locked_keystore(account) and not _interactive():
        # Ape would prompt for the passphrase (and to confirm every signature) on stdin: with
        # no terminal that is an EOF abort mid-command, or a hang on a pipe. Refuse up front.
        raise click.ClickException(
            f"account '{alias}' is locked and there is no terminal to ask for its passphrase: "
            f"set ${PASSPHRASE_ENV} (or $APE_ACCOUNTS_{alias}_PASSPHRASE), or run in a terminal"
        )
    if passphrase and hasattr(account, "set_autosign"):
        try:
            account.set_autosign(True, passphrase=passphrase)
        except Exception as exc:
            raise click.ClickException(
                f"cannot unlock account '{alias}': {explain(exc)} (check the passphrase)"
            ) from None
    return account


def _locked_keystore(account: Any) -> bool:
    """An encrypted keystore account that would have to prompt before it can sign."""
    return hasattr(account, "set_autosign") and bool(getattr(account, "locked", False))


def _interactive() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):  # closed or replaced stdin
        return False


def suite_and_signer(manifest_file: Path | None, account_alias: str) -> tuple[Suite, Any]:
    """The deployed suite and the signing account of a command (a manifest that does not fit
    the chain is reported before an account that cannot sign)."""
    return Suite(manifest_file), load_account(account_alias)


def network_name() -> str:
    """The network part of Ape's `ecosystem:network:provider` for the connected provider."""
    from ape import networks

    prepare_connection()
    return networks.provider.network.name


def default_manifest_path() -> Path:
    from civic_ledger.chain.manifest import manifest_path

    return manifest_path(network_name())


class Suite:
    """The deployed contracts of the connected network, from its manifest (contract name ->
    Ape ContractInstance, built on first use)."""

    def __init__(self, manifest_file: Path | None = None) -> None:
        from ape import networks

        from civic_ledger.chain.client import Web3Client
        from civic_ledger.chain.manifest import open_manifest

        prepare_connection()  # Clique headers (genesis included) need the PoA middleware
        client = Web3Client(networks.provider.web3)
        manifest = open_manifest(
            manifest_file or default_manifest_path(), client.chain_ref(), code_at=client.code
        )
        self._use(manifest)

    @classmethod
    def from_manifest(cls, manifest: Any) -> Suite:
        """A suite for a manifest the caller just produced (e.g. by running the deploy plan)."""
        suite = cls.__new__(cls)
        suite._use(manifest, checked=False)
        return suite

    def _use(self, manifest: Any, checked: bool = True) -> None:
        self.manifest = manifest
        self._checked = checked  # verify each contract has code before first use
        self._instances: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._instances:
            from ape import networks, project

            address = self.manifest.address_of(name)
            if self._checked and not networks.provider.get_code(address):
                raise click.ClickException(
                    f"{self.manifest.path}: no {name} contract at {address} on the connected "
                    "chain (the chain was reset or the manifest is stale): deploy again with "
                    "`ape run deploy`"
                )
            self._instances[name] = getattr(project, name).at(address)
        return self._instances[name]

    def __contains__(self, name: str) -> bool:
        return name in self.manifest.contracts


# ------------------------------- shared arguments: documents, identities, parcels, token amounts

DOCUMENT_FORMS = (
    "@PATH hashes the file, text:TEXT hashes the text, 0x + 64 hex digits is the hash as is"
)


def parse_document(value: str, hint: str) -> bytes:
    """The bytes32 of a document argument (the rules of `civic_ledger.core.documents`)."""
    from civic_ledger.core.documents import document_hash

    return parse_param(document_hash, value, hint)


def identity_subject(suite: Suite, value: str, hint: str = "SUBJECT") -> bytes:
    """An identity given as its 0x commitment or its controller's address."""
    from civic_ledger.identity.client import resolve_subject

    return parse_param(lambda v: resolve_subject(suite[IDENTITY_REGISTRY], v), value, hint)


def owner_subject(suite: Suite, value: str, hint: str) -> bytes:
    """An identity of the land registry (owner, buyer, lienholder), in the title registry's words."""
    from civic_ledger.property.titles import resolve_subject

    return parse_param(lambda v: resolve_subject(suite[IDENTITY_REGISTRY], v.strip()), value, hint)


def known_parcel(suite: Suite, value: str, hint: str = "PARCEL") -> int:
    """A registered parcel (active or retired), given as decimal id, 0x-hex id or cadastral
    code."""
    from civic_ledger.property.titles import ParcelStatus, parse_parcel

    parcel_id = parse_param(parse_parcel, value, hint)
    if parcel_id > UINT256_MAX:
        raise click.BadParameter(f"parcel id {value} does not fit in 256 bits", param_hint=hint)
    if ParcelStatus(int(suite[TITLE_REGISTRY].parcelOf(parcel_id).status)) is ParcelStatus.NONE:
        raise click.BadParameter(f"parcel {value!r} is not registered", param_hint=hint)
    return parcel_id


def token_decimals(suite: Suite) -> int:
    """Decimals of the settlement token (amounts are given and shown in whole tokens)."""
    return int(suite[TOKEN].decimals())


def token_amount(suite: Suite, value: str, hint: str = "--amount") -> int:
    """Whole settlement tokens ("1200.50") -> base units."""
    return parse_amount(value, token_decimals(suite), hint)


def print_rows(rows: list[tuple[str, str]]) -> None:
    """Label/value pairs as a borderless two-column table, labels dimmed."""
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="dim")
    table.add_column()
    for key, value in rows:
        table.add_row(key, value)
    console.print(table)


def send(label: str, method: Any, *args: Any, sender: Any, **kwargs: Any) -> Any:
    """Send one transaction and print actor, transaction and gas. A refusal by the contract
    sends nothing (no nonce used, no fee paid): where Ape estimates gas ("auto") that estimate
    already fails; on networks with a fixed or "max" gas limit (the local chains), which would
    mine the failing transaction, it is dry-run first. Reverts propagate (and are rendered by
    `handle_errors`)."""
    from civic_ledger.cli import audit

    try:
        estimate = getattr(method, "estimate_gas_cost", None)
        if estimate is not None and not _estimates_gas():
            estimate(*args, sender=sender, **kwargs)
        receipt = method(*args, sender=sender, **kwargs)
    except Exception as exc:
        tx_hash = _sent_hash(exc)
        audit.record(action=label, account=sender, tx_hash=_hex_or_none(tx_hash),
                     outcome="refused" if tx_hash is None else "reverted",
                     detail=one_line(explain(exc)))  # fmt: skip
        raise
    audit.record(action=label, account=sender, tx_hash=str(receipt.txn_hash),
                 outcome="mined" if not receipt.failed else "reverted")  # fmt: skip
    console.print(
        f"[green]✔[/] {label}  [dim]by {_who(sender)} · tx {receipt.txn_hash[:12]}… · "
        f"gas {receipt.gas_used:,}[/]"
    )
    return receipt


def _sent_hash(exc: Exception) -> Any:
    """The hash of the transaction a failure belongs to, if it was signed and sent."""
    txn = getattr(exc, "txn", None)
    if txn is None or getattr(txn, "signature", None) is None:
        return None
    try:
        return txn.txn_hash
    except Exception:  # an unsigned transaction has no hash
        return None


def _hex_or_none(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else "0x" + bytes(value).hex()


def _estimates_gas() -> bool:
    """Whether Ape estimates each transaction's gas on the connected network."""
    from ape import networks

    return networks.provider.network.config.gas_limit == "auto"


def _who(account: Any) -> str:
    alias = getattr(account, "alias", None)
    return f"{alias} ({account.address})" if alias else account.address


_ENCODE_ERROR = re.compile(
    r"Value `(?P<value>[^`]*)` of type \S+ cannot be encoded by \w+: (?P<why>[^.]*)", re.S
)
_BOUNDS = re.compile(r"bounded between \[(?P<low>-?\d+), (?P<high>-?\d+)\]")
MAX_MESSAGE = 400


def one_line(message: str) -> str:
    """A failure message as one readable line: whitespace (newlines included) collapsed, ABI
    encoder range errors rephrased, absurdly long messages cut."""
    text = " ".join(str(message).split())
    if match := _ENCODE_ERROR.search(text):
        value, why = match.group("value"), match.group("why").strip()
        if len(value) > 40:
            value = value[:20] + "…" + value[-8:] if not value.endswith("...") else value[:24] + "…"
        bounds = _BOUNDS.search(text)
        limit = (
            f" (allowed: {bounds.group('low')} to {bounds.group('high')})"
            if bounds and len(bounds.group("high")) <= 24
            else ""
        )
        text = f"value {value} is out of range: {why.lower()}{limit}"
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 1] + "…"
    return text


@contextmanager
def readable_errors() -> Iterator[None]:
    """Turn any failure into `Error: <one sentence>` and exit code 1 (no traceback, no hex)."""
    try:
        yield
    except click.ClickException as exc:
        exc.message = one_line(exc.message)
        raise
    except (click.exceptions.Exit, click.Abort, KeyboardInterrupt):
        raise
    except Exception as exc:  # every other failure becomes one readable line
        raise click.ClickException(one_line(explain(exc))) from None


def handle_errors(func: F) -> F:
    """Decorator form of `readable_errors` for click commands."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with readable_errors():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def manifest_option(func: F) -> F:
    """`--manifest PATH` (or $CIVIC_MANIFEST): which deployment the command acts on."""
    return path_option(
        "--manifest", "manifest_file", envvar="CIVIC_MANIFEST", default=None,
        help="Deployment manifest (default: deployments/<network>.json).",
    )(func)  # fmt: skip


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
