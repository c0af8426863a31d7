"""Frameworks: turn framework blocks into jobs and parse their output into results."""

from benchhub.frameworks.base import Direction, FrameworkError, FrameworkJob, Outcome, Sample
from benchhub.frameworks.registry import FRAMEWORKS, expand, missing_tools, parse, validate

__all__ = [
    "FRAMEWORKS",
    "Direction",
    "FrameworkError",
    "FrameworkJob",
    "Outcome",
    "Sample",
    "expand",
    "missing_tools",
    "parse",
    "validate",
]
