"""AI + video adapter: camera detections become complaints with their snapshot
attached, one appeal for the detections of one kind at one camera within a window,
delivered to intake with retries and an idempotency key (Art. 4, 5)."""
