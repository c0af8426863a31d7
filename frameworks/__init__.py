"""Frameworks: turn framework blocks into jobs and parse their output into results."""
