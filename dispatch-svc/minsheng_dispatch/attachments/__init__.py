"""Attachments of work orders: photos and stamped documents, checked by their first
bytes, kept once per content (SHA-256) and shown only to those who may see an order
that uses them."""
