"""Notify: tells citizens what happened to their appeal and keeps the proof (Art. 28,
36)."""
