"""The events area: the program's event log, read by its admins."""
