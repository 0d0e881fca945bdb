"""One way to talk to a node: `ChainClient`, over JSON-RPC/HTTP (`HttpClient`, batched) or over
the web3 instance of Ape's connected provider (`Web3Client`, which also reaches the embedded
EthTester chain that has no HTTP endpoint).

Both answer in plain Python values (ints, 0x-hex strings, `Receipt`), so the journal, the
sender and the settle rule above them do not care which one they got.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from civic_ledger.core.exceptions import RpcError

#: Answers to eth_sendRawTransaction that mean "this exact transaction is already known or
#: mined" — harmless when re-broadcasting the same signed bytes.
ALREADY_SEEN = (
    "already known",
    "known transaction",
    "nonce too low",
    "already imported",
    "transaction already exists",
    "invalid transaction nonce",  # py-evm: the nonce was used (by this very transaction)
    "replacement transaction underpriced",  # the pool holds this nonce already
)


@dataclass(frozen=True)
class Receipt:
    """What the chain layer needs of a transaction receipt."""

    tx_hash: str
    status: int
    block: int
    gas_used: int
    contract_address: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 1


@dataclass(frozen=True)
class ChainRef:
    """Which chain: its id and its genesis block hash (0x + lower-case hex)."""

    chain_id: int
    genesis: str

    def describe(self) -> str:
        return f"chain {self.chain_id} (genesis {self.genesis[:10]}…)"


def hex0x(value: Any) -> str:
    """0x + lower-case hex from bytes, HexBytes or a (0x-)hex string."""
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    text = str(value).lower()
    return text if text.startswith("0x") else "0x" + text


def _int(value: Any) -> int:
    if isinstance(value, int):
        return value
    return int(str(value), 16)


class ChainClient:
    """The node operations the project uses. Subclasses implement `call` (and may batch)."""

    #: Blocks that must be built on a receipt's block before its transaction counts as mined
    #: (`settle`): 0 where the newest block is final (anvil, a single sealer), 1 on Clique,
    #: whose signers may replace the newest block (an out-of-turn block losing to the in-turn
    #: one) and send its transactions back to the pool. From Ape's network configuration
    #: (`required_confirmations`) for clients built on Ape's provider.
    confirmations: int = 0

    def call(self, method: str, *params: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """Results in order; a failed call yields an RpcError in its place."""
        out: list[Any] = []
        for method, params in calls:
            try:
                out.append(self.call(method, *params))
            except RpcError as exc:
                out.append(exc)
        return out

    # -- reads ---------------------------------------------------------------------------

    def chain_id(self) -> int:
        return _int(self.call("eth_chainId"))

    def chain_ref(self) -> ChainRef:
        return ChainRef(self.chain_id(), hex0x(self.block(0)["hash"]))

    def block_number(self) -> int:
        return _int(self.call("eth_blockNumber"))

    def block(self, number: int | str = "latest", full: bool = False) -> dict[str, Any]:
        tag = hex(number) if isinstance(number, int) else number
        block = self.call("eth_getBlockByNumber", tag, full)
        if block is None:
            raise RpcError("eth_getBlockByNumber", f"no block {number}")
        return dict(block)

    def base_fee(self) -> int:
        block = self.block("latest")
        return _int(block.get("baseFeePerGas", 0) or 0)

    def gas_limit(self) -> int:
        return _int(self.block("latest")["gasLimit"])

    def nonce(self, address: str, tag: str = "latest") -> int:
        return _int(self.call("eth_getTransactionCount", address, tag))

    def code(self, address: str) -> bytes:
        raw = self.call("eth_getCode", address, "latest")
        return bytes.fromhex(hex0x(raw)[2:])

    def estimate_gas(self, sender: str, to: str | None, data: bytes, value: int = 0) -> int:
        tx: dict[str, Any] = {"from": sender, "data": hex0x(data)}
        if to:
            tx["to"] = to
        if value:
            tx["value"] = hex(value)
        return _int(self.call("eth_estimateGas", tx))

    def receipt(self, tx_hash: str) -> Receipt | None:
        return _receipt(tx_hash, self.call("eth_getTransactionReceipt", tx_hash))

    def receipts(self, hashes: Sequence[str]) -> list[Receipt | None]:
        out: list[Receipt | None] = []
        for start in range(0, len(hashes), 200):
            chunk = hashes[start : start + 200]
            answers = self.batch([("eth_getTransactionReceipt", [h]) for h in chunk])
            for tx_hash, answer in zip(chunk, answers, strict=True):
                if isinstance(answer, RpcError):
                    raise answer
                out.append(_receipt(tx_hash, answer))
        return out

    def knows(self, tx_hash: str) -> bool:
        """Whether the node holds the transaction (pending in its pool, or mined)."""
        return self.call("eth_getTransactionByHash", tx_hash) is not None

    # -- the one place raw transactions leave the project ---------------------------------

    def send_raw_many(self, raws: Sequence[bytes], chunk: int = 100) -> None:
        """Broadcast many signed transactions, `chunk` per request (load generators)."""
        for start in range(0, len(raws), chunk):
            answers = self.batch(
                [("eth_sendRawTransaction", [hex0x(r)]) for r in raws[start : start + chunk]]
            )
            errors = [a for a in answers if isinstance(a, RpcError)]
            if errors:
                raise errors[0]

    def send_raw(self, raw: bytes, *, rebroadcast: bool = False) -> None:
        """Broadcast signed bytes. With `rebroadcast`, the node already knowing (or having
        mined) this very transaction is not an error."""
        try:
            self.call("eth_sendRawTransaction", hex0x(raw))
        except RpcError as exc:
            if rebroadcast and any(s in str(exc).lower() for s in ALREADY_SEEN):
                return
            raise


def _receipt(tx_hash: str, raw: Any) -> Receipt | None:
    if raw is None:
        return None
    get = raw.get
    address = get("contractAddress")
    return Receipt(
        tx_hash=hex0x(get("transactionHash") or tx_hash),
        status=_int(get("status", 0)),
        block=_int(get("blockNumber")),
        gas_used=_int(get("gasUsed")),
        contract_address=str(address) if address else None,
    )


class HttpClient(ChainClient):
    """JSON-RPC over HTTP with keep-alive and batching (no web3 machinery: Clique's long
    extraData needs no middleware here)."""

    def __init__(self, url: str, timeout: float = 60.0) -> None:
        import requests

        self.url = url
        self.timeout = timeout
        self._ids = itertools.count(1)
        self._session = requests.Session()

    def __repr__(self) -> str:
        return f"HttpClient({self.url!r})"

    def call(self, method: str, *params: Any) -> Any:
        result = self._post([(method, list(params))], self.timeout)[0]
        if isinstance(result, RpcError):
            raise result
        return result

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        if not calls:
            return []
        return self._post(calls, self.timeout * 4)

    def _post(self, calls: Sequence[tuple[str, Sequence[Any]]], timeout: float) -> list[Any]:
        import requests

        body = [
            {"jsonrpc": "2.0", "id": next(self._ids), "method": m, "params": list(p)}
            for m, p in calls
        ]
        method = calls[0][0] if len(calls) == 1 else "batch"
        try:
            response = self._session.post(self.url, json=body, timeout=timeout)
            response.raise_for_status()
            answer = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise RpcError(method, f"no answer from {self.url}: {exc}") from None
        if isinstance(answer, dict):  # the whole batch was refused
            error = answer.get("error") or {}
            raise RpcError(method, str(error.get("message")), error.get("code"))
        by_id = {item.get("id"): item for item in answer}
        out: list[Any] = []
        for request, (name, _) in zip(body, calls, strict=True):
            item = by_id.get(request["id"], {"error": {"message": "no answer"}})
            if "error" in item:
                error = item["error"] or {}
                out.append(RpcError(name, str(error.get("message")), error.get("code")))
            else:
                out.append(item.get("result"))
        return out

    def alive(self) -> bool:
        try:
            self.call("eth_chainId")
        except RpcError:
            return False
        return True

    def close(self) -> None:
        self._session.close()


class Web3Client(ChainClient):
    """The same operations through a web3 instance (Ape's `provider.web3`), normalised to
    JSON-RPC shapes (camelCase keys, 0x-hex strings) whatever backend web3 wraps."""

    def __init__(self, web3: Any, confirmations: int = 0) -> None:
        self.web3 = web3
        self.confirmations = confirmations

    @classmethod
    def from_ape(cls, provider: Any = None) -> Web3Client:
        """On Ape's provider (the connected one by default), with its network's
        `required_confirmations` (ape-config.yaml: 1 for the Clique devnet)."""
        if provider is None:
            from ape import networks

            provider = networks.provider
        return cls(provider.web3, confirmations=int(provider.network.required_confirmations or 0))

    def call(self, method: str, *params: Any) -> Any:
        eth = self.web3.eth
        try:
            if method == "eth_chainId":
                return eth.chain_id
            if method == "eth_blockNumber":
                return eth.block_number
            if method == "eth_getBlockByNumber":
                tag = params[0]
                number = int(tag, 16) if isinstance(tag, str) and tag.startswith("0x") else tag
                return _plain(eth.get_block(number, bool(params[1])))
            if method == "eth_getTransactionCount":
                return eth.get_transaction_count(params[0], params[1])
            if method == "eth_getCode":
                return hex0x(eth.get_code(params[0], params[1]))
            if method == "eth_estimateGas":
                return eth.estimate_gas(_tx_params(params[0]))
            if method == "eth_call":
                return hex0x(eth.call(_tx_params(params[0]), params[1]))
            if method == "eth_getTransactionReceipt":
                return _plain(_or_none(eth.get_transaction_receipt, params[0]))
            if method == "eth_getTransactionByHash":
                return _plain(_or_none(eth.get_transaction, params[0]))
            if method == "eth_sendRawTransaction":
                return hex0x(eth.send_raw_transaction(params[0]))
            if method == "eth_getLogs":
                return [_plain(log) for log in eth.get_logs(params[0])]
            return self.web3.provider.make_request(method, list(params)).get("result")
        except RpcError:
            raise
        except Exception as exc:  # web3 and its backends raise many kinds; one here
            raise RpcError(method, " ".join(str(exc).split()) or type(exc).__name__) from None


def next_block_time(web3: Any) -> int:
    """The timestamp the next block will (at least) carry: the pending block's where the node
    reports one (a chain that mines on demand, like anvil, stamps it with the wall clock while
    its latest block may be hours old), never less than the latest block's. What a delayed
    operation's "ready" is judged against."""
    latest = int(web3.eth.get_block("latest")["timestamp"])
    try:
        pending = int(web3.eth.get_block("pending")["timestamp"])
    except Exception:  # a node without a pending block: the latest block's time
        pending = latest
    return max(latest, pending)


def _or_none(getter: Any, tx_hash: str) -> Any:
    from web3.exceptions import TransactionNotFound

    try:
        return getter(tx_hash)
    except TransactionNotFound:
        return None


def _tx_params(tx: dict[str, Any]) -> dict[str, Any]:
    out = dict(tx)
    if "value" in out and isinstance(out["value"], str):
        out["value"] = int(out["value"], 16)
    return out


def _plain(value: Any) -> Any:
    """web3's AttributeDict/HexBytes tree as plain dicts, lists, ints and 0x-strings."""
    if value is None:
        return None
    if isinstance(value, bytes | bytearray):
        return hex0x(value)
    if hasattr(value, "items"):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
