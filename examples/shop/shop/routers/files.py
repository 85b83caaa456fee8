import asyncio
import json
import os
import queue
import subprocess
from pathlib import Path

import aiofiles
import anyio
from fastapi import APIRouter, HTTPException, UploadFile
from fastapi.responses import FileResponse, Response

from ..config import settings
from ..services import storage

router = APIRouter()
UPLOADS = Path(settings.upload_dir)
thumbnails_done: queue.Queue[str] = queue.Queue()


@router.post("/")
async def upload_file(file: UploadFile):
    data = await file.read()
    path = storage.save_local(file.filename, data)  # ASL204
    storage.upload(f"uploads/{file.filename}", data)  # ASL207
    return {"path": path, "size": len(data)}


@router.post("/{name}/archive")
async def archive_file(name: str):
    data = await anyio.Path(UPLOADS / name).read_bytes()
    await asyncio.to_thread(storage.upload, f"archive/{name}", data)
    return {"archived": name}


@router.post("/{name}/thumbnail")
async def make_thumbnail(name: str):  # ASL301
    source = UPLOADS / name
    if not os.path.exists(source):  # ASL105
        raise HTTPException(status_code=404, detail="file not found")
    subprocess.run(["convert", str(source), "-resize", "256x256", f"{source}.thumb.png"], check=True)  # ASL103
    thumbnails_done.put_nowait(name)
    return {"thumbnail": f"{name}.thumb.png"}


@router.get("/thumbnails/next")
async def next_thumbnail():  # ASL301
    try:
        return {"name": thumbnails_done.get(timeout=5)}  # ASL108
    except queue.Empty:
        return {"name": None}


@router.get("/{name}/meta")
async def file_meta(name: str):  # ASL301
    meta = (UPLOADS / f"{name}.json").read_text()  # ASL104
    return json.loads(meta)


@router.get("/{name}")
async def read_file(name: str):
    async with aiofiles.open(UPLOADS / name, "rb") as f:
        data = await f.read()
    return Response(data, media_type="application/octet-stream")


@router.get("/{name}/download")
def download_file(name: str):
    path = UPLOADS / name
    if not path.exists():
        raise HTTPException(status_code=404, detail="file not found")
    return FileResponse(path)


@router.get("/{name}/link")
def share_link(name: str):
    return {"url": storage.presigned_url(f"uploads/{name}")}
