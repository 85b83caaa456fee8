import requests

from ..config import settings


class PaymentError(Exception):
    pass


class PaymentClient:
    """Thin client for the payment provider's REST API."""

    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {api_key}"

    def charge(self, order_id: int, amount_cents: int) -> str:
        resp = self.session.post(
            f"{self.base_url}/charges",
            json={"reference": f"order-{order_id}", "amount": amount_cents, "currency": "EUR"},
            timeout=10,
        )
        if resp.status_code != 201:
            raise PaymentError(resp.text)
        return resp.json()["id"]

    def refund(self, charge_id: str) -> None:
        resp = self.session.post(f"{self.base_url}/charges/{charge_id}/refunds", timeout=10)
        resp.raise_for_status()


payments = PaymentClient(settings.payments_url, settings.payments_key)
