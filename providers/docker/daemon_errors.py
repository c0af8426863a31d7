"""Docker SDK failures as provider errors the host can act on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import docker.errors
import requests.exceptions

from benchhub.providers.sdk.errors import InvalidError, TransientError

_PASSING = (502, 503, 504)


@contextmanager
def translated(host: str) -> Iterator[None]:
    """Unreachable daemon or passing server trouble: TransientError; a refused request: InvalidError."""
    try:
        yield
    except docker.errors.APIError as e:
        if e.status_code in _PASSING:
            raise TransientError(f"docker daemon at {host}: {e.explanation}") from e
        raise InvalidError(f"docker refused: {e.explanation}") from e
    except (docker.errors.DockerException, requests.exceptions.ConnectionError) as e:
        raise TransientError(f"docker daemon at {host} unreachable: {e}") from e
