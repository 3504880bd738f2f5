"""Benchmarks: scripts that print ratios against baselines measured in the same run.

Run with `make bench` (`python -m bench.eventstore`); they are not timed tests.
"""
