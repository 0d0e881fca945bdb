"""The deployment a manifest describes, the chain check, and `CivicLedgerClient`: calls and
transactions signed locally, ids read from the contracts' events (docs/integration.md §1, §3)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_abi import decode
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, ContractLogicError, MismatchedABI

from .encoding import (
    ISSUE_RECORD_TYPE,
    ZERO32,
    LienAnswer,
    issue_domain,
    parcel_id,
    record_data,
    sale_encumbrance_hash,
)
from .errors import ChainMismatch, CivicRevert, ClientError

# ------------------------------------------------------------------------------------------
# The deployment and the chain (docs/integration.md §1)
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deployment:
    """What `deployments/<network>.json` says: the chain, each contract's address, ABI and
    deployment block, and the roles catalogue."""

    path: Path
    network: str
    chain_id: int
    genesis_hash: str
    contracts: Mapping[str, Mapping[str, Any]]
    abis: Mapping[str, list[dict[str, Any]]]
    roles: list[dict[str, Any]]

    @classmethod
    def load(cls, manifest: str | Path) -> Deployment:
        path = Path(manifest)
        document = json.loads(path.read_text(encoding="utf-8"))
        contracts = document["contracts"]
        abis = {}
        for name, entry in contracts.items():
            if "abi" in entry:  # relative to the manifest's folder
                published = json.loads((path.parent / entry["abi"]).read_text(encoding="utf-8"))
                abis[name] = published["abi"]
        return cls(
            path=path,
            network=document.get("network", path.stem),
            chain_id=int(document["chain_id"]),
            genesis_hash=str(document["genesis_hash"]).lower(),
            contracts=contracts,
            abis=abis,
            roles=list(document.get("roles", {}).get("catalogue", [])),
        )

    def role_members(self, role: str) -> list[str]:
        """The addresses holding `role` (by name) according to the roles catalogue."""
        for entry in self.roles:
            if entry["name"] == role:
                return [Web3.to_checksum_address(member) for member in entry.get("members", [])]
        raise ClientError(f"no role {role!r} in the manifest's catalogue")


def check_chain(w3: Web3, deployment: Deployment) -> None:
    """Refuse a node that is not the manifest's chain: chain id AND genesis hash must match."""
    chain_id = w3.eth.chain_id
    if chain_id != deployment.chain_id:
        raise ChainMismatch(
            f"the node is chain {chain_id}, the manifest is for chain {deployment.chain_id}"
        )
    genesis = w3.eth.get_block(0)["hash"].to_0x_hex().lower()
    if genesis != deployment.genesis_hash:
        raise ChainMismatch(
            f"chain {chain_id} has genesis {genesis}, the manifest was written for "
            f"{deployment.genesis_hash}: another chain with the same id (a reset dev chain?)"
        )


def _canonical(param: Mapping[str, Any]) -> str:
    kind = str(param["type"])
    if kind.startswith("tuple"):
        return "(" + ",".join(_canonical(c) for c in param["components"]) + ")" + kind[5:]
    return kind


def _named(params: Sequence[Mapping[str, Any]], values: Sequence[Any]) -> dict[str, Any]:
    result = {}
    for param, value in zip(params, values, strict=True):
        kind = str(param["type"])
        if kind == "tuple":
            value = _named(param["components"], value)
        elif kind.startswith("tuple["):
            value = [_named(param["components"], item) for item in value]
        result[str(param["name"])] = value
    return result


class CivicLedgerClient:
    """Calls and transactions against one deployment, after checking the chain."""

    def __init__(self, w3: Web3, deployment: Deployment, receipt_timeout: float = 120.0) -> None:
        check_chain(w3, deployment)
        self.w3 = w3
        self.deployment = deployment
        self.receipt_timeout = receipt_timeout
        self._contracts: dict[str, Contract] = {}
        self._errors: dict[bytes, tuple[str, list[str]]] = {}
        for name, abi in deployment.abis.items():
            address = Web3.to_checksum_address(deployment.contracts[name]["address"])
            self._contracts[name] = w3.eth.contract(address=address, abi=abi)
            for item in abi:
                if item.get("type") == "error":
                    types = [_canonical(p) for p in item.get("inputs", [])]
                    selector = bytes(Web3.keccak(text=f"{item['name']}({','.join(types)})"))[:4]
                    self._errors[selector] = (str(item["name"]), types)

    @classmethod
    def connect(cls, rpc_url: str, manifest: str | Path) -> CivicLedgerClient:
        return cls(
            Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 30})),
            Deployment.load(manifest),
        )

    # -- plumbing ----------------------------------------------------------------------------

    def contract(self, name: str) -> Contract:
        try:
            return self._contracts[name]
        except KeyError:
            raise ClientError(f"the manifest publishes no ABI for {name}") from None

    def call(self, contract: str, function: str, *args: Any) -> Any:
        """A view call; a struct result comes back as a dict keyed by the ABI's field names."""
        fn = self.contract(contract).functions[function](*args)  # overloads resolved by args
        try:
            result = fn.call()
        except ContractCustomError as error:
            raise self._revert(contract, error) from error
        outputs = fn.abi.get("outputs", [])
        if len(outputs) == 1 and outputs[0]["type"] == "tuple":
            return _named(outputs[0]["components"], result)
        return result

    def _revert(self, contract: str, error: ContractCustomError) -> ClientError:
        data = str(error.data)  # 0x-hex: 4-byte selector, then the ABI-encoded arguments
        raw = bytes.fromhex(data.removeprefix("0x"))
        known = self._errors.get(raw[:4])
        if known is None:
            return ClientError(f"{contract} reverted with unknown error data {data}")
        name, types = known
        values = decode(types, raw[4:])
        args = tuple(
            Web3.to_checksum_address(value) if kind == "address" else value
            for kind, value in zip(types, values, strict=True)
        )
        return CivicRevert(name, args, contract)

    def transact(self, sender: LocalAccount, contract: str, function: str, *args: Any) -> Any:
        """Sign locally, send, wait for the receipt; return it (raises on a revert)."""
        fn = self.contract(contract).functions[function](*args)  # overloads resolved by args
        try:
            tx = fn.build_transaction(
                {
                    "from": sender.address,
                    "nonce": self.w3.eth.get_transaction_count(sender.address, "pending"),
                    "chainId": self.deployment.chain_id,
                }
            )  # estimates gas: a call that would revert raises here, with its custom error
        except ContractCustomError as error:
            raise self._revert(contract, error) from error
        except ContractLogicError as error:
            raise ClientError(f"{contract}.{function} would revert: {error}") from error
        return self._send(sender, tx, f"{contract}.{function}")

    def send_value(self, sender: LocalAccount, to: str, wei: int) -> Any:
        """A plain value transfer (e.g. to give a new controller wallet gas)."""
        tx = {
            "from": sender.address,
            "to": Web3.to_checksum_address(to),
            "value": wei,
            "nonce": self.w3.eth.get_transaction_count(sender.address, "pending"),
            "chainId": self.deployment.chain_id,
            "gas": 21_000,
            "maxPriorityFeePerGas": self.w3.eth.max_priority_fee,
            "maxFeePerGas": 2 * self.w3.eth.get_block("latest")["baseFeePerGas"]
            + self.w3.eth.max_priority_fee,
        }
        return self._send(sender, tx, "transfer")

    def _send(self, sender: LocalAccount, tx: Mapping[str, Any], what: str) -> Any:
        signed = sender.sign_transaction(dict(tx))
        tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=self.receipt_timeout)
        if receipt["status"] != 1:
            raise ClientError(
                f"{what} failed in block {receipt['blockNumber']} (tx {tx_hash.to_0x_hex()})"
            )
        return receipt

    def events(self, receipt: Any, contract: str, event: str) -> list[dict[str, Any]]:
        """The `event`s `contract` emitted in a receipt's transaction, as plain dicts of args."""
        instance = self.contract(contract)
        handler = instance.events[event]()
        found = []
        for log in receipt["logs"]:
            if log["address"] != instance.address or not log["topics"]:
                continue
            if log["topics"][0].to_0x_hex() != handler.topic:
                continue
            try:
                found.append(dict(handler.process_log(log)["args"]))
            except MismatchedABI:
                continue
        return found

    def _act(
        self, account: LocalAccount, contract: str, function: str, event: str, *args: Any
    ) -> dict[str, Any]:
        """Send `contract.function(*args)` signed by `account`; the one `event` it emitted."""
        return self._one(self.transact(account, contract, function, *args), contract, event)

    def _one(self, receipt: Any, contract: str, event: str) -> dict[str, Any]:
        found = self.events(receipt, contract, event)
        if len(found) != 1:
            raise ClientError(f"expected one {contract}.{event} event, found {len(found)}")
        return found[0]

    def history(
        self,
        contract: str,
        event: str,
        argument_filters: Mapping[str, Any] | None = None,
        step: int = 2_000,
    ) -> Iterator[dict[str, Any]]:
        """Every `event` of `contract` since its deployment block, in bounded block ranges (§5)."""
        handler = self.contract(contract).events[event]()
        start = int(self.deployment.contracts[contract].get("block", 0))
        head = self.w3.eth.block_number
        while start <= head:
            end = min(start + step - 1, head)
            for entry in handler.get_logs(
                from_block=start, to_block=end, argument_filters=argument_filters
            ):
                yield {**dict(entry["args"]), "blockNumber": entry["blockNumber"]}
            start = end + 1

    # -- identities --------------------------------------------------------------------------

    def register_identity(
        self, office: LocalAccount, subject: bytes, controller: str, kind: int
    ) -> bytes:
        """Identity office: register `subject` with `controller` as its wallet. Returns the subject
        as IdentityRegistered announces it."""
        found = self._act(
            office, "IdentityRegistry", "register", "IdentityRegistered", subject, controller, kind
        )
        return bytes(found["subject"])

    def identity(self, subject: bytes) -> dict[str, Any]:
        return self.call("IdentityRegistry", "identityOf", subject)

    # -- records -----------------------------------------------------------------------------

    def schema(self, name: str) -> tuple[int, dict[str, Any]]:
        schema_id = self.call("RecordRegistry", "schemaIdByName", name)
        if schema_id == 0:
            raise ClientError(f"no schema named {name!r}")
        return schema_id, self.call("RecordRegistry", "getSchema", schema_id)

    def record_input(
        self,
        schema_name: str,
        subject: bytes,
        values: Mapping[str, Any],
        evidence_hash: bytes,
        expires_at: int = 0,
        supersedes: bytes = ZERO32,
    ) -> tuple[int, bytes, bytes, bytes, int, bytes]:
        """The RecordInput tuple for a record of the named schema, its data encoded from the
        schema's on-chain layout (expires_at 0: the schema's default validity)."""
        schema_id, schema = self.schema(schema_name)
        data = record_data(schema["fieldLayout"], values)
        return (schema_id, subject, evidence_hash, data, expires_at, supersedes)

    def issue_record(self, issuer: LocalAccount, record: Sequence[Any]) -> bytes:
        """The issuer (holder of the schema's issuer role) issues a record (a RecordInput tuple,
        from `record_input`); returns the record id from RecordIssued."""
        found = self._act(issuer, "RecordRegistry", "issue", "RecordIssued", tuple(record))
        return bytes(found["recordId"])

    def issue_message(
        self, record: Sequence[Any], signer: str, deadline: int, nonce: int | None = None
    ) -> dict[str, Any]:
        """The EIP-712 IssueRecord message for `record` (a RecordInput tuple), with the
        signer's current nonce unless one is given."""
        if nonce is None:
            nonce = self.call("RecordRegistry", "nonces", signer)
        schema_id, subject, evidence_hash, data, expires_at, supersedes = record
        return {
            "schemaId": schema_id,
            "subject": subject,
            "evidenceHash": evidence_hash,
            "data": data,
            "expiresAt": expires_at,
            "supersedes": supersedes,
            "nonce": nonce,
            "deadline": deadline,
        }

    def sign_issue(self, signer: LocalAccount, record: Sequence[Any], deadline: int) -> bytes:
        """Offline half of signed issuance: the agency signs; anyone may relay the signature."""
        domain = issue_domain(self.deployment.chain_id, self.contract("RecordRegistry").address)
        message = self.issue_message(record, signer.address, deadline)
        signed = signer.sign_typed_data(domain, {"IssueRecord": ISSUE_RECORD_TYPE}, message)
        return bytes(signed.signature)

    def relay_issue(
        self,
        relayer: LocalAccount,
        record: Sequence[Any],
        signer: str,
        deadline: int,
        signature: bytes,
    ) -> bytes:
        """Relay a signed issuance (the record's issuer is the signer); returns the record id."""
        found = self._act(
            relayer, "RecordRegistry", "issueWithSignature", "RecordIssued",
            tuple(record), signer, deadline, signature,
        )  # fmt: skip
        return bytes(found["recordId"])

    def dispute_record(
        self, controller: LocalAccount, record: bytes, evidence_hash: bytes
    ) -> dict[str, Any]:
        """The subject's controller disputes an adverse record; returns RecordDisputed's args."""
        return self._act(
            controller, "RecordRegistry", "dispute", "RecordDisputed", record, evidence_hash
        )

    def resolve_dispute(
        self, arbiter: LocalAccount, record: bytes, upheld: bool, ruling_hash: bytes
    ) -> dict[str, Any]:
        """The arbiter upholds or overturns (revokes) a disputed record; DisputeResolved's args."""
        return self._act(
            arbiter, "RecordRegistry", "resolveDispute", "DisputeResolved",
            record, upheld, ruling_hash,
        )  # fmt: skip

    def record(self, record: bytes) -> dict[str, Any]:
        return self.call("RecordRegistry", "getRecord", record)

    def dispute(self, record: bytes) -> dict[str, Any]:
        return self.call("RecordRegistry", "getDispute", record)

    # -- parcels and sales -------------------------------------------------------------------

    def register_parcel(
        self,
        registrar: LocalAccount,
        owner: bytes,
        cadastral_code: str,
        data_hash: bytes,
        area: int,
        land_use: int,
    ) -> int:
        """Registrar: register the parcel of `cadastral_code` to `owner`; ParcelRegistered's id."""
        parcel = (parcel_id(cadastral_code), data_hash, area, land_use)
        found = self._act(registrar, "TitleRegistry", "register", "ParcelRegistered", owner, parcel)
        return int(found["parcelId"])

    def propose_sale(
        self, seller: LocalAccount, parcel: int, buyer: bytes, price: int, deed_hash: bytes
    ) -> int:
        """The owner's controller proposes a sale; returns the sale id from SaleProposed."""
        found = self._act(
            seller, "TitleRegistry", "proposeSale", "SaleProposed", parcel, buyer, price, deed_hash
        )
        return int(found["saleId"])

    def sale_encumbrance(self, sale_id: int) -> tuple[int, list[LienAnswer], bytes, bool]:
        """(parcel id, liens with their answers, hash recomputed here, every lien answered).

        The hash is recomputed from what the buyer is shown, and refused if the registry's own
        differs: the buyer commits to what they saw, never to an opaque value."""
        shown, on_chain_hash, answered = (
            self.contract("LienRegistry").functions.saleEncumbrance(sale_id).call()
        )
        _, parcel, lien_ids, holders, amounts, consents = shown
        liens = [
            LienAnswer(int(i), bytes(h), int(a), int(c))
            for i, h, a, c in zip(lien_ids, holders, amounts, consents, strict=True)
        ]
        computed = sale_encumbrance_hash(sale_id, parcel, liens)
        if computed != bytes(on_chain_hash):
            raise ClientError(f"sale {sale_id}: encumbrance hash differs from the registry's")
        return int(parcel), liens, computed, bool(answered)

    def propose_lien(
        self, lender: LocalAccount, parcel: int, holder: bytes, amount: int, evidence_hash: bytes
    ) -> int:
        """The lender's controller proposes a lien on a parcel; returns LienProposed's id."""
        found = self._act(
            lender, "LienRegistry", "proposeLien", "LienProposed",
            parcel, holder, amount, evidence_hash,
        )  # fmt: skip
        return int(found["lienId"])

    def consent_lien(self, owner: LocalAccount, lien_id: int) -> dict[str, Any]:
        """The owner's controller consents: the lien becomes effective (LienRecorded's args)."""
        return self._act(owner, "LienRegistry", "consentLien", "LienRecorded", lien_id)

    def answer_sale(
        self, lender: LocalAccount, lien_id: int, sale_id: int, discharge_at_closing: bool
    ) -> dict[str, Any]:
        """The lienholder answers a sale: keep the lien, or discharge it at closing; returns
        LienSaleConsentSet's args."""
        return self._act(
            lender, "LienRegistry", "consentToSale", "LienSaleConsentSet",
            lien_id, sale_id, discharge_at_closing,
        )  # fmt: skip

    def accept_sale(
        self, buyer: LocalAccount, sale_id: int, encumbrance_hash: bytes
    ) -> dict[str, Any]:
        return self._act(
            buyer, "TitleRegistry", "acceptSale", "SaleAccepted", sale_id, encumbrance_hash
        )

    def approve_sale(self, registrar: LocalAccount, sale_id: int) -> dict[str, Any]:
        return self._act(registrar, "TitleRegistry", "approveSale", "SaleApproved", sale_id)

    def sale(self, sale_id: int) -> dict[str, Any]:
        return self.call("TitleRegistry", "saleOf", sale_id)

    def owner_of(self, parcel: int) -> bytes:
        """The owner identity (subject) of a parcel."""
        return bytes(self.call("TitleRegistry", "ownerIdentityOf", parcel))
