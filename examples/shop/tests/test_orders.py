from shop.routers import orders

from .conftest import provider


def test_get_order_reads_the_database_then_the_cache(client, order):
    first = client.get(f"/orders/{order}")
    assert first.status_code == 200
    assert first.json() == {"id": order, "total_cents": 1250, "status": "pending"}
    assert client.get(f"/orders/{order}").json() == first.json()


def test_missing_order_is_404(client, tables):
    assert client.get("/orders/999999").status_code == 404


def test_pay_order_charges_and_notifies_the_warehouse(client, order, monkeypatch):
    notified = []
    monkeypatch.setattr(orders, "notify_warehouse", notified.append)
    resp = client.post(f"/orders/{order}/pay")
    assert resp.status_code == 200
    assert resp.json()["charge_id"].startswith("ch_")
    assert notified == [order]
    assert client.get(f"/orders/{order}").json()["status"] == "paid"


def test_pay_order_retries_when_the_provider_fails(client, order, monkeypatch):
    monkeypatch.setattr(orders, "notify_warehouse", lambda order_id: None)
    provider.failures = 1  # one 503, then the route sleeps 1 s and tries again
    resp = client.post(f"/orders/{order}/pay")
    assert resp.status_code == 200
    assert provider.failures == 0


def test_refund_runs_in_the_thread_pool(client, order):
    resp = client.post(f"/orders/{order}/refund", params={"charge_id": "ch_1"})
    assert resp.json() == {"refunded": "ch_1"}
    assert provider.requests[-1] == ("POST", "https://payments.test/v1/charges/ch_1/refunds")


def test_list_orders_uses_the_async_session(client, order):
    ids = [o["id"] for o in client.get("/orders/").json()]
    assert order in ids
