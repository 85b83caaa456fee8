"""The rewrites, one module each, in the order the planner offers them a finding.

- ``route_to_def``: an ``async def`` route that never awaits -> ``def`` (safe)
- ``sleep``: ``time.sleep(x)`` -> ``await asyncio.sleep(x)`` (safe)
- ``httpx``: ``requests.<verb>(...)`` -> ``await client.<verb>(...)`` in ``async with httpx.AsyncClient()``
- ``open_anyio``: ``open(p).read()`` & co -> ``await anyio.Path(p).read_text()``
- ``path_anyio``: ``path.read_text()`` & co -> ``await anyio.Path(path).read_text()``
- ``os_path_anyio``: ``os.path.exists(p)`` & co -> ``await anyio.Path(p).exists()``, in a file written
  with anyio.Path (one style per file; elsewhere they are offloaded)
- ``subprocess``: ``subprocess.run([...])`` & co -> ``asyncio.create_subprocess_exec``
- ``to_thread``: anything else -> ``await asyncio.to_thread(fn, *args, **kwargs)``

An ``await`` is only ever written directly in the body of an ``async def``:
never in a lambda, a nested sync ``def``, a class body, a comprehension or a
generator expression (the planner checks this before offering a finding).
"""

from .httpx import RequestsToHttpx
from .open_anyio import OpenToAnyio
from .os_path_anyio import OsPathToAnyio
from .path_anyio import PathToAnyio
from .route_to_def import RouteToDef
from .sleep import Sleep
from .subprocess import SubprocessToAsyncio
from .to_thread import ToThread

# take a whole function: the function's other findings are fixed with it
FUNCTION_REWRITES = (RouteToDef(),)
# take the call at a finding's position (and maybe its statement); the first that matches is offered it
CALL_REWRITES = (Sleep(), RequestsToHttpx(), OpenToAnyio(), PathToAnyio(), OsPathToAnyio(), SubprocessToAsyncio())
# the rewrites that write anyio.Path: a file where one applies is written with it throughout
ANYIO_REWRITES = (OpenToAnyio, PathToAnyio)
# what an unsafe finding no other rewrite took gets
FALLBACK = ToThread()

REWRITES = FUNCTION_REWRITES + CALL_REWRITES + (FALLBACK,)
