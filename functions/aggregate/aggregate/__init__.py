"""The stream wing's functions: the table's change stream in, the projections of
klantreis.projections out (`handler`: counters, page statistics, attribution; `live`: the live
board)."""
