"""The tracking function: journey events from widgets, visitor erasure, counter aggregation."""
