import os

import boto3

from ..config import settings

s3 = boto3.client("s3")


def upload(key: str, data: bytes) -> None:
    s3.put_object(Bucket=settings.upload_bucket, Key=key, Body=data)


def save_local(name: str, data: bytes) -> str:
    path = os.path.join(settings.upload_dir, os.path.basename(name))
    with open(path, "wb") as f:
        f.write(data)
    return path


def presigned_url(key: str) -> str:
    return s3.generate_presigned_url(
        "get_object", Params={"Bucket": settings.upload_bucket, "Key": key}, ExpiresIn=3600
    )
