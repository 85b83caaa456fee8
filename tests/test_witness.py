"""The chain shown for a helper that blocks several ways: the costliest kind on the normal path."""

from asynclint.engine import lint_sources

HELPERS = '''\
import os
import time

import requests


def save(path, data):
    try:
        with open(path, "w") as fh:
            fh.write(data)
    except PermissionError:
        time.sleep(0.01)  # a retry on an error path
        os.replace(path + ".tmp", path)


def sync(path, url):
    save(path, "x")
    return requests.post(url, data=open(path).read())
'''

ROUTES = '''\
from .helpers import save, sync


async def write(path):
    save(path, "data")


async def push(path):
    sync(path, "https://example.com")
'''


def test_witness_prefers_the_normal_path_then_the_costliest_kind():
    found = {d.line: d for d in lint_sources({"app/__init__.py": "", "app/helpers.py": HELPERS,
                                               "app/routes.py": ROUTES})}
    # save(): the file write on the normal path, not the sleep in the except block
    assert found[5].code == "ASL204" and found[5].chain[-1] == "builtins.open"
    # sync(): the HTTP call rather than the file access it also makes
    assert found[9].code == "ASL201" and found[9].chain[-1] == "requests.post"


DBS = '''\
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session


class BaseDb:
    def __init__(self, path: str):
        self.path = path

    def get_config(self) -> dict:
        return {"file": str(Path(self.path).resolve())}


class SqlDb(BaseDb):
    def __init__(self, session: Session):
        self.session = session

    def get_config(self) -> dict:
        return dict(self.session.execute(text("select * from config")).all())


class PostgresDb(SqlDb):
    def get_config(self) -> dict:
        return dict(self.session.execute(text("select * from pg_config")).all())
'''

SERVICE = '''\
from .dbs import BaseDb


async def settings(db: BaseDb) -> dict:
    return db.get_config()


async def local() -> dict:
    return BaseDb("/etc/app").get_config()
'''


def test_a_receiver_declared_with_a_base_class_is_explained_by_its_implementations():
    found = {d.line: d for d in lint_sources({"app/__init__.py": "", "app/dbs.py": DBS, "app/service.py": SERVICE})}
    # db: BaseDb may be any subclass: the database query explains it, not the base's Path.resolve()
    assert found[5].code == "ASL206" and found[5].chain[-1] == "sqlalchemy.orm.Session.execute"
    # built here with its exact class: the base implementation runs
    assert found[9].code == "ASL205" and found[9].chain[-1] == "pathlib.Path.resolve"


MESSAGES = '''\
import requests

session = requests.Session()


def create(text=None, files=None):
    if not files:
        return session.post("/messages", json={"text": text})
    with open(files[0], "rb") as fh:
        return session.post("/messages", data=fh)
'''

SENDERS = '''\
from .messages import create


async def send_text(text):
    return create(text=text)


async def send_file(path):
    return create(files=[path])
'''


def test_each_chain_follows_the_branch_its_arguments_take():
    found = {d.line: d for d in lint_sources({"app/__init__.py": "", "app/messages.py": MESSAGES,
                                               "app/senders.py": SENDERS})}
    # no files: the post under `if not files`; a list of files: the post after the open
    assert found[5].hops[1].line == 8 and found[5].code == "ASL201"
    assert found[9].hops[1].line == 10 and found[9].code == "ASL201"


PLATFORM = '''\
import os
import sys
import time

import psutil


def stop_previous(pid):
    for _ in range(3):
        if os.name == "nt":
            psutil.wait_procs([psutil.Process(pid)], timeout=5)
        elif sys.platform.startswith("darwin"):
            os.system(f"kill {pid}")
        else:
            os.kill(pid, 15)
        time.sleep(1)


async def start(pid):
    stop_previous(pid)
'''


def test_witness_prefers_the_call_every_platform_makes():
    found = lint_sources({"app/__init__.py": "", "app/proxy.py": PLATFORM})
    assert [(d.line, d.code, d.chain[-1]) for d in found] == [(20, "ASL202", "time.sleep")]


POOL_HELPERS = '''\
import os
from concurrent.futures import ThreadPoolExecutor


def write_all(images, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    with ThreadPoolExecutor() as executor:
        for i, img in enumerate(images):
            executor.submit(img.save, os.path.join(out_dir, f"{i}.png"))


def encode_all(images):
    with ThreadPoolExecutor(max_workers=4) as executor:
        return list(executor.submit(img.tobytes) for img in images)
'''

POOL_ROUTES = '''\
from .helpers import encode_all, write_all


async def save(images):
    write_all(images, "/srv/out")


async def encode(images):
    return encode_all(images)
'''


def test_a_helper_leaving_a_pool_block_waits_for_the_submitted_work():
    found = {d.line: d for d in lint_sources({"app/__init__.py": "", "app/helpers.py": POOL_HELPERS,
                                               "app/routes.py": POOL_ROUTES})}
    # the pool's join, not the cheap makedirs before it, explains write_all()
    assert found[5].code == "ASL208" and found[5].chain[-1] == "with concurrent.futures.ThreadPoolExecutor"
    assert "waits on the ThreadPoolExecutor (with-exit joins the submitted work)" in found[5].message
    # a helper whose only wait is the pool's join blocks too
    assert found[9].code == "ASL208" and found[9].hops[1].line == 13


def test_a_chain_through_an_inherited_method_that_blocks_only_in_the_subclass_it_runs_on():
    """A helper calls a base class's method on a subclass object; the base method calls ``self.fetch``,
    which blocks only in the subclass's override: the chain goes through the inherited method to that
    override (found by bench/edit_fuzz.py: this was an internal error)."""
    clients = (
        "import requests\n\n\nclass BaseClient:\n    def fetch(self, url):\n        return {}\n\n"
        "    def get(self, url):\n        return self.fetch(url)\n\n\n"
        "class HttpClient(BaseClient):\n    def fetch(self, url):\n        return requests.get(url).json()\n"
    )
    helpers = "from .clients import HttpClient\n\n\ndef fetch_user(uid):\n    return HttpClient().get(f'http://users/{uid}')\n"
    routes = (
        "from fastapi import APIRouter\n\nfrom .helpers import fetch_user\n\nrouter = APIRouter()\n\n\n"
        "@router.get('/users/{uid}')\nasync def get_user(uid: int):\n    return fetch_user(uid)\n"
    )
    found = lint_sources({"svc/__init__.py": "", "svc/clients.py": clients, "svc/helpers.py": helpers,
                          "svc/routes.py": routes})
    [d] = [d for d in found if d.code != "ASL301"]
    assert (d.path, d.line, d.code) == ("svc/routes.py", 10, "ASL201")
    assert d.chain == ["svc.routes.get_user", "svc.helpers.fetch_user", "svc.clients.BaseClient.get",
                       "svc.clients.HttpClient.fetch", "requests.get"]
    assert [h.line for h in d.hops[1:-1]] == [5, 9, 14]


SECRETS = '''\
import os

import httpx

import settings

_oidc = httpx.Client(timeout=5)


def get_secret(secret_name):
    if secret_name.startswith("oidc/github/"):
        audience = secret_name.removeprefix("oidc/github/")
        return _oidc.get(os.environ["ACTIONS_ID_TOKEN_REQUEST_URL"], params={"audience": audience}).json()["value"]
    if settings.secret_manager is not None:
        return settings.secret_manager.read_secret(secret_name)
    return os.environ.get(secret_name)


def get_secret_str(secret_name):
    value = get_secret(secret_name)
    return value if isinstance(value, str) else None
'''

MANAGERS = '''\
import boto3


class AwsSecretManager:
    def __init__(self):
        self.client = boto3.client("secretsmanager")

    def read_secret(self, name):
        return self.client.get_secret_value(SecretId=name)["SecretString"]
'''

SETTINGS = '''\
from typing import Optional

from managers import AwsSecretManager

secret_manager: Optional[AwsSecretManager] = None
'''

AUTH = '''\
from secrets_util import get_secret_str


async def access_token(params: dict) -> str:
    return params.get("access_token") or get_secret_str("GIGACHAT_ACCESS_TOKEN")
'''


def test_a_literal_passed_two_calls_up_decides_the_chain():
    # review 27 (litellm's secret_managers/main.py): the name passed to get_secret_str() never takes the
    # oidc branch of get_secret() under it, so the chain shown is the secret manager's call
    found = {(d.path.replace("\\\\", "/"), d.line): d for d in lint_sources(
        {"secrets_util.py": SECRETS, "managers.py": MANAGERS, "settings.py": SETTINGS, "auth.py": AUTH})}
    d = found[("auth.py", 5)]
    assert d.code == "ASL207", d.message
    assert d.chain[1:] == ["secrets_util.get_secret_str", "secrets_util.get_secret",
                           "managers.AwsSecretManager.read_secret",
                           "botocore.client.BaseClient.get_secret_value"], d.chain
