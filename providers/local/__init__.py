"""The local provider: jobs as processes on this machine."""
