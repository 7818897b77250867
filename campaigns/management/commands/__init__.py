"""`demo_clicks`: a burst of demo clicks through the real redirect path."""
