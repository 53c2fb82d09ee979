"""The stream wing: the table's change stream, each record decoded once into an `ItemChange`
(`changes.py`), then the projections that take changes: the day counters (`day_counters.py`),
the report counters and the uplift experiment (`report_counters.py`), per-page statistics
(`pages.py`), purchases attributed to chats (`attribution.py`) and the live board
(`live_board.py`). Nothing outside the stream functions writes what they keep; the rest of the
core reads it (reports, engagement) but this package imports nothing that imports it back."""
