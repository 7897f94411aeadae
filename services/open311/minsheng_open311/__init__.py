"""Open311 GeoReport v2 server: 311 clients file appeals and follow them; each
appeal is kept in the adapter's own store and delivered to intake with retries and
an idempotency key (Art. 4, 5)."""
