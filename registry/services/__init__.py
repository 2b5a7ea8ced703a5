"""Use cases: functions taking a session and plain arguments; each owns its transaction."""
