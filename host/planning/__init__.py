"""From a job file to a `Plan`: providers launched and configured, offers gathered, jobs placed by
the scheduler, source snapshots taken; saved plans (`bh plan -out`) written and checked."""
