"""Journey tracking: events from the widget folded into per-session state, the ordered journey
for agents, daily counters for reports, and erasure of a visitor."""
