"""The aws provider: a VM per job on EC2 (see README.md)."""
