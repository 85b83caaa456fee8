import logging
import os
import time

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse

from .config import settings

log = logging.getLogger("shop.access")


class TimingMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next):
        start = time.perf_counter()
        response = await call_next(request)
        elapsed_ms = (time.perf_counter() - start) * 1000
        response.headers["X-Response-Time"] = f"{elapsed_ms:.1f}ms"
        log.info("%s %s %.1fms", request.method, request.url.path, elapsed_ms)
        return response


class MaintenanceMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next):
        if os.path.exists(settings.maintenance_flag):  # ASL105
            return JSONResponse({"detail": "down for maintenance"}, status_code=503)
        return await call_next(request)
