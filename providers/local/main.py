"""``bh-provider-local``: serve the local provider over the plugin wire."""

from __future__ import annotations

from benchhub.providers.local.provider import LocalProvider
from benchhub.providers.sdk import serve


def main() -> None:
    serve(LocalProvider())


if __name__ == "__main__":
    main()
