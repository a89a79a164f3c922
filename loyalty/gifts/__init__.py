"""The reciprocity engine: give-first gifts within budgets kept as program accounts."""
