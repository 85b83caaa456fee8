import asyncio
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from .db import Base, async_engine, engine
from .middleware import MaintenanceMiddleware, TimingMiddleware
from .routers import files, orders, users
from .services.cache import async_cache, cache


@asynccontextmanager
async def lifespan(app: FastAPI):
    await asyncio.to_thread(Base.metadata.create_all, engine)
    with engine.connect() as conn:  # ASL402
        conn.execute(text("SELECT 1"))  # ASL402
    await async_cache.ping()
    yield
    await async_cache.aclose()
    await async_engine.dispose()


app = FastAPI(title="shop", lifespan=lifespan)
app.add_middleware(TimingMiddleware)
app.add_middleware(MaintenanceMiddleware)

app.include_router(orders.router, prefix="/orders", tags=["orders"])
app.include_router(users.router, prefix="/users", tags=["users"])
app.include_router(files.router, prefix="/files", tags=["files"])


@app.middleware("http")
async def rate_limit(request: Request, call_next):
    key = f"ratelimit:{request.client.host}"
    hits = cache.incr(key)  # ASL107
    if hits == 1:
        cache.expire(key, 60)  # ASL107
    if hits > 120:
        return JSONResponse({"detail": "too many requests"}, status_code=429)
    return await call_next(request)


@app.get("/health")
async def health():
    return {"status": "ok"}
