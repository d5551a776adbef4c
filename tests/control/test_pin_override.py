"""Manager PIN over the control API under a burst of guesses, and the owner override (issue #12
item 1): concurrent wrong PINs get at most the limit checked, none answers 500, and a refund
can still go through with the owner PIN while the manager PIN is locked."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests

from terminal.pins import MAX_TRIES, PinVault
from tests.support import MANAGER_PIN

from .conftest import code_for

OWNER_PIN = "97531"


def _paid(client):
    tx = client.sale("10.00")
    client.scan(code_for("0000"))
    return client.wait(tx)


def test_thirty_concurrent_wrong_pins_lock_after_five_and_never_500(served, client):
    paid = _paid(client)
    url = f"{served.url}/v1/transactions/{paid.id}/refunds"
    h = served.headers()
    with ThreadPoolExecutor(30) as pool:
        answers = list(pool.map(lambda _: requests.post(url, headers=h, json={"managerPin": "0000"}, timeout=60),
                                range(30)))
    codes = [a.json()["error"]["code"] for a in answers]
    assert {a.status_code for a in answers} == {403}, [a.text for a in answers if a.status_code != 403]
    assert codes.count("WRONG_PIN") <= MAX_TRIES - 1
    assert set(codes) <= {"WRONG_PIN", "PIN_LOCKED"} and "PIN_LOCKED" in codes
    right = requests.post(url, headers=h, json={"managerPin": MANAGER_PIN}, timeout=60)
    assert right.status_code == 403 and right.json()["error"]["code"] == "PIN_LOCKED"
    assert int(right.headers["Retry-After"]) > 0
    assert served.terminal.get(paid.id).state.value == "APPROVED"      # nothing refunded


def test_owner_pin_refunds_during_a_manager_lockout(served, client):
    paid = _paid(client)
    url = f"{served.url}/v1/transactions/{paid.id}/refunds"
    h = served.headers()
    no_owner = requests.post(url, headers=h, json={"ownerPin": OWNER_PIN}, timeout=60)
    assert no_owner.status_code == 403 and no_owner.json()["error"]["code"] == "NO_OVERRIDE"
    PinVault(state_dir=served.terminal.settings.state_dir).set_pin("owner", OWNER_PIN)
    for _ in range(MAX_TRIES):
        requests.post(url, headers=h, json={"managerPin": "0000"}, timeout=60)
    locked = requests.post(url, headers=h, json={"managerPin": MANAGER_PIN}, timeout=60)
    assert locked.json()["error"]["code"] == "PIN_LOCKED"
    both = requests.post(url, headers=h, json={"managerPin": MANAGER_PIN, "ownerPin": OWNER_PIN}, timeout=60)
    assert both.status_code == 400 and "exactly one" in both.json()["error"]["message"]
    result = client.refund(paid, "4.00", owner_pin=OWNER_PIN)
    assert result.refund.state == "SUCCESS" and result.transaction.state == "PARTIALLY_REFUNDED"
    audit = served.terminal.audit.entries(action="pin_override")
    assert audit and audit[0]["actor"] == "owner" and audit[0]["detail"]["txId"] == paid.id
