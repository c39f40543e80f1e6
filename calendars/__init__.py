"""calendars: time."""
