"""Benchmarks and the REES46 replay (`make bench`, and tests/integration/test_replay.py).

- `rees46`: the sample mapped to tracked events, widget batching, and the file's own totals.
- `replay`: posts batches through the track function's handler in-process (clock pinned).
- `capacity`: DynamoDB requests and capacity units metered with botocore hooks.
- `coldstart`: each function's cold import+init against a boto3 baseline.
- `throughput`, `scenarios`: the timed and metered runs; `moto_speedup`: moto shortcuts.
"""
