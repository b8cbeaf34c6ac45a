"""Benchmarks: they measure and print; tests never assert durations."""
