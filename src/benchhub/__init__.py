"""BenchHub: run tests and benchmarks on any machine you can rent or own."""

__version__ = "0.2.0"
