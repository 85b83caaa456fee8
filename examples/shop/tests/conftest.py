"""Stand-ins for the shop's outside services, in place before the app is imported.

The app itself is untouched: SQLite files instead of PostgreSQL, the real
redis clients talking to fakeredis through their connection pools, a requests
transport adapter playing the payment provider, botocore's Stubber for S3,
and a `convert` stand-in on PATH for the thumbnail route.
"""

import json
import os
import stat
import tempfile

TMP = tempfile.mkdtemp(prefix="shop-tests-")
BIN = os.path.join(TMP, "bin")
os.makedirs(os.path.join(TMP, "uploads"))
os.makedirs(BIN)
with open(os.path.join(BIN, "convert"), "w") as fh:
    fh.write('#!/bin/sh\n: > "$4"\n')  # convert SRC -resize 256x256 DEST: write an empty DEST
os.chmod(os.path.join(BIN, "convert"), stat.S_IRWXU)
os.environ.update(
    {
        "DATABASE_URL": f"sqlite:///{TMP}/shop.db",
        "ASYNC_DATABASE_URL": f"sqlite+aiosqlite:///{TMP}/shop.db",
        "UPLOAD_DIR": os.path.join(TMP, "uploads"),
        "MAINTENANCE_FLAG": os.path.join(TMP, "maintenance"),
        "PAYMENTS_URL": "https://payments.test/v1",
        "PATH": BIN + os.pathsep + os.environ.get("PATH", ""),
    }
)

import fakeredis  # noqa: E402
import pytest  # noqa: E402
import requests  # noqa: E402
from botocore.stub import Stubber  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from shop.db import Base, Order, SessionLocal, engine  # noqa: E402
from shop.main import app  # noqa: E402
from shop.services import cache, storage  # noqa: E402
from shop.services.payments import payments  # noqa: E402

_redis = fakeredis.FakeServer()
cache.cache.connection_pool = fakeredis.FakeRedis(server=_redis, decode_responses=True).connection_pool
cache.async_cache.connection_pool = fakeredis.FakeAsyncRedis(server=_redis, decode_responses=True).connection_pool


class PaymentProvider(requests.adapters.BaseAdapter):
    """Answers the payment API: 201 with a charge id, or 503 for the next `failures` charges."""

    def __init__(self):
        super().__init__()
        self.failures = 0
        self.requests = []

    def send(self, request, **kwargs):
        self.requests.append((request.method, request.url))
        resp = requests.Response()
        resp.request, resp.url = request, request.url
        if self.failures:
            self.failures -= 1
            resp.status_code, resp._content = 503, b"unavailable"
        else:
            resp.status_code = 201
            resp._content = json.dumps({"id": f"ch_{len(self.requests)}"}).encode()
            resp.headers["Content-Type"] = "application/json"
        return resp

    def close(self):
        pass


provider = PaymentProvider()
payments.session.mount("https://payments.test/", provider)


@pytest.fixture(scope="session")
def client():
    """The app on TestClient's event loop thread, lifespan included."""
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="session")
def tables():
    Base.metadata.create_all(engine)


@pytest.fixture
def s3():
    with Stubber(storage.s3) as stub:
        yield stub
        stub.assert_no_pending_responses()


@pytest.fixture
def order(tables):
    with SessionLocal() as db:
        row = Order(user_id=1, total_cents=1250)
        db.add(row)
        db.commit()
        return row.id


@pytest.fixture
def uploads():
    return os.path.join(TMP, "uploads")
