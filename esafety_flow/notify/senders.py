"""Channels: SMTP email and a JSON webhook, with retries and back-off.

A send returns only once the server has accepted the message (SMTP: the end of DATA answered with
2xx; webhook: a 2xx response); anything else raises `DeliveryError` carrying the reason, so the
caller can leave the outbox record pending with that error.

SMTP has two time limits: `connect_timeout` to reach the server and read its greeting (and for
STARTTLS and login), `send_timeout` for every answer while sending. A server that accepts the
connection and then stalls past either is treated as down (`DeliveryError.unreachable`): the
batch stops trying it and its other messages wait for the next run.
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


def _timed_out(exc: BaseException) -> bool:
    """Whether `exc` is, or was raised while handling, a socket timeout (smtplib turns a timed
    out read into `SMTPServerDisconnected`)."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, TimeoutError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


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
        connect_timeout: float = 10.0,
        send_timeout: float = 30.0,
    ) -> None:
        if connect_timeout <= 0 or send_timeout <= 0:
            raise ValueError("SMTP timeouts must be positive")
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.starttls = starttls
        self.connect_timeout = connect_timeout
        self.send_timeout = send_timeout
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        if self._smtp is None:
            try:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.connect_timeout)
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
                # from here on, each answer of the server while sending has the send limit
                smtp.timeout = self.send_timeout
                if smtp.sock is not None:
                    smtp.sock.settimeout(self.send_timeout)
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
            if not _timed_out(exc):
                self.close()
                raise DeliveryError(self.channel, f"{type(exc).__name__}: {exc}") from exc
            # accepted, then stalled: the server is down for this run
            self._drop()
            raise DeliveryError(
                self.channel,
                f"{self.host}:{self.port} did not answer within {self.send_timeout:g} s "
                "while sending",
                unreachable=True,
            ) from exc
        except (ValueError, TypeError, UnicodeError) as exc:
            # a message that cannot be put on the wire (a header smtplib refuses): this one only
            raise DeliveryError(self.channel, f"cannot send this message: {exc}") from exc
        if refused:
            raise DeliveryError(self.channel, f"recipient refused: {refused}")

    def _drop(self) -> None:
        """Close the connection without QUIT (a stalled server would stall that too)."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()

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
