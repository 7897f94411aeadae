"""Who is calling and what they may do: API keys for systems, signed tokens for
people, roles and scopes, checked the same way in every service."""
