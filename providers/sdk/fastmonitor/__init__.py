"""fastmonitor: exact, cheap resource metrics of a cgroup (v1 and v2), shared by the providers.

Sample a running job's cgroup at 10 Hz:

    monitor = Monitor(open_reader(locate(pid)), on_sample=queue.put).start()
    ...; monitor.stop()

Give a local job its own cgroup (None plus the reason when this process may not):

    cgroup, why_not = create_job_cgroup(job_id, Limits(memory_bytes=..., cpus=..., pids=...))
    Popen(cgroup.wrap(argv)) ...; Monitor(cgroup.reader(), ...)
    cgroup.cpu_split(cpu_seconds), cgroup.oom_kills(); cgroup.kill_all(); cgroup.remove()
"""

from benchhub.providers.sdk.fastmonitor.hierarchy import CgroupLocation, CgroupUnavailable, locate
from benchhub.providers.sdk.fastmonitor.jobcgroup import JobCgroup, Limits, create_job_cgroup
from benchhub.providers.sdk.fastmonitor.monitor import DEFAULT_RATE_HZ, Monitor
from benchhub.providers.sdk.fastmonitor.reader import CgroupV1Reader, CgroupV2Reader, Reader, open_reader
from benchhub.providers.sdk.fastmonitor.sample import Sample

__all__ = [
    "DEFAULT_RATE_HZ",
    "CgroupLocation",
    "CgroupUnavailable",
    "CgroupV1Reader",
    "CgroupV2Reader",
    "JobCgroup",
    "Limits",
    "Monitor",
    "Reader",
    "Sample",
    "create_job_cgroup",
    "locate",
    "open_reader",
]
