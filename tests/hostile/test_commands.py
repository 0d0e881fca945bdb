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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import pytest

from civic_ledger.core.commitments import make_salt
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
        agency["land_registry"],
        subject,
        "HX-1",
        b"\x11" * 32,
        500,
        1,
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
    record, _ = rec_client.issue(
        registry,
        rec_client.RecordRequest(
            schema_id, subject, data=rec_client.encode_data("uint16 year", {"year": 2025})
        ),
        sender=agency["tax_bureau"],
    )
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
    return w


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
            titles, agency["land_registry"], seller, code, b"\x44" * 32, 100, 1
        )
        if code == "HX-SALE-LIEN":
            suite["LienRegistry"].recordLienByOrder(
                pid, buyer, 1, b"\x55" * 32, sender=agency["land_registry"]
            )
        sales.append(title_client.propose(titles, seller_wallet, pid, buyer, 1, b"\x66" * 32))
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
        "signed_junk": "{not json",
        "signed_list": "[1, 2, 3]",
        "signed_partial": json.dumps({"schemaId": 1}),
        "binary": "",
    }
    paths = {}
    for name, text in files.items():
        path = tmp / f"{name}.csv"
        path.write_text(text)
        paths[name] = path
    paths["binary"].write_bytes(b"\xff\xfe\x00garbage\x80\n")
    return paths


# ------------------------------------------------------------------------------ case tables


@dataclass(frozen=True)
class Spec:
    """How to reach a command's checks: `args` are click-valid arguments (placeholders filled
    from the World) that get past parsing; `account` the alias that would be entitled to sign.
    `cases` are (args, words the error line must contain); args replace `args` entirely."""

    args: tuple[str, ...] = ()
    account: str | None = None
    cases: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()
    auto_account: bool = True  # add `--account <account>` to cases that give none


def C(*args: str, names: str | tuple[str, ...] = ()) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return tuple(args), (names,) if isinstance(names, str) else names


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


def amount_cases(
    prefix: tuple[str, ...], option: str, suffix: tuple[str, ...] = ()
) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    return tuple(C(*prefix, option, v, *suffix, names=(option, why)) for v, why in AMOUNT_JUNK)


PARCEL_JUNK = [
    ("NOPE-404", "not registered"),
    (HUGER, "256 bits"),
    ("", "empty parcel"),
    ("💥💥", "not registered"),
]


def parcel_cases(
    before: tuple[str, ...], after: tuple[str, ...], hint: str = "PARCEL"
) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    return tuple(C(*before, v, *after, names=(hint, why)) for v, why in PARCEL_JUNK)


def subject_cases(
    option: str, before: tuple[str, ...], after: tuple[str, ...]
) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    return (
        C(*before, option, "0xzz", *after, names=(option, "neither")),
        C(*before, option, "{stranger}", *after, names=(option, "controls no identity")),
        C(*before, option, "ünïcode", *after, names=(option, "neither")),
    )


SPECS: dict[str, Spec] = {
    # ---------------------------------------------------------------- identity
    "identity commitment": Spec(
        ("--official-id", "X-1", "--salt", "0x" + "11" * 32),
        cases=(
            C("--official-id", "X", "--salt", "0x12", names=("--salt", "32 bytes")),
            C("--official-id", "X", "--salt", "zz" * 32, names=("--salt", "hexadecimal")),
            C("--official-id", "   ", "--salt", "0x" + "11" * 32, names=("--official-id", "empty")),
            C("--official-id", "X", "--salt", "", names=("--salt",)),
        ),
    ),
    "identity register": Spec(
        ("--official-id", "HX-R-1", "--controller", "0x" + "61" * 20, "--salts-out", "{tmp}/r.csv"),
        OFFICE,
        cases=(
            C(
                "--official-id",
                "",
                "--controller",
                "0x" + "61" * 20,
                "--salts-out",
                "{tmp}/r.csv",
                names=("empty",),
            ),
            C(
                "--official-id",
                "HX-R-2",
                "--controller",
                "0x" + "00" * 20,
                "--salts-out",
                "{tmp}/r.csv",
                names=("zero",),
            ),
            C(
                "--official-id",
                "HX-R-3",
                "--controller",
                "{controller}",
                "--salts-out",
                "{tmp}/r.csv",
                names=("controller",),
            ),
            C(
                "--official-id",
                "HOSTILE-PERSON-1",
                "--controller",
                "0x" + "62" * 20,
                "--salt",
                "0x" + "11" * 31,
                "--salts-out",
                "{tmp}/r.csv",
                names=("--salt", "32 bytes"),
            ),
            C(
                "--official-id",
                "HX-R-4",
                "--kind",
                "robot",
                "--controller",
                "0x" + "63" * 20,
                "--salts-out",
                "{tmp}/r.csv",
                names=("--kind",),
            ),
            C(
                "--official-id",
                "HX-R-5",
                "--controller",
                "0x" + "64" * 20,
                "--salts-out",
                "{tmp}",
                names=("--salts-out",),
            ),
        ),
    ),
    "identity batch-register": Spec(
        ("{ids_ok}", "--salts-out", "{tmp}/b.csv"),
        OFFICE,
        cases=(
            C("{ids_bad}", "--salts-out", "{tmp}/b.csv", names=("ids_bad.csv:2", "kind")),
            C(
                "{ids_dup_chain}",
                "--salts-out",
                "{tmp}/b.csv",
                names=("ids_dup_chain.csv:2", "already controls"),
            ),
            C("{binary}", "--salts-out", "{tmp}/b.csv", names=("binary.csv:1", "UTF-8")),
            C("{parcels_ok}", "--salts-out", "{tmp}/b.csv", names=("missing column",)),
            C("{tmp}/missing.csv", "--salts-out", "{tmp}/b.csv", names=("CSV_FILE",)),
            C(
                "{ids_ok}",
                "--salts-out",
                "{tmp}/b.csv",
                "--batch-size",
                "0",
                names=("--batch-size",),
            ),
            C(
                "{ids_ok}",
                "--salts-out",
                "{tmp}/b.csv",
                "--batch-size",
                "101",
                names=("--batch-size",),
            ),
        ),
    ),
    "identity rotate": Spec(
        ("--to", "0x" + "71" * 20),
        OWNER,
        cases=(
            C("--to", "0x" + "71" * 20, "--account", "TEST::19", names=("controls no identity",)),
            C("--to", "{controller}", "--account", OWNER, names=("controller",)),
        ),
    ),
    "identity rotate-accept": Spec(
        ("{subject}",),
        "TEST::19",
        cases=(
            C("{subject}", "--account", "TEST::19", names=("proposed",)),
            C("{unknown_subject}", "--account", "TEST::19", names=("proposed",)),
            C("{stranger}", "--account", "TEST::19", names=("SUBJECT", "controls no identity")),
            C("0x12", "--account", "TEST::19", names=("SUBJECT",)),
        ),
    ),
    "identity rotate-cancel": Spec(
        (),
        OWNER,
        cases=(
            C("--account", OWNER, names=("no pending controller proposal",)),
            C("--account", "TEST::19", names=("controls no identity",)),
        ),
    ),
    "identity recover": Spec(
        ("{subject}", "--to", "0x" + "72" * 20),
        OFFICE,
        cases=(
            C(
                "{unknown_subject}",
                "--to",
                "0x" + "72" * 20,
                "--account",
                OFFICE,
                names=("no identity is registered",),
            ),
            C("0x1234", "--to", "0x" + "72" * 20, "--account", OFFICE, names=("SUBJECT",)),
            C(
                "{stranger}",
                "--to",
                "0x" + "72" * 20,
                "--account",
                OFFICE,
                names=("SUBJECT", "controls no identity"),
            ),
            C(
                "{subject}",
                "--to",
                "0x" + "72" * 20,
                "--account",
                "TEST::19",
                names=("not authorised",),
            ),
        ),
    ),
    "identity recover-complete": Spec(
        ("{subject}",),
        OWNER,
        cases=(
            C("{subject}", "--account", OWNER, names=("recovery",)),
            C("{unknown_subject}", "--account", OWNER, names=("recovery",)),
            C("", "--account", OWNER, names=("SUBJECT",)),
        ),
    ),
    "identity recover-cancel": Spec(
        ("{subject}",),
        OWNER,
        cases=(
            C("{subject}", "--account", OWNER, names=("recovery",)),
            C("0x" + "zz" * 32, "--account", OWNER, names=("SUBJECT",)),
        ),
    ),
    "identity set-status": Spec(
        ("{subject}", "suspended", "--reason", "R"),
        OFFICE,
        cases=(
            C(
                "{subject}",
                "dead",
                "--reason",
                "R",
                "--account",
                OFFICE,
                names=("'dead' is not one of",),
            ),
            C(
                "{subject}",
                "closed",
                "--reason",
                "x" * 33,
                "--account",
                OFFICE,
                names=("--reason", "at most 32"),
            ),
            C("{subject}", "closed", "--reason", "", "--account", OFFICE, names=("--reason",)),
            C(
                "{unknown_subject}",
                "suspended",
                "--reason",
                "R",
                "--account",
                OFFICE,
                names=("no identity is registered",),
            ),
            C("{subject}", "active", "--reason", "R", "--account", OFFICE, names=("status",)),
            C(
                "{subject}",
                "suspended",
                "--reason",
                "R",
                "--account",
                OWNER,
                names=("not authorised",),
            ),
        ),
    ),
    "identity show": Spec(
        ("{subject}",),
        cases=(
            C("{unknown_subject}", names=("not registered",)),
            C("{stranger}", names=("SUBJECT", "controls no identity")),
            C("0x" + "1" * 63, names=("SUBJECT",)),
            C("\u202e\u0000", names=("SUBJECT",)),
        ),
    ),
    # ---------------------------------------------------------------- records
    "records schema-add": Spec(
        ("--name", "hx-new", "--issuer-role", "TAX_RECORD_ISSUER"),
        BUREAU,
        cases=(
            C(
                "--name",
                "hx-schema",
                "--issuer-role",
                "TAX_RECORD_ISSUER",
                "--account",
                BUREAU,
                names=("schema",),
            ),
            C(
                "--name",
                "n",
                "--issuer-role",
                "TAX_COLLECTOR",
                "--account",
                BUREAU,
                names=("--issuer-role", "unknown role"),
            ),
            C(
                "--name",
                "n",
                "--issuer-role",
                HUGE,
                "--account",
                BUREAU,
                names=("--issuer-role", "out of range"),
            ),
            C(
                "--name",
                "n",
                "--issuer-role",
                "TAX_RECORD_ISSUER",
                "--layout",
                "uint7 x",
                "--account",
                BUREAU,
                names=("--layout", "not a field type"),
            ),
            C(
                "--name",
                "n",
                "--issuer-role",
                "TAX_RECORD_ISSUER",
                "--layout",
                "string name,string idNumber",
                "--account",
                BUREAU,
                names=("--layout", "no free text"),
            ),
            C(
                "--name",
                "n",
                "--issuer-role",
                "TAX_RECORD_ISSUER",
                "--layout",
                ",".join(f"uint8 f{i}" for i in range(17)),
                "--account",
                BUREAU,
                names=("--layout", "at most 16"),
            ),
            C(
                "--name",
                "n",
                "--issuer-role",
                "TAX_RECORD_ISSUER",
                "--layout",
                "   ",
                "--account",
                BUREAU,
                names=("--layout",),
            ),
            C(
                "--name",
                "n",
                "--issuer-role",
                "TAX_RECORD_ISSUER",
                "--layout",
                "uint8 a,bool a",
                "--account",
                BUREAU,
                names=("--layout", "twice"),
            ),
            C(
                "--name",
                "n",
                "--issuer-role",
                "TAX_RECORD_ISSUER",
                "--layout",
                "year",
                "--account",
                BUREAU,
                names=("--layout",),
            ),
            C(
                "--name",
                "n",
                "--issuer-role",
                "TAX_RECORD_ISSUER",
                "--validity",
                "forever",
                "--account",
                BUREAU,
                names=("--validity",),
            ),
            C(
                "--name",
                "n",
                "--issuer-role",
                "TAX_RECORD_ISSUER",
                "--validity",
                "9" * 30 + "y",
                "--account",
                BUREAU,
                names=("--validity", "100 years"),
            ),
            C(
                "--name",
                "n",
                "--issuer-role",
                "TAX_RECORD_ISSUER",
                "--validity",
                "101y",
                "--account",
                BUREAU,
                names=("--validity", "100 years"),
            ),
            C(
                "--name",
                "n",
                "--issuer-role",
                "TAX_RECORD_ISSUER",
                "--account",
                TAX,
                names=("not authorised",),
            ),
        ),
    ),
    "records schemas": Spec(()),
    "records issue": Spec(
        ("--schema", "hx-schema", "--subject", "{subject}", "--field", "year=2025"),
        TAX,
        cases=(
            C(
                "--schema",
                "nope",
                "--subject",
                "{subject}",
                "--account",
                TAX,
                names=("--schema", "no schema named"),
            ),
            C(
                "--schema",
                HUGE,
                "--subject",
                "{subject}",
                "--account",
                TAX,
                names=("--schema", "out of range"),
            ),
            C(
                "--schema",
                "999",
                "--subject",
                "{subject}",
                "--account",
                TAX,
                names=("--schema", "does not exist"),
            ),
            C(
                "--schema",
                "hx-schema",
                "--subject",
                "{subject}",
                "--field",
                "year=70000",
                "--account",
                TAX,
                names=("--field",),
            ),
            C(
                "--schema",
                "hx-schema",
                "--subject",
                "{subject}",
                "--field",
                "year=abc",
                "--account",
                TAX,
                names=("--field",),
            ),
            C(
                "--schema",
                "hx-schema",
                "--subject",
                "{subject}",
                "--field",
                "month=1",
                "--account",
                TAX,
                names=("--field", "unknown"),
            ),
            C(
                "--schema",
                "hx-schema",
                "--subject",
                "{subject}",
                "--field",
                "noequals",
                "--account",
                TAX,
                names=("--field",),
            ),
            C(
                "--schema",
                "hx-schema",
                "--subject",
                "{subject}",
                "--data",
                "0xzz",
                "--account",
                TAX,
                names=("--data",),
            ),
            C(
                "--schema",
                "hx-schema",
                "--subject",
                "{subject}",
                "--data",
                "0x" + "00" * 31,
                "--account",
                TAX,
                names=("--data", "takes 32"),
            ),
            C(
                "--schema",
                "hx-schema",
                "--subject",
                "{subject}",
                "--data",
                "0x" + (70_000).to_bytes(32, "big").hex(),
                "--account",
                TAX,
                names=("--data", "out of range"),
            ),
            C(
                "--schema",
                "hx-schema",
                "--subject",
                "{subject}",
                "--field",
                "year=1",
                "--data",
                "0x00",
                "--account",
                TAX,
                names=("--data",),
            ),
            C(
                "--schema",
                "hx-schema",
                "--subject",
                "{subject}",
                "--field",
                "year=1",
                "--expires",
                "someday",
                "--account",
                TAX,
                names=("--expires",),
            ),
            C(
                "--schema",
                "hx-schema",
                "--subject",
                "{subject}",
                "--field",
                "year=1",
                "--expires",
                HUGE,
                "--account",
                TAX,
                names=("--expires", "out of range"),
            ),
            C(
                "--schema",
                "hx-schema",
                "--subject",
                "{subject}",
                "--field",
                "year=1",
                "--supersedes",
                "0x12",
                "--account",
                TAX,
                names=("--supersedes",),
            ),
            C(
                "--schema",
                "hx-schema",
                "--subject",
                "{unknown_subject}",
                "--field",
                "year=1",
                "--account",
                TAX,
                names=("subject",),
            ),
            C(
                "--schema",
                "hx-schema",
                "--subject",
                "{subject}",
                "--field",
                "year=1",
                "--account",
                OWNER,
                names=("issuer role",),
            ),
            *subject_cases(
                "--subject", ("--schema", "hx-schema"), ("--field", "year=1", "--account", TAX)
            ),
        ),
    ),
    "records sign-issue": Spec(
        (
            "--schema",
            "hx-schema",
            "--subject",
            "{subject}",
            "--field",
            "year=1",
            "--out",
            "{tmp}/signed.json",
        ),
        TAX,
        cases=(
            C(
                "--schema",
                "hx-schema",
                "--subject",
                "{subject}",
                "--field",
                "year=1",
                "--out",
                "{tmp}/s.json",
                "--nonce",
                "-1",
                "--account",
                TAX,
                names=("--nonce",),
            ),
            C(
                "--schema",
                "hx-schema",
                "--subject",
                "{subject}",
                "--field",
                "year=1",
                "--out",
                "{tmp}/s.json",
                "--nonce",
                HUGER,
                "--account",
                TAX,
                names=("--nonce",),
            ),
            C(
                "--schema",
                "hx-schema",
                "--subject",
                "{subject}",
                "--field",
                "year=1",
                "--out",
                "{tmp}/s.json",
                "--deadline",
                "tomorrow-ish",
                "--account",
                TAX,
                names=("--deadline",),
            ),
            C(
                "--schema",
                "hx-schema",
                "--subject",
                "{subject}",
                "--field",
                "year=1",
                "--out",
                "{tmp}/s.json",
                "--deadline",
                "+3650d",
                "--account",
                TAX,
                names=("--deadline", "30 days"),
            ),
            C(
                "--schema",
                "hx-schema",
                "--subject",
                "{subject}",
                "--field",
                "year=1",
                "--out",
                "{tmp}/s.json",
                "--deadline",
                "1",
                "--account",
                TAX,
                names=("--deadline", "passed"),
            ),
            C(
                "--schema",
                "hx-schema",
                "--subject",
                "{subject}",
                "--field",
                "year=1",
                "--out",
                "{tmp}",
                "--account",
                TAX,
                names=("--out",),
            ),
            C(
                "--schema",
                "nope",
                "--subject",
                "{subject}",
                "--out",
                "{tmp}/s.json",
                "--account",
                TAX,
                names=("--schema",),
            ),
        ),
    ),
    "records issue-signed": Spec(
        ("{signed_junk}",),
        TAX,
        cases=(
            C("{signed_junk}", "--account", TAX, names=("signed_junk.csv", "not a signed")),
            C("{signed_list}", "--account", TAX, names=("signed_list.csv", "not a signed")),
            C("{signed_partial}", "--account", TAX, names=("signed_partial.csv", "missing field")),
            C("{binary}", "--account", TAX, names=("binary.csv", "not a signed")),
            C("{tmp}/nope.json", "--account", TAX, names=("SIGNED_FILE",)),
        ),
    ),
    "records revoke": Spec(
        ("{record}", "--code", "error"),
        TAX,
        cases=(
            C("0x12", "--code", "error", "--account", TAX, names=("RECORD_IDS",)),
            C("0x" + "11" * 32, "--code", "error", "--account", TAX, names=("no record",)),
            C(
                "{record}",
                "{record}",
                "--code",
                "error",
                "--account",
                TAX,
                names=("RECORD_IDS", "twice"),
            ),
            C(
                *[f"0x{i:064x}" for i in range(1, 52)],
                "--code",
                "error",
                "--account",
                TAX,
                names=("RECORD_IDS", "at most 50"),
            ),
            C("{record}", "--code", "error", "--account", OWNER, names=("issuer role",)),
            C("{record}", "--code", "paid in full", "--account", TAX, names=("--code",)),
            C("{record}", "--code", "3", "--account", TAX, names=("--code",)),
            C("{record}", "--code", "superseded", "--account", TAX, names=("--code",)),
            C("{record}", "--code", "4", "--account", TAX, names=("--code",)),
            C("{record}", "--code", "", "--account", TAX, names=("--code",)),
            C("{record}", "--code", HUGE, "--account", TAX, names=("--code",)),
            C("{record}", "--code", "other", "--account", TAX, names=("--reason",)),
            C("{record}", "--code", "5", "--reason", "", "--account", TAX, names=("--reason",)),
        ),
    ),
    "records cancel-signed": Spec(
        ("--through", "0"),
        TAX,
        cases=(
            C("--through", "256", "--account", TAX, names=("--through", "at most 256")),
            C("--through", HUGE, "--account", TAX, names=("--through",)),
            C("--through", "-1", "--account", TAX, names=("--through",)),
        ),
    ),
    "records stay-set": Spec(
        ("{schema}", "14d"),
        BUREAU,
        cases=(
            C("{schema}", "91d", "--account", BUREAU, names=("DURATION", "90 days")),
            C("{schema}", "soon", "--account", BUREAU, names=("DURATION",)),
            C("{schema}", "1.5d", "--account", BUREAU, names=("DURATION",)),
            C("nope", "14d", "--account", BUREAU, names=("SCHEMA", "no schema named")),
            C("999", "14d", "--account", BUREAU, names=("SCHEMA", "does not exist")),
            C(HUGE, "14d", "--account", BUREAU, names=("SCHEMA", "out of range")),
            C("{schema}", "14d", "--account", TAX, names=("not authorised",)),
        ),
    ),
    "records stay-grant": Spec(
        ("{record}", "--until", "+30d", "--reason", "order"),
        "TEST::6",
        cases=(
            C(
                "{record}",
                "--until",
                "+30d",
                "--reason",
                "order",
                "--account",
                "TEST::6",
                names=("dispute",),
            ),
            C(
                "{record}",
                "--until",
                "someday",
                "--reason",
                "order",
                "--account",
                "TEST::6",
                names=("--until",),
            ),
            C(
                "{record}",
                "--until",
                HUGE,
                "--reason",
                "order",
                "--account",
                "TEST::6",
                names=("--until", "out of range"),
            ),
            C(
                "{record}",
                "--until",
                "+30d",
                "--reason",
                "",
                "--account",
                "TEST::6",
                names=("--reason",),
            ),
            C(
                "0x" + "zz" * 32,
                "--until",
                "+30d",
                "--reason",
                "order",
                "--account",
                "TEST::6",
                names=("RECORD_ID",),
            ),
            C(
                "{record}",
                "--until",
                "+30d",
                "--reason",
                "order",
                "--account",
                TAX,
                names=("not authorised",),
            ),
        ),
    ),
    "records stay-lapse": Spec(
        ("{record}",),
        OWNER,
        cases=(
            C("{record}", "--account", OWNER, names=("stay",)),
            C("0x" + "11" * 32, "--account", OWNER, names=("no record",)),
            C("nothex", "--account", OWNER, names=("RECORD_ID",)),
        ),
    ),
    "records dispute": Spec(
        ("{record}", "--evidence", "e"),
        OWNER,
        cases=(
            C("{record}", "--evidence", "", "--account", OWNER, names=("--evidence", "empty")),
            C("0x" + "11" * 32, "--evidence", "e", "--account", OWNER, names=("no record",)),
            C("{record}", "--evidence", "e", "--account", OWNER, names=("adverse",)),
            C("nothex", "--evidence", "e", "--account", OWNER, names=("RECORD_ID",)),
        ),
    ),
    "records resolve": Spec(
        ("{record}", "--uphold", "--ruling", "r"),
        "TEST::6",
        cases=(
            C("{record}", "--uphold", "--ruling", "", "--account", "TEST::6", names=("--ruling",)),
            C("{record}", "--uphold", "--ruling", "r", "--account", "TEST::6", names=("dispute",)),
            C(
                "0x" + "1" * 63,
                "--uphold",
                "--ruling",
                "r",
                "--account",
                "TEST::6",
                names=("RECORD_ID",),
            ),
        ),
    ),
    "records policy-set": Spec(
        ("3", "--name", "p", "--require", "hx-schema"),
        BUREAU,
        cases=(
            C("0", "--name", "p", "--account", BUREAU, names=("POLICY_ID",)),
            C(
                "3",
                "--name",
                "p",
                "--require",
                "nope",
                "--account",
                BUREAU,
                names=("--require", "no schema"),
            ),
            C(
                "3",
                "--name",
                "p",
                "--require",
                "hx-schema",
                "--require",
                "hx-schema",
                "--account",
                BUREAU,
                names=("--require", "twice"),
            ),
            C(
                "3",
                "--name",
                "p",
                *["--disqualify", "hx-schema"] * 9,
                "--account",
                BUREAU,
                names=("--disqualify", "at most 8"),
            ),
            C(
                "3",
                "--name",
                "p",
                "--require",
                HUGE,
                "--account",
                BUREAU,
                names=("--require", "out of range"),
            ),
        ),
    ),
    "records show": Spec(
        ("{record}",),
        cases=(
            C("{unknown_subject}", names=("TARGET", "neither a record nor")),
            C("0x" + "zz" * 32, names=("TARGET",)),
            C("{stranger}", names=("TARGET", "controls no identity")),
            C("{subject}", "--limit", "0", names=("--limit",)),
            C("{subject}", "--limit", "101", names=("--limit",)),
        ),
    ),
    "records check-policy": Spec(
        ("{subject}", "1"),
        cases=(
            C("{subject}", "999", names=("POLICY_ID", "not defined")),
            C("{subject}", "0", names=("POLICY_ID",)),
            C("{unknown_subject}", "999", names=("not defined",)),
        ),
    ),
    # ---------------------------------------------------------------- titles
    "titles register": Spec(
        ("--owner", "{subject}", "--code", "HX-NEW-1", "--document", "d", "--area", "10"),
        REGISTRAR,
        cases=(
            C(
                "--owner",
                "{subject}",
                "--code",
                "HX-1",
                "--document",
                "d",
                "--area",
                "10",
                "--account",
                REGISTRAR,
                names=("parcel",),
            ),
            C(
                "--owner",
                "{subject}",
                "--code",
                "",
                "--document",
                "d",
                "--area",
                "10",
                "--account",
                REGISTRAR,
                names=("--code", "empty"),
            ),
            C(
                "--owner",
                "{subject}",
                "--code",
                "X" * 65,
                "--document",
                "d",
                "--area",
                "10",
                "--account",
                REGISTRAR,
                names=("--code",),
            ),
            C(
                "--owner",
                "{subject}",
                "--code",
                "bad code;drop",
                "--document",
                "d",
                "--area",
                "10",
                "--account",
                REGISTRAR,
                names=("--code",),
            ),
            C(
                "--owner",
                "{subject}",
                "--code",
                "HX-N",
                "--document",
                "",
                "--area",
                "10",
                "--account",
                REGISTRAR,
                names=("--document", "empty"),
            ),
            C(
                "--owner",
                "{unknown_subject}",
                "--code",
                "HX-N",
                "--document",
                "d",
                "--area",
                "10",
                "--account",
                REGISTRAR,
                names=("identity",),
            ),
            C(
                "--owner",
                "{subject}",
                "--code",
                "HX-N",
                "--document",
                "d",
                "--area",
                "10",
                "--account",
                OWNER,
                names=("not authorised",),
            ),
            C(  # parcel URIs are gone (the document is addressed by its hash)
                "--owner",
                "{subject}",
                "--code",
                "HX-N",
                "--document",
                "d",
                "--area",
                "10",
                "--uri",
                "ipfs://x",
                "--account",
                REGISTRAR,
                names=("--uri",),
            ),
            *subject_cases(
                "--owner",
                (),
                ("--code", "HX-N", "--document", "d", "--area", "1", "--account", REGISTRAR),
            ),
        ),
    ),
    "titles show": Spec(("{parcel}",), cases=parcel_cases((), ())),
    "titles history": Spec(("{parcel}",), cases=parcel_cases((), ())),
    "titles propose": Spec(
        ("{parcel}", "--buyer", "{stranger}", "--price", "1", "--deed", "d"),
        OWNER,
        cases=(
            *amount_cases(
                ("{parcel}", "--buyer", "{subject}", "--deed", "d", "--account", OWNER), "--price"
            ),
            *parcel_cases(
                (), ("--buyer", "{subject}", "--price", "1", "--deed", "d", "--account", OWNER)
            ),
            *subject_cases(
                "--buyer", ("{parcel}",), ("--price", "1", "--deed", "d", "--account", OWNER)
            ),
            C(
                "{parcel}",
                "--buyer",
                "{subject}",
                "--price",
                "1",
                "--deed",
                "",
                "--account",
                OWNER,
                names=("--deed", "empty"),
            ),
            C(
                "{parcel}",
                "--buyer",
                "{subject}",
                "--price",
                "1",
                "--deed",
                "d",
                "--account",
                "TEST::16",
                names=("owner identity",),
            ),
        ),
    ),
    **{
        f"titles {name}": Spec(
            ("1",) + (("--reason", "r") if name == "reject" else ()),
            account,
            cases=(
                C(
                    "99999",
                    *(("--reason", "r") if name == "reject" else ()),
                    "--account",
                    account,
                    names=("sale",),
                ),
            ),
        )
        for name, account in (
            ("approve", REGISTRAR),
            ("cancel", OWNER),
            ("reject", REGISTRAR),
        )
    },
    "titles accept": Spec(
        ("{sale}",),
        BUYER,
        cases=(
            C("99999", "--account", BUYER, names=("sale 99999 does not exist",)),
            C("{sale}", "--encumbrance", "0x12", names=("--encumbrance", "64 hex digits")),
            C("{sale}", "--encumbrance", "", names=("--encumbrance",)),
            C("{sale}", "--encumbrance", "0x" + "zz" * 32, names=("--encumbrance",)),
            # a state the buyer reviewed that is no longer the chain's: refused before sending
            C("{sale}", "--encumbrance", "0x" + "11" * 32, names=("changed since you reviewed",)),
            C("{sale_liened}", names=("cannot accept yet", "has not answered")),
            C("{sale}", "--account", OWNER, names=("buyer",)),  # the seller cannot accept
        ),
    ),
    "titles set-base-uri": Spec(
        ("https://land.city.example/parcels/",),
        ADMIN_ACCOUNT,
        cases=(
            C("u" * 257, names=("BASE_URI", "at most 256")),
            C("https://land\u00e9/" + "é" * 128, names=("BASE_URI", "bytes")),
            C("https://land/\x07", names=("BASE_URI", "control")),
            C("https://land/", "--account", OWNER, names=("not authorised",)),
        ),
    ),
    "titles sale": Spec(("1",), cases=(C("99999", names=("sale 99999 does not exist",)),)),
    "titles split": Spec(
        ("{parcel}", "--child", "HX-C1=250", "--child", "HX-C2=250", "--survey", "s"),
        REGISTRAR,
        cases=(
            *parcel_cases((), ("--child", "A=1", "--survey", "s", "--account", REGISTRAR)),
            C(
                "{parcel}",
                "--child",
                "A",
                "--survey",
                "s",
                "--account",
                REGISTRAR,
                names=("--child", "CODE=AREA"),
            ),
            C(
                "{parcel}",
                "--child",
                "A=-1",
                "--survey",
                "s",
                "--account",
                REGISTRAR,
                names=("--child",),
            ),
            C(
                "{parcel}",
                "--child",
                "A=" + HUGER,
                "--survey",
                "s",
                "--account",
                REGISTRAR,
                names=("--child",),
            ),
            C(
                "{parcel}",
                "--child",
                "A=١٢",
                "--survey",
                "s",
                "--account",
                REGISTRAR,
                names=("--child",),
            ),
            C(
                "{parcel}",
                "--child",
                "A=250",
                "--child",
                "A=250",
                "--survey",
                "s",
                "--account",
                REGISTRAR,
                names=("--child", "twice"),
            ),
            C(
                "{parcel}",
                "--child",
                "A B=250",
                "--child",
                "C=250",
                "--survey",
                "s",
                "--account",
                REGISTRAR,
                names=("--child",),
            ),
            C(
                "{parcel}",
                "--child",
                "HX-C1=1",
                "--child",
                "HX-C2=1",
                "--survey",
                "s",
                "--account",
                REGISTRAR,
                names=("area",),
            ),
            C(
                "{parcel}",
                "--child",
                "HX-C1=250",
                "--child",
                "HX-C2=250",
                "--survey",
                "s",
                "--account",
                OWNER,
                names=("not authorised",),
            ),
        ),
    ),
    "titles merge": Spec(
        ("{parcel}", "HX-1", "--code", "HX-M", "--survey", "s"),
        REGISTRAR,
        cases=(
            C(
                "{parcel}",
                "HX-1",
                "--code",
                "HX-M",
                "--survey",
                "s",
                "--account",
                REGISTRAR,
                names=("PARCELS", "twice"),
            ),
            C(
                "{parcel}",
                "NOPE-404",
                "--code",
                "HX-M",
                "--survey",
                "s",
                "--account",
                REGISTRAR,
                names=("PARCELS", "not registered"),
            ),
            C(
                "{parcel}",
                HUGER,
                "--code",
                "HX-M",
                "--survey",
                "s",
                "--account",
                REGISTRAR,
                names=("PARCELS", "256 bits"),
            ),
            C(
                "{parcel}",
                "{parcel}",
                "--code",
                "",
                "--survey",
                "s",
                "--account",
                REGISTRAR,
                names=("PARCELS",),
            ),
        ),
    ),
    "titles sync": Spec(
        ("{parcel}",),
        REGISTRAR,
        cases=parcel_cases((), ("--account", REGISTRAR)),
    ),
    "titles import": Spec(
        ("{parcels_ok}",),
        REGISTRAR,
        cases=(
            C(
                "{parcels_bad}",
                "--account",
                REGISTRAR,
                "--journal",
                "{tmp}/j1.jsonl",
                names=("parcels_bad.csv", "line 2", "data_hash", "nothing sent"),
            ),
            C(
                "{parcels_conflict}",
                "--account",
                REGISTRAR,
                "--journal",
                "{tmp}/j2.jsonl",
                names=("parcels_conflict.csv", "line 2", "already registered", "nothing sent"),
            ),
            C(
                "{parcels_header_only}",
                "--account",
                REGISTRAR,
                "--journal",
                "{tmp}/j3.jsonl",
                names=("no parcel rows",),
            ),
            C(
                "{binary}",
                "--account",
                REGISTRAR,
                "--journal",
                "{tmp}/j4.jsonl",
                names=("binary.csv:1", "UTF-8"),
            ),
            C(
                "{ids_ok}",
                "--account",
                REGISTRAR,
                "--journal",
                "{tmp}/j5.jsonl",
                names=("ids_ok.csv:1", "cadastral_code"),
            ),
            C("{parcels_ok}", "--account", REGISTRAR, "--batch-size", "0", names=("--batch-size",)),
            C(
                "{parcels_ok}",
                "--account",
                REGISTRAR,
                "--batch-size",
                "101",
                names=("--batch-size",),
            ),
            C("{parcels_ok}", "--account", REGISTRAR, "--window", "0", names=("--window",)),
            C("{parcels_ok}", "--account", REGISTRAR, "--journal", "{tmp}", names=("--journal",)),
            C(
                "{parcels_ok}",
                "--account",
                OWNER,
                "--journal",
                "{tmp}/j6.jsonl",
                names=("not authorised",),
            ),
        ),
    ),
    "titles sample-csv": Spec(
        ("--out", "{tmp}/sample.csv", "--count", "2", "--owners", "1", "--register-owners"),
        OFFICE,
        auto_account=False,
        cases=(
            C("--out", "{tmp}/sample.csv", "--count", "0", names=("--count",)),
            C("--out", "{tmp}/sample.csv", "--owners", "0", names=("--owners",)),
            C("--out", "{tmp}/sample.csv", "--bad-rows", "-1", names=("--bad-rows",)),
            C("--out", "{tmp}", names=("--out",)),
            C(
                "--out",
                "{tmp}/sample.csv",
                "--count",
                "1",
                "--owners",
                "1",
                "--register-owners",
                names=("--account",),
            ),
        ),
    ),
    # ---------------------------------------------------------------- liens
    "liens add": Spec(
        ("{parcel}", "--holder", "{subject}", "--amount", "1", "--evidence", "e"),
        "TEST::16",
        cases=(
            *amount_cases(
                ("{parcel}", "--holder", "{subject}", "--evidence", "e", "--account", "TEST::16"),
                "--amount",
            ),
            *parcel_cases(
                (),
                (
                    "--holder",
                    "{subject}",
                    "--amount",
                    "1",
                    "--evidence",
                    "e",
                    "--account",
                    "TEST::16",
                ),
            ),
            *subject_cases(
                "--holder",
                ("{parcel}",),
                ("--amount", "1", "--evidence", "e", "--account", "TEST::16"),
            ),
            C(
                "{parcel}",
                "--holder",
                "{subject}",
                "--amount",
                "1",
                "--evidence",
                "",
                "--account",
                "TEST::16",
                names=("--evidence", "empty"),
            ),
        ),
    ),
    "liens consent": Spec(
        ("1",),
        OWNER,
        cases=(
            C("99999", "--account", OWNER, names=("lien",)),
            C("1", "--sale", HUGE, "--account", OWNER, names=("--sale",)),
        ),
    ),
    "liens release": Spec(
        ("1",),
        OWNER,
        cases=(
            C("99999", "--account", OWNER, names=("lien",)),
            C("1", "--order", "", "--account", REGISTRAR, names=("--order", "empty")),
        ),
    ),
    "liens withdraw": Spec(("1",), OWNER, cases=(C("99999", "--account", OWNER, names=("lien",)),)),
    "liens list": Spec(("{parcel}",), cases=parcel_cases((), ())),
    # ---------------------------------------------------------------- tax
    "tax assess": Spec(
        ("{parcel}", "--year", "2030", "--amount", "1", "--due", "2031-01-01"),
        TAX,
        cases=(
            *amount_cases(
                ("{parcel}", "--year", "2030", "--due", "2031-01-01", "--account", TAX), "--amount"
            ),
            *parcel_cases(
                (), ("--year", "2030", "--amount", "1", "--due", "2031-01-01", "--account", TAX)
            ),
            C(
                "{parcel}",
                "--year",
                "2030",
                "--amount",
                "1",
                "--due",
                "soon",
                "--account",
                TAX,
                names=("--due",),
            ),
            C(
                "{parcel}",
                "--year",
                "2030",
                "--amount",
                "1",
                "--due",
                HUGE,
                "--account",
                TAX,
                names=("--due", "too far"),
            ),
            C(
                "{parcel}",
                "--year",
                "2030",
                "--amount",
                "1",
                "--due",
                "2031-02-30",
                "--account",
                TAX,
                names=("--due",),
            ),
            C(
                "{parcel}",
                "--year",
                "70000",
                "--amount",
                "1",
                "--due",
                "2031-01-01",
                "--account",
                TAX,
                names=("--year",),
            ),
            C(
                "{parcel}",
                "--year",
                "2030",
                "--amount",
                "1",
                "--due",
                "2031-01-01",
                "--account",
                OWNER,
                names=("not authorised",),
            ),
        ),
    ),
    "tax pay": Spec(
        ("{parcel}", "--year", "2030"),
        OWNER,
        cases=(
            *parcel_cases((), ("--year", "2030", "--account", OWNER)),
            C("{parcel}", "--year", "1999", "--account", OWNER, names=("no assessment",)),
            C("{parcel}", "--year", "0", "--account", OWNER, names=("--year",)),
        ),
    ),
    "tax void": Spec(
        ("{parcel}", "--year", "2030", "--reason", "r"),
        TAX,
        cases=(
            *parcel_cases((), ("--year", "2030", "--reason", "r", "--account", TAX)),
            C(
                "{parcel}",
                "--year",
                "2030",
                "--reason",
                "",
                "--account",
                TAX,
                names=("--reason", "empty"),
            ),
            C(
                "{parcel}",
                "--year",
                "1999",
                "--reason",
                "r",
                "--account",
                TAX,
                names=("assessment",),
            ),
        ),
    ),
    "tax status": Spec(
        ("{parcel}",),
        cases=(
            *parcel_cases((), ()),
            C("{parcel}", "--year", "1048576", names=("--year",)),
        ),
    ),
    # ---------------------------------------------------------------- fund
    "fund round-create": Spec(
        (
            "--name",
            "r",
            "--kind",
            "rent",
            "--policy",
            "1",
            "--budget",
            "1",
            "--closes",
            "7d",
            "--decide-by",
            "14d",
        ),
        FUND,
        cases=(
            *amount_cases(
                (
                    "--name",
                    "r",
                    "--kind",
                    "rent",
                    "--policy",
                    "1",
                    "--closes",
                    "7d",
                    "--decide-by",
                    "14d",
                    "--account",
                    FUND,
                ),
                "--budget",
            ),
            C(
                "--name",
                "r",
                "--kind",
                "loan",
                "--policy",
                "1",
                "--budget",
                "1",
                "--closes",
                "7d",
                "--decide-by",
                "14d",
                "--account",
                FUND,
                names=("--kind",),
            ),
            C(
                "--name",
                "r",
                "--kind",
                "rent",
                "--policy",
                "1",
                "--budget",
                "1",
                "--closes",
                "9" * 30 + "d",
                "--decide-by",
                "14d",
                "--account",
                FUND,
                names=("--closes", "out of range"),
            ),
            C(
                "--name",
                "r",
                "--kind",
                "rent",
                "--policy",
                "1",
                "--budget",
                "1",
                "--closes",
                "7d",
                "--decide-by",
                "next week",
                "--account",
                FUND,
                names=("--decide-by",),
            ),
            C(
                "--name",
                "r",
                "--kind",
                "rent",
                "--policy",
                "1",
                "--budget",
                "1",
                "--opens",
                "99999999999999999999999",
                "--closes",
                "7d",
                "--decide-by",
                "14d",
                "--account",
                FUND,
                names=("--opens",),
            ),
            C(
                "--name",
                "r",
                "--kind",
                "rent",
                "--policy",
                "1",
                "--budget",
                "1",
                "--closes",
                "14d",
                "--decide-by",
                "7d",
                "--account",
                FUND,
                names=("deadline",),
            ),
            C(
                "--name",
                "r",
                "--kind",
                "rent",
                "--policy",
                "1",
                "--budget",
                "1",
                "--closes",
                "7d",
                "--decide-by",
                "14d",
                "--account",
                OWNER,
                names=("not authorised",),
            ),
        ),
    ),
    "fund fund": Spec(
        ("1", "--amount", "1"),
        TREASURER,
        cases=(
            *amount_cases(("1", "--account", TREASURER), "--amount"),
            C("99999", "--amount", "1", "--account", TREASURER, names=("round",)),
        ),
    ),
    "fund apply": Spec(
        ("1", "--proposal", "p", "--milestone", "1@30d"),
        "TEST::16",
        cases=(
            C(
                "99999",
                "--proposal",
                "p",
                "--milestone",
                "1@30d",
                "--account",
                "TEST::16",
                names=("round",),
            ),
            C(
                "1",
                "--proposal",
                "p",
                "--milestone",
                "NaN@30d",
                "--account",
                "TEST::16",
                names=("--milestone", "finite"),
            ),
            C(
                "1",
                "--proposal",
                "p",
                "--milestone",
                "1@" + "9" * 30 + "d",
                "--account",
                "TEST::16",
                names=("--milestone", "out of range"),
            ),
            C(
                "1",
                "--proposal",
                "p",
                "--milestone",
                "1",
                "--account",
                "TEST::16",
                names=("--milestone", "AMOUNT@DUE"),
            ),
            C(
                "1",
                "--proposal",
                "",
                "--milestone",
                "1@30d",
                "--account",
                "TEST::16",
                names=("--proposal", "empty"),
            ),
            C(
                "1",
                "--proposal",
                "p",
                "--monthly",
                "1",
                "--months",
                "0",
                "--account",
                "TEST::16",
                names=("--months",),
            ),
            C(
                "1",
                "--proposal",
                "p",
                "--lease",
                "  ",
                "--monthly",
                "1",
                "--months",
                "2",
                "--account",
                "TEST::16",
                names=("--lease", "empty"),
            ),
        ),
    ),
    **{
        f"fund {name}": Spec(
            ("1", *extra),
            account,
            cases=(C("99999", *extra, "--account", account, names=(word,)),),
        )
        for name, extra, account, word in (
            ("vote", ("--yes",), MEMBER, "application"),
            ("award", (), MEMBER, "application"),
            ("milestone-submit", ("0", "--evidence", "e"), OWNER, "application"),
            ("milestone-approve", ("0",), MEMBER, "application"),
            ("milestone-pay", ("0",), MEMBER, "application"),
            ("pay-rent", (), MEMBER, "application"),
            ("rent-checkin", (), MEMBER, "application"),
            ("clawback", ("--reason", "r"), MEMBER, "application"),
            ("close", (), FUND, "round"),
            ("sweep", (), FUND, "round"),
        )
    },
    "fund pause": Spec((), GUARDIAN, cases=(C("--account", OWNER, names=("not authorised",)),)),
    "fund unpause": Spec((), GUARDIAN, cases=(C("--account", GUARDIAN, names=("authorised",)),)),
    "fund status": Spec(("1",), cases=(C("99999", names=("round",)),)),
    "fund rent-due": Spec(("1",), cases=(C("99999", names=("application",)),)),
    "fund conflict-set": Spec(
        ("{subject}", "{subject}"),
        FUND,
        cases=(
            C("0xzz", "{subject}", names=("MEMBER", "neither")),
            C("{stranger}", "{subject}", names=("MEMBER", "controls no identity")),
            C("{subject}", "ünïcode", names=("SUBJECT", "neither")),
            C("{subject}", "0x" + "00" * 32, names=("zero hash",)),
            C("{subject}", "{subject}", "--account", OWNER, names=("not authorised",)),
        ),
    ),
    "fund conflict-declare": Spec(
        ("{subject}",),
        MEMBER,
        cases=(
            C("0x12", names=("SUBJECT", "neither")),
            C("{stranger}", names=("SUBJECT", "controls no identity")),
            C("{subject}", "--account", OWNER, names=("committee member",)),
            # the hostile world's committee member controls no identity: it may not act
            C("{subject}", names=("controls no Active identity",)),
        ),
    ),
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
    for args, names in spec.cases:
        auto = spec.account and spec.auto_account and "--account" not in args
        extra = ["--account", spec.account] if auto else []
        _run(refuse, world, key, [*args, *extra], names, "command-specific")


@pytest.mark.parametrize("key", sorted(SPECS))
def test_wrong_types(key: str, refuse: Refuser, world: World) -> None:
    spec, command = SPECS[key], all_commands()[key]
    base = list(spec.args) + (["--account", spec.account] if spec.account else [])
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
        _run(refuse, world, key, [*spec.args, "--account", alias], names, "account")


@pytest.mark.parametrize("key", sorted(SPECS))
def test_wrong_network_or_manifest(key: str, refuse: Refuser, world: World, tmp_path: Path) -> None:
    spec = SPECS[key]
    args = list(spec.args) + (["--account", spec.account] if spec.account else [])
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
        spec = SPECS[key]
        outcome = invoke(
            all_commands()[key], [*world.fill(list(spec.args)), "--manifest", str(refuse.manifest)]
        )
        assert outcome.exit_code == 0, f"{key}: {outcome.output}"
