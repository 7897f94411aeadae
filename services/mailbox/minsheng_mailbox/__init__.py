"""Mailbox adapter: the government mailbox (政府信箱) read over IMAP, each citizen's
mail a canonical appeal delivered to intake with retries and an idempotency key
(Art. 4, 5); auto-replies and bounces recorded and ignored; replies by email."""
