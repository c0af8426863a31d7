"""Entry point of bh-provider-docker."""

from benchhub.providers.docker.provider import DockerProvider
from benchhub.providers.sdk import serve


def main() -> None:
    serve(DockerProvider())


if __name__ == "__main__":
    main()
