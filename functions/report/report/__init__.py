"""The report function: reports and scheduled report jobs."""
