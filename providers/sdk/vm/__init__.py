"""The cloud-neutral kit every VM provider (AWS, GCP, Alibaba) builds on.

- `catalog`: the bundled, dated price catalog per cloud and its staleness warning.
- `tags`: how BenchHub names and tags every cloud object it makes.
- `errors`: mapping a cloud's error codes onto the SDK's ProviderError classes.
- `keys`: the ephemeral SSH key of one allocation.
- `ssh`: the SSH run path (reachability, upload, streamed run, download) on asyncssh.
"""
