"""A value annotated as a class or its async counterpart (``HTTPHandler | AsyncHTTPHandler``) may be
either: code written for both awaits what the async one returns, so its calls are not known to block.
A union with None, or of sync classes only, keeps its type."""

from __future__ import annotations

from asynclint.engine import lint_sources

HANDLERS = '''\
import httpx


class HTTPHandler:
    def __init__(self):
        self.client = httpx.Client()

    def post(self, url, data):
        return self.client.post(url, data=data)


class AsyncHTTPHandler:
    def __init__(self):
        self.client = httpx.AsyncClient()

    async def post(self, url, data):
        return await self.client.post(url, data=data)
'''

PASSTHROUGH = '''\
import asyncio
from typing import Optional, Union

from fastapi import APIRouter

from .handlers import AsyncHTTPHandler, HTTPHandler

router = APIRouter()


async def forward(client: HTTPHandler | AsyncHTTPHandler, url: str, data: bytes):
    result = client.post(url, data)
    if asyncio.iscoroutine(result):
        result = await result
    return result


async def forward_old_style(client: Union[HTTPHandler, AsyncHTTPHandler], url: str, data: bytes):
    result = client.post(url, data)
    if asyncio.iscoroutine(result):
        result = await result
    return result


async def forward_sync(client: Optional[HTTPHandler], url: str, data: bytes):
    return client.post(url, data)


async def forward_maybe(client: HTTPHandler | None, url: str, data: bytes):
    return client.post(url, data)


@router.post("/relay")
async def relay(url: str, data: bytes):
    handler = AsyncHTTPHandler()
    return await forward(handler, url, data), await forward_old_style(handler, url, data)
'''


def test_a_client_or_its_async_counterpart_is_not_known_to_block():
    found = lint_sources({"proxy/__init__.py": "", "proxy/handlers.py": HANDLERS, "proxy/passthrough.py": PASSTHROUGH},
                         select_all=True)
    lines = sorted((d.line, d.code) for d in found if d.path.endswith("passthrough.py"))
    assert lines == [(26, "ASL201"), (30, "ASL201")]  # forward_sync and forward_maybe: only the sync class
