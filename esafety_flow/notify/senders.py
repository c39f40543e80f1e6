"""Channels: SMTP email and a JSON webhook, with retries and back-off.

A send returns only once the server has accepted the message (SMTP: the end of DATA answered with
2xx; webhook: a 2xx response); anything else raises `DeliveryError` carrying the reason, so the
caller can leave the outbox record pending with that error.
"""

from __future__ import annotations

import smtplib
import time
from collections.abc import Callable, Mapping
from email.message import EmailMessage
from typing import Any

import httpx

__all__ = ["DeliveryError", "SmtpMailer", "WebhookPoster", "with_retries"]


class DeliveryError(Exception):
    """A channel did not accept a message; `reason` says why (stored as the last error).
    `unreachable` is set when the server could not be reached at all, so a batch stops early
    instead of trying every message against a server that is down."""

    def __init__(self, channel: str, reason: str, *, unreachable: bool = False) -> None:
        super().__init__(f"{channel}: {reason}")
        self.channel = channel
        self.reason = reason
        self.unreachable = unreachable


class SmtpMailer:
    """Sends email through one SMTP server (smtplib; a connection per batch)."""

    channel = "email"

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.starttls = starttls
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        if self._smtp is None:
            try:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
            except (OSError, smtplib.SMTPException) as exc:
                raise DeliveryError(
                    self.channel,
                    f"cannot connect to {self.host}:{self.port}: {exc}",
                    unreachable=True,
                ) from exc
            self._smtp = smtp
        return self._smtp

    def send(self, message: EmailMessage) -> None:
        smtp = self._connect()
        try:
            refused = smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(self.channel, f"recipient refused: {exc.recipients}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise DeliveryError(self.channel, f"{type(exc).__name__}: {exc}") from exc
        if refused:
            raise DeliveryError(self.channel, f"recipient refused: {refused}")

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()

    def __enter__(self) -> SmtpMailer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class WebhookPoster:
    """POSTs JSON to one webhook URL (Teams or Slack style incoming webhook)."""

    channel = "webhook"

    def __init__(
        self, url: str, *, timeout: float = 10.0, client: httpx.Client | None = None
    ) -> None:
        self.url = url
        self._client = client or httpx.Client(timeout=timeout)
        self._owns_client = client is None

    def send(self, payload: Mapping[str, Any]) -> None:
        try:
            response = self._client.post(self.url, json=dict(payload))
        except httpx.TransportError as exc:
            raise DeliveryError(
                self.channel, f"{type(exc).__name__}: {exc}", unreachable=True
            ) from exc
        except httpx.HTTPError as exc:
            raise DeliveryError(self.channel, f"{type(exc).__name__}: {exc}") from exc
        if not response.is_success:
            raise DeliveryError(
                self.channel, f"HTTP {response.status_code} from {self.url}: {response.text[:200]}"
            )

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> WebhookPoster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def with_retries(
    action: Callable[[], None],
    *,
    attempts: int,
    backoff_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Run `action` until it succeeds, at most `attempts` times, sleeping `backoff_seconds * 2**k`
    between tries. Returns the number of tries used; re-raises the last `DeliveryError`."""
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts}")
    for attempt in range(1, attempts + 1):
        try:
            action()
        except DeliveryError:
            if attempt == attempts:
                raise
            sleep(backoff_seconds * 2 ** (attempt - 1))
        else:
            return attempt
    raise AssertionError("unreachable")  # pragma: no cover
