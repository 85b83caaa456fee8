"""What several test modules share: a small FastAPI route module and a way to write project files."""

import os
import textwrap

ROUTE = textwrap.dedent(
    """\
    import asyncio
    import time

    import requests
    from fastapi import APIRouter

    router = APIRouter(prefix="/users")


    @router.get("/{user_id}")
    async def get_user(user_id: int):
        time.sleep(0.1)
        await asyncio.sleep(0)
        return requests.get(f"https://api.example.com/users/{user_id}").json()
    """
)


def write(root, rel, text, mode="w"):
    """Write ``text`` to ``root/rel``, making the folders on the way; the path written."""
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as fh:
        fh.write(text)
    return path
