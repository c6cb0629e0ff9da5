"""Benchmarks of aduan-sync against the fake Google server (`make bench`; not part of the tests)."""
