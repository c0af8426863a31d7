"""Sizes ("2GiB"), durations ("1h30m") and money ("20 USD") as written in job files.

Each parser returns the value or raises ValueError with a message fit for a located config error.
"""

from __future__ import annotations

import re

_SIZE_UNITS = {
    "": 1, "b": 1,
    "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4,
    "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_MONEY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Z]{3})\s*$")


def parse_size(value: object) -> int:
    """Bytes from a number of bytes or "512MiB", "2GiB", "1.5GB", "10G" (K/M/G/T = binary)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    match = _SIZE.match(value) if isinstance(value, str) else None
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in _SIZE_UNITS:
        raise ValueError(f'invalid size {_show(value)}: write bytes or a size like "512MiB", "2GiB", "1GB"')
    return round(float(match.group(1)) * _SIZE_UNITS[unit])


def parse_duration(value: object) -> float:
    """Seconds from a number of seconds or "90s", "10m", "1h30m", "1.5h", "500ms", "2d"."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    text = value.strip() if isinstance(value, str) else ""
    parts = _DURATION_PART.findall(text)
    if not text or "".join(n + u for n, u in parts) != text:
        example = 'write seconds or a duration like "90s", "10m", "1h30m"'
        raise ValueError(f"invalid duration {_show(value)}: {example}")
    return sum(float(n) * _DURATION_UNITS[u] for n, u in parts)


def parse_money(value: object) -> tuple[float, str]:
    """(amount, currency) from "20 USD" (an ISO 4217 code after the amount)."""
    match = _MONEY.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f'invalid amount {_show(value)}: write an amount and a currency like "20 USD"')
    return float(match.group(1)), match.group(2)


def _show(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)
