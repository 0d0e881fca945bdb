"""`ape run admin safe ...`: admin operations through the city's Safe (when the roles file made
a Safe the admin), signed offline by M of its N owners.

    ape run admin safe propose grant-role TREASURER 0xADDR [--out FILE]   # writes a proposal
    ape run admin safe propose revoke-role TREASURER 0xADDR
    ape run admin safe propose unpause TitleRegistry
    ape run admin safe propose call CONTRACT 'fn(types)' ARGS...
    ape run admin safe sign PROPOSAL --account OWNER     # writes PROPOSAL.<owner>.sig.json
    ape run admin safe status PROPOSAL [SIGFILES...]     # who signed, how many are missing
    ape run admin safe execute PROPOSAL SIGFILES... --account ANY

The proposal and signature files are plain JSON: a clerk carries them between the owners
(no Safe Transaction Service is needed, or exists, on the city's chain). Everything is checked
against the Safe before anything is sent (see `civic_ledger.safe.signatures`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from civic_ledger.access import roles
from civic_ledger.access.operations import function_names
from civic_ledger.cli.access import ROLE, encode_call, role_name
from civic_ledger.cli.common import (
    ADDRESS,
    EXISTING_FILE,
    UINT32_MAX,
    Suite,
    account_option,
    command,
    load_account,
    parse_param,
    path_option,
)
from civic_ledger.cli.output import console, print_rows, put, send
from civic_ledger.core.exceptions import SafeRefused
from civic_ledger.core.names import MANAGER
from civic_ledger.safe import artefacts
from civic_ledger.safe.signatures import (
    OwnerSignature,
    SafeState,
    check_current,
    collect,
    pack,
    sign,
    signature_path,
)
from civic_ledger.safe.transaction import Proposal, SafeTx

OPERATIONS = ("grant-role", "revoke-role", "unpause", "call")


@click.group()
def safe() -> None:
    """The city's admin Safe: propose an admin operation, sign it offline, execute it."""


def _safe(suite: Suite) -> tuple[Any, SafeState]:
    from ape import networks

    address = suite.manifest.data.get("safe", {}).get("address")
    if address is None:
        raise SafeRefused(f"{suite.manifest.path}: this deployment's admin is not a Safe (the "
                          "roles file's `admin: {safe: ...}` deploys one)")  # fmt: skip
    if not networks.provider.get_code(address):
        raise SafeRefused(f"no Safe at {address} on the connected chain (stale manifest)")
    instance = artefacts.at(artefacts.SINGLETON, address)
    return instance, SafeState.read(instance, int(networks.provider.chain_id))


def _target(suite: Suite, contract: str) -> Any:
    if contract not in suite:
        raise click.BadParameter(f"{contract!r} is not a contract of this deployment "
                                 f"({', '.join(suite.manifest.contracts)})", param_hint="CONTRACT")  # fmt: skip
    return suite[contract]


def _arg(kind: click.ParamType, value: str, hint: str) -> Any:
    try:
        return kind.convert(value, None, None)
    except click.BadParameter as exc:
        raise click.BadParameter(exc.message, param_hint=hint) from None


def _operation(
    suite: Suite, operation: str, args: tuple[str, ...], execution_delay: int
) -> tuple[str, bytes, str]:
    """(target address, calldata, description) of an admin operation given on the command
    line; bad arguments are usage errors naming the argument."""

    def arity(n: int, names: str) -> None:
        if len(args) != n:
            raise click.BadParameter(f"{operation} takes {names}, {len(args)} argument(s) given",
                                     param_hint="ARGS")  # fmt: skip

    if operation in ("grant-role", "revoke-role"):
        arity(2, "ROLE ADDRESS")
        role = _arg(ROLE, args[0], "ROLE")
        if role == roles.PUBLIC_ROLE:
            raise click.BadParameter("everyone holds PUBLIC: it cannot be granted or revoked",
                                     param_hint="ROLE")  # fmt: skip
        account = _arg(ADDRESS, args[1], "ADDRESS")
        manager = suite[MANAGER]
        if operation == "grant-role":
            data = manager.grantRole.encode_input(role, account, execution_delay)
            text = f"grantRole({role_name(role)}, {account}, {execution_delay})"
        else:
            data = manager.revokeRole.encode_input(role, account)
            text = f"revokeRole({role_name(role)}, {account})"
        return manager.address, bytes(data), f"{text} on {MANAGER}"
    if operation == "unpause":
        arity(1, "CONTRACT")
        target = _target(suite, args[0])
        if not hasattr(target, "unpause"):
            raise click.BadParameter(f"{args[0]} cannot be paused", param_hint="CONTRACT")
        return target.address, bytes(target.unpause.encode_input()), f"unpause() on {args[0]}"
    if len(args) < 2:
        raise click.BadParameter("call takes CONTRACT 'fn(types)' ARGS...", param_hint="ARGS")
    target = _target(suite, args[0])
    data = parse_param(lambda f: encode_call(target, f, args[2:]), args[1], "FUNCTION/ARGS")
    name = args[1].split("(", 1)[0].strip()
    return target.address, data, f"{name}({', '.join(args[2:])}) on {args[0]}"


@command(safe, "propose", signs=False)
@click.argument("operation", metavar="OPERATION", type=click.Choice(OPERATIONS))
@click.argument("args", nargs=-1)
@click.option("--execution-delay", type=click.IntRange(0, UINT32_MAX), default=0, show_default=True,
              help="grant-role: seconds every restricted call of the member must wait.")  # fmt: skip
@path_option("--out", "out", default=None,
             help="Proposal file to write (default: safe-tx-<nonce>.json here).")  # fmt: skip
def propose(
    manifest_file: Path | None, operation: str, args: tuple[str, ...], execution_delay: int,
    out: Path | None,
) -> None:  # fmt: skip
    """Write a proposal file for an admin OPERATION through the Safe: grant-role ROLE ADDRESS,
    revoke-role ROLE ADDRESS, unpause CONTRACT, or call CONTRACT 'fn(types)' ARGS... The
    owners sign it with `safe sign`; nothing is sent."""
    suite = Suite(manifest_file)
    target, data, description = _operation(suite, operation, args, execution_delay)
    _, state = _safe(suite)
    tx = SafeTx(to=target, value=0, data=data, nonce=state.nonce)
    proposal = Proposal(state.chain_id, state.address, tx, description)
    path = out or Path(f"safe-tx-{state.nonce}.json")
    if path.exists():
        raise click.ClickException(f"{path} already exists: choose another --out")
    path.write_text(proposal.to_json(), encoding="utf-8")
    print_rows([("proposal", str(path)), ("call", description), ("safe", state.address),
                ("nonce", str(state.nonce)), ("safe tx hash", "0x" + proposal.hash.hex()),
                ("needs", f"{state.threshold} of {len(state.owners)} owners")])  # fmt: skip
    put(proposal=str(path), safe_tx_hash=proposal.hash, nonce=state.nonce, call=description)
    console.print(f"each owner: `ape run admin safe sign {path} --account OWNER`")


def _read_proposal(path: Path) -> Proposal:
    return parse_param(Proposal.read, path, "PROPOSAL")


def _what(suite: Suite, proposal: Proposal) -> str:
    """The proposal's call as decoded from its calldata (not its free-text description)."""
    names = function_names({name: suite[name] for name in suite.manifest.contracts})
    return names.get((proposal.tx.to, proposal.tx.data[:4]),
                     f"0x{proposal.tx.data[:4].hex()} on {proposal.tx.to}")  # fmt: skip


@command(safe, "sign", signs=False)
@click.argument("proposal_file", metavar="PROPOSAL", type=EXISTING_FILE)
@account_option(help_text="The Safe owner signing (an Ape alias, or TEST::N on a local chain).")
def sign_command(manifest_file: Path | None, proposal_file: Path, account_alias: str) -> None:
    """Sign PROPOSAL as one of the Safe's owners (offline: nothing is sent) into
    PROPOSAL.<owner>.sig.json, to be handed to whoever executes it."""
    suite = Suite(manifest_file)
    proposal = _read_proposal(proposal_file)
    owner = load_account(account_alias)
    _, state = _safe(suite)
    check_current(proposal, state)
    if owner.address not in state.owners:
        raise SafeRefused(f"{owner.address} is not an owner of the Safe {state.address}")
    path = signature_path(proposal_file, owner.address)
    signature = sign(proposal, owner)
    path.write_text(signature.to_json(), encoding="utf-8")
    print_rows([("signed", proposal.description), ("calls", _what(suite, proposal)),
                ("owner", owner.address), ("safe tx hash", "0x" + proposal.hash.hex()),
                ("signature file", str(path))])  # fmt: skip
    put(signature_file=str(path), owner=owner.address, safe_tx_hash=proposal.hash)


def _signature_files(proposal_file: Path, given: tuple[Path, ...]) -> list[Path]:
    if given:
        return list(given)
    stem = proposal_file.name.removesuffix(".json")
    return sorted(proposal_file.parent.glob(f"{stem}.0x*.sig.json"))


def _signatures(paths: list[Path]) -> list[tuple[Path, OwnerSignature]]:
    return [(path, parse_param(OwnerSignature.read, path, "SIGFILES")) for path in paths]


@command(safe, "status", signs=False)
@click.argument("proposal_file", metavar="PROPOSAL", type=EXISTING_FILE)
@click.argument("signature_files", metavar="SIGFILES", nargs=-1, type=EXISTING_FILE)
def status(
    manifest_file: Path | None, proposal_file: Path, signature_files: tuple[Path, ...]
) -> None:
    """Who of the Safe's owners signed PROPOSAL (its signature files, by default those beside
    it) and how many signatures are still missing."""
    suite = Suite(manifest_file)
    proposal = _read_proposal(proposal_file)
    signatures = _signatures(_signature_files(proposal_file, signature_files))
    _, state = _safe(suite)
    check_current(proposal, state)
    signed: dict[str, Path] = {}
    ignored: list[tuple[str, str]] = []
    for path, sig in signatures:
        if sig.safe_tx_hash != proposal.hash:
            ignored.append((str(path), "ignored: signs another proposal"))
        elif sig.signer() != sig.owner:
            ignored.append((str(path), f"ignored: not signed by {sig.owner} (forged?)"))
        elif sig.owner not in state.owners:
            ignored.append((str(path), f"ignored: {sig.owner} is not an owner"))
        else:
            signed.setdefault(sig.owner, path)
    missing = max(0, state.threshold - len(signed))
    print_rows([("call", proposal.description), ("calls", _what(suite, proposal)),
                ("nonce", str(proposal.tx.nonce)), ("safe tx hash", "0x" + proposal.hash.hex()),
                *((owner, f"signed ({signed[owner]})" if owner in signed else "not signed")
                  for owner in state.owners),
                *ignored, ("missing", f"{missing} of {state.threshold}")])  # fmt: skip
    put(signed=sorted(signed), missing=missing, threshold=state.threshold,
        ignored=[path for path, _ in ignored], safe_tx_hash=proposal.hash)  # fmt: skip


@command(safe, "execute")
@click.argument("proposal_file", metavar="PROPOSAL", type=EXISTING_FILE)
@click.argument("signature_files", metavar="SIGFILES", nargs=-1, type=EXISTING_FILE)
def execute(
    manifest_file: Path | None, account_alias: str, proposal_file: Path,
    signature_files: tuple[Path, ...],
) -> None:  # fmt: skip
    """Execute PROPOSAL with its owners' SIGFILES (at least the Safe's threshold; by default
    the signature files beside it). Any account may send it: the signatures authorise it."""
    suite, sender = Suite(manifest_file), load_account(account_alias)
    proposal = _read_proposal(proposal_file)
    given = _signatures(_signature_files(proposal_file, signature_files))
    instance, state = _safe(suite)
    signatures = collect(proposal, state, given)
    tx = proposal.tx
    on_chain = bytes(instance.getTransactionHash(
        tx.to, tx.value, tx.data, tx.operation, tx.safe_tx_gas, tx.base_gas, tx.gas_price,
        tx.gas_token, tx.refund_receiver, tx.nonce,
    ))  # fmt: skip
    if on_chain != proposal.hash:
        raise SafeRefused("the Safe computes another hash for this proposal: refusing it")
    send(f"Safe {state.address} executed {proposal.description} (nonce {tx.nonce}, "
         f"{len(signatures)} of {state.threshold} owners)",
         instance.execTransaction, *tx.exec_args(pack(signatures)), sender=sender)  # fmt: skip
    put(safe_tx_hash=proposal.hash, nonce=tx.nonce, owners=[s.owner for s in signatures])
