"""Money while a run goes: actual cost by the billing rules, and the budget gate."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from benchhub.host.planning.model import Billing


def billed_cost(seconds: float, price_per_hour: float, billing: Billing) -> float:
    """Cost of holding an allocation `seconds`: rounded up to the granularity, at least the minimum."""
    step = billing.granularity_s if billing.granularity_s > 0 else 1.0
    billed = max(billing.minimum_s, math.ceil(max(seconds, 0.0) / step - 1e-9) * step)
    return billed * price_per_hour / 3600.0


@dataclass(frozen=True)
class BudgetState:
    spent: float
    committed: float
    budget: float


class Budget:
    """Spent (finished allocations) plus committed (estimates of running jobs), against a limit."""

    def __init__(self, limit: float | None) -> None:
        self.limit = limit
        self.spent = 0.0
        self._committed: dict[str, float] = {}
        self._lock = threading.Lock()

    def try_commit(self, job_id: str, estimate: float) -> BudgetState | None:
        """Reserve `estimate` for `job_id`; None when it fits, else the state that refused it."""
        with self._lock:
            committed = sum(self._committed.values())
            if self.limit is not None and self.spent + committed + estimate > self.limit + 1e-12:
                return BudgetState(self.spent, committed, self.limit)
            self._committed[job_id] = estimate
            return None

    def settle(self, job_id: str, actual: float) -> None:
        """The job's allocation is released: replace its estimate by what it cost."""
        with self._lock:
            self._committed.pop(job_id, None)
            self.spent += actual
