"""Sort a shuffled list of SIZE integers with ALGO and print how long the sort itself took.

    python3 sort.py ALGO SIZE        # ALGO: insertion, merge, quick, heap, builtin
"""

import heapq
import random
import sys
import time


def insertion(items: list[int]) -> list[int]:
    out = list(items)
    for i in range(1, len(out)):
        value, j = out[i], i - 1
        while j >= 0 and out[j] > value:
            out[j + 1] = out[j]
            j -= 1
        out[j + 1] = value
    return out


def merge(items: list[int]) -> list[int]:
    if len(items) <= 1:
        return list(items)
    middle = len(items) // 2
    left, right = merge(items[:middle]), merge(items[middle:])
    out, i, j = [], 0, 0
    while i < len(left) and j < len(right):
        if left[i] <= right[j]:
            out.append(left[i])
            i += 1
        else:
            out.append(right[j])
            j += 1
    return out + left[i:] + right[j:]


def quick(items: list[int]) -> list[int]:
    if len(items) <= 1:
        return list(items)
    pivot = items[len(items) // 2]
    return (quick([x for x in items if x < pivot]) + [x for x in items if x == pivot]
            + quick([x for x in items if x > pivot]))


def heap(items: list[int]) -> list[int]:
    h = list(items)
    heapq.heapify(h)
    return [heapq.heappop(h) for _ in range(len(h))]


ALGORITHMS = {"insertion": insertion, "merge": merge, "quick": quick, "heap": heap, "builtin": sorted}


def main() -> None:
    algo, size = sys.argv[1], int(sys.argv[2])
    data = list(range(size))
    random.Random(size).shuffle(data)
    start = time.perf_counter()
    result = ALGORITHMS[algo](data)
    elapsed = time.perf_counter() - start
    assert result == sorted(data), f"{algo} did not sort"
    print(f"algo={algo} size={size} sort_seconds={elapsed:.9f}")


if __name__ == "__main__":
    main()
