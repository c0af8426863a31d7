"""Count lines of code under a directory, two ways.

    python3 loc.py bytes TREE    # count newlines in the raw bytes of every file
    python3 loc.py text TREE     # decode each file and count its non-blank lines
"""

import os
import sys

SUFFIXES = (".py", ".go", ".proto", ".hcl", ".sh", ".md")


def files(tree: str) -> list[str]:
    found = []
    for root, dirs, names in os.walk(tree):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [os.path.join(root, n) for n in names if n.endswith(SUFFIXES)]
    return found


def by_bytes(paths: list[str]) -> int:
    total = 0
    for path in paths:
        with open(path, "rb") as f:
            total += f.read().count(b"\n")
    return total


def by_text(paths: list[str]) -> int:
    total = 0
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as f:
            total += sum(1 for line in f if line.strip())
    return total


def main() -> None:
    method, tree = sys.argv[1], sys.argv[2]
    paths = files(tree)
    count = {"bytes": by_bytes, "text": by_text}[method](paths)
    print(f"{method}: {count} lines in {len(paths)} files under {tree}")


if __name__ == "__main__":
    main()
