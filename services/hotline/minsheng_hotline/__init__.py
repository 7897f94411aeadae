"""Hotline adapter: the call centres' call records (12345, 12319, 28339260) become
canonical appeals, delivered to intake with retries and the call id as the
idempotency key; the line is the channel (Art. 4, 5)."""
