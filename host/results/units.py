"""Human forms of measured values: 1.23 ms, 45.6 KiB, 1.2k ops/s."""

from __future__ import annotations

import math

_TIME_SCALE = {"s": 1.0, "ns/op": 1e-9, "ns": 1e-9, "ms": 1e-3}
_TIME_STEPS = ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns"))
_BYTE_UNITS = {"B", "B/op"}
_BYTE_STEPS = ((2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB"), (1, "B"))
_SI_STEPS = ((1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""))


def _number(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"


def _scaled(value: float, steps: tuple[tuple[float, str], ...]) -> tuple[str, str]:
    for factor, prefix in steps:
        if abs(value) >= factor:
            return _number(value / factor), prefix
    factor, prefix = steps[-1]
    return _number(value / factor), prefix


def format_value(value: float, unit: str) -> str:
    """`value` in `unit`, scaled to a readable prefix (time and byte units are recognised)."""
    if math.isnan(value) or math.isinf(value):
        return str(value)
    if unit in _TIME_SCALE:
        number, prefix = _scaled(value * _TIME_SCALE[unit], _TIME_STEPS)
        suffix = "/op" if unit.endswith("/op") else ""
        return f"{number} {prefix}{suffix}"
    if unit in _BYTE_UNITS:
        number, prefix = _scaled(value, _BYTE_STEPS)
        return f"{number} {prefix}{unit[1:]}"
    number, prefix = _scaled(value, _SI_STEPS)
    return f"{number}{prefix} {unit}".rstrip() if unit else f"{number}{prefix}"


def format_pct(value: float | None, signed: bool = True) -> str:
    if value is None:
        return "?"
    if math.isinf(value):
        return "∞"
    return f"{value:+.1f}%" if signed else f"{value:.0f}%"
