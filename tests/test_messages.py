"""The message of a direct finding names the call as written, and the API it resolved to only when
that says something more (``ws.close() (websocket.WebSocket.close())``), never the same call twice."""

from asynclint.engine import lint_sources

WORKER = '''\
import concurrent.futures
import glob

import requests

_session = requests.Session()


async def rebuild_index(paths):
    with concurrent.futures.ThreadPoolExecutor() as pool:
        list(pool.map(len, paths))
    return glob.glob("/data/*.json")


async def ping():
    return _session.get("https://status.internal/ping", timeout=2)
'''


def _messages() -> dict:
    return {d.line: d.message for d in lint_sources({"jobs/worker.py": WORKER})}


def test_a_call_written_as_its_api_is_named_once():
    got = _messages()
    assert got[10] == ("blocking wait on a lock, queue or future with concurrent.futures.ThreadPoolExecutor() "
                       "in async function rebuild_index")
    assert got[12] == "blocking file I/O glob.glob() in async function rebuild_index"


def test_a_call_on_an_object_names_the_api_it_resolved_to():
    assert _messages()[16] == "blocking HTTP call _session.get() (requests.Session.get()) in async function ping"
