"""Crash-consistency harness (issue 9): SIGKILL passes at random moments, recover, check.

`harness.run_trials(root, backend, trials, seed)` runs a series and returns a `CrashReport`;
`python -m tests.crash` runs the full series and prints its figures; `tests/test_crash.py` runs
the bounded series in CI.
"""
