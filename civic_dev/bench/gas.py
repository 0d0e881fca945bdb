"""Gas per operation, ours next to an anchor, measured on the same chain in the same run.

Each figure is `receipt.gas_used` (the whole transaction, 21,000 base and calldata included),
averaged over `samples` operations on fresh subjects after one unmeasured warm-up per side (the
warm-up pays the one-time zero-to-non-zero writes of counters that every later call only
updates).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import mean
from typing import Any

from eth_utils import keccak, to_checksum_address

from civic_dev.bench import anchors, city
from civic_dev.bench.city import City
from civic_dev.bench.throughput import MAX_IDENTITY_BATCH, MAX_RECORD_BATCH

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
COUNTRY_CN = 156  # ISO 3166-1 numeric, as ERC-3643 stores it
TARGET_RATIO = 0.7
TX_BASE = 21_000
NEW_SLOT = 22_100  # cold SSTORE zero -> non-zero (EIP-2929)
COLD_SLOT = 2_100  # first access to a storage slot (EIP-2929)
COLD_ACCOUNT = 2_600  # first access to another account (EIP-2929)
SLOT_UPDATE = 2_900  # SSTORE non-zero -> other value, after the cold access (EIP-2200/2929)
LOG_BASE, LOG_TOPIC, LOG_BYTE = 375, 375, 8  # an event: per log, per topic, per data byte
CLEAR_REFUND = 4_800  # SSTORE non-zero -> zero (EIP-3529), refunds capped at gas used / 5


@dataclass(frozen=True)
class GasRow:
    """One line of the side-by-side table."""

    operation: str
    ours_call: str
    ours: float
    anchor_call: str
    anchor: float | None
    comparable: bool
    note: str
    ours_writes: tuple[float, float] | None = None  # storage slots: (new, updated) per op
    anchor_writes: tuple[float, float] | None = None

    @property
    def ratio(self) -> float | None:
        return self.ours / self.anchor if self.anchor else None

    @property
    def verdict(self) -> str:
        if self.ratio is None:
            return "n/a"
        if not self.comparable:
            return "not comparable"
        return "met" if self.ratio <= TARGET_RATIO else "missed"


def _gas(receipts: Sequence[Any]) -> int:
    return sum(int(r.gas_used) for r in receipts)


def _trace(receipt: Any, diff: bool) -> dict[str, Any]:
    from ape import networks

    config = {"tracer": "prestateTracer", "tracerConfig": {"diffMode": diff}}
    return networks.provider.make_request("debug_traceTransaction", [receipt.txn_hash, config])


def _slot_changes(diff: dict[str, Any]) -> tuple[int, int, int]:
    """(slots written from zero, changed from non-zero to non-zero, cleared to zero) in a
    prestateTracer diff (diff mode omits a cleared slot from `post`)."""
    pre, post = diff.get("pre") or {}, diff.get("post") or {}
    new = updated = cleared = 0
    for address in set(pre) | set(post):
        before = (pre.get(address) or {}).get("storage") or {}
        after = (post.get(address) or {}).get("storage") or {}
        for slot in set(before) | set(after):
            old, value = int(before.get(slot, "0x0"), 16), int(after.get(slot, "0x0"), 16)
            if old == 0 and value != 0:
                new += 1
            elif old != 0 and (slot not in after or value == 0):
                cleared += 1
            elif old != value:
                updated += 1
    return new, updated, cleared


def storage_writes(receipt: Any) -> tuple[int, int] | None:
    """(slots written from zero, slots changed from non-zero) by one transaction, from the
    node's prestateTracer in diff mode; None if the node cannot trace it."""
    try:
        new, updated, cleared = _slot_changes(_trace(receipt, diff=True))
    except Exception:
        return None
    return new, updated + cleared


def _calldata_gas(data: bytes) -> int:
    return sum(16 if byte else 4 for byte in data)


def state_floor(receipt: Any) -> tuple[int, str] | None:
    """The least gas a transaction touching exactly the state `receipt`'s transaction touched
    and logging its events can cost, with no computation at all: the base, its calldata, a cold
    access per account and per storage slot (prestateTracer), the writes it made (diff mode),
    its logs, less the clearing refund.
    Returns (gas, what it counted), or None if the node cannot trace."""
    from ape import networks

    provider = networks.provider
    try:
        touched, diff = _trace(receipt, diff=False), _trace(receipt, diff=True)
        tx = provider.web3.eth.get_transaction(receipt.txn_hash)
        coinbase = provider.web3.eth.get_block(tx["blockNumber"])["miner"]
        logs = provider.web3.eth.get_transaction_receipt(receipt.txn_hash)["logs"]
    except Exception:
        return None
    warm = {str(a).lower() for a in (tx["from"], tx["to"], coinbase)}
    accounts = [a for a in touched if a.lower() not in warm]
    slots = sum(len((touched[a] or {}).get("storage") or {}) for a in touched)
    new, updated, cleared = _slot_changes(diff)
    gross = (
        TX_BASE + _calldata_gas(bytes(tx["input"])) + COLD_ACCOUNT * len(accounts)
        + COLD_SLOT * slots + (NEW_SLOT - COLD_SLOT) * new
        + SLOT_UPDATE * (updated + cleared)
    )  # fmt: skip
    gross += sum(
        LOG_BASE + LOG_TOPIC * len(log["topics"]) + LOG_BYTE * len(bytes(log["data"]))
        for log in logs
    )
    floor = gross - min(CLEAR_REFUND * cleared, gross // 5)
    counted = (
        f"{len(accounts)} other accounts, {slots} storage slots, {new} new + "
        f"{updated + cleared} updated ({cleared} cleared), {len(logs)} event"
        + ("s" if len(logs) != 1 else "")
    )
    return floor, counted


def _scaled(writes: tuple[float, float] | None, factor: float) -> tuple[float, float] | None:
    return None if writes is None else (writes[0] * factor, writes[1] * factor)


def mean_writes(receipts: Sequence[Any], per: int = 1) -> tuple[float, float] | None:
    """Average storage writes per operation over `receipts` (each covering `per` operations)."""
    counts = [storage_writes(r) for r in receipts]
    if not counts or any(c is None for c in counts):
        return None
    total = len(receipts) * per
    return (
        sum(c[0] for c in counts if c) / total,
        sum(c[1] for c in counts if c) / total,
    )


def _wallet(label: str) -> str:
    return to_checksum_address(keccak(text=f"civic-bench:gas-wallet:{label}")[12:])


class GasBench:
    """Deploys the anchors next to our suite and measures both sides."""

    def __init__(
        self,
        our: City,
        deployer: Any,
        parties: Sequence[Any],
        compiled: dict[str, dict[str, anchors.CompiledContract]],
        samples: int = 3,
        progress: Callable[[str], None] = lambda message: None,
    ) -> None:
        self.our = our
        self.deployer = deployer
        self.parties = list(parties)  # >= 4 wallets that sign as seller/buyer
        self.compiled = compiled
        self.samples = samples
        self.progress = progress
        self._next = 0
        self.now = 0

    def _fresh(self, n: int) -> list[tuple[bytes, str]]:
        """`n` unregistered (subject, wallet) pairs."""
        out = []
        for _ in range(n):
            self._next += 1
            out.append((city.subject("gas", self._next), _wallet(str(self._next))))
        return out

    def _people(self, n: int) -> list[tuple[bytes, str]]:
        people = self._fresh(n)
        self.our.register_identities([(s, w, city.PERSON) for s, w in people])
        return people

    def row(
        self, operation: str, ours_call: str, ours: Sequence[Any], anchor_call: str,
        anchor: Sequence[Any] | None, comparable: bool, note: str, per: int = 1,
    ) -> GasRow:  # fmt: skip
        """A table row from the receipts of each side (each receipt covering `per` ops;
        a list of receipt lists = one operation made of several transactions)."""

        def flat(receipts: Sequence[Any]) -> list[Any]:
            return [r for item in receipts for r in (item if isinstance(item, list) else [item])]

        def gas(receipts: Sequence[Any]) -> float:
            return _gas(flat(receipts)) / (len(receipts) * per)

        anchor_gas = gas(anchor) if anchor else None
        floor = NEW_SLOT + (TX_BASE if per == 1 else 0)
        if comparable and anchor_gas and anchor_gas * TARGET_RATIO < floor:
            what = "a transaction that stores" if per == 1 else "an item that stores"
            note += (
                f"; {TARGET_RATIO}x the anchor ({anchor_gas * TARGET_RATIO:,.0f}) is below "
                f"{floor:,}, the least {what} one new slot, so no registry keeping anything per "
                "identity can meet that target"
            )
        elif comparable and anchor_gas and gas(ours) > anchor_gas * TARGET_RATIO and per == 1:
            floors = [state_floor(r) for r in flat(ours)]
            if floors and all(f is not None for f in floors):
                least = mean(f[0] for f in floors if f) * len(flat(ours)) / len(ours)
                if least > anchor_gas * TARGET_RATIO:
                    note += (
                        f"; the state ours touches and the events it logs by its rules "
                        f"({floors[0][1]}) cost at least {least:,.0f} gas before a single "
                        f"computation step (EIP-2929/2200/3529 "
                        f"prices, from the node's prestateTracer), above {TARGET_RATIO}x the "
                        f"anchor ({anchor_gas * TARGET_RATIO:,.0f}): no implementation touching "
                        "that state can meet the target"
                    )
        return GasRow(
            operation, ours_call, gas(ours), anchor_call, gas(anchor) if anchor else None,
            comparable, note,
            ours_writes=_scaled(mean_writes(flat(ours), per), len(flat(ours)) / len(ours)),
            anchor_writes=(
                _scaled(mean_writes(flat(anchor), per), len(flat(anchor)) / len(anchor))
                if anchor else None
            ),
        )  # fmt: skip

    # --------------------------------------------------------------------- records vs EAS

    def records_vs_eas(self) -> list[GasRow]:
        self.progress("records vs EAS")
        our = self.our
        schema_id = our.register_schema()
        issuer = our.record_issuer
        n = self.samples
        expires = self.now + 300 * 24 * 3600
        people = self._people(1 + n + MAX_RECORD_BATCH)
        warm, singles, batch = people[0], people[1 : 1 + n], people[1 + n :]

        our.issue(city.record_input(schema_id, warm[0], "warm", expires))
        issued = [
            our.issue(city.record_input(schema_id, s, f"r{i}", expires))
            for i, (s, _) in enumerate(singles)
        ]
        issue_receipts = [r for r, _ in issued]
        revoke_receipts = [our.revoke(rid) for _, rid in issued]
        batch_receipt = our.issue_batch(
            [city.record_input(schema_id, s, f"b{i}", expires) for i, (s, _) in enumerate(batch)]
        )

        eas_build = self.compiled["eas"]
        registry = anchors.deploy(eas_build["SchemaRegistry"], sender=self.deployer)
        eas = anchors.deploy(eas_build["EAS"], registry.address, sender=self.deployer)
        registered = registry.register(city.EAS_SCHEMA, ZERO_ADDRESS, True, sender=self.deployer)
        schema_uid = registry.Registered.from_receipt(registered)[0].uid

        def attest_data(subj: bytes, wallet: str, label: str) -> tuple:
            return (wallet, expires, True, b"\x00" * 32, city.eas_payload(subj, label), 0)

        eas.attest((schema_uid, attest_data(warm[0], warm[1], "warm")), sender=issuer)
        attest_receipts = [
            eas.attest((schema_uid, attest_data(subj, wallet, f"r{i}")), sender=issuer)
            for i, (subj, wallet) in enumerate(singles)
        ]
        uids = [eas.Attested.from_receipt(r)[0].uid for r in attest_receipts]
        eas_revokes = [eas.revoke((schema_uid, (uid, 0)), sender=issuer) for uid in uids]
        multi = eas.multiAttest(
            [(schema_uid, [attest_data(s, w, f"b{i}") for i, (s, w) in enumerate(batch)])],
            sender=issuer,
        )
        return [
            self.row("record issue", "RecordRegistry.issue", issue_receipts,
                     "EAS.attest", attest_receipts, True,
                     "same content: EAS data = abi.encode(subject, evidenceHash, year, "
                     "compliant), recipient = the subject's wallet, same expiry, revocable; no URI "
                     "on either side. EAS stores the encoded data; ours stores the record's fields "
                     "(issuer, schema, subject, evidence hash, times) and logs the data in "
                     "RecordIssued after checking it against the schema's typed layout. Ours also "
                     "checks the issuer's role (AccessManager) and the subject's status "
                     "(IdentityRegistry) and keeps the per-(subject, schema) live set and standing "
                     "summary (validUntil, earliest dispute-stay end) that meetsPolicy reads in "
                     "O(1)"),
            self.row("record revoke", "RecordRegistry.revoke", revoke_receipts,
                     "EAS.revoke", eas_revokes, True,
                     "ours also re-checks the issuer role, drops the record from the live set, "
                     "recomputes the standing summary and logs a reason code and document hash; "
                     "it reads, by its rules, the proxy's implementation slot, the pause flag, "
                     "the manager's address, the manager's closed flag for the registry and the "
                     "caller's issuer role (a suspended key cannot revoke), the record (times, "
                     "issuer and schema, subject), the schema and the standing summary; EAS "
                     "compares the caller with the stored attester"),
            self.row(f"record issue, batch of {MAX_RECORD_BATCH} (per record)",
                     "RecordRegistry.issueBatch", [batch_receipt],
                     f"EAS.multiAttest ({MAX_RECORD_BATCH})", [multi], True,
                     "the bulk path: one transaction, fresh subjects on both sides",
                     per=MAX_RECORD_BATCH),
        ]  # fmt: skip

    # --------------------------------------------------------------------- identity vs ERC-3643

    def identity_vs_erc3643(self) -> list[GasRow]:
        self.progress("identities vs ERC-3643")
        n = self.samples
        people = self._fresh(1 + n + MAX_IDENTITY_BATCH)
        warm, singles, batch = people[0], people[1 : 1 + n], people[1 + n :]
        self.our.register_identity(*warm)
        ours_single = [self.our.register_identity(s, w) for s, w in singles]
        ours_batch = self.our.register_identities([(s, w, city.PERSON) for s, w in batch])
        try:
            registry, authority = self._trex_stack()
        except Exception as exc:  # report why, keep the rest of the table
            reason = f"T-REX did not deploy: {exc.__class__.__name__}: {str(exc)[:200]}"
            return [
                self.row("identity registration", "IdentityRegistry.register", ours_single,
                         "T-REX IdentityRegistry.registerIdentity", None, True, reason),
            ]  # fmt: skip
        build = self.compiled["trex"]
        agent = self.deployer

        def onchain_id(wallet: str) -> tuple[str, Any]:
            proxy = anchors.deploy(build["IdentityProxy"], authority.address, wallet, sender=agent)
            return proxy.address, anchors.creation_receipt(proxy)

        warm_id, _ = onchain_id(warm[1])
        registry.registerIdentity(warm[1], warm_id, COUNTRY_CN, sender=agent)
        trex_single, onboarding = [], []
        for _, wallet in singles:
            identity_address, deployed = onchain_id(wallet)
            receipt = registry.registerIdentity(wallet, identity_address, COUNTRY_CN, sender=agent)
            trex_single.append(receipt)
            onboarding.append([deployed, receipt])
        batch_ids = [onchain_id(w)[0] for _, w in batch]
        trex_batch = registry.batchRegisterIdentity(
            [w for _, w in batch], batch_ids, [COUNTRY_CN] * len(batch), sender=agent
        )
        return [
            self.row("identity registration", "IdentityRegistry.register", ours_single,
                     "T-REX IdentityRegistry.registerIdentity", trex_single, True,
                     "both record who controls the identity and emit an event behind an agency "
                     "check (ours: AccessManager role via an external call; T-REX: its own agent "
                     "list). T-REX writes one packed slot (identity contract + country) in "
                     "IdentityRegistryStorage; ours writes the identity slot, a reverse "
                     "wallet->subject index (one wallet, one subject) and a counter"),
            self.row(f"identity registration, batch of {MAX_IDENTITY_BATCH} (per identity)",
                     "IdentityRegistry.registerBatch", [ours_batch],
                     f"T-REX batchRegisterIdentity ({MAX_IDENTITY_BATCH})", [trex_batch], True,
                     "T-REX's batch loops over registerIdentity (agent check and storage call "
                     "per identity); ours checks the role once per batch",
                     per=MAX_IDENTITY_BATCH),
            self.row("onboarding a person, end to end", "IdentityRegistry.register", ours_single,
                     "ONCHAINID IdentityProxy deploy + registerIdentity", onboarding, True,
                     "what it takes to make a person known to the registry: ERC-3643 needs an "
                     "ONCHAINID contract per person (a proxy, deployed as IdFactory does, here "
                     "without CREATE2); our subjects are commitments and their claims live in "
                     "RecordRegistry"),
        ]  # fmt: skip

    def _trex_stack(self) -> tuple[Any, Any]:
        build = self.compiled["trex"]
        d = self.deployer
        storage = anchors.deploy(build["IdentityRegistryStorage"], sender=d)
        storage.init(sender=d)
        topics = anchors.deploy(build["ClaimTopicsRegistry"], sender=d)
        topics.init(sender=d)
        issuers = anchors.deploy(build["TrustedIssuersRegistry"], sender=d)
        issuers.init(sender=d)
        registry = anchors.deploy(build["IdentityRegistry"], sender=d)
        registry.init(issuers.address, topics.address, storage.address, sender=d)
        storage.bindIdentityRegistry(registry.address, sender=d)
        registry.addAgent(d.address, sender=d)
        library = anchors.deploy(build["Identity"], d.address, True, sender=d)
        authority = anchors.deploy(build["ImplementationAuthority"], library.address, sender=d)
        return registry, authority

    # --------------------------------------------------------------------- titles vs ERC-721

    def titles_vs_erc721(self) -> list[GasRow]:
        self.progress("titles vs ERC-721")
        seller, buyer, plain_from, plain_to = self.parties[:4]
        seller_subject, buyer_subject = (city.subject("gas-party", i) for i in (1, 2))
        our = self.our
        for subj, account in ((seller_subject, seller), (buyer_subject, buyer)):
            if not our.identities.isActive(subj):
                our.register_identity(subj, account.address)
        n = self.samples
        parcels = [city.parcel_data("gas", i) for i in range(n + 1)]
        registered = [our.register_parcel(seller_subject, p) for p in parcels]
        our.sale(parcels[0][0], seller, buyer, buyer_subject, 0)  # warm-up
        sales = [
            our.sale(p[0], seller, buyer, buyer_subject, i + 1) for i, p in enumerate(parcels[1:])
        ]

        token = anchors.deploy(self.compiled["erc721"]["PlainERC721"], sender=self.deployer)
        mints = [token.mint(plain_from.address, i, sender=self.deployer) for i in range(n + 1)]
        token.transferFrom(plain_from.address, plain_to.address, 0, sender=plain_from)  # warm-up
        transfers = [
            token.transferFrom(plain_from.address, plain_to.address, i, sender=plain_from)
            for i in range(1, n + 1)
        ]
        steps = " + ".join(
            f"{name} {mean(int(s[k].gas_used) for s in sales):,.0f}"
            for k, name in enumerate(("propose", "accept", "approve"))
        )
        return [
            self.row("title sale (3 transactions)", "proposeSale + acceptSale + approveSale",
                     sales, "ERC-721 transferFrom", transfers, False,
                     f"the price of the workflow ({steps}): three parties sign, the registrar's "
                     "buyer's acceptance commits to the encumbrance it saw (liens and answers, "
                     "hashed by the lien registry and stored), the approval checks both "
                     "identities, that encumbrance again and tax arrears, and the sale and the "
                     "chain of title are stored; a plain transfer checks one approval"),
            self.row("parcel registration", "TitleRegistry.register", registered[1:],
                     "ERC-721 _mint (open mint)", mints[1:], False,
                     "ours also stores the survey hash, area, land use and the first title "
                     "entry, and resolves the owner identity's wallet"),
        ]  # fmt: skip

    def run(self) -> list[GasRow]:
        self.now = int(self.our.titles.provider.get_block("latest").timestamp)
        return [*self.records_vs_eas(), *self.identity_vs_erc3643(), *self.titles_vs_erc721()]
