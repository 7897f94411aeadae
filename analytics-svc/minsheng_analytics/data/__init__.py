"""Analytics' packaged rule data: the parameters of warning detection."""
