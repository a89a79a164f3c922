"""The points area: balances, the ledger with explanations, earning, spending and returns."""
