"""The portal in a real browser (Debian's Chromium, headless, through Selenium): verify a
valid, a revoked and a disputed certificate; open a parcel after its sale; switch to Chinese;
sign in as a subject with a signed challenge and see the data requests about them and each
access receipt verified on chain; the dashboard's chain health with its signers; injected
script stays inert; keyboard and phone-width use. Every test saves a screenshot under
test-results/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from gateway.api_fixtures import make_client, publish, sign

from .browser import chromium, screenshot, serving
from .fake_node import SIGNERS, FakeNode
from .helpers import document_hash, sold_parcel

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served(
    certified: Any, anchored_batch: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """The client over the app the browser tests' server serves, and its URL (the land
    registry's receipt batch anchored first: the chain is not touched during the tests)."""
    client = make_client(certified, tmp_path_factory.mktemp("portal-documents"))
    with serving(client.app) as url:
        client.url = url
        yield client


@pytest.fixture(scope="module")
def base_url(served: Any) -> str:
    return served.url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as driver:
        yield driver


@pytest.fixture
def page(browser: Any) -> Any:
    browser.delete_all_cookies()
    browser.set_window_size(1200, 900)
    return browser


def by_id(driver: Any, element_id: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, element_id)


def wait_for(driver: Any, condition: Any) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 10).until(condition)


def no_alert(driver: Any) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert  # noqa: B018  (the property raises when no alert is open)


@pytest.mark.parametrize(
    ("case", "heading", "status"),
    [("valid", "Valid", "valid"), ("revoked", "Revoked", "revoked"),
     ("disputed", "Under dispute", "disputed")],
)  # fmt: skip
def test_verify_in_the_browser(page, base_url, certified, case, heading, status):
    page.get(base_url + "/verify")
    by_id(page, "record").send_keys(certified.ids[case])
    by_id(page, "document").send_keys(document_hash(case))
    by_id(page, "verify-id").click()
    answer = by_id(page, "answer")
    assert answer.get_attribute("data-status") == status
    assert by_id(page, "answer-title").text == heading
    assert certified.ids[case] in answer.text
    if case == "revoked":
        assert "issued in error" in answer.text
    screenshot(page, f"verify-{case}")


def test_parcel_after_a_sale(page, base_url, certified):
    parcel_id, _seller, buyer = sold_parcel(certified)
    page.get(base_url + "/")
    by_id(page, "parcel").send_keys(parcel_id)
    by_id(page, "parcel").submit()
    assert by_id(page, "parcel-owner").text == buyer
    history = page.find_element("css selector", "tr.event-SaleApproved").text
    assert buyer in history and "sold" in history
    screenshot(page, "parcel-after-sale")
    by_id(page, "print-link").click()
    assert page.find_element("css selector", "figure.qr svg").is_displayed()
    screenshot(page, "parcel-title-status-print")


def test_switch_to_chinese(page, base_url, certified):
    page.get(base_url + "/verify")
    by_id(page, "lang-zh-CN").click()
    wait_for(page, lambda d: d.find_element("tag name", "html").get_attribute("lang") == "zh-CN")
    assert page.find_element("tag name", "h1").text == "核验证书或记录"
    by_id(page, "record").send_keys(certified.ids["valid"])
    by_id(page, "document").send_keys(document_hash("valid"))
    by_id(page, "verify-id").click()
    assert by_id(page, "answer-title").text == "有效"
    # the chosen language sticks (cookie) on the next page
    page.get(base_url + "/fund")
    assert page.find_element("tag name", "h1").text == "基金公开"
    screenshot(page, "fund-zh-CN")
    page.get(
        base_url
        + "/verify?record="
        + certified.ids["valid"]
        + "&document="
        + document_hash("valid")
    )
    screenshot(page, "verify-valid-zh-CN")


def test_sign_in_as_a_subject(page, base_url, certified):
    li = certified.scenario.li
    page.get(base_url + "/me")
    by_id(page, "address").send_keys(li.address)
    by_id(page, "ask-challenge").click()
    challenge = by_id(page, "challenge").get_attribute("value")
    assert li.address.lower() in challenge
    by_id(page, "signature").send_keys(sign(li, challenge))
    by_id(page, "sign-in").click()
    wait_for(page, lambda d: d.current_url == base_url + "/me")  # no personal data in the URL
    requests = by_id(page, "my-data-requests").text
    assert "granted" in requests and "receipts, anchored" in requests
    assert "data deletion-ask GRANT_ID" in page.find_element("tag name", "main").text
    session = page.get_cookie("civic_session")
    assert session["httpOnly"] and session["sameSite"] == "Strict"
    screenshot(page, "my-records-signed-in")


def sign_in_in_the_browser(page: Any, base_url: str, account: Any) -> None:
    page.get(base_url + "/me")
    by_id(page, "address").send_keys(account.address)
    by_id(page, "ask-challenge").click()
    challenge = by_id(page, "challenge").get_attribute("value")
    by_id(page, "signature").send_keys(sign(account, challenge))
    by_id(page, "sign-in").click()
    wait_for(page, lambda d: d.current_url == base_url + "/me")


def test_a_subject_sees_an_access_receipt_verified_on_chain(page, served, certified,
                                                            anchored_batch):  # fmt: skip
    """The land registry publishes its batch's receipts; Li Wei signs in and sees each receipt
    about him with its grant, purpose and "verified against root ... anchored in block N"; in
    Chinese too."""
    assert publish(served, anchored_batch).status_code == 200
    sign_in_in_the_browser(page, served.url, certified.scenario.li)
    receipts = by_id(page, "my-receipts")
    rows = receipts.find_elements("css selector", "tbody tr.receipt.verified")
    assert len(rows) == 2
    assert f"Verified against root {anchored_batch.root} anchored in block" in rows[0].text
    english = receipts.text
    screenshot(page, "my-access-receipts-verified")
    by_id(page, "lang-zh-CN").click()
    wait_for(page, lambda d: d.find_element("tag name", "html").get_attribute("lang") == "zh-CN")
    text = by_id(page, "my-receipts").text
    assert "已对照" in text and anchored_batch.root in text
    # the agencies by their Chinese names (the role catalogue's labels, translated)
    from civic_ledger.access.roles import BY_ID

    shown = [r.label for r in BY_ID.values() if f"{r.label} ({r.id})" in english]
    assert shown and not any(f"{label} (" in text for label in shown), (shown, text)
    screenshot(page, "my-access-receipts-zh-CN")


def test_dashboard_chain_health_with_its_signers(page, served):
    from civic_ledger.portal.health import attach_chain

    attach_chain(served.app, FakeNode(head=500))
    try:
        page.get(served.url + "/dashboard?lang=en")
        signers = by_id(page, "signers").text
        assert all(a in signers for a in SIGNERS) and "none in the last 64 blocks" in signers
        assert by_id(page, "node-head").text == "500"
        screenshot(page, "dashboard-chain-health")
        page.get(served.url + "/dashboard?lang=zh-CN")
        assert "最近 64 个区块中没有" in by_id(page, "signers").text
        screenshot(page, "dashboard-chain-health-zh-CN")
    finally:
        attach_chain(served.app, None)


def test_injected_script_stays_inert(page, base_url):
    attack = "<script>alert(1)</script>"
    for path in (f"/verify?record={attack}", f"/verify?payload={attack}",
                 "/parcels?parcel=<img src=x onerror=alert(1)>", f"/fund?x={attack}"):  # fmt: skip
        page.get(base_url + path)
        no_alert(page)
        scripts = page.execute_script("return [...document.scripts].map(s => s.src)")
        assert scripts == [base_url + "/static/portal.js"], path
    page.get(base_url + f"/verify?record={attack}")
    assert "must be 0x followed by 64" in by_id(page, "error-message").text
    screenshot(page, "injected-script-refused")


def test_keyboard_and_phone_width(page, base_url):
    from selenium.webdriver.common.keys import Keys

    page.set_window_size(375, 800)
    page.get(base_url + "/verify")
    page.find_element("tag name", "body").send_keys(Keys.TAB)
    assert page.switch_to.active_element.get_attribute("class") == "skip"
    overflow = page.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, "the page scrolls sideways at 375 px"
    for element_id in ("record", "document", "payload", "upload-record", "upload-document"):
        label = page.find_element("css selector", f"label[for='{element_id}']")
        assert label.text.strip(), element_id
    screenshot(page, "verify-375px")
