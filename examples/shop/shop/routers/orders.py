import time

import httpx
import requests
from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from ..db import Order, get_async_db, get_db
from ..services import cache
from ..services.payments import PaymentError, payments

router = APIRouter()
SHIPPING_API = "https://shipping.example.com/api"


def notify_warehouse(order_id: int) -> None:
    requests.post(f"{SHIPPING_API}/pick-lists", json={"order": order_id}, timeout=10)


@router.get("/")
async def list_orders(db: AsyncSession = Depends(get_async_db)):
    result = await db.execute(select(Order).order_by(Order.id.desc()).limit(50))
    return [{"id": o.id, "status": o.status} for o in result.scalars()]


@router.get("/{order_id}")
async def get_order(order_id: int, db: Session = Depends(get_db)):  # ASL301
    cached = cache.get_json(f"order:{order_id}")  # ASL207
    if cached:
        return cached
    order = db.get(Order, order_id)  # ASL106
    if order is None:
        raise HTTPException(status_code=404, detail="order not found")
    data = {"id": order.id, "total_cents": order.total_cents, "status": order.status}
    cache.set_json(f"order:{order_id}", data)  # ASL207
    return data


@router.post("/{order_id}/pay")
async def pay_order(order_id: int, background_tasks: BackgroundTasks, db: Session = Depends(get_db)):
    order = db.get(Order, order_id)  # ASL106
    if order is None:
        raise HTTPException(status_code=404, detail="order not found")
    for attempt in range(3):
        try:
            charge_id = payments.charge(order.id, order.total_cents)  # ASL201
            break
        except PaymentError:
            time.sleep(2**attempt)  # ASL102
    else:
        raise HTTPException(status_code=502, detail="payment provider unavailable")
    order.status = "paid"
    db.commit()  # ASL106
    await cache.async_cache.delete(f"order:{order_id}")
    background_tasks.add_task(notify_warehouse, order_id)
    return {"charge_id": charge_id}


@router.post("/{order_id}/refund")
async def refund_order(order_id: int, charge_id: str):
    await run_in_threadpool(payments.refund, charge_id)
    await cache.async_cache.delete(f"order:{order_id}")
    return {"refunded": charge_id}


@router.get("/{order_id}/tracking")
async def track_order(order_id: int):  # ASL301
    resp = httpx.get(f"{SHIPPING_API}/tracking/{order_id}", timeout=5)  # ASL101
    return resp.json()


@router.get("/{order_id}/shipping-quote")
async def shipping_quote(order_id: int):
    async with httpx.AsyncClient(timeout=5) as client:
        resp = await client.get(f"{SHIPPING_API}/quotes", params={"order": order_id})
    return resp.json()
