"""Classifying a cloud's error codes into the SDK's ProviderError classes.

Each cloud provider declares one `ErrorTable` (exact codes and code prefixes -> error class); the kit
turns a failed cloud call into the error the host acts on: capacity and quota are distinct (the scheduler
fails over on both, and remembers which), price errors say the bid was too low, authentication errors are
fatal for the provider, throttling and server errors are transient.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from benchhub.providers.sdk.errors import ProviderError


@dataclass(frozen=True)
class ErrorTable:
    """One cloud's error codes: exact matches first, then the longest matching prefix."""

    cloud: str
    exact: Mapping[str, type[ProviderError]]
    prefixes: Mapping[str, type[ProviderError]] = field(default_factory=dict)

    def error_class(self, code: str) -> type[ProviderError]:
        if code in self.exact:
            return self.exact[code]
        matching = [prefix for prefix in self.prefixes if code.startswith(prefix)]
        return self.prefixes[max(matching, key=len)] if matching else ProviderError

    def classify(self, code: str, message: str, **metadata: str) -> ProviderError:
        """The ProviderError for a cloud error `code`; the code travels in the metadata."""
        error_class = self.error_class(code)
        return error_class(f"{self.cloud}: {code}: {message}", cloud_error=code, **metadata)
