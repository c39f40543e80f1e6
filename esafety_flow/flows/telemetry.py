"""Prefect sends usage telemetry from its client and its server unless told not to."""

from __future__ import annotations

import os

__all__ = ["TELEMETRY_OFF", "telemetry_off"]

TELEMETRY_OFF = {"DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}


def telemetry_off() -> None:
    """Set the variables that turn Prefect's telemetry off; call before importing Prefect."""
    os.environ.update(TELEMETRY_OFF)
