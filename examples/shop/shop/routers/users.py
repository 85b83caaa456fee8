import asyncio
import json
import threading

from fastapi import APIRouter, Depends, HTTPException
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import User, get_db
from ..services.cache import async_cache

router = APIRouter()
signup_lock = threading.Lock()
profile_lock = asyncio.Lock()


def find_user(db: Session, user_id: int) -> User | None:
    return db.get(User, user_id)


def user_to_dict(user: User) -> dict:
    return {"id": user.id, "email": user.email, "name": user.name}


@router.get("/{user_id}")
def get_user(user_id: int, db: Session = Depends(get_db)):
    user = find_user(db, user_id)
    if user is None:
        raise HTTPException(status_code=404, detail="user not found")
    return user_to_dict(user)


@router.get("/{user_id}/profile")
async def get_profile(user_id: int, db: Session = Depends(get_db)):
    if cached := await async_cache.get(f"profile:{user_id}"):
        return json.loads(cached)
    user = find_user(db, user_id)  # ASL206
    if user is None:
        raise HTTPException(status_code=404, detail="user not found")
    profile = user_to_dict(user)
    async with profile_lock:
        await async_cache.set(f"profile:{user_id}", json.dumps(profile), ex=600)
    return profile


@router.post("/")
async def sign_up(email: str, name: str, db: Session = Depends(get_db)):  # ASL301
    with signup_lock:  # ASL108
        if db.scalar(select(User).where(User.email == email)):  # ASL106
            raise HTTPException(status_code=409, detail="email already registered")
        user = User(email=email, name=name)
        db.add(user)
        db.commit()  # ASL106
    return {"id": user.id}
