"""Review: past sessions for staff, read-only (the session list, a session's timeline, a
patient's course, exports). ``ReviewPage`` is the tab the composition root adds."""
