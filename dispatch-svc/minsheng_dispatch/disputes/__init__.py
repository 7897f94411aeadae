"""Ownership disputes (争议协调, Art. 24): the center coordinates, then the bureau's
leadership, then the district leader's meeting decides which unit owns an order."""
