"""Hostile input to every admin command (issue #8), in process on the session suite.

The commands are found by walking the click groups `ape run admin` mounts, so a new command
without a hostile case table fails `test_every_command_has_hostile_cases`. Each command gets:

* the account classes (signing commands): unknown alias, empty alias, TEST::N out of range,
  TEST::junk, a locked keystore with no passphrase and no terminal;
* the manifest classes: missing, not JSON, not a manifest, wrong chain id, same chain id but
  another genesis, a stale manifest whose addresses hold no code;
* generated wrong types for every integer / address parameter (junk, fractions, 2**256 and
  beyond, negative, empty);
* its own table: unknown ids, duplicates, huge values, unicode junk, malformed documents.

Every refusal must be one `Error:` line naming the problem, exit code != 0, nothing sent.
"""

from __future__ import annotations

import importlib.util
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ape
import click
import pytest

from civic_ledger.access.roles import RoleId
from civic_ledger.core.commitments import make_salt
from civic_ledger.core.documents import document_hash
from civic_ledger.identity import certificates as certs
from civic_ledger.identity import client as id_client
from civic_ledger.identity import records as rec_client
from civic_ledger.property import titles as title_client

from .harness import Refuser, invoke

ROOT = Path(__file__).resolve().parents[2]
HUGE = str(2**256)
HUGER = str(2**300)

# test accounts (config/roles.local.yaml); 15 controls the world's person
OFFICE, BUREAU, TAX, REGISTRAR, TREASURER, FUND, MEMBER, GUARDIAN = (
    "TEST::1",
    "TEST::2",
    "TEST::3",
    "TEST::7",
    "TEST::8",
    "TEST::9",
    "TEST::10",
    "TEST::13",
)
OWNER = "TEST::15"
BUYER = "TEST::18"  # controls the buyer identity of the world's sales
ADMIN_ACCOUNT = "TEST::0"  # the deployer holds ADMIN_ROLE on the dev chain
LOCKED_ALIAS = "civic-tax-bureau"  # a keystore in the project's Ape data folder


def _load_script(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(
        f"civic_script_{name}", ROOT / "scripts" / f"{name}.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ADMIN = _load_script("admin").cli


def all_commands() -> dict[str, click.Command]:
    """`group name` -> command, for every command `ape run admin` offers."""
    found: dict[str, click.Command] = {}
    for group_name, group in ADMIN.commands.items():
        assert isinstance(group, click.Group)
        for name, command in group.commands.items():
            found[f"{group_name} {name}"] = command
    return found


# ------------------------------------------------------------------------------ the world


@dataclass
class World:
    subject: str  # a registered person's commitment
    controller: str  # its controller (TEST::15)
    stranger: str  # an address that controls no identity
    unknown_subject: str  # a commitment nobody registered
    parcel: str  # cadastral code of a registered parcel, owned by `subject`
    sale: str  # a proposed sale (of another parcel of `subject`, no liens) to BUYER
    sale_liened: str  # a proposed sale to BUYER of a parcel whose lien has not answered
    schema: str  # a schema name (layout "uint16 year")
    record: str  # a record id about `subject`
    tmp: Path
    files: dict[str, Path] = field(default_factory=dict)
    cert_record: str = ""  # a record of `schema` (marked a certificate) certifying text:hx-licence
    payload: str = ""  # its verification payload
    chain: str = ""  # the test chain's id
    data_resource: str = ""  # an open, non-personal resource of REGISTRAR
    data_personal: str = ""  # a conditional, personal resource of REGISTRAR
    data_grant: str = ""  # TAX_ASSESSOR's live grant on `data_resource`
    data_sealed_root: str = ""  # a batch a leaf store believes anchored; the chain does not

    def fill(self, args: list[str]) -> list[str]:
        values = {k: v for k, v in vars(self).items() if isinstance(v, str)}
        values |= {k: str(v) for k, v in self.files.items()}
        values["tmp"] = str(self.tmp)
        return [a.format(**values) for a in args]


@pytest.fixture(scope="module")
def world(suite: Any, agency: dict[str, Any], accounts: Any, tmp_path_factory: Any) -> World:
    identity, registry = suite["IdentityRegistry"], suite["RecordRegistry"]
    person = accounts[15]
    registration = id_client.Registration.new("HOSTILE-PERSON-1", person.address, "person")
    id_client.register(identity, registration, sender=agency["identity_office"])
    subject = registration.subject
    title_client.register(
        suite["TitleRegistry"],
        subject,
        "HX-1",
        b"\x11" * 32,
        500,
        1,
        sender=agency["land_registry"],
        transact=title_client.direct,
    )
    sale, sale_liened = _sales(suite, agency, accounts, subject)
    rec_client.register_schema(
        registry,
        name="hx-schema",
        field_layout="uint16 year",
        issuer_role="TAX_RECORD_ISSUER",
        revocable=True,
        adverse=False,
        default_validity=0,
        sender=agency["data_bureau"],
    )
    schema_id = rec_client.resolve_schema(registry, "hx-schema")
    rec_client.set_policy(
        registry,
        policy_id=1,
        name="hx-policy",
        required=[],
        disqualifying=[],
        sender=agency["data_bureau"],
    )
    record = rec_client.issue(
        registry,
        rec_client.RecordRequest(
            schema_id, subject, data=rec_client.encode_data("uint16 year", {"year": 2025})
        ),
        sender=agency["tax_bureau"],
    )
    certs.set_certificate(registry, schema_id, True, sender=agency["data_bureau"])
    cert_record = rec_client.issue(
        registry,
        rec_client.RecordRequest(
            schema_id, subject, evidence_hash=document_hash("text:hx-licence"),
            data=rec_client.encode_data("uint16 year", {"year": 2026}),
        ),
        sender=agency["tax_bureau"],
    )  # fmt: skip
    tmp = tmp_path_factory.mktemp("hostile-world")
    w = World(
        subject="0x" + subject.hex(),
        controller=person.address,
        stranger=accounts[19].address,
        unknown_subject="0x" + make_salt().hex(),
        parcel="HX-1",
        sale=str(sale),
        sale_liened=str(sale_liened),
        schema="hx-schema",
        record="0x" + bytes(record).hex(),
        tmp=tmp,
    )
    w.files = _files(tmp, w)
    w.cert_record = "0x" + bytes(cert_record).hex()
    w.chain = str(ape.chain.chain_id)
    w.payload = certs.payload_for(
        int(ape.chain.chain_id),
        registry.address,
        bytes(cert_record),
        document_hash("text:hx-licence"),
    )
    _data_world(suite, agency, person, w)
    return w


def _data_world(suite: Any, agency: dict[str, Any], person: Any, w: World) -> None:
    """Two resources of the land registry, the tax bureau's grant on the open one, and the
    person's signed consent file for the personal one (`data ...` commands)."""
    from ape import chain

    from civic_ledger.data import client as data_client
    from civic_ledger.data import consent_file

    exchange, h = suite["DataExchange"], b"\x21" * 32
    owner, recipient = RoleId.REGISTRAR, RoleId.TAX_ASSESSOR
    ids = [
        data_client.register_resource(
            exchange,
            data_client.ResourceInput(owner, sharing, personal, 86400, h, h, h, h),
            sender=agency["land_registry"],
        )
        for sharing, personal in ((data_client.Sharing.OPEN, False),
                                  (data_client.Sharing.CONDITIONAL, True))
    ]  # fmt: skip
    grant = data_client.request_data(
        exchange,
        data_client.DataRequest(ids[0], recipient, 7, 30 * 86400, h, h),
        sender=agency["tax_bureau"],
    )
    consent = data_client.Consent(
        bytes.fromhex(w.subject[2:]),
        ids[1],
        recipient,
        7,
        int(chain.pending_timestamp) + 86400 * 30,
    )
    path = w.tmp / "data_consent.json"
    signature = data_client.sign_consent(exchange, consent, person)
    consent_file.write(path, int(chain.chain_id), exchange.address, consent, signature)
    w.files["data_consent"] = path
    w.data_resource, w.data_personal, w.data_grant = str(ids[0]), str(ids[1]), str(grant)
    _receipt_stores(exchange, agency, owner, grant, w)


def _receipt_stores(
    exchange: Any, agency: dict[str, Any], owner: int, grant: int, w: World
) -> None:
    """Leaf stores for `data receipts-publish`: one whose batch is anchored on chain, one whose
    batch was sealed and marked anchored but never reached the chain."""
    from civic_ledger.data import receipts as rc

    anchored = rc.LeafStore(w.tmp / "anchored-store")
    anchored.add(rc.Receipt(grant, bytes(32), b"\x31" * 32, 1_700_000_000))
    rc.anchor_pending(exchange, anchored, owner, sender=agency["land_registry"])
    sealed = rc.LeafStore(w.tmp / "sealed-store")
    receipt = rc.Receipt(grant, bytes(32), b"\x32" * 32, 1_700_000_000)
    sealed.add(receipt)
    root = sealed.seal([receipt], owner).root
    sealed.mark_anchored(root)
    w.data_sealed_root = "0x" + root.hex()


def _sales(suite: Any, agency: dict[str, Any], accounts: Any, seller: bytes) -> tuple[int, int]:
    """Two proposed sales of `seller`'s parcels to the identity of BUYER: one unencumbered,
    one with a court-ordered lien that has not answered it."""
    identity, titles = suite["IdentityRegistry"], suite["TitleRegistry"]
    buyer_wallet, seller_wallet = accounts[18], accounts[15]
    buyer = bytes(identity.subjectOf(buyer_wallet.address))
    if buyer == b"\x00" * 32:
        registration = id_client.Registration.new(
            "HOSTILE-BUYER-18", buyer_wallet.address, "person"
        )
        id_client.register(identity, registration, sender=agency["identity_office"])
        buyer = registration.subject
    sales = []
    for code in ("HX-SALE", "HX-SALE-LIEN"):
        pid = title_client.register(
            titles, seller, code, b"\x44" * 32, 100, 1, sender=agency["land_registry"]
        )
        if code == "HX-SALE-LIEN":
            suite["LienRegistry"].recordLienByOrder(
                pid, buyer, 1, b"\x55" * 32, sender=agency["land_registry"]
            )
        sales.append(
            title_client.propose(titles, pid, buyer, 1, b"\x66" * 32, sender=seller_wallet)
        )
    return sales[0], sales[1]


def _files(tmp: Path, w: World) -> dict[str, Path]:
    ctrl = "0x" + "5a" * 20
    files = {
        "ids_ok": "official_id,kind,controller\nHX-NEW-1,person," + ctrl + "\n",
        "ids_bad": "official_id,kind,controller\nHX-NEW-2,robot," + ctrl + "\n",
        "ids_dup_chain": f"official_id,kind,controller\nHX-NEW-3,person,{w.controller}\n",
        "parcels_ok": "cadastral_code,owner,data_hash,area_m2,land_use\n"
        f"HX-NEW-9,{w.subject},0x{'22' * 32},10,1\n",
        "parcels_bad": "cadastral_code,owner,data_hash,area_m2,land_use\n"
        f"HX-NEW-8,{w.subject},0xnope,10,1\n",
        "parcels_conflict": "cadastral_code,owner,data_hash,area_m2,land_use\n"
        f"HX-1,{w.subject},0x{'33' * 32},10,1\n",
        "parcels_header_only": "cadastral_code,owner,data_hash,area_m2,land_use\n",
        "ids_header_only": "official_id,kind,controller\n",
        "records_ok": f"schema,subject,year\n{w.schema},{w.subject},2031\n",
        "records_bad": f"schema,subject,year\n{w.schema},{w.subject},70000\n",
        "records_stray": f"schema,subject,year,month\n{w.schema},{w.subject},2031,1\n",
        "records_no_subject": f"schema,subject,year\n{w.schema},{w.unknown_subject},2031\n",
        "records_no_schema": f"schema,subject,year\nnope,{w.subject},2031\n",
        "records_header_only": "schema,subject,year\n",
        "records_far": f"schema,subject,expires,year\n{w.schema},{w.subject},{'9' * 30},2031\n",
        "roll_ok": f"parcel,year,amount,due\n{w.parcel},2040,1,2041-01-01\n",
        "roll_bad": f"parcel,year,amount,due\n{w.parcel},2040,1,2041-02-30\n",
        "roll_no_parcel": "parcel,year,amount,due\nNOPE-404,2040,1,2041-01-01\n",
        "roll_header_only": "parcel,year,amount,due\n",
        "signed_junk": "{not json",
        "signed_list": "[1, 2, 3]",
        "signed_partial": json.dumps({"schemaId": 1}),
        "binary": "",
    }
    files |= _safe_files(w)
    files |= _challenge_files(w)
    paths = {}
    for name, text in files.items():
        path = tmp / f"{name}.csv"
        path.write_text(text)
        paths[name] = path
    paths["binary"].write_bytes(b"\xff\xfe\x00garbage\x80\n")
    return paths


def _challenge_files(w: World) -> dict[str, str]:
    """Gateway sign-in challenges for `identity sign-challenge`: one the controller may sign,
    and ones for another chain, another address, expired, and a text that is none."""
    from ape import chain

    from civic_ledger.gateway.auth import Authenticator

    def text(address: str, chain_id: int, clock: float | None = None) -> str:
        auth = Authenticator(name="hostile gateway", chain_id=lambda: chain_id,
                             challenge_ttl=10 * 86400, clock=lambda: clock or time.time())  # fmt: skip
        return auth.challenge(address).text

    here = int(chain.chain_id)
    return {
        "challenge_ok": text(w.controller, here),
        "challenge_other_chain": text(w.controller, 424242),
        "challenge_stranger": text(w.stranger, here),
        "challenge_expired": text(w.controller, here, clock=1_600_000_000),
        "challenge_junk": "Please sign: transfer everything to 0x" + "66" * 20,
    }


def _safe_files(w: World) -> dict[str, str]:
    """A Safe proposal for this chain (to a Safe the session suite does not have: its admin is
    the deployer), one owner's signature of it, and the proposal edited after hashing."""
    from ape import accounts, chain

    from civic_ledger.safe.signatures import sign
    from civic_ledger.safe.transaction import Proposal, SafeTx

    tx = SafeTx(to=w.stranger, value=0, data=b"\x12\x34", nonce=0)
    proposal = Proposal(int(chain.chain_id), "0x" + "5a" * 20, tx, "hostile proposal")
    edited = json.loads(proposal.to_json())
    edited["tx"]["nonce"] = 1
    return {
        "safe_proposal": proposal.to_json(),
        "safe_signature": sign(proposal, accounts.test_accounts[16]).to_json(),
        "safe_edited": json.dumps(edited),
    }


# ------------------------------------------------------------------------------ case tables

# An option's value in a baseline or a change: a string, several strings (the option repeated),
# True (a flag given) or None (the option left out).
Value = str | tuple[str, ...] | bool | None


@dataclass(frozen=True)
class Case:
    """One hostile invocation: the baseline with `args` (when given) in place of its positional
    arguments and `change` applied to its options; `error` are words the error line must hold."""

    args: tuple[str, ...]
    change: dict[str, Value]
    error: tuple[str, ...]


def case(*args: str, change: dict[str, Value] | None = None, error: str | tuple[str, ...]) -> Case:
    return Case(args, change or {}, (error,) if isinstance(error, str) else error)


def _render(options: dict[str, Value]) -> list[str]:
    out: list[str] = []
    for option, value in options.items():
        if value is True:
            out.append(option)
        elif isinstance(value, str):
            out += [option, value]
        elif value:
            out += [token for v in value for token in (option, v)]
    return out


@dataclass(frozen=True)
class Spec:
    """A command's baseline invocation: click-valid positional `args` and `options`
    (placeholders filled from the World) that get past parsing, and `account`, the alias that
    would be entitled to sign; `cases` each change one thing of it. `auto_account`: the cases
    sign as `account` unless they change `--account` (otherwise they give no account)."""

    args: tuple[str, ...] = ()
    options: dict[str, Value] = field(default_factory=dict)
    account: str | None = None
    cases: tuple[Case, ...] = ()
    auto_account: bool = True

    def baseline(self, account: str | None = None) -> list[str]:
        """The baseline arguments, signed by `account` when one is given."""
        signer = {} if account is None else {"--account": account}
        return [*self.args, *_render({**self.options, **signer})]

    def invocation(self, case: Case) -> list[str]:
        signer = {"--account": self.account} if self.account and self.auto_account else {}
        return [*(case.args or self.args), *_render({**self.options, **signer, **case.change})]


AMOUNT_JUNK = [
    ("NaN", "not a finite"),
    ("Infinity", "not a finite"),
    ("-Infinity", "not a finite"),
    ("1e99", "too large"),
    (HUGER, "too large"),
    ("abc", "not a number"),
    ("", "not a number"),
    ("0.0000000000000000001", "decimals"),
    ("-5", "negative"),
    ("\uff11\uff12", "not a number"),
]


def amount_cases(option: str, also: dict[str, Value] | None = None) -> tuple[Case, ...]:
    return tuple(
        case(change={**(also or {}), option: v}, error=(option, why)) for v, why in AMOUNT_JUNK
    )


PARCEL_JUNK = [
    ("NOPE-404", "not registered"),
    (HUGER, "256 bits"),
    ("", "empty parcel"),
    ("💥💥", "must be 1-64 letters, digits or ._/-"),
]


def parcel_cases(also: dict[str, Value] | None = None) -> tuple[Case, ...]:
    """The parcel (first positional argument) replaced by junk."""
    return tuple(case(v, change=also, error=("PARCEL", why)) for v, why in PARCEL_JUNK)


def subject_cases(option: str) -> tuple[Case, ...]:
    return (
        case(change={option: "0xzz"}, error=(option, "neither")),
        case(change={option: "{stranger}"}, error=(option, "controls no identity")),
        case(change={option: "ünïcode"}, error=(option, "neither")),
    )


def unknown_id_spec(
    args: tuple[str, ...], options: dict[str, Value], account: str | None, error: str
) -> Spec:
    """A command on an id (the first argument, 1 in the baseline) refused for id 99999."""
    return Spec(args, options, account, cases=(case("99999", *args[1:], error=error),))


SALT = "0x" + "11" * 32


def import_cases(max_batch: int) -> tuple[Case, ...]:
    """What every bulk import refuses alike: a missing file, batch sizes out of range, no
    window, an unknown encoding or one the file is not in, directories for its files."""
    return (
        case("{tmp}/missing.csv", error="CSV_FILE"),
        case(change={"--batch-size": "0"}, error="--batch-size"),
        case(change={"--batch-size": str(max_batch + 1)}, error="--batch-size"),
        case(change={"--window": "0"}, error="--window"),
        case(change={"--encoding": "klingon"}, error=("--encoding", "unknown encoding")),
        case(
            "{binary}",
            change={"--encoding": "gb18030"},
            error=("binary.csv:1", "not gb18030", "--encoding utf-8"),
        ),
        case(change={"--journal": "{tmp}"}, error="--journal"),
        case(change={"--rejects": "{tmp}"}, error="--rejects"),
    )


NO_FIELD = {"--field": None}  # for cases that give no data or fail before it
SELLER_BUYS = {"--buyer": "{subject}"}  # the parcel's owner as its buyer
SAMPLE_ONLY = {"--count": None, "--owners": None, "--register-owners": None}  # nothing signed
RENT_APPLICATION = {"--milestone": None, "--monthly": "1", "--months": "2"}
AS_OWNER = {"--account": OWNER}
AS_STRANGER = {"--account": "TEST::19"}
ZERO_HASH = "0x" + "00" * 32

SPECS: dict[str, Spec] = {
    # ---------------------------------------------------------------- identity
    "identity commitment": Spec(
        options={"--official-id": "X-1", "--salt": SALT},
        cases=(
            case(change={"--salt": "0x12"}, error=("--salt", "32 bytes")),
            case(change={"--salt": "zz" * 32}, error=("--salt", "hexadecimal")),
            case(change={"--official-id": "   "}, error=("--official-id", "empty")),
            case(change={"--salt": ""}, error="--salt"),
        ),
    ),
    "identity register": Spec(
        options={
            "--official-id": "HX-R-1",
            "--controller": "0x" + "61" * 20,
            "--salts-out": "{tmp}/r.csv",
        },
        account=OFFICE,
        cases=(
            case(change={"--official-id": ""}, error="empty"),
            case(change={"--controller": "0x" + "00" * 20}, error="zero"),
            case(change={"--controller": "{controller}"}, error="controller"),
            case(
                change={"--official-id": "HOSTILE-PERSON-1", "--salt": "0x" + "11" * 31},
                error=("--salt", "32 bytes"),
            ),
            case(change={"--kind": "robot"}, error="--kind"),
            case(change={"--salts-out": "{tmp}"}, error="--salts-out"),
            case(change={"--encoding": "rot13"}, error="--encoding"),
            case(
                change={"--official-id": "朝阳区-1", "--encoding": "ascii"},
                error=("--official-id/--encoding", "ascii"),
            ),
        ),
    ),
    "identity batch-register": Spec(
        ("{ids_ok}",),
        {"--salts-out": "{tmp}/b.csv", "--journal": "{tmp}/jb.jsonl"},
        OFFICE,
        cases=(
            case("{ids_bad}", error=("ids_bad.csv", "line 2", "kind", "nothing sent")),
            case(
                "{ids_dup_chain}",
                error=("ids_dup_chain.csv", "line 2", "already controls", "nothing sent"),
            ),
            case("{binary}", error=("binary.csv:1", "UTF-8")),
            case("{parcels_ok}", error="missing column"),
            case("{ids_header_only}", error=("ids_header_only.csv", "no rows to import")),
            *import_cases(max_batch=100),
            case(change=AS_OWNER, error="not authorised"),
        ),
    ),
    "identity rotate": Spec(
        options={"--to": "0x" + "71" * 20},
        account=OWNER,
        cases=(
            case(change=AS_STRANGER, error="controls no identity"),
            case(change={"--to": "{controller}"}, error="controller"),
        ),
    ),
    "identity rotate-accept": Spec(
        ("{subject}",),
        account="TEST::19",
        cases=(
            case(error="proposed"),
            case("{unknown_subject}", error="proposed"),
            case("{stranger}", error=("SUBJECT", "controls no identity")),
            case("0x12", error="SUBJECT"),
        ),
    ),
    "identity rotate-cancel": Spec(
        account=OWNER,
        cases=(
            case(error="no pending controller proposal"),
            case(change=AS_STRANGER, error="controls no identity"),
        ),
    ),
    "identity recover": Spec(
        ("{subject}",),
        {"--to": "0x" + "72" * 20},
        OFFICE,
        cases=(
            case("{unknown_subject}", error="no identity is registered"),
            case("0x1234", error="SUBJECT"),
            case("{stranger}", error=("SUBJECT", "controls no identity")),
            case(change=AS_STRANGER, error="not authorised"),
        ),
    ),
    "identity recover-complete": Spec(
        ("{subject}",),
        account=OWNER,
        cases=(
            case(error="recovery"),
            case("{unknown_subject}", error="recovery"),
            case("", error="SUBJECT"),
        ),
    ),
    "identity recover-cancel": Spec(
        ("{subject}",),
        account=OWNER,
        cases=(case(error="recovery"), case("0x" + "zz" * 32, error="SUBJECT")),
    ),
    "identity set-status": Spec(
        ("{subject}", "suspended"),
        {"--reason": "R"},
        OFFICE,
        cases=(
            case("{subject}", "dead", error="'dead' is not one of"),
            case(
                "{subject}",
                "closed",
                change={"--reason": "x" * 33},
                error=("--reason", "at most 32"),
            ),
            case("{subject}", "closed", change={"--reason": ""}, error="--reason"),
            case("{unknown_subject}", "suspended", error="no identity is registered"),
            case("{subject}", "active", error="status"),
            case(change=AS_OWNER, error="not authorised"),
        ),
    ),
    "identity sign-challenge": Spec(
        options={"--challenge-file": "{challenge_ok}"},
        account=OWNER,
        cases=(
            case(
                change={"--challenge-file": "{tmp}/missing.txt"},
                error=("--challenge-file", "no such file"),
            ),
            case(change={"--challenge-file": "{tmp}"}, error="--challenge-file"),
            case(change={"--challenge-file": "{binary}"}, error=("--challenge-file", "UTF-8")),
            case(
                change={"--challenge-file": "{challenge_junk}"},
                error=("--challenge-file", "not a gateway challenge"),
            ),
            case(change={"--challenge-file": "{challenge_other_chain}"}, error=("424242", "chain")),
            case(change={"--challenge-file": "{challenge_stranger}"}, error="not --account's"),
            case(change={"--challenge-file": "{challenge_expired}"}, error="expired"),
        ),
    ),
    "identity show": Spec(
        ("{subject}",),
        cases=(
            case("{unknown_subject}", error="not registered"),
            case("{stranger}", error=("SUBJECT", "controls no identity")),
            case("0x" + "1" * 63, error="SUBJECT"),
            case("\u202e\u0000", error="SUBJECT"),
        ),
    ),
    # ---------------------------------------------------------------- records
    "records schema-add": Spec(
        options={"--name": "hx-new", "--issuer-role": "TAX_RECORD_ISSUER"},
        account=BUREAU,
        cases=(
            case(change={"--name": "hx-schema"}, error="schema"),
            case(
                change={"--issuer-role": "TAX_COLLECTOR"}, error=("--issuer-role", "unknown role")
            ),
            case(change={"--issuer-role": HUGE}, error=("--issuer-role", "out of range")),
            case(change={"--layout": "uint7 x"}, error=("--layout", "not a field type")),
            case(
                change={"--layout": "string name,string idNumber"},
                error=("--layout", "no free text"),
            ),
            case(
                change={"--layout": ",".join(f"uint8 f{i}" for i in range(17))},
                error=("--layout", "at most 16"),
            ),
            case(change={"--layout": "   "}, error="--layout"),
            case(change={"--layout": "uint8 a,bool a"}, error=("--layout", "twice")),
            case(change={"--layout": "year"}, error="--layout"),
            case(change={"--validity": "forever"}, error="--validity"),
            case(change={"--validity": "9" * 30 + "y"}, error=("--validity", "100 years")),
            case(change={"--validity": "101y"}, error=("--validity", "100 years")),
            case(change={"--account": TAX}, error="not authorised"),
        ),
    ),
    "records schemas": Spec(),
    "records import": Spec(
        ("{records_ok}",),
        {"--journal": "{tmp}/jr.jsonl"},
        TAX,
        cases=(
            case("{records_bad}", error=("records_bad.csv", "line 2", "year", "nothing sent")),
            case(
                "{records_stray}",
                error=("records_stray.csv", "line 2", "month", "not in schema", "nothing sent"),
            ),
            case(
                "{records_no_subject}",
                error=("records_no_subject.csv", "line 2", "not an active identity"),
            ),
            case("{records_no_schema}", error=("records_no_schema.csv", "no schema named")),
            case("{records_far}", error=("records_far.csv", "line 2", "out of range")),
            case("{records_header_only}", error=("records_header_only.csv", "no rows to import")),
            case("{binary}", error=("binary.csv:1", "UTF-8")),
            case("{ids_ok}", error=("ids_ok.csv:1", "schema")),
            *import_cases(max_batch=50),
            case(change=AS_OWNER, error="issuer role"),
        ),
    ),
    "records issue": Spec(
        options={"--schema": "hx-schema", "--subject": "{subject}", "--field": "year=2025"},
        account=TAX,
        cases=(
            case(change={**NO_FIELD, "--schema": "nope"}, error=("--schema", "no schema named")),
            case(change={**NO_FIELD, "--schema": HUGE}, error=("--schema", "out of range")),
            case(change={**NO_FIELD, "--schema": "999"}, error=("--schema", "does not exist")),
            case(change={"--field": "year=70000"}, error="--field"),
            case(change={"--field": "year=abc"}, error="--field"),
            case(change={"--field": "month=1"}, error=("--field", "unknown")),
            case(change={"--field": "noequals"}, error="--field"),
            case(change={**NO_FIELD, "--data": "0xzz"}, error="--data"),
            case(change={**NO_FIELD, "--data": "0x" + "00" * 31}, error=("--data", "takes 32")),
            case(
                change={**NO_FIELD, "--data": "0x" + (70_000).to_bytes(32, "big").hex()},
                error=("--data", "out of range"),
            ),
            case(change={"--data": "0x00"}, error="--data"),  # both --field and --data
            case(change={"--expires": "someday"}, error="--expires"),
            case(change={"--expires": HUGE}, error=("--expires", "out of range")),
            case(change={"--supersedes": "0x12"}, error="--supersedes"),
            case(change={"--subject": "{unknown_subject}"}, error="subject"),
            case(change=AS_OWNER, error="issuer role"),
            *subject_cases("--subject"),
        ),
    ),
    "records sign-issue": Spec(
        options={
            "--schema": "hx-schema",
            "--subject": "{subject}",
            "--field": "year=1",
            "--out": "{tmp}/signed.json",
        },
        account=TAX,
        cases=(
            case(change={"--nonce": "-1"}, error="--nonce"),
            case(change={"--nonce": HUGER}, error="--nonce"),
            case(change={"--deadline": "tomorrow-ish"}, error="--deadline"),
            case(change={"--deadline": "+3650d"}, error=("--deadline", "30 days")),
            case(change={"--deadline": "1"}, error=("--deadline", "passed")),
            case(change={"--out": "{tmp}"}, error="--out"),
            case(change={**NO_FIELD, "--schema": "nope"}, error="--schema"),
        ),
    ),
    "records issue-signed": Spec(
        ("{signed_junk}",),
        account=TAX,
        cases=(
            case(error=("signed_junk.csv", "not a signed")),
            case("{signed_list}", error=("signed_list.csv", "not a signed")),
            case("{signed_partial}", error=("signed_partial.csv", "missing field")),
            case("{binary}", error=("binary.csv", "not a signed")),
            case("{tmp}/nope.json", error="SIGNED_FILE"),
        ),
    ),
    "records revoke": Spec(
        ("{record}",),
        {"--code": "error"},
        TAX,
        cases=(
            case("0x12", error="RECORD_IDS"),
            case("0x" + "11" * 32, error="no record"),
            case("{record}", "{record}", error=("RECORD_IDS", "twice")),
            case(*[f"0x{i:064x}" for i in range(1, 52)], error=("RECORD_IDS", "at most 50")),
            case(change=AS_OWNER, error="issuer role"),
            *(
                case(change={"--code": code}, error="--code")
                for code in ("paid in full", "3", "superseded", "4", "", HUGE)
            ),
            case(change={"--code": "other"}, error="--evidence"),
            case(change={"--code": "5", "--evidence": ""}, error="--evidence"),
            case(change={"--code": "5", "--reason": ""}, error="--evidence"),  # former name
        ),
    ),
    "records cancel-signed": Spec(
        options={"--through": "0"},
        account=TAX,
        cases=(
            case(change={"--through": "256"}, error=("--through", "at most 256")),
            case(change={"--through": HUGE}, error="--through"),
            case(change={"--through": "-1"}, error="--through"),
        ),
    ),
    "records stay-set": Spec(
        ("{schema}", "14d"),
        account=BUREAU,
        cases=(
            case("{schema}", "91d", error=("DURATION", "90 days")),
            case("{schema}", "soon", error="DURATION"),
            case("{schema}", "1.5d", error="DURATION"),
            case("nope", "14d", error=("SCHEMA", "no schema named")),
            case("999", "14d", error=("SCHEMA", "does not exist")),
            case(HUGE, "14d", error=("SCHEMA", "out of range")),
            case(change={"--account": TAX}, error="not authorised"),
        ),
    ),
    "records stay-grant": Spec(
        ("{record}",),
        {"--until": "+30d", "--evidence": "order"},
        "TEST::6",
        cases=(
            case(error="dispute"),
            case(change={"--until": "someday"}, error="--until"),
            case(change={"--until": HUGE}, error=("--until", "out of range")),
            case(change={"--evidence": ""}, error="--evidence"),
            case(change={"--reason": "order"}, error=("--evidence only", "--reason")),
            case(change={"--evidence": None}, error=("Missing option", "--evidence")),
            case("0x" + "zz" * 32, error="RECORD_ID"),
            case(change={"--account": TAX}, error="not authorised"),
        ),
    ),
    "records stay-lapse": Spec(
        ("{record}",),
        account=OWNER,
        cases=(
            case(error="stay"),
            case("0x" + "11" * 32, error="no record"),
            case("nothex", error="RECORD_ID"),
        ),
    ),
    "records dispute": Spec(
        ("{record}",),
        {"--evidence": "e"},
        OWNER,
        cases=(
            case(change={"--evidence": ""}, error=("--evidence", "empty")),
            case("0x" + "11" * 32, error="no record"),
            case(error="adverse"),
            case("nothex", error="RECORD_ID"),
        ),
    ),
    "records resolve": Spec(
        ("{record}",),
        {"--uphold": True, "--evidence": "r"},
        "TEST::6",
        cases=(
            case(change={"--evidence": ""}, error="--evidence"),
            case(change={"--evidence": None, "--ruling": ""}, error="--evidence"),  # former
            case(error="dispute"),
            case("0x" + "1" * 63, error="RECORD_ID"),
        ),
    ),
    "records policy-set": Spec(
        ("3",),
        {"--name": "p", "--require": "hx-schema"},
        BUREAU,
        cases=(
            case("0", change={"--require": None}, error="POLICY_ID"),
            case(change={"--require": "nope"}, error=("--require", "no schema")),
            case(change={"--require": ("hx-schema", "hx-schema")}, error=("--require", "twice")),
            case(
                change={"--require": None, "--disqualify": ("hx-schema",) * 9},
                error=("--disqualify", "at most 8"),
            ),
            case(change={"--require": HUGE}, error=("--require", "out of range")),
        ),
    ),
    "records show": Spec(
        ("{record}",),
        cases=(
            case("{unknown_subject}", error=("TARGET", "neither a record nor")),
            case("0x" + "zz" * 32, error="TARGET"),
            case("{stranger}", error=("TARGET", "controls no identity")),
            case("{subject}", change={"--limit": "0"}, error="--limit"),
            case("{subject}", change={"--limit": "101"}, error="--limit"),
        ),
    ),
    "records check-policy": Spec(
        ("{subject}", "1"),
        cases=(
            case("{subject}", "999", error=("POLICY_ID", "not defined")),
            case("{subject}", "0", error="POLICY_ID"),
            case("{unknown_subject}", "999", error="not defined"),
        ),
    ),
    # ---------------------------------------------------------------- certificates
    "certificates mark": Spec(
        ("{schema}",),
        account=BUREAU,
        cases=(
            case("nope", error=("SCHEMA", "no schema named")),
            case("999", error=("SCHEMA", "does not exist")),
            case(HUGE, error=("SCHEMA", "out of range")),
            case("\u202e\u0000", error="SCHEMA"),
            case(change={"--account": TAX}, error="not authorised"),
        ),
    ),
    "certificates verify": Spec(
        ("{payload}",),
        cases=(
            case("", error=("PAYLOAD", "not a certificate payload")),
            case("https://example.org/licence", error=("PAYLOAD", "not a certificate payload")),
            case("CIVIC:2:1:" + "A" * 40 + ":" + "B" * 64 + ":" + "C" * 64, error="version 2"),
            case("CIVIC:1:0:" + "A" * 40 + ":" + "B" * 64 + ":" + "C" * 64, error="out of range"),
            case("CIVIC:1:1:" + "A" * 40 + ":" + "B" * 64 + ":" + "C" * 64, error="chain 1"),
            case(
                "CIVIC:1:{chain}:" + "A" * 40 + ":" + "B" * 64 + ":" + "C" * 64,
                error=("PAYLOAD", "forged or foreign"),
            ),
            case("\u202e\u0000" * 50, error="PAYLOAD"),
            case("A" * 100_000, error=("PAYLOAD", "100000 characters")),
        ),
    ),
    "certificates payload": Spec(
        ("{cert_record}",),
        {"--document": "text:hx-licence"},
        cases=(
            case("0x12", error="RECORD_ID"),
            case("0x" + "11" * 32, error=("RECORD_ID", "does not verify")),
            case("{record}", error=("RECORD_ID", "does not verify")),
            case(change={"--document": "text:forged"}, error="does not verify"),
            case(change={"--document": "0xnope"}, error="--document"),
            case(change={"--document": "@{tmp}/missing.pdf"}, error="--document"),
        ),
    ),
    "certificates qr": Spec(
        ("{cert_record}",),
        {"--document": "text:hx-licence", "--out": "{tmp}/licence.svg"},
        cases=(
            case("0x" + "11" * 32, error=("RECORD_ID", "does not verify")),
            case(change={"--document": "text:forged"}, error="does not verify"),
            case(change={"--out": "{tmp}"}, error="--out"),
            case(change={"--out": "{tmp}/no/such/dir/x.svg"}, error="--out"),
        ),
    ),
    # ---------------------------------------------------------------- titles
    "titles register": Spec(
        options={"--owner": "{subject}", "--code": "HX-NEW-1", "--document": "d", "--area": "10"},
        account=REGISTRAR,
        cases=(
            case(change={"--code": "HX-1"}, error="parcel"),
            case(change={"--code": ""}, error=("--code", "empty")),
            case(change={"--code": "X" * 65}, error="--code"),
            case(change={"--code": "bad code;drop"}, error="--code"),
            case(change={"--document": ""}, error=("--document", "empty")),
            case(change={"--owner": "{unknown_subject}"}, error="identity"),
            case(change=AS_OWNER, error="not authorised"),
            # parcel URIs are gone (the document is addressed by its hash)
            case(change={"--uri": "ipfs://x"}, error="--uri"),
            *subject_cases("--owner"),
        ),
    ),
    "titles show": Spec(("{parcel}",), cases=parcel_cases()),
    "titles history": Spec(("{parcel}",), cases=parcel_cases()),
    "titles propose": Spec(
        ("{parcel}",),
        {"--buyer": "{stranger}", "--price": "1", "--deed": "d"},
        OWNER,
        cases=(
            *amount_cases("--price", also=SELLER_BUYS),
            *parcel_cases(also=SELLER_BUYS),
            *subject_cases("--buyer"),
            case(change={**SELLER_BUYS, "--deed": ""}, error=("--deed", "empty")),
            case(change={**SELLER_BUYS, "--account": "TEST::16"}, error="owner identity"),
        ),
    ),
    "titles approve": unknown_id_spec(("1",), {}, REGISTRAR, "sale"),
    "titles cancel": unknown_id_spec(("1",), {}, OWNER, "sale"),
    "titles reject": unknown_id_spec(("1",), {"--evidence": "r"}, REGISTRAR, "sale"),
    "titles accept": Spec(
        ("{sale}",),
        account=BUYER,
        cases=(
            case("99999", error="sale 99999 does not exist"),
            case(change={"--encumbrance": "0x12"}, error=("--encumbrance", "64 hex digits")),
            case(change={"--encumbrance": ""}, error="--encumbrance"),
            case(change={"--encumbrance": "0x" + "zz" * 32}, error="--encumbrance"),
            # a state the buyer reviewed that is no longer the chain's: refused before sending
            case(change={"--encumbrance": "0x" + "11" * 32}, error="changed since you reviewed"),
            case("{sale_liened}", error=("cannot accept yet", "has not answered")),
            case(change=AS_OWNER, error="buyer"),  # the seller cannot accept
        ),
    ),
    "titles set-base-uri": Spec(
        ("https://land.city.example/parcels/",),
        account=ADMIN_ACCOUNT,
        cases=(
            case("u" * 257, error=("BASE_URI", "at most 256")),
            case("https://land\u00e9/" + "é" * 128, error=("BASE_URI", "bytes")),
            case("https://land/\x07", error=("BASE_URI", "control")),
            case("https://land/", change=AS_OWNER, error="not authorised"),
        ),
    ),
    "titles sale": unknown_id_spec(("1",), {}, None, "sale 99999 does not exist"),
    "titles split": Spec(
        ("{parcel}",),
        {"--child": ("HX-C1=250", "HX-C2=250"), "--survey": "s"},
        REGISTRAR,
        cases=(
            *parcel_cases(also={"--child": "A=1"}),
            case(change={"--child": "A"}, error=("--child", "CODE=AREA")),
            case(change={"--child": "A=-1"}, error="--child"),
            case(change={"--child": "A=" + HUGER}, error="--child"),
            case(change={"--child": "A=١٢"}, error="--child"),
            case(change={"--child": ("A=250", "A=250")}, error=("--child", "twice")),
            case(change={"--child": ("A B=250", "C=250")}, error="--child"),
            case(change={"--child": ("HX-C1=1", "HX-C2=1")}, error="area"),
            case(change=AS_OWNER, error="not authorised"),
        ),
    ),
    "titles merge": Spec(
        ("{parcel}", "HX-1"),  # {parcel} is HX-1
        {"--code": "HX-M", "--survey": "s"},
        REGISTRAR,
        cases=(
            case(error=("PARCELS", "twice")),
            case("{parcel}", "NOPE-404", error=("PARCELS", "not registered")),
            case("{parcel}", HUGER, error=("PARCELS", "256 bits")),
            case("{parcel}", "{parcel}", change={"--code": ""}, error="PARCELS"),
        ),
    ),
    "titles sync": Spec(("{parcel}",), account=REGISTRAR, cases=parcel_cases()),
    "titles import": Spec(
        ("{parcels_ok}",),
        account=REGISTRAR,
        cases=(
            case(
                "{parcels_bad}",
                change={"--journal": "{tmp}/j1.jsonl"},
                error=("parcels_bad.csv", "line 2", "data_hash", "nothing sent"),
            ),
            case(
                "{parcels_conflict}",
                change={"--journal": "{tmp}/j2.jsonl"},
                error=("parcels_conflict.csv", "line 2", "already registered", "nothing sent"),
            ),
            case(
                "{parcels_header_only}",
                change={"--journal": "{tmp}/j3.jsonl"},
                error="no rows to import",
            ),
            case(
                "{binary}", change={"--journal": "{tmp}/j4.jsonl"}, error=("binary.csv:1", "UTF-8")
            ),
            case(
                "{ids_ok}",
                change={"--journal": "{tmp}/j5.jsonl"},
                error=("ids_ok.csv:1", "cadastral_code"),
            ),
            *import_cases(max_batch=100),
            case(change={**AS_OWNER, "--journal": "{tmp}/j6.jsonl"}, error="not authorised"),
        ),
    ),
    "titles sample-csv": Spec(
        options={
            "--out": "{tmp}/sample.csv",
            "--count": "2",
            "--owners": "1",
            "--register-owners": True,
        },
        account=OFFICE,
        auto_account=False,
        cases=(
            case(change={**SAMPLE_ONLY, "--count": "0"}, error="--count"),
            case(change={**SAMPLE_ONLY, "--owners": "0"}, error="--owners"),
            case(change={**SAMPLE_ONLY, "--bad-rows": "-1"}, error="--bad-rows"),
            case(change={**SAMPLE_ONLY, "--out": "{tmp}"}, error="--out"),
            case(change={**SAMPLE_ONLY, "--encoding": "klingon"}, error="--encoding"),
            case(error="--account"),  # registering owners signs: no account given
        ),
    ),
    # ---------------------------------------------------------------- liens
    "liens add": Spec(
        ("{parcel}",),
        {"--holder": "{subject}", "--amount": "1", "--evidence": "e"},
        "TEST::16",
        cases=(
            *amount_cases("--amount"),
            *parcel_cases(),
            *subject_cases("--holder"),
            case(change={"--evidence": ""}, error=("--evidence", "empty")),
        ),
    ),
    "liens consent": Spec(
        ("1",),
        account=OWNER,
        cases=(
            case("99999", error="lien"),
            case(change={"--sale": HUGE}, error="--sale"),
        ),
    ),
    "liens release": Spec(
        ("1",),
        account=OWNER,
        cases=(
            case("99999", error="lien"),
            case(change={"--evidence": "", "--account": REGISTRAR}, error=("--evidence", "empty")),
            case(change={"--order": "", "--account": REGISTRAR}, error=("--evidence", "empty")),
        ),
    ),
    "liens withdraw": unknown_id_spec(("1",), {}, OWNER, "lien"),
    "liens list": Spec(("{parcel}",), cases=parcel_cases()),
    # ---------------------------------------------------------------- report
    "report events": Spec(
        ("RecordIssued",),
        {"--out": "{tmp}/report.csv"},
        cases=(
            case("Nope", error=("EVENTS", "no event named 'Nope'")),
            case(",", error=("EVENTS", "no event names")),
            case("💥", error=("EVENTS", "no event named")),
            case(change={"--from": "yesterday"}, error=("--from", "YYYY-MM-DD")),
            case(change={"--from": "9" * 30}, error=("--from", "out of range")),
            case(change={"--to": "2031-02-30"}, error="--to"),
            case(change={"--from": "5", "--to": "4"}, error=("--to", "before --from")),
            case(change={"--format": "pdf"}, error="--format"),
            case(change={"--out": "{tmp}/report.txt"}, error=("--out", "--format")),
            case(change={"--out": "{tmp}"}, error="--out"),
            case(change={"--encoding": "klingon"}, error="--encoding"),
        ),
    ),
    # ---------------------------------------------------------------- gateway
    "gateway index": Spec(
        (),
        {"--database": "{tmp}/gateway.sqlite"},
        cases=(
            case(change={"--database": "mysql://db/city"}, error=("mysql", "SQLite or PostgreSQL")),
            case(change={"--confirmations": "-1"}, error="--confirmations"),
            case(change={"--log-span": "0"}, error="--log-span"),
            case(change={"--interval": "0"}, error="--interval"),
        ),
    ),
    "gateway status": Spec(
        (),
        {"--database": "{tmp}/gateway-status.sqlite"},
        cases=(
            case(error=("no gateway database", "gateway-status.sqlite", "gateway index")),
            case(change={"--database": "{tmp}"}, error="no gateway database"),
            case(change={"--database": "ftp://db"}, error=("ftp", "SQLite or PostgreSQL")),
        ),
    ),
    "gateway serve": Spec(
        (),
        {"--database": "{tmp}/gateway-serve.sqlite", "--no-follow": True},
        cases=(
            case(error=("no gateway database", "gateway index")),
            case(change={"--port": "70000"}, error="--port"),
            case(change={"--documents": "{data_consent}"}, error=("--documents", "is a file")),
        ),
    ),
    # ---------------------------------------------------------------- tax
    "tax assess": Spec(
        ("{parcel}",),
        {"--year": "2030", "--amount": "1", "--due": "2031-01-01"},
        TAX,
        cases=(
            *amount_cases("--amount"),
            *parcel_cases(),
            case(change={"--due": "soon"}, error="--due"),
            case(change={"--due": HUGE}, error=("--due", "too far")),
            case(change={"--due": "2020-01-01"}, error=("--due", "not in the future")),
            case(change={"--due": "2031-02-30"}, error="--due"),
            case(change={"--year": "70000"}, error="--year"),
            case(change=AS_OWNER, error="not authorised"),
        ),
    ),
    "tax import": Spec(
        ("{roll_ok}",),
        {"--journal": "{tmp}/jt.jsonl"},
        TAX,
        cases=(
            case("{roll_bad}", error=("roll_bad.csv", "line 2", "due date", "nothing sent")),
            case("{roll_no_parcel}", error=("roll_no_parcel.csv", "line 2", "not an active")),
            case("{roll_header_only}", error=("roll_header_only.csv", "no rows to import")),
            case("{binary}", error=("binary.csv:1", "UTF-8")),
            case("{ids_ok}", error=("ids_ok.csv:1", "parcel")),
            *import_cases(max_batch=1),
            case(change=AS_OWNER, error="not authorised"),
        ),
    ),
    "tax pay": Spec(
        ("{parcel}",),
        {"--year": "2030"},
        OWNER,
        cases=(
            *parcel_cases(),
            case(change={"--year": "1999"}, error="no assessment"),
            case(change={"--year": "0"}, error="--year"),
        ),
    ),
    "tax void": Spec(
        ("{parcel}",),
        {"--year": "2030", "--evidence": "r"},
        TAX,
        cases=(
            *parcel_cases(),
            case(change={"--evidence": ""}, error=("--evidence", "empty")),
            case(change={"--year": "1999"}, error="assessment"),
        ),
    ),
    "tax status": Spec(
        ("{parcel}",),
        cases=(*parcel_cases(), case(change={"--year": "1048576"}, error="--year")),
    ),
    # ---------------------------------------------------------------- fund
    "fund round-create": Spec(
        options={
            "--name": "r",
            "--kind": "rent",
            "--policy": "1",
            "--budget": "1",
            "--closes": "7d",
            "--decide-by": "14d",
        },
        account=FUND,
        cases=(
            *amount_cases("--budget"),
            case(change={"--kind": "loan"}, error="--kind"),
            case(change={"--closes": "9" * 30 + "d"}, error=("--closes", "out of range")),
            case(change={"--decide-by": "next week"}, error="--decide-by"),
            case(change={"--opens": "99999999999999999999999"}, error="--opens"),
            case(change={"--closes": "14d", "--decide-by": "7d"}, error="deadline"),
            case(change=AS_OWNER, error="not authorised"),
        ),
    ),
    "fund fund": Spec(
        ("1",),
        {"--amount": "1"},
        TREASURER,
        cases=(*amount_cases("--amount"), case("99999", error="round")),
    ),
    "fund apply": Spec(
        ("1",),
        {"--proposal": "p", "--milestone": "1@30d"},
        "TEST::16",
        cases=(
            case("99999", error="round"),
            case(change={"--milestone": "NaN@30d"}, error=("--milestone", "finite")),
            case(
                change={"--milestone": "1@" + "9" * 30 + "d"}, error=("--milestone", "out of range")
            ),
            case(change={"--milestone": "1"}, error=("--milestone", "AMOUNT@DUE")),
            case(change={"--proposal": ""}, error=("--proposal", "empty")),
            case(change={**RENT_APPLICATION, "--months": "0"}, error="--months"),
            case(change={**RENT_APPLICATION, "--lease": "  "}, error=("--lease", "empty")),
        ),
    ),
    "fund vote": Spec(
        ("1",),
        {"--approve": True},
        MEMBER,
        cases=(
            case("99999", error="application"),
            case(change={"--approve": None}, error=("Missing option", "--approve")),
        ),
    ),
    "fund award": unknown_id_spec(("1",), {}, MEMBER, "application"),
    "fund milestone-submit": unknown_id_spec(("1", "0"), {"--evidence": "e"}, OWNER, "application"),
    "fund milestone-approve": unknown_id_spec(("1", "0"), {}, MEMBER, "application"),
    "fund milestone-pay": unknown_id_spec(("1", "0"), {}, MEMBER, "application"),
    "fund pay-rent": unknown_id_spec(("1",), {}, MEMBER, "application"),
    "fund rent-checkin": unknown_id_spec(("1",), {}, MEMBER, "application"),
    "fund clawback": unknown_id_spec(("1",), {"--evidence": "r"}, MEMBER, "application"),
    "fund close": unknown_id_spec(("1",), {}, FUND, "round"),
    "fund sweep": unknown_id_spec(("1",), {}, FUND, "round"),
    "access pending": Spec(),
    "access cancel-upgrade": Spec(
        ("TitleRegistry",),
        account=GUARDIAN,
        cases=(
            case("NoSuchContract", error=("NoSuchContract", "not an upgradeable contract")),
            case("CityAccessManager", error="not an upgradeable contract"),
            case(error=("no upgrade of TitleRegistry", "scheduled")),
            case(change={"--to": "0x" + "12" * 20}, error="no upgrade of TitleRegistry"),
            case(change={"--to": "0xnope"}, error="--to"),
        ),
    ),
    "access roles": Spec(),
    "access members": Spec(
        ("TREASURER",),
        cases=(
            case("NOPE", error=("ROLE", "unknown role")),
            case(HUGER, error=("ROLE", "64 bits")),
            case("", error=("ROLE", "unknown role")),
        ),
    ),
    "access grant": Spec(
        ("TREASURER", "{stranger}"),
        account=ADMIN_ACCOUNT,
        cases=(
            case("NOPE", "{stranger}", error="unknown role"),
            case("TREASURER", "0xnope", error="ACCOUNT"),
            case("PUBLIC", "{stranger}", error="PUBLIC"),
            case(change=AS_OWNER, error="may not grant TREASURER"),
            case(change={"--execution-delay": "-1"}, error="--execution-delay"),
            case(change={"--execution-delay": HUGE}, error="--execution-delay"),
        ),
    ),
    "access revoke": Spec(
        ("TREASURER", "{stranger}"),
        account=ADMIN_ACCOUNT,
        cases=(
            case(error="does not hold TREASURER"),
            case("NOPE", "{stranger}", error="unknown role"),
            case("TREASURER", "0x12", error="ACCOUNT"),
        ),
    ),
    "access schedule": Spec(
        ("CityToken", "mint(address,uint256)", "{stranger}", "1"),
        account=TREASURER,
        cases=(
            case(error="no delay applies"),
            case(
                "Nope",
                "mint(address,uint256)",
                "{stranger}",
                "1",
                error="not a contract of this deployment",
            ),
            case("CityToken", "mint(address)", "{stranger}", error="not a function of CityToken"),
            case("CityToken", "mint(address,uint256)", "{stranger}", error="takes 2 argument"),
            case("CityToken", "mint(address,uint256)", "0xnope", "1", error="not an address"),
            case(
                "CityToken",
                "mint(address,uint256)",
                "{stranger}",
                "ünï",
                error=("argument 2", "not a whole number"),
            ),
        ),
    ),
    "access execute": Spec(
        ("0x" + "ab" * 32,),
        account=ADMIN_ACCOUNT,
        cases=(case(error="not an operation waiting"), case("junk", error="not an operation")),
    ),
    "access cancel": Spec(
        ("0x" + "ab" * 32,),
        account=GUARDIAN,
        cases=(case(error="not an operation waiting"), case("", error="not an operation")),
    ),
    # ---------------------------------------------------------------- safe
    "safe propose": Spec(
        ("grant-role", "TREASURER", "{stranger}"),
        {"--out": "{tmp}/never-written.json"},
        cases=(
            case(error="not a Safe"),  # the session suite's admin is the deployer
            case("grant-role", "NOPE", "{stranger}", error="ROLE"),
            case("grant-role", "", "{stranger}", error="ROLE"),
            case("grant-role", "PUBLIC", "{stranger}", error=("ROLE", "PUBLIC")),
            case("revoke-role", HUGE, "{stranger}", error=("ROLE", "64 bits")),
            case("grant-role", "TREASURER", "0xnope", error="ADDRESS"),
            case("grant-role", "TREASURER", error=("ARGS", "ROLE ADDRESS")),
            case("unpause", "Nope", error=("CONTRACT", "not a contract")),
            case("unpause", "CityAccessManager", error=("CONTRACT", "cannot be paused")),
            case("unpause", error=("ARGS", "CONTRACT")),
            case("call", "TitleRegistry", "nope(uint256)", "1", error="FUNCTION/ARGS"),
            case("call", "TitleRegistry", error="ARGS"),
            case("explode", error="OPERATION"),
            case("💥", error="OPERATION"),
            case(change={"--out": "{tmp}"}, error="--out"),
        ),
    ),
    "safe sign": Spec(
        ("{safe_proposal}",),
        account="TEST::16",
        cases=(
            case(error="not a Safe"),
            case("{safe_edited}", error=("PROPOSAL", "does not match")),
            case("{signed_junk}", error=("PROPOSAL", "not a Safe proposal")),
            case("{binary}", error=("PROPOSAL", "not a Safe proposal")),
            case("{safe_signature}", error=("PROPOSAL", "not a Safe proposal")),
            case("{tmp}/nope.json", error="PROPOSAL"),
        ),
    ),
    "safe status": Spec(
        ("{safe_proposal}",),
        cases=(
            case(error="not a Safe"),
            case("{safe_proposal}", "{binary}", error=("SIGFILES", "not a Safe signature")),
            case("{safe_proposal}", "{safe_proposal}", error=("SIGFILES", "not a Safe signature")),
            case("{safe_edited}", error=("PROPOSAL", "does not match")),
            case("{tmp}/nope.json", error="PROPOSAL"),
        ),
    ),
    "safe execute": Spec(
        ("{safe_proposal}", "{safe_signature}"),
        account="TEST::19",
        cases=(
            case(error="not a Safe"),
            case("{safe_proposal}", "{signed_junk}", error=("SIGFILES", "not a Safe signature")),
            case("{safe_signature}", error=("PROPOSAL", "not a Safe proposal")),
            case("{safe_edited}", "{safe_signature}", error=("PROPOSAL", "does not match")),
            case("{safe_proposal}", "{tmp}/nope.json", error="SIGFILES"),
        ),
    ),
    # ---------------------------------------------------------------- token
    "token balance": Spec(
        ("{stranger}",),
        cases=(case("0xnope", error="ADDRESS"), case(HUGE, error="ADDRESS")),
    ),
    "token mint": Spec(
        ("{stranger}",),
        {"--amount": "5"},
        account=TREASURER,
        cases=(
            *amount_cases("--amount"),
            case(change={"--amount": "0"}, error=("--amount", "more than 0")),
            case("0xnope", error="TO"),
            case(change=AS_OWNER, error="not authorised"),
        ),
    ),
    "token transfer": Spec(
        ("{stranger}",),
        {"--amount": "5"},
        account=OWNER,
        cases=(
            *amount_cases("--amount"),
            case(change={"--amount": "10000000000"}, error="less than"),
            case("0xnope", error="TO"),
        ),
    ),
    "fund pause": Spec(account=GUARDIAN, cases=(case(change=AS_OWNER, error="not authorised"),)),
    "fund unpause": Spec(account=GUARDIAN, cases=(case(error="authorised"),)),
    "fund status": unknown_id_spec(("1",), {}, None, "round"),
    "fund rent-due": unknown_id_spec(("1",), {}, None, "application"),
    "fund conflict-set": Spec(
        ("{subject}", "{subject}"),
        account=FUND,
        cases=(
            case("0xzz", "{subject}", error=("MEMBER", "neither")),
            case("{stranger}", "{subject}", error=("MEMBER", "controls no identity")),
            case("{subject}", "ünïcode", error=("SUBJECT", "neither")),
            case("{subject}", "0x" + "00" * 32, error="zero hash"),
            case(change=AS_OWNER, error="not authorised"),
        ),
    ),
    "fund conflict-declare": Spec(
        ("{subject}",),
        account=MEMBER,
        cases=(
            case("0x12", error=("SUBJECT", "neither")),
            case("{stranger}", error=("SUBJECT", "controls no identity")),
            case(change=AS_OWNER, error="committee member"),
            # the hostile world's committee member controls no identity: it may not act
            case(error="controls no Active identity"),
        ),
    ),
    # ---------------------------------------------------------------- data (issue #16)
    "data resource-register": Spec(
        options={
            "--owner": "REGISTRAR",
            "--sharing": "open",
            "--mandate": "m",
            "--description": "d",
            "--schema": "s",
        },
        account=REGISTRAR,
        cases=(
            case(change={"--owner": "PUBLIC"}, error=("owner role", "not an agency role")),
            case(change={"--owner": "NOPE"}, error=("--owner", "unknown role")),
            case(change={"--owner": "TAX_ASSESSOR"}, error="does not hold agency role"),
            case(change={"--sharing": "secret"}, error="--sharing"),
            case(change={"--deletion-period": "91d"}, error=("deletion period", "out of range")),
            case(change={"--deletion-period": "soon"}, error=("--deletion-period", "duration")),
            case(change={"--deletion-period": "0"}, error=("--deletion-period", "positive")),
            case(change={"--mandate": ""}, error=("--mandate", "empty")),
            case(change={"--schema": ZERO_HASH}, error=("schema hash", "required")),
            case(change=AS_OWNER, error="not authorised"),
        ),
    ),
    "data resource-version": Spec(
        ("{data_resource}",),
        {"--schema": "s2"},
        REGISTRAR,
        cases=(
            case("99999", error="no resource"),
            case(change={"--schema": ""}, error=("--schema", "empty")),
            case(change={"--content": "0xab"}, error="--content"),
            case(change=AS_OWNER, error="not authorised"),
        ),
    ),
    "data resource-retire": Spec(
        ("{data_resource}",),
        account=REGISTRAR,
        cases=(
            case("99999", error="no resource"),
            case(change={"--evidence": ""}, error=("--evidence", "empty")),
            case(change={"--reason": ""}, error=("--evidence", "empty")),  # former name
            case(change={"--evidence": "a", "--reason": "b"}, error="--evidence only"),
            case(change=AS_OWNER, error="not authorised"),
        ),
    ),
    "data resource-show": Spec(
        ("{data_resource}",), cases=(case("99999", error="does not exist"),)
    ),
    "data resource-list": Spec(),
    "data consent-sign": Spec(
        ("{data_personal}",),
        {
            "--subject": "{subject}",
            "--recipient": "TAX_ASSESSOR",
            "--purpose": "7",
            "--out": "{tmp}/consent-signed.json",
        },
        OWNER,
        cases=(
            case(change=AS_STRANGER, error="not the controller"),
            case("99999", error="does not exist"),
            case(change={"--subject": "ünï"}, error=("--subject", "neither")),
            case(change={"--subject": "{stranger}"}, error=("--subject", "controls no identity")),
            case(change={"--recipient": "PUBLIC"}, error="not an agency role"),
            case(change={"--expires": "0"}, error=("--expires", "positive")),
            case(change={"--expires": "9" * 30 + "d"}, error=("expiry", "out of range")),
            case(change={"--out": "{tmp}"}, error="--out"),
        ),
    ),
    "data consent-revoke": Spec(
        ("{data_consent}",),
        account=OWNER,
        cases=(
            case(change=AS_STRANGER, error="not the active controller"),
            case("{signed_junk}", error=("CONSENT_FILE", "not a consent file")),
            case("{binary}", error=("CONSENT_FILE", "not a consent file")),
            case("{safe_proposal}", error=("CONSENT_FILE", "not a consent file")),
            case("{tmp}/nope.json", error="CONSENT_FILE"),
        ),
    ),
    "data request": Spec(
        ("{data_resource}",),
        {"--as": "TAX_ASSESSOR", "--purpose": "7"},
        TAX,
        cases=(
            case("99999", error="does not exist"),
            case(change={"--as": "PUBLIC"}, error="not an agency role"),
            case(change={"--as": "REGISTRAR"}, error="does not hold agency role"),
            case(change={"--duration": "366d"}, error=("duration", "out of range")),
            case(change={"--duration": "never"}, error=("--duration", "duration")),
            case(change={"--fields": "a;b"}, error=("--fields", "neither")),
            case(change={"--legal-basis": ""}, error=("--legal-basis", "empty")),
            case(change={"--consent": "{data_consent}", "--exemption": "1"}, error="not both"),
            case(change={"--exemption": "1"}, error="need --subject"),
            case(change={"--subject": "ünï"}, error=("--subject", "neither")),
            case(
                "{data_personal}",
                change={"--subject": "{subject}", "--consent": "{signed_junk}"},
                error=("--consent", "not a consent file"),
            ),
            case(change={"--subject": "{subject}"}, error=("--subject", "no personal data")),
            case(change=AS_OWNER, error="not authorised"),
        ),
    ),
    "data approve": unknown_id_spec(("1",), {}, REGISTRAR, "no request"),
    "data deny": Spec(
        ("1",),
        {"--reason": "3"},
        REGISTRAR,
        cases=(
            case("99999", error="no request"),
            case(change={"--reason": "0"}, error="--reason"),
            case(change=AS_OWNER, error="not authorised"),
        ),
    ),
    "data grant-revoke": Spec(
        ("{data_grant}",),
        {"--reason": "3"},
        REGISTRAR,
        cases=(
            case("99999", error="no request"),
            case(change={"--reason": "70000"}, error="--reason"),
            case(change=AS_OWNER, error="not authorised"),
        ),
    ),
    "data grant-show": Spec(("{data_grant}",), cases=(case("99999", error="does not exist"),)),
    "data exemption-record": Spec(
        ("{data_personal}",),
        {
            "--subject": "{subject}",
            "--recipient": "TAX_ASSESSOR",
            "--purpose": "7",
            "--legal-basis": "law",
        },
        TAX,
        cases=(
            case("99999", error="no resource"),
            case(change={"--legal-basis": ""}, error=("--legal-basis", "empty")),
            case(change={"--legal-basis": ZERO_HASH}, error=("legal-basis hash", "required")),
            case(change={"--recipient": "REGISTRAR"}, error="does not hold agency role"),
            case(change={"--subject": "0x12"}, error=("--subject", "neither")),
            case(change={"--expires": "never"}, error="--expires"),
            case(change=AS_OWNER, error="not authorised"),
        ),
    ),
    "data exemption-dispute": Spec(
        ("1",),
        account=OWNER,
        cases=(
            case("99999", error="no exemption"),
            case(change={"--evidence": ""}, error=("--evidence", "empty")),
        ),
    ),
    "data exemption-rule": Spec(
        ("1",),
        {"--uphold": True, "--evidence": "r"},
        "TEST::6",
        cases=(
            case("99999", error="no exemption"),
            case(change={"--evidence": ""}, error=("--evidence", "empty")),
            case(change={"--evidence": None, "--ruling": ""}, error="--evidence"),  # former
            case(change={"--evidence": None}, error=("Missing option", "--evidence")),
            case(change={"--uphold": None}, error="--uphold"),
            case(change=AS_OWNER, error="not authorised"),
        ),
    ),
    "data receipts-record": Spec(
        ("{data_grant}",),
        {"--payload": "p", "--store": "{tmp}/receipts"},
        cases=(
            case("99999", error="does not exist"),
            case(change={"--payload": ""}, error=("--payload", "empty")),
            case(change={"--payload": ZERO_HASH}, error="payload's hash"),
            case(change={"--store": "{ids_ok}"}, error=("--store", "not a directory")),
        ),
    ),
    "data receipts-anchor": Spec(
        options={"--as": "REGISTRAR", "--store": "{tmp}/empty-store"},
        account=REGISTRAR,
        cases=(
            case(error="no pending receipts"),
            case(change={"--store": "{ids_ok}"}, error=("--store", "not a directory")),
            case(change={"--as": "NOPE"}, error="--as"),
            case(change={"--max-batch": "0"}, error="--max-batch"),
        ),
    ),
    "data receipts-verify": Spec(
        ("0x" + "ab" * 32,),
        {"--store": "{tmp}/receipts"},
        cases=(
            case(error="no receipt"),
            case("junk", error="LEAF"),
            case("0x" + "ab" * 31, error="LEAF"),
            case(change={"--store": "{ids_ok}"}, error=("--store", "not a directory")),
        ),
    ),
    "data receipts-list": Spec(
        options={"--subject": "{subject}", "--store": "{tmp}/receipts"},
        cases=(
            case(change={"--subject": "ünï"}, error=("--subject", "neither")),
            case(change={"--subject": "{stranger}"}, error=("--subject", "controls no identity")),
            case(change={"--store": "{ids_ok}"}, error=("--store", "not a directory")),
        ),
    ),
    "data receipts-publish": Spec(
        options={"--gateway": "http://127.0.0.1:9", "--store": "{tmp}/anchored-store"},
        account=REGISTRAR,
        cases=(
            case(error=("cannot reach the gateway", "http://127.0.0.1:9")),
            case(change={"--gateway": "not-a-url"}, error=("--gateway", "not a gateway address")),
            case(change={"--gateway": "ftp://example.org"}, error="--gateway"),
            case(change={"--gateway": "http://127.0.0.1:9/?x=1"}, error="--gateway"),
            case(change={"--gateway": ""}, error="--gateway"),
            case(change={"--store": "{ids_ok}"}, error=("--store", "not a directory")),
            case(change={"--store": "{tmp}/empty-publish-store"}, error="no anchored batch"),
            case(change={"--store": "{tmp}/sealed-store"}, error="not anchored on chain"),
            case("{data_sealed_root}", error="no batch"),  # not in the anchored store
            case("0x" + "ab" * 32, error="no batch"),
            case("junk", error="ROOT"),
            case("0x" + "ab" * 31, error="ROOT"),
        ),
    ),
    "data deletion-ask": Spec(
        ("{data_grant}",),
        account=REGISTRAR,
        cases=(
            case("99999", error="no request"),
            case(change=AS_OWNER, error="may not ask for deletion"),
            case(change={"--evidence": ""}, error=("--evidence", "empty")),
            case(change={"--reason": ""}, error=("--evidence", "empty")),  # former name
        ),
    ),
    "data deletion-confirm": Spec(
        ("{data_grant}",),
        account=TAX,
        cases=(
            case(error="no open deletion"),
            case(change={"--evidence": ""}, error=("--evidence", "empty")),
            case(change=AS_OWNER, error="not authorised"),
        ),
    ),
    "data deletion-status": Spec(("{data_grant}",), cases=(case("99999", error="does not exist"),)),
}


# ------------------------------------------------------------------------------ generated cases


def _signs(command: click.Command) -> bool:
    return any(p.name == "account_alias" for p in command.params)


ACCOUNT_CASES: list[tuple[str, tuple[str, ...]]] = [
    ("nobody-here", ("--account", "no ape account named 'nobody-here'")),
    ("", ("--account", "empty")),
    ("   ", ("--account", "empty")),
    ("0x" + "4c" * 32, ("--account", "not a private key")),
    ("TEST::999", ("--account", "999 does not exist")),
    ("TEST::one", ("--account", "TEST::<number>")),
    ("test::-1", ("--account", "TEST::<number>")),
    (LOCKED_ALIAS, (LOCKED_ALIAS, "locked", "CIVIC_PASSPHRASE")),
]


def _manifest_variants(path: Path, tmp: Path) -> list[tuple[str, Path, tuple[str, ...]]]:
    good = json.loads(path.read_text())
    variants: list[tuple[str, Path, tuple[str, ...]]] = []

    def write(name: str, content: str | dict[str, Any]) -> Path:
        target = tmp / f"{name}.json"
        target.write_text(content if isinstance(content, str) else json.dumps(content))
        return target

    variants.append(("missing", tmp / "absent.json", ("no deployment manifest",)))
    variants.append(("not-json", write("broken", '{"version": 1,'), ("not valid json",)))
    variants.append(("not-object", write("array", "[1, 2]"), ("not a manifest",)))
    variants.append(("no-chain-id", write("nochain", {**good, "chain_id": None}), ("chain_id",)))
    variants.append(
        ("wrong-chain", write("chain", {**good, "chain_id": 424242}), ("424242", "--network"))
    )
    variants.append(
        (
            "wrong-genesis",
            write("genesis", {**good, "genesis_hash": "0x" + "ab" * 32}),
            ("genesis",),
        )
    )
    stale = {
        **good,
        "contracts": {
            name: {**entry, "address": "0x" + f"{i + 1:040x}"}
            for i, (name, entry) in enumerate(good["contracts"].items())
        },
    }
    variants.append(("stale", write("stale", stale), ("stale", "ape run deploy")))
    binary = tmp / "binary.json"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xff")
    variants.append(("binary", binary, ("not utf-8",)))
    return variants


def _int_params(command: click.Command) -> list[click.Parameter]:
    return [
        p
        for p in command.params
        if isinstance(p.type, click.types.IntParamType) and p.name not in ("seed",)
    ]


def _address_params(command: click.Command) -> list[click.Parameter]:
    return [p for p in command.params if getattr(p.type, "name", "") == "address"]


def _replace_param(
    command: click.Command, args: list[str], param: click.Parameter, value: str
) -> list[str]:
    """`args` with `param` set to `value`: an option is appended (the last one wins), a
    positional argument is replaced in place."""
    if isinstance(param, click.Option):
        return [*args, f"{param.opts[0]}={value}"]
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    takes_value = {
        opt
        for o in command.params
        if isinstance(o, click.Option) and not o.is_flag
        for opt in o.opts
    }
    positions: list[int] = []
    skip = False
    for i, arg in enumerate(args):
        if skip:
            skip = False
        elif arg.startswith("--"):
            skip = arg in takes_value
        else:
            positions.append(i)
    out = list(args)
    out[positions[arguments.index(param)]] = value
    return out


INT_JUNK = ["abc", "1.5", HUGE, HUGER, "", "0x10", "-1", "1e3"]
ADDRESS_JUNK = [
    "0xnothex",
    "0x" + "1" * 39,
    "",
    "0xcd3b766CCDd6AE721141F452C550Ca635964ce71",  # EIP-55 checksum broken (one letter)
    "11" * 20 + "ab",
    "0x" + "11" * 20 + "\u200b",
]


# ------------------------------------------------------------------------------ the tests


def test_every_command_has_hostile_cases() -> None:
    commands = all_commands()
    missing = sorted(set(commands) - set(SPECS))
    assert not missing, f"commands without a hostile case table: {missing}"
    unknown = sorted(set(SPECS) - set(commands))
    assert not unknown, f"case tables for commands that no longer exist: {unknown}"
    assert len(commands) >= 50


def _run(
    refuse: Refuser, world: World, key: str, args: list[str], names: Any, kind: str, **kwargs: Any
) -> str:
    return refuse(all_commands()[key], world.fill(args), names=names, kind=kind, **kwargs)


@pytest.mark.parametrize("key", sorted(SPECS))
def test_command_own_cases(key: str, refuse: Refuser, world: World) -> None:
    spec = SPECS[key]
    for hostile in spec.cases:
        _run(refuse, world, key, spec.invocation(hostile), hostile.error, "command-specific")


@pytest.mark.parametrize("key", sorted(SPECS))
def test_wrong_types(key: str, refuse: Refuser, world: World) -> None:
    spec, command = SPECS[key], all_commands()[key]
    base = spec.baseline(spec.account)
    for param in _int_params(command):
        hint = param.opts[0] if isinstance(param, click.Option) else param.name.upper()
        for value in INT_JUNK:
            if isinstance(param, click.Argument) and value.startswith("-"):
                continue
            args = _replace_param(command, base, param, value)
            _run(refuse, world, key, args, (hint,), "wrong-type-int")
    for param in _address_params(command):
        for value in ADDRESS_JUNK:
            args = _replace_param(command, base, param, value)
            _run(refuse, world, key, args, (param.opts[0], "not an address"), "wrong-type-address")


@pytest.mark.parametrize("key", sorted(k for k, s in SPECS.items() if s.account))
def test_wrong_or_locked_account(key: str, refuse: Refuser, world: World) -> None:
    spec = SPECS[key]
    for alias, names in ACCOUNT_CASES:
        _run(refuse, world, key, spec.baseline(alias), names, "account")


@pytest.mark.parametrize("key", sorted(SPECS))
def test_wrong_network_or_manifest(key: str, refuse: Refuser, world: World, tmp_path: Path) -> None:
    spec = SPECS[key]
    args = spec.baseline(spec.account)
    for _, path, names in _manifest_variants(refuse.manifest, tmp_path):
        _run(refuse, world, key, args, names, "manifest/network", manifest=path)


def test_wrong_passphrase_is_one_line(refuse: Refuser, world: World) -> None:
    line = _run(
        refuse,
        world,
        "fund pause",
        ["--account", LOCKED_ALIAS],
        ("cannot unlock", LOCKED_ALIAS),
        "account",
        env={"CIVIC_PASSPHRASE": "not-the-passphrase"},
    )
    assert "check the passphrase" in line


def test_baselines_reach_the_chain(refuse: Refuser, world: World, suite: Any) -> None:
    """The case tables' base arguments are otherwise acceptable: a few read-only commands
    succeed with them (so the refusals above are about the hostile part)."""
    for key in ("identity show", "titles show", "records show", "records schemas", "liens list"):
        args = world.fill(SPECS[key].baseline())
        outcome = invoke(all_commands()[key], [*args, "--manifest", str(refuse.manifest)])
        assert outcome.exit_code == 0, f"{key}: {outcome.output}"


def test_sign_challenge_signs_what_the_gateway_checks(refuse: Refuser, world: World) -> None:
    """The baseline of `identity sign-challenge` succeeds: its signature recovers to the
    controller over the exact challenge text (what the gateway's session check recovers)."""
    from eth_account import Account
    from eth_account.messages import encode_defunct

    args = world.fill(SPECS["identity sign-challenge"].baseline(OWNER))
    outcome = invoke(
        all_commands()["identity sign-challenge"], [*args, "--manifest", str(refuse.manifest)]
    )
    assert outcome.exit_code == 0, outcome.stderr
    signature = outcome.stdout.strip().splitlines()[-1]
    text = world.files["challenge_ok"].read_text()
    signer = Account.recover_message(encode_defunct(text=text), signature=signature)
    assert signer.lower() == world.controller.lower()
