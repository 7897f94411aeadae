"""Analytics: its own projection of every event, the unit KPIs (Art. 33) and the
dashboard page."""
