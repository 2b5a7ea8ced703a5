"""Benchmarks that print figures (`python -m bench.issuance`, `python -m bench.verify`); never timed assertions."""
