import json
import os


def test_upload_saves_locally_and_to_s3(client, s3, uploads):
    s3.add_response("put_object", {}, {"Bucket": "shop-uploads", "Key": "uploads/a.txt", "Body": b"hello"})
    resp = client.post("/files/", files={"file": ("a.txt", b"hello")})
    assert resp.json() == {"path": os.path.join(uploads, "a.txt"), "size": 5}


def test_archive_offloads_the_upload(client, s3, uploads):
    with open(os.path.join(uploads, "b.txt"), "wb") as fh:
        fh.write(b"data")
    s3.add_response("put_object", {}, {"Bucket": "shop-uploads", "Key": "archive/b.txt", "Body": b"data"})
    assert client.post("/files/b.txt/archive").json() == {"archived": "b.txt"}


def test_file_meta(client, uploads):
    with open(os.path.join(uploads, "c.json"), "w") as fh:
        json.dump({"pages": 3}, fh)
    assert client.get("/files/c/meta").json() == {"pages": 3}


def test_thumbnail_then_next_thumbnail(client, uploads):
    with open(os.path.join(uploads, "d.png"), "wb") as fh:
        fh.write(b"png")
    assert client.post("/files/d.png/thumbnail").json() == {"thumbnail": "d.png.thumb.png"}
    assert os.path.exists(os.path.join(uploads, "d.png.thumb.png"))
    assert client.get("/files/thumbnails/next").json() == {"name": "d.png"}


def test_read_and_download(client, uploads):
    with open(os.path.join(uploads, "e.bin"), "wb") as fh:
        fh.write(b"\x00\x01")
    assert client.get("/files/e.bin").content == b"\x00\x01"
    assert client.get("/files/e.bin/download").content == b"\x00\x01"
