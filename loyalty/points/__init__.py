"""Points: the ledger, earning, pending activation, expiry, returns and idempotent writes."""
