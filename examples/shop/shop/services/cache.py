import json

import redis
import redis.asyncio as aioredis

from ..config import settings

cache = redis.Redis.from_url(settings.redis_url, decode_responses=True)
async_cache = aioredis.from_url(settings.redis_url, decode_responses=True)


def get_json(key: str):
    raw = cache.get(key)
    return json.loads(raw) if raw else None


def set_json(key: str, value, ttl: int = 300) -> None:
    cache.set(key, json.dumps(value), ex=ttl)
