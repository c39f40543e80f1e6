"""Working-day tables cached on disk, so that a command need not build its calendar at each start.

Building a calendar means importing `holidays`, asking it for 41 years of a region's bank
holidays and counting the table's 15,000 days: most of a short command's time.
`cached_calendar(spec, directory)` keeps the built table in `directory` and reads it back at
the next start instead. The directory is the caller's choice (the command line uses a per-user
cache directory); `None` means no cache. Nothing else in `calendars` reads or writes files.

One file per calendar: region, years, and the one-off and closure days (a calendar with other
days is another file). It is used only when its key equals the spec's, which names

- the file format (`FORMAT`),
- the spec's version: region, `holidays` package version, one-off and closure days,
- the years of the table,
- the code that builds the table (a digest of the source of `calendars.regions`,
  `calendars.working_days` and this module), so that a table built before a correction to
  that code is never used after it.

A file whose key differs (the `holidays` package was upgraded, a day added) is rebuilt and
replaced. A file that is not exactly what this module writes (truncated, corrupt, another
format, a checksum that does not match) is ignored and rebuilt. Files are written to a
temporary name in the same directory and renamed into place, so a reader sees a whole file or
none. A cache that cannot be read or written (a missing or read-only directory, a full disk)
never fails the caller: the calendar is built in memory as without a cache.

The checksum finds damage, not tampering: the directory should be the user's own (the command
line's default is). A file owned by another user is never read.

The format is plain data, never pickle (little-endian)::

    8 bytes   magic b"ESFCAL1\\n"
    4 bytes   length H of the header (unsigned)
    H bytes   header, UTF-8 JSON: {"format", "key", "region", "holidays", "spec", "years",
              "days", "working_days", "sha256"}; sha256 is the hex digest of the key (UTF-8)
              followed by the payload
    payload   int32[days] cum (working days from the first day of the table to each day),
              int32[working_days] the working days as proleptic Gregorian ordinals,
              UTF-8 JSON [[ordinal, name], ...]: the region's statutory days off, by date
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from array import array
from datetime import date
from pathlib import Path

from calendars import regions, working_days
from calendars.regions import HOLIDAYS_VERSION, BankHoliday, CalendarSpec
from calendars.working_days import WorkingDayCalendar

__all__ = ["FORMAT", "cache_key", "cache_path", "cached_calendar"]

FORMAT = 1
_MAGIC = b"ESFCAL1\n"
_INT = "i"
_MAX_BYTES = 64 * 1024 * 1024  # far above any table (about 110 kB for 41 years)
_CORRUPT = (ValueError, KeyError, TypeError, IndexError, OverflowError, RecursionError)


def _code_digest() -> str | None:
    digest = hashlib.sha256()
    for module in (regions, working_days, sys.modules[__name__]):
        source = getattr(module, "__file__", None)
        if source is None:
            return None
        try:
            digest.update(Path(source).read_bytes())
        except OSError:
            return None
    return digest.hexdigest()[:16]


def cache_key(spec: CalendarSpec) -> str | None:
    """The key a cached table of `spec` must carry; `None` when the code cannot be read."""
    code = _code_digest()
    if code is None:
        return None
    return f"format:{FORMAT}|{spec.version}|years:{spec.first_year}-{spec.last_year}|code:{code}"


def cache_path(spec: CalendarSpec, directory: Path) -> Path:
    """The file of `spec`'s table in `directory` (the same for every `holidays` version)."""
    extra = ",".join(sorted(d.date.isoformat() for d in spec.extra_days))
    closure = ",".join(sorted(d.date.isoformat() for d in spec.closure_days))
    days = hashlib.sha256(f"{extra}|{closure}".encode()).hexdigest()[:16]
    return directory / f"{spec.region.value}-{spec.first_year}-{spec.last_year}-{days}.table"


def cached_calendar(spec: CalendarSpec, directory: Path | None) -> WorkingDayCalendar:
    """The calendar of `spec`, from its table in `directory` if a valid one is there.

    Otherwise the calendar is built (`build_calendar`) and its table written to `directory`,
    if it can be; with `directory=None` it is only built. Never fails for want of a cache.
    """
    key = cache_key(spec) if directory is not None else None
    if directory is None or key is None or array(_INT).itemsize != 4:
        return WorkingDayCalendar(spec)
    path = cache_path(spec, directory)
    calendar = _read(path, spec, key)
    if calendar is None:
        calendar = WorkingDayCalendar(spec)
        _write(path, _encode(calendar, key))
    return calendar


def _ndays(spec: CalendarSpec) -> int:
    return (date(spec.last_year, 12, 31) - date(spec.first_year, 1, 1)).days + 1


def _int32(data: bytes | memoryview) -> array[int]:
    values: array[int] = array(_INT)
    values.frombytes(data)
    if sys.byteorder == "big":
        values.byteswap()
    return values


def _int32_bytes(values: array[int]) -> bytes:
    if sys.byteorder == "big":
        values = array(_INT, values)
        values.byteswap()
    return values.tobytes()


def _encode(calendar: WorkingDayCalendar, key: str) -> bytes:
    spec = calendar.spec
    statutory = [
        [day.toordinal(), holiday.name]
        for day, holiday in sorted(calendar._by_date.items())
        if holiday.kind == "statutory"
    ]
    payload = b"".join(
        (
            _int32_bytes(calendar._cum_table),
            _int32_bytes(calendar._workday_ordinals),
            json.dumps(statutory, ensure_ascii=False, separators=(",", ":")).encode(),
        )
    )
    digest = hashlib.sha256(key.encode())
    digest.update(payload)
    header = json.dumps(
        {
            "format": FORMAT,
            "key": key,
            "region": spec.region.value,
            "holidays": HOLIDAYS_VERSION,
            "spec": spec.version,
            "years": [spec.first_year, spec.last_year],
            "days": len(calendar._cum_table),
            "working_days": len(calendar._workday_ordinals),
            "sha256": digest.hexdigest(),
        },
        separators=(",", ":"),
    ).encode()
    return b"".join((_MAGIC, len(header).to_bytes(4, "little"), header, payload))


def _read(path: Path, spec: CalendarSpec, key: str) -> WorkingDayCalendar | None:
    try:
        with path.open("rb") as source:
            if hasattr(os, "getuid") and os.fstat(source.fileno()).st_uid != os.getuid():
                return None  # only a file of our own is trusted
            blob = source.read(_MAX_BYTES + 1)
    except OSError:
        return None
    if len(blob) > _MAX_BYTES:
        return None
    try:
        return _decode(blob, spec, key)
    except _CORRUPT:
        return None


def _decode(blob: bytes, spec: CalendarSpec, key: str) -> WorkingDayCalendar | None:
    if blob[: len(_MAGIC)] != _MAGIC:
        return None
    start = len(_MAGIC) + 4
    size = int.from_bytes(blob[len(_MAGIC) : start], "little")
    if start + size > len(blob):
        return None
    header = json.loads(blob[start : start + size])
    if not isinstance(header, dict) or header.get("key") != key:
        return None
    payload = memoryview(blob)[start + size :]
    digest = hashlib.sha256(key.encode())
    digest.update(payload)
    if header.get("sha256") != digest.hexdigest():
        return None
    ndays = _ndays(spec)
    nwork = header["working_days"]
    if header.get("days") != ndays or not isinstance(nwork, int) or not 0 <= nwork <= ndays:
        return None
    cum = _int32(payload[: 4 * ndays])
    ordinals = _int32(payload[4 * ndays : 4 * (ndays + nwork)])
    if len(cum) != ndays or len(ordinals) != nwork or (cum[-1] if ndays else 0) != nwork:
        return None
    statutory: list[BankHoliday] = []
    for ordinal, name in json.loads(bytes(payload[4 * (ndays + nwork) :])):
        if not isinstance(ordinal, int) or not isinstance(name, str):
            return None
        statutory.append(BankHoliday(date.fromordinal(ordinal), name, "statutory"))
    return WorkingDayCalendar._from_table(spec, statutory, cum, ordinals)


def _write(path: Path, blob: bytes) -> bool:
    """Write `blob` to `path` atomically (a temporary file renamed); False if it cannot be."""
    import tempfile

    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
        )
    except OSError:
        return False
    try:
        with os.fdopen(handle, "wb") as sink:
            sink.write(blob)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        return False
    return True
