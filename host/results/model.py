"""The shapes results are loaded into and compared as."""

from __future__ import annotations

from dataclasses import dataclass, field

from benchhub.frameworks import Direction

Params = tuple[tuple[str, str], ...]



@dataclass(frozen=True, order=True)
class SeriesKey:
    """What makes two series comparable: the job-file job, its parameters (those not used to pick a
    side), the benchmark and the metric."""

    job: str
    params: Params
    benchmark: str
    metric: str

    @property
    def label(self) -> str:
        """`job[k=v,...]`, followed by the benchmark when it is not the job itself."""
        params = ",".join(f"{k}={v}" for k, v in self.params)
        name = f"{self.job}[{params}]" if params else self.job
        return name if self.benchmark in ("", self.job) else f"{name} {self.benchmark}"


@dataclass
class Series:
    """All samples of one benchmark metric on one side, in iteration order."""

    key: SeriesKey
    unit: str
    direction: Direction
    values: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Environment:
    """Where samples were measured, as far as comparing them is concerned."""

    cpu_model: str | None = None
    cores: int | None = None
    kernel: str | None = None
    provider: str | None = None
    instance_type: str | None = None

    def describe(self) -> str:
        cores = f"{self.cores} cores" if self.cores else None
        parts = [self.provider, self.instance_type, self.cpu_model, cores, self.kernel]
        return ", ".join(p for p in parts if p) or "unknown"


@dataclass
class Side:
    """One side of a comparison: the series it holds and where they came from."""

    label: str
    runs: tuple[int, ...]
    series: dict[SeriesKey, Series]
    environments: frozenset[Environment] = frozenset()
    snapshots: tuple[str, ...] = ()  # "branch@commit[+dirty]" of the jobs involved
