"""What every command shares apart from output (`civic_ledger.cli.output`): parameter types,
options and arguments (accounts, manifest, documents, identities, parcels, token amounts), the
deployed suite, the `command` decorator, and `handle_errors`, which turns any failure into one
`Error:` line."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from ape.cli import ConnectedProviderCommand, network_option

from civic_ledger.chain import accounts as chain_accounts
from civic_ledger.chain.logs import LogReader, ape_log_reader
from civic_ledger.chain.poa import prepare_connection
from civic_ledger.cli.output import echo_code, one_line, send
from civic_ledger.core.encoding import UINT256_MAX, parse_parcel
from civic_ledger.core.names import IDENTITY_REGISTRY, TITLE_REGISTRY, TOKEN
from civic_ledger.core.revert import explain

#: A command function as a decorator receives and returns it (every option decorator here).
F = TypeVar("F", bound=Callable[..., Any])

# ----------------------------------------------------------------------- parameter types
# Bounded by the Solidity type the value ends up in, so an out-of-range number is refused by
# click (naming the parameter) instead of failing deep inside ABI encoding.

UINT16_MAX = 2**16 - 1
UINT32_MAX = 2**32 - 1


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


EVIDENCE = "--evidence"  # the one spelling of "the document that justifies the act"


def evidence_option(
    help: str, *, dest: str = "evidence", required: bool = True, old: str | None = None
) -> Callable[[F], F]:
    """`--evidence DOCUMENT`, handed to the command as `dest`: the document that justifies an
    act (loan agreement, court order, decision, ruling, finding) — one spelling on every
    command. `old` is the option's former name, still accepted (hidden, deprecated)."""

    def wrap(func: F) -> F:
        if old is None:
            return click.option(EVIDENCE, dest, required=required, help=help)(func)
        former_dest = f"_{dest}_former"

        @wraps(func)
        def merged(*args: Any, **kwargs: Any) -> Any:
            value, former = kwargs.pop(dest), kwargs.pop(former_dest)
            if value is not None and former is not None:
                raise click.UsageError(f"give {EVIDENCE} only ({old} is its former name)")
            value = former if value is None else value
            if value is None and required:
                raise click.UsageError(f"Missing option '{EVIDENCE}'.")
            return func(*args, **{dest: value}, **kwargs)

        merged = click.option(old, former_dest, default=None, hidden=True)(merged)
        shown = f"{help} [required]" if required else help
        return click.option(EVIDENCE, dest, default=None, help=shown)(merged)  # type: ignore[return-value]

    return wrap


def reason_option(help: str, *, required: bool = True) -> Callable[[F], F]:
    """`--evidence DOCUMENT` handed to the command as `reason`: the decision or finding behind
    a refusal, revocation or retirement (`--reason`, its former name, still accepted)."""
    return evidence_option(help, dest="reason", required=required, old="--reason")


def encoding_option(what: str = "the CSV files") -> Callable[[F], F]:
    """`--encoding NAME`: the text encoding of `what` (read and written); UTF-8 by default, a
    byte-order mark accepted; `gb18030` for files of Chinese-locale spreadsheets."""
    from civic_ledger.core.csvfile import DEFAULT_ENCODING, OTHER_ENCODING, check_encoding

    return click.option(
        "--encoding", default=DEFAULT_ENCODING, show_default=True, metavar="NAME",
        callback=lambda _ctx, _param, value: parse_param(check_encoding, value, "--encoding"),
        help=f"Text encoding of {what} (e.g. {OTHER_ENCODING} for files of Chinese-locale "
        "spreadsheets).",
    )  # fmt: skip


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


def load_account(alias: str) -> Any:
    """The signing account of `--account ALIAS` (`civic_ledger.chain.accounts.load_account`);
    a wrong alias is a bad `--account` value."""
    try:
        return chain_accounts.load_account(alias)
    except chain_accounts.InvalidAccount as exc:
        raise click.BadParameter(str(exc), param_hint="--account") from None
    except chain_accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None


def suite_and_signer(manifest_file: Path | None, account_alias: str) -> tuple[Suite, Any]:
    """The deployed suite and the signing account of a command (a manifest that does not fit
    the chain is reported before an account that cannot sign)."""
    return Suite(manifest_file), load_account(account_alias)


def sign_one(
    manifest_file: Path | None,
    account_alias: str,
    contract: str,
    action: Callable[..., Any],
    *args: Any,
    **kwargs: Any,
) -> Any:
    """The whole of a command that only sends one client call: `action(suite[contract], *args,
    sender=<--account>, transact=send, **kwargs)` on the deployed suite; returns its result."""
    suite, sender = suite_and_signer(manifest_file, account_alias)
    return action(suite[contract], *args, sender=sender, transact=send, **kwargs)


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

        from civic_ledger.chain.client import Web3Client
        from civic_ledger.chain.manifest import open_manifest

        prepare_connection()  # Clique headers (genesis included) need the PoA middleware
        client = Web3Client.from_ape()
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
        self._logs: LogReader | None = None

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

    @property
    def logs(self) -> LogReader:
        """The deployment's log reader (`chain/logs.LogReader` on Ape's provider, from the
        manifest's first block), made on first use and kept, so what it learns of the node's
        limits serves every read of the command."""
        if self._logs is None:
            self._logs = ape_log_reader(start=self.manifest.first_block)
        return self._logs


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


def known_parcel(suite: Suite, value: str, hint: str = "PARCEL") -> int:
    """A registered parcel (active or retired), given as decimal id, 0x-hex id or cadastral
    code."""
    from civic_ledger.property.titles import ParcelStatus

    parcel_id = parse_param(parse_parcel, value, hint)
    if ParcelStatus(int(suite[TITLE_REGISTRY].parcelOf(parcel_id).status)) is ParcelStatus.NONE:
        raise click.BadParameter(f"parcel {value!r} is not registered", param_hint=hint)
    from civic_ledger.property.titles import parcel_ref

    echo_code(parcel_ref(parcel_id), str(value).strip())
    return parcel_id


def chain_time() -> int:
    """The chain's time now: the latest block's timestamp (what `isValid`, expiries and
    deadlines are checked against when nothing is being sent)."""
    from ape import chain

    return int(chain.blocks.head.timestamp)


def token_decimals(suite: Suite) -> int:
    """Decimals of the settlement token (amounts are given and shown in whole tokens)."""
    return int(suite[TOKEN].decimals())


def token_text(suite: Suite, units: int) -> str:
    """Base units as whole tokens with the token's symbol ("800.5 CITY"): how every command
    shows an amount (--json documents carry the base units)."""
    from civic_ledger.property.titles import from_units

    if "symbol" not in suite.__dict__.setdefault("_token_meta", {}):
        token = suite[TOKEN]
        suite.__dict__["_token_meta"] = {
            "symbol": token.symbol(),
            "decimals": int(token.decimals()),
        }
    meta = suite.__dict__["_token_meta"]
    return f"{from_units(units, meta['decimals'])} {meta['symbol']}"


def token_amount(suite: Suite, value: str, hint: str = "--amount") -> int:
    """Whole settlement tokens ("1200.50") -> base units."""
    return parse_amount(value, token_decimals(suite), hint)


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
    """A connected, error-handled subcommand of `group` with --network/--manifest/--json (and
    --account/--yes when it signs). Exit codes: 0 done, 1 refused or a failed check, 2 usage."""

    def wrap(func: F) -> F:
        func = reporting(group, name)(func)
        func = json_option(func)
        func = manifest_option(func)
        if signs:
            func = account_option()(func)
            func = yes_option(func)
        func = network_option()(func)
        return group.command(name, cls=ConnectedProviderCommand)(func)  # type: ignore[return-value]

    return wrap


def json_option(func: F) -> F:
    """`--json`: one JSON document on stdout (everything else on stderr)."""
    return click.option(
        "--json", "json_output", is_flag=True,
        help="Write one JSON document to stdout (human output goes to stderr).",
    )(func)  # fmt: skip


def yes_option(func: F) -> F:
    """`--yes`: sign without the confirmation asked when a terminal is attached."""
    return click.option(
        "--yes", "-y", "assume_yes", is_flag=True,
        help="Sign without asking for confirmation (asked only when a terminal is attached).",
    )(func)  # fmt: skip


def reporting(group: click.Group, name: str) -> Callable[[F], F]:
    """The command `name` of `group` with readable errors, in the output mode its --json/--yes
    flags ask for; with --json, the document (also on failure: `ok: false`, `error`,
    `exit_code`) ends stdout. (`command` applies it; a command declared by hand uses it with
    `json_option` and `yes_option`.)"""
    return lambda func: _reporting_command(f"{group.name} {name}", func)


def _reporting_command(name: str, func: F) -> F:
    from civic_ledger.cli import output

    @wraps(func)
    def wrapper(*args: Any, json_output: bool = False, assume_yes: bool = False,
                **kwargs: Any) -> Any:  # fmt: skip
        with output.reporting(name, json_output, assume_yes) as report:
            try:
                with readable_errors():
                    result = func(*args, **kwargs)
            except click.ClickException as exc:
                if report is not None:
                    output.emit(report.document(exc.format_message(), exc.exit_code))
                raise
            except click.exceptions.Exit as exc:
                if report is not None:
                    code = exc.exit_code
                    failed = "the check failed" if code else None
                    output.emit(report.document(failed, code) if failed else report.document())
                raise
            if report is not None:
                output.emit(report.document())
            return result

    return wrapper  # type: ignore[return-value]
