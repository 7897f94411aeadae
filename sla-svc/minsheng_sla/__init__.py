"""SLA: the working calendar and the clocks on every work order (Art. 13, 15, 28)."""
