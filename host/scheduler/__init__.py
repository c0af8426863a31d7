"""Placement of ready jobs onto priced offers.

`place(jobs, offers, policy, *, history=None, excluded=frozenset()) -> Placement` (in
`benchhub.host.scheduler.placement`) is a pure function: no I/O, no state. `history` maps a job id
to the median duration of its past runs (seconds); `excluded` holds offer keys (provider, offer id)
to leave out - the executor re-places the jobs of a failed allocation with the failed offer excluded.
"""
