"""What the proxies cost: gas of hot operations through the UUPS proxies (`CityProxy`) as
deployed, against the same operations with every proxy's code replaced by its implementation's
(anvil's `anvil_setCode`, inside an `evm_snapshot`/`evm_revert`), so the implementation runs
directly at the proxy's address, on the proxy's own storage, in the same run. The difference is
the proxy's added gas: its dispatch (calldata copy, the ERC-1967 slot read, the DELEGATECALL and
its cold account access, the return copy), paid once per proxied contract a transaction enters
(the record issue also calls IdentityRegistry, the sale approval LienRegistry and PropertyTax
through their proxies)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import mean
from typing import Any

from civic_dev.bench import city
from civic_dev.bench.city import City
from civic_ledger.deploy.proxy import implementation_of

HEADING = "## Proxy overhead"


@dataclass(frozen=True)
class ProxyRow:
    operation: str
    call: str
    proxied: float  # mean gas per operation (receipts), through the proxies
    direct: float  # the same, implementations at the proxies' addresses

    @property
    def added(self) -> float:
        return self.proxied - self.direct

    @property
    def share(self) -> float:
        return self.added / self.proxied


Operation = Callable[[int], Sequence[Any]]  # sample index -> its receipts


class ProxyBench:
    """The hot operations, each run `samples` times per side on fresh inputs (after one
    unmeasured warm-up per side)."""

    def __init__(self, our: City, rpc: Any, parties: Sequence[Any], samples: int = 3) -> None:
        self.our, self.rpc, self.samples = our, rpc, samples
        self.seller, self.buyer = parties[0], parties[1]
        self.seller_subject = self._identity_of(self.seller, 1)
        self.buyer_subject = self._identity_of(self.buyer, 2)

    def _identity_of(self, account: Any, label: int) -> bytes:
        """The subject `account` controls (the gas bench may have registered it already: one
        wallet controls one subject), registered now if none."""
        existing = bytes(self.our.identities.subjectOf(account.address))
        if existing != bytes(32):
            return existing
        subject_ = city.subject("proxy-party", label)
        self.our.register_identity(subject_, account.address)
        return subject_

    def _operations(self) -> list[tuple[str, str, Operation]]:
        our = self.our
        token = our.contracts["CityToken"]
        schema = our.register_schema()
        expires = int(our.titles.provider.get_block("latest").timestamp) + 300 * 24 * 3600
        slots = 2 * (self.samples + 1)  # per side: warm-up + samples
        people = [(city.subject("proxy-person", i), city.controller("proxy-person", i))
                  for i in range(slots)]  # fmt: skip
        our.register_identities([(s, w, city.PERSON) for s, w in people])
        treasurer = our.agency["finance_bureau"]
        token.mint(self.seller, 10**24, sender=treasurer)

        def sale(i: int) -> Sequence[Any]:
            data = city.parcel_data("proxy-sale", i)
            our.register_parcel(self.seller_subject, data)
            return our.sale(data[0], self.seller, self.buyer, self.buyer_subject, 1_000 + i)

        return [
            ("identity registration", "IdentityRegistry.register",
             lambda i: [our.register_identity(city.subject("proxy-new", i),
                                              city.controller("proxy-new", i))]),
            ("record issue", "RecordRegistry.issue",
             lambda i: [our.issue(city.record_input(schema, people[i][0], f"p{i}", expires))[0]]),
            ("parcel registration", "TitleRegistry.register",
             lambda i: [our.register_parcel(self.seller_subject, city.parcel_data("proxy", i))]),
            ("title sale (3 transactions)", "proposeSale + acceptSale + approveSale", sale),
            ("token transfer", "CityToken.transfer",
             lambda i: [token.transfer(city.controller("proxy-payee", i), 10**18,
                                       sender=self.seller)]),
        ]  # fmt: skip

    def _side(self, operations: list[tuple[str, str, Operation]], first: int) -> list[float]:
        means = []
        for _, _, operation in operations:
            operation(first)  # warm-up
            gas = [sum(int(r.gas_used) for r in operation(first + k))
                   for k in range(1, self.samples + 1)]  # fmt: skip
            means.append(mean(gas))
        return means

    def _unproxied(self) -> None:
        """Every proxy's code becomes its implementation's (storage untouched)."""
        web3 = self.our.titles.provider.web3
        for contract in self.our.contracts.values():
            implementation = implementation_of(web3, contract.address)
            if int(implementation, 16) == 0:
                continue  # not a proxy (the AccessManager)
            code = web3.eth.get_code(implementation)
            self.rpc.call("anvil_setCode", contract.address, "0x" + bytes(code).hex())

    def run(self) -> list[ProxyRow]:
        operations = self._operations()
        proxied = self._side(operations, 0)
        snapshot = self.rpc.call("evm_snapshot")
        try:
            self._unproxied()
            direct = self._side(operations, self.samples + 1)
        finally:
            self.rpc.call("evm_revert", snapshot)
        return [ProxyRow(name, call, p, d)
                for (name, call, _), p, d in zip(operations, proxied, direct, strict=True)]  # fmt: skip


def markdown(rows: Sequence[ProxyRow], samples: int, measured: str | None = None) -> list[str]:
    """The report's section; `measured` says when and where, when not in the run the report's
    header describes (`--proxy-only`)."""
    lines = [
        HEADING,
        "",
        *([measured, ""] if measured else []),
        f"`receipt.gas_used` of whole transactions, mean of {samples} operations on fresh inputs "
        "after one unmeasured warm-up per side: through the proxies as deployed, then — in the "
        "same run, inside an `evm_snapshot` reverted afterwards — with every proxy's code "
        "replaced by its implementation's (`anvil_setCode`), so the implementation runs "
        "directly on the same storage at the same address. *Added* is the proxies' price: the "
        "dispatch (calldata copy, ERC-1967 slot read, DELEGATECALL with its cold account "
        "access, return copy), once per proxied contract the transaction enters. Regenerate "
        "this section alone (about a minute) with `ape run bench --proxy-only`.",
        "",
        "| Operation | Call | Through proxies | Implementations directly | Added | Share |",
        "|---|---|--:|--:|--:|--:|",
    ]
    for row in rows:
        lines.append(
            f"| {row.operation} | `{row.call}` | {row.proxied:,.0f} | {row.direct:,.0f} | "
            f"{row.added:,.0f} | {row.share:.1%} |"
        )
    return [*lines, ""]


def write_section(path: Path, section: str, before: str = "## Bulk import throughput") -> Path:
    """Put (or replace) the proxy section in `path`, leaving the other figures alone; a new
    section goes before the `before` heading (or at the end)."""
    from civic_dev.bench.report import replace_section

    text = path.read_text() if path.exists() else "# Benchmarks\n"
    lines = text.splitlines()
    if HEADING not in lines and before in lines:
        at = lines.index(before)
        text = "\n".join([*lines[:at], *section.rstrip("\n").splitlines(), "", *lines[at:]]) + "\n"
    else:
        text = replace_section(text, HEADING, section)
    path.write_text(text)
    return path
