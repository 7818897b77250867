"""Sales reps' private prospect lists (empty until the prospects issue)."""
