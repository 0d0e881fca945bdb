"""Who is asking: a wallet proves control of an address by signing a one-time challenge
(EIP-191 `personal_sign`), and gets a short-lived bearer token for it.

- `challenge(address)` -> the text to sign: the gateway's name, the chain id, a random nonce
  and an expiry (5 minutes by default). Challenges are kept in memory, a few per address, and
  each is used at most once.
- `session(address, signature)` -> a token, when the signature recovers to `address` over one of
  its pending, unexpired challenges (which is then spent: a replayed signature is refused).
- A token is `base64url(json).base64url(hmac-sha256)` under the gateway's secret, naming the
  address and an expiry (15 minutes by default); `address_of(token)` checks both.

A gateway run as several processes gives them one `secret` (tokens verify in every process);
the challenge and the session must then reach the same process (sticky sessions), since
pending challenges live in the process that issued them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from civic_ledger.core.encoding import ADDRESS
from civic_ledger.core.exceptions import AuthError
from civic_ledger.core.times import ISO_UTC, iso_utc

MAX_PENDING_PER_ADDRESS = 5
MAX_PENDING = 10_000


@dataclass(frozen=True)
class Challenge:
    nonce: str
    text: str
    expires_at: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def normal_address(value: str) -> str:
    """An address as lower-case 0x-hex; AuthError for anything else."""
    text = value.strip() if isinstance(value, str) else ""
    if not ADDRESS.match(text):
        raise AuthError("address must be 0x + 40 hex digits")
    return text.lower()


MAX_CHALLENGE_LENGTH = 1024  # a challenge is ~300 characters


@dataclass(frozen=True)
class ChallengeFields:
    """What a challenge text (`Authenticator.challenge`) says: to whom, on which chain, until
    when."""

    address: str
    chain_id: int
    nonce: str
    expires_at: int


def challenge_fields(text: str) -> ChallengeFields:
    """The fields of a challenge text as `Authenticator.challenge` writes it; AuthError, one
    line, for any other text (so a wallet's user, or `identity sign-challenge`, signs only a
    gateway's challenge)."""
    if not isinstance(text, str) or len(text) > MAX_CHALLENGE_LENGTH:
        raise AuthError("not a gateway challenge: too long")
    lines = text.split("\n")
    found = {}
    for line in lines[1:-1]:
        key, sep, value = line.partition(": ")
        if sep:
            found[key] = value
    if (
        len(lines) != 6
        or not lines[0].endswith(" asks you to prove that you control this address.")
        or set(found) != {"Address", "Chain id", "Nonce", "Expires"}
        or lines[-1] != "Signing this message sends no transaction and costs nothing."
    ):
        raise AuthError("not a gateway challenge (save the text the gateway shows, unchanged)")
    try:
        address = normal_address(found["Address"])
        chain_id = int(found["Chain id"])
        expires = dt.datetime.strptime(found["Expires"], ISO_UTC)
    except (AuthError, ValueError):
        raise AuthError("not a gateway challenge: malformed address, chain id or expiry") from None
    return ChallengeFields(address, chain_id, found["Nonce"],
                           int(expires.replace(tzinfo=dt.UTC).timestamp()))  # fmt: skip


class Authenticator:
    """Challenges, sessions and tokens for one gateway."""

    def __init__(
        self,
        *,
        name: str,
        chain_id: Callable[[], int],
        secret: bytes | None = None,
        challenge_ttl: int = 300,
        token_ttl: int = 900,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self.chain_id = chain_id
        self.secret = secret or secrets.token_bytes(32)
        self.challenge_ttl = challenge_ttl
        self.token_ttl = token_ttl
        self.clock = clock
        self._pending: OrderedDict[str, tuple[str, Challenge]] = OrderedDict()  # nonce ->
        self._lock = threading.Lock()

    # -- challenge and session -------------------------------------------------------------

    def challenge(self, address: str) -> Challenge:
        """A new one-time challenge for `address` to sign."""
        who = normal_address(address)
        now = int(self.clock())
        nonce = secrets.token_hex(16)
        expires = now + self.challenge_ttl
        text = (
            f"{self.name} asks you to prove that you control this address.\n"
            f"Address: {who}\n"
            f"Chain id: {self.chain_id()}\n"
            f"Nonce: {nonce}\n"
            f"Expires: {iso_utc(expires)}\n"
            "Signing this message sends no transaction and costs nothing."
        )
        found = Challenge(nonce, text, expires)
        with self._lock:
            self._expire(now)
            mine = [n for n, (a, _) in self._pending.items() if a == who]
            for old in mine[: max(0, len(mine) - MAX_PENDING_PER_ADDRESS + 1)]:
                del self._pending[old]
            while len(self._pending) >= MAX_PENDING:
                self._pending.popitem(last=False)
            self._pending[nonce] = (who, found)
        return found

    def session(self, address: str, signature: str) -> tuple[str, int]:
        """A token for `address` (and its expiry) when `signature` signs one of its pending
        challenges; the challenge is spent."""
        from eth_account import Account
        from eth_account.messages import encode_defunct

        who = normal_address(address)
        try:
            raw = bytes.fromhex(signature.removeprefix("0x"))
        except (ValueError, AttributeError):
            raise AuthError("signature must be 0x-hex (65 bytes)") from None
        if len(raw) != 65:
            raise AuthError("signature must be 65 bytes (r, s, v)")
        now = int(self.clock())
        with self._lock:
            candidates = [(n, c) for n, (a, c) in self._pending.items() if a == who]
        if not candidates:
            raise AuthError("no pending challenge for this address: ask for one first")
        live = [(n, c) for n, c in candidates if c.expires_at > now]
        for nonce, found in live:
            try:
                signer = Account.recover_message(encode_defunct(text=found.text), signature=raw)
            except Exception:  # any malformed signature is just not a match
                continue
            if signer.lower() == who:
                with self._lock:
                    if self._pending.pop(nonce, None) is None:
                        break  # spent meanwhile by a concurrent request
                return self.token(who, now)
        if not live:
            raise AuthError("the challenge has expired: ask for a new one")
        raise AuthError("the signature does not match a pending challenge of this address")

    def _expire(self, now: int) -> None:
        for nonce in [n for n, (_, c) in self._pending.items() if c.expires_at <= now]:
            del self._pending[nonce]

    # -- tokens ----------------------------------------------------------------------------

    def token(self, address: str, now: int | None = None) -> tuple[str, int]:
        """A bearer token for `address` and its expiry."""
        issued = int(self.clock()) if now is None else now
        expires = issued + self.token_ttl
        body = _b64(
            json.dumps({"a": address.lower(), "e": expires}, separators=(",", ":")).encode()
        )
        return f"{body}.{self._sign(body)}", expires

    def address_of(self, token: str) -> str:
        """The address a valid, unexpired token names; AuthError otherwise."""
        body, _, mac = token.partition(".")
        if not body or not mac or not hmac.compare_digest(mac, self._sign(body)):
            raise AuthError("invalid token")
        try:
            claims = json.loads(_unb64(body))
            address, expires = str(claims["a"]), int(claims["e"])
        except (ValueError, KeyError, TypeError):
            raise AuthError("invalid token") from None
        if expires <= self.clock():
            raise AuthError("the token has expired: sign a new challenge")
        return address

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self.secret, body.encode(), hashlib.sha256).digest())


def sign_challenge(signer: Any, text: str) -> str | None:
    """What a wallet does with a challenge: EIP-191 personal_sign of `text` by `signer` (an
    Ape account), as the 0x-hex r || s || v (v 27 or 28) `Authenticator.session` takes; None
    when the account declines to sign."""
    from eth_account.messages import encode_defunct

    signature = signer.sign_message(encode_defunct(text=text))
    if signature is None:
        return None
    rsv = bytearray(signature.encode_rsv())
    if rsv[64] < 27:
        rsv[64] += 27
    return "0x" + bytes(rsv).hex()
