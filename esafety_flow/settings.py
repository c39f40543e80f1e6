"""Typed settings, read from the environment (prefix `ESAFETY_`) or a `.env` file.

Built only by `esafety_flow.bootstrap` (never at import time, house rule 8).
"""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ESAFETY_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///esafety.db",
        description="SQLAlchemy URL: SQLite file (embedded default) or postgresql+psycopg://...",
    )
    migration_database_url: str | None = Field(
        default=None,
        description="the URL migrations connect with (`esafety db upgrade`, bootstrap): on "
        "PostgreSQL the tables' owner, while `database_url` names the service's role, which may "
        "only insert into and read the logs (docs/security.md); default: `database_url`",
    )
    region: str = Field(default="england-and-wales", description="default region of new cases")
    policy: str = Field(default="england-2023", description="name of a built-in policy")
    policy_file: Path | None = Field(default=None, description="a local variant policy (TOML)")
    la_code: str = Field(
        default="", description="the authority's three-digit LA code, for the statutory returns"
    )
    closure_days_enabled: bool = Field(
        default=False, description="count the authority's local closure days as non-working"
    )

    # web
    secret_key: str = Field(
        default="", description="signs session cookies; generated per process when empty"
    )
    secure_cookies: bool = Field(
        default=False, description="set Secure on cookies and send HSTS (behind HTTPS)"
    )
    max_request_bytes: int = Field(
        default=1_048_576, ge=1024, description="largest request body accepted (413 above)"
    )
    metrics_enabled: bool = Field(
        default=True,
        description="serve /metrics (Prometheus text format: counts and ages, no personal data)",
    )

    # sessions, sign-in and passwords (DESIGN 9)
    session_idle_minutes: int = Field(
        default=30, ge=1, le=1440, description="a session ends after this long unused"
    )
    session_absolute_hours: float = Field(
        default=10, gt=0, le=168, description="a session ends this long after sign-in, whatever"
    )
    sign_in_window_minutes: int = Field(
        default=15, ge=1, le=1440, description="the window the sign-in throttle counts over"
    )
    sign_in_max_failures_per_account: int = Field(
        default=5, ge=1, description="failures of one username in the window before a pause"
    )
    sign_in_max_failures_per_address: int = Field(
        default=20, ge=1, description="failures from one client address in the window"
    )
    password_min_length: int = Field(default=12, ge=8, le=128, description="shortest password")

    # logs
    log_format: Literal["text", "json"] = Field(
        default="text", description="text for people, json (one object a line) for a collector"
    )
    log_client_address: bool = Field(
        default=False, description="put the client address in access log lines"
    )

    # alerts
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_connect_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="seconds to reach the SMTP server and get its greeting (else it is down)",
    )
    smtp_send_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        le=600,
        description="seconds the SMTP server may take to answer any command while sending; a "
        "server that stalls longer counts as down and the rest wait for the next run",
    )
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
    delivery_parallel: int = Field(
        default=8,
        ge=1,
        le=32,
        description="PostgreSQL: messages sent at once by one delivery run, each on its own "
        "connection to the server and to the database",
    )
    alert_hours_open: time = Field(
        default=time(8, 0),
        description="email alerts go out from this London time on a working day of the case's "
        "region (the alert hours); one written outside them waits until they open",
    )
    alert_hours_close: time = Field(
        default=time(18, 0), description="the alert hours end at this London time"
    )
    alert_hours_levels: frozenset[Literal["due_soon", "due_today", "overdue", "escalated"]] = Field(
        default=frozenset({"due_soon", "due_today", "overdue", "escalated"}),
        description="the alert levels whose emails wait for the alert hours (a JSON list; "
        '[] sends every level at once, e.g. \'["due_soon", "escalated"]\' sends due today '
        "and overdue at any hour); the in-app list and webhooks never wait",
    )
    outbox_retention_days: int = Field(
        default=400,
        ge=30,
        description="alerts and notices older than this, once done with, are moved to the "
        "archive tables (`esafety alerts archive`)",
    )
    sweep_max_ahead_minutes: int = Field(
        default=15,
        ge=0,
        description="how far ahead of now `esafety sweep --as-of` may judge (a later moment "
        "would send alerts early and mark them done)",
    )

    # schedules (cron, Europe/London)
    sweep_cron: str = "*/15 * * * *"
    deliver_cron: str = "* * * * *"
    digest_cron: str = "0 8 * * 1-5"
    census_check_cron: str = Field(
        default="30 1 * * *", description="the nightly check of the CIN census (Europe/London)"
    )

    # the Prefect work pool (`esafety deploy` registers the deployments on it, `esafety worker`
    # runs its flow runs)
    work_pool: str = Field(
        default="esafety",
        min_length=1,
        pattern=r"^[^/%]+$",
        description="name of the Prefect process work pool of the deployments",
    )
    worker_limit: int = Field(
        default=4,
        ge=1,
        description="most flow runs one `esafety worker` runs at once (the others wait for it or "
        "go to another worker of the pool)",
    )
    worker_stop_grace_seconds: float = Field(
        default=45.0,
        ge=0,
        description="how long a stopping `esafety worker` (SIGTERM) lets the flow runs it has "
        "finish before it ends them; it takes no new ones meanwhile",
    )

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

    @model_validator(mode="after")
    def _alert_hours_in_order(self) -> Self:
        if self.alert_hours_close <= self.alert_hours_open:
            raise ValueError(
                f"alert_hours_close ({self.alert_hours_close:%H:%M}) must be after "
                f"alert_hours_open ({self.alert_hours_open:%H:%M})"
            )
        return self
