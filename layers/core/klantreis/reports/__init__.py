"""Reports: the daily report and its statistics, staffing, the live view, scheduled jobs."""
