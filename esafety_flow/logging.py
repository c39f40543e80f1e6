"""Logs without personal data (DESIGN 9), as text for people or JSON lines for a log collector.

- Exceptions are logged by type and frames (file, line, function) only: their messages are
  withheld, because a database error's message can quote the row it refused (PostgreSQL's
  "Failing row contains (...)") and a parsing error the text it could not parse. Engines hide
  SQL parameters too (`workflows.persistence.make_engine`).
- Access lines (uvicorn's `uvicorn.access` logger, through the same formatter) carry the method,
  the path without its query string, the HTTP version and the status; the client address only
  when `ESAFETY_LOG_CLIENT_ADDRESS=true`.
- `ESAFETY_LOG_FORMAT=json` writes one JSON object a line (python-json-logger): `time`, `level`,
  `logger`, `message`, and for access lines `method`, `path`, `status`, `http_version`
  (`client` when enabled); for a server error, its `reference` (shown on the error page).

`logging_config(log_format=..., client_address=...)` is the `logging.config.dictConfig` for
uvicorn (`uvicorn.run(log_config=...)`: every worker process applies it) and for the CLI;
`configure_logging(settings)` applies it in this process.
"""

from __future__ import annotations

import logging
import logging.config
import traceback
from types import TracebackType
from typing import Any, Literal

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

__all__ = [
    "AccessLogFilter",
    "JsonFormatter",
    "TextFormatter",
    "configure_logging",
    "logging_config",
    "redacted_traceback",
    "service_formatter",
]

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def redacted_traceback(exc_info: ExcInfo | tuple[None, None, None]) -> str:
    """A traceback with every frame and exception type of the chain, and no message."""
    _type, exc, _tb = exc_info
    if exc is None:
        return ""
    chain: list[BaseException] = []
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        chain.append(exc)
        seen.add(id(exc))
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    lines: list[str] = []
    for n, item in enumerate(reversed(chain)):
        if n:
            lines.append("The above exception led to the next one:")
        lines.append("Traceback (most recent call last; messages withheld):")
        for frame in traceback.extract_tb(item.__traceback__):
            lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}')
        kind = type(item)
        lines.append(f"{kind.__module__}.{kind.__qualname__}")
    return "\n".join(lines)


class TextFormatter(logging.Formatter):
    """Plain text lines; exceptions without their messages."""

    def formatException(self, ei: Any) -> str:
        return redacted_traceback(ei)

    def formatStack(self, stack_info: str) -> str:
        return ""


class JsonFormatter(_JsonFormatter):
    """One JSON object a line; exceptions without their messages."""

    def formatException(self, ei: Any) -> str:
        return redacted_traceback(ei)

    def formatStack(self, stack_info: str) -> str:
        return ""


class AccessLogFilter(logging.Filter):
    """Rewrites uvicorn's access records (args: client, method, path with query, HTTP version,
    status): the query string is dropped, the client address too unless asked for; the parts
    become attributes for the JSON formatter."""

    def __init__(self, client_address: bool = False) -> None:
        super().__init__()
        self.client_address = client_address

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5:
            client, method, full_path, http_version, status = args
            path = str(full_path).split("?", 1)[0]
            shown = str(client) if self.client_address else "-"
            record.args = (shown, method, path, http_version, status)
            record.method = method
            record.path = path
            record.status = status
            record.http_version = http_version
            if self.client_address:
                record.client = shown
        return True


def service_formatter(log_format: Literal["text", "json"] = "text") -> logging.Formatter:
    """The formatter of every handler of the service."""
    if log_format == "json":
        return JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    return TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")


def logging_config(
    *, log_format: Literal["text", "json"] = "text", client_address: bool = False
) -> dict[str, Any]:
    """The dictConfig of the service (and uvicorn's loggers) for `log_format`."""
    formatter = {"()": f"{__name__}.service_formatter", "log_format": log_format}
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "service",
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"service": formatter},
        "filters": {
            "access": {"()": f"{__name__}.AccessLogFilter", "client_address": client_address}
        },
        "handlers": {
            "default": handler,
            "access": {**handler, "filters": ["access"]},
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
            "esafety_flow": {"handlers": ["default"], "level": "INFO", "propagate": False},
            "sqlalchemy": {"handlers": ["default"], "level": "WARNING", "propagate": False},
        },
        "root": {"handlers": ["default"], "level": "WARNING"},
    }


def configure_logging(
    *, log_format: Literal["text", "json"] = "text", client_address: bool = False
) -> None:
    """Apply `logging_config` in this process."""
    logging.config.dictConfig(logging_config(log_format=log_format, client_address=client_address))
