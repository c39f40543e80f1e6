"""Typed settings, read from the environment (prefix `ESAFETY_`) or a `.env` file.

Built only by `esafety_flow.bootstrap` (never at import time, STYLE.md rule 8).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ESAFETY_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///esafety.db",
        description="SQLAlchemy URL: SQLite file (embedded default) or postgresql+psycopg://...",
    )
    region: str = Field(default="england-and-wales", description="default region of new cases")
    policy: str = Field(default="england-2023", description="name of a built-in policy")
    policy_file: Path | None = Field(default=None, description="a local variant policy (TOML)")
    closure_days_enabled: bool = Field(
        default=False, description="count the authority's local closure days as non-working"
    )

    # web
    secret_key: str = Field(
        default="", description="signs session cookies; generated per process when empty"
    )
    secure_cookies: bool = Field(default=False, description="set Secure on cookies (HTTPS)")

    # alerts
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "esafety-flow@localhost"
    webhook_url: str | None = None
    base_url: str = "http://127.0.0.1:8000"
    email_enabled: bool = Field(default=True, description="deliver alerts by email (SMTP)")
    delivery_attempts: int = Field(
        default=3, ge=1, description="tries per message within one delivery run"
    )
    delivery_backoff_seconds: float = Field(
        default=2.0, ge=0, description="first back-off between tries; doubles each time"
    )
    delivery_batch_size: int = Field(default=500, ge=1, description="alerts per delivery run")

    # schedules (cron, Europe/London)
    sweep_cron: str = "*/15 * * * *"
    deliver_cron: str = "* * * * *"
    digest_cron: str = "0 8 * * 1-5"

    # the worker's local Prefect server (only when PREFECT_API_URL is not set)
    prefect_home: Path = Field(
        default=Path(".prefect-server"),
        description="directory of the local Prefect server's SQLite database and log",
    )
    prefect_port: int = Field(
        default=0, ge=0, le=65535, description="port of the local Prefect server (0: a free one)"
    )
    prefect_scheduler_loop_seconds: float = Field(
        default=10.0, gt=0, description="how often the local server's scheduler looks for work"
    )
    prefect_start_timeout: float = Field(
        default=120.0, gt=0, description="seconds to wait for the local server's API to answer"
    )
