"""Subjects' own views behind a signed challenge, and the attacks on it: a forged, expired or
replayed signature, a forged or expired token, someone else's token, a commitment probe; and
the rate limit."""

from __future__ import annotations

from typing import Any

import pytest

from civic_ledger.core.exceptions import AuthError
from civic_ledger.gateway.auth import Authenticator
from civic_ledger.gateway.ratelimit import TokenBuckets

from .api_fixtures import bearer, make_client, sign, sign_in

CHALLENGE, SESSION = "/api/v1/auth/challenge", "/api/v1/auth/session"


def records_path(certified: Any, firm: str = "Chain Labs Ltd") -> str:
    return f"/api/v1/subjects/{certified.subject(firm)}/records"


def test_the_controller_reads_its_subjects_records_and_disputes(api, certified):
    labs = certified.account("labs")
    token = sign_in(api, labs)
    body = api.get(records_path(certified), headers=bearer(token))
    assert body.status_code == 200, body.text
    ids = {r["record_id"] for r in body.json()["records"]}
    assert {certified.ids["valid"], certified.ids["personal"]} <= ids
    assert certified.ids["disputed"] not in ids  # Data Forge's
    forge = sign_in(api, certified.account("forge"))
    disputes = api.get(f"/api/v1/subjects/{certified.subject('Data Forge Co')}/disputes",
                       headers=bearer(forge))  # fmt: skip
    assert disputes.status_code == 200
    statuses = {d["record_id"]: d["status"] for d in disputes.json()["disputes"]}
    assert statuses[certified.ids["disputed"]] == "open" and "overturned" in statuses.values()


def test_the_challenge_names_the_gateway_chain_nonce_and_expiry(api, certified):
    answer = api.post(CHALLENGE, json={"address": certified.account("labs").address}).json()
    text = answer["challenge"]
    assert "civic-ledger gateway" in text and "Chain id: " in text and "Nonce: " in text
    assert certified.account("labs").address.lower() in text and answer["expires_at"] > 0
    assert "Chain id: 0" not in text


def test_exploit_someone_elses_token_and_a_commitment_probe_read_the_same_403(api, certified):
    forge = sign_in(api, certified.account("forge"))
    theirs = api.get(records_path(certified), headers=bearer(forge))
    unknown = api.get(f"/api/v1/subjects/0x{'42' * 32}/records", headers=bearer(forge))
    assert theirs.status_code == unknown.status_code == 403
    assert theirs.json() == unknown.json() and list(theirs.json()) == ["error"]
    malformed = api.get("/api/v1/subjects/0xzz/records", headers=bearer(forge))
    assert malformed.status_code == 422 and "commitment" in malformed.json()["error"]
    agency = sign_in(api, certified.account("market_regulator"))  # the issuer is no controller
    assert api.get(records_path(certified), headers=bearer(agency)).status_code == 403


def test_no_token_or_a_forged_token_is_401(api, certified):
    assert api.get(records_path(certified)).status_code == 401
    token = sign_in(api, certified.account("forge"))
    body, mac = token.split(".")
    labs = certified.account("labs").address.lower()
    import base64
    import json

    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["a"] = labs  # rewrite the address, keep the MAC
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    for bad in (f"{forged}.{mac}", "garbage", f"{body}.", token + "x"):
        response = api.get(records_path(certified), headers=bearer(bad))
        assert response.status_code == 401 and list(response.json()) == ["error"], bad


def test_exploit_a_forged_signature_is_refused(api, certified):
    labs, forge = certified.account("labs"), certified.account("forge")
    text = api.post(CHALLENGE, json={"address": labs.address}).json()["challenge"]
    # Data Forge signs Chain Labs' challenge, claiming Chain Labs' address
    response = api.post(SESSION, json={"address": labs.address, "signature": sign(forge, text)})
    assert response.status_code == 401 and "does not match" in response.json()["error"]
    for junk in ("0x1234", "not hex", "0x" + "00" * 65):
        response = api.post(SESSION, json={"address": labs.address, "signature": junk})
        assert response.status_code == 401, junk
    # a signature of some other text
    other = sign(labs, text.replace("Nonce: ", "Nonce: 0"))
    assert api.post(SESSION, json={"address": labs.address, "signature": other}).status_code == 401


def test_exploit_a_replayed_signature_is_refused(api, certified):
    labs = certified.account("labs")
    text = api.post(CHALLENGE, json={"address": labs.address}).json()["challenge"]
    signed = {"address": labs.address, "signature": sign(labs, text)}
    assert api.post(SESSION, json=signed).status_code == 200
    again = api.post(SESSION, json=signed)
    assert again.status_code == 401 and list(again.json()) == ["error"]


def test_malformed_auth_requests_are_one_line_422(api):
    for body in ({"address": "0x1234"}, {}, {"address": 7}):
        response = api.post(CHALLENGE, json=body)
        assert response.status_code == 422 and list(response.json()) == ["error"], body
    response = api.post(SESSION, json={"address": "0x" + "12" * 20})
    assert response.status_code == 422 and "signature" in response.json()["error"]


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_expired_challenges_and_tokens_are_refused(certified):
    clock = Clock()
    auth = Authenticator(name="test gateway", chain_id=lambda: 1337, clock=clock)
    labs = certified.account("labs")
    challenge = auth.challenge(labs.address)
    clock.now += 301
    with pytest.raises(AuthError, match="expired"):
        auth.session(labs.address, sign(labs, challenge.text))
    challenge = auth.challenge(labs.address)
    token, expires = auth.session(labs.address, sign(labs, challenge.text))
    assert auth.address_of(token) == labs.address.lower() and expires == clock.now + 900
    clock.now += 900
    with pytest.raises(AuthError, match="expired"):
        auth.address_of(token)
    other = Authenticator(name="test gateway", chain_id=lambda: 1337, clock=clock)
    with pytest.raises(AuthError, match="invalid"):  # another gateway's secret
        other.address_of(auth.token(labs.address)[0])


def test_pending_challenges_per_address_are_bounded(certified):
    auth = Authenticator(name="g", chain_id=lambda: 1)
    labs = certified.account("labs")
    first = auth.challenge(labs.address)
    for _ in range(10):
        auth.challenge(labs.address)
    with pytest.raises(AuthError):  # the oldest challenge was dropped
        auth.session(labs.address, sign(labs, first.text))


def test_rate_limit_is_429_with_retry_after_but_not_for_health(certified, tmp_path):
    with make_client(certified, tmp_path, rate=0.5, burst=3) as limited:
        codes = [limited.get("/api/v1/fund/rounds").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        refused = limited.get("/api/v1/stats")
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert list(refused.json()) == ["error"]
        assert all(limited.get("/health").status_code == 200 for _ in range(10))


def test_token_buckets_refill_at_their_rate():
    clock = Clock()
    buckets = TokenBuckets(rate=2.0, burst=2, clock=clock)
    assert buckets.take("a") == buckets.take("a") == 0
    assert buckets.take("a") == pytest.approx(0.5)
    assert buckets.take("b") == 0  # per client
    clock.now += 0.5
    assert buckets.take("a") == 0


def test_a_subject_sees_who_asked_for_its_data_and_nobody_else_does(api, certified):
    li = certified.account("li")
    path = f"/api/v1/subjects/{certified.subject('Li Wei')}/access"
    mine = api.get(path, headers=bearer(sign_in(api, li)))
    assert mine.status_code == 200, mine.text
    requests = mine.json()["requests"]
    assert requests and all(r["subject"] == certified.subject("Li Wei") for r in requests)
    assert {"granted", "deleted"} & {r["status"] for r in requests}
    assert any(r["batches"] for r in requests)  # the anchored receipt roots
    forge = api.get(path, headers=bearer(sign_in(api, certified.account("forge"))))
    assert forge.status_code == 403 and api.get(path).status_code == 401
