import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    database_url: str = os.getenv("DATABASE_URL", "postgresql+psycopg2://shop:shop@localhost/shop")
    async_database_url: str = os.getenv("ASYNC_DATABASE_URL", "postgresql+asyncpg://shop:shop@localhost/shop")
    redis_url: str = os.getenv("REDIS_URL", "redis://localhost:6379/0")
    payments_url: str = os.getenv("PAYMENTS_URL", "https://payments.example.com/v1")
    payments_key: str = os.getenv("PAYMENTS_KEY", "")
    upload_bucket: str = os.getenv("UPLOAD_BUCKET", "shop-uploads")
    upload_dir: str = os.getenv("UPLOAD_DIR", "/var/lib/shop/uploads")
    maintenance_flag: str = os.getenv("MAINTENANCE_FLAG", "/etc/shop/maintenance")


settings = Settings()
