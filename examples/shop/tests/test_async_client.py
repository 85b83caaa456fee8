"""The same app driven from the test's own event loop: httpx.AsyncClient over an ASGI transport."""

import httpx
import pytest

from shop.main import app


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
async def aclient(tables):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://shop.test") as c:
        yield c


@pytest.mark.anyio
async def test_health(aclient):
    resp = await aclient.get("/health")
    assert resp.json() == {"status": "ok"}


@pytest.mark.anyio
async def test_order_over_the_asgi_transport(aclient, order):
    resp = await aclient.get(f"/orders/{order}")
    assert resp.json()["id"] == order
