"""Forum adapter: message-board posts become canonical appeals, delivered to intake
with retries and an idempotency key (Art. 4, 5)."""
