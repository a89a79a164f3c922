"""PostgreSQL's own CPU time per transaction, read from /proc around a measurement.

The ratio targets compare the API's writes with `pgbench -N` on the same CPUs, so what the
database itself spends on one award, against one pgbench transaction, bounds the ratio whatever
the Python side does: with the API costing nothing at all, awards could run at most at
(pgbench's database CPU per transaction / the award's) of pgbench's rate. Every process named
`postgres` on this machine is counted (the embedded server and a local one alike), so nothing
else should load PostgreSQL during a measurement; a remote server reads as unmeasured (None).
Exited backends count too: the postmaster adds its children's time once it reaps them.
"""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def postgres_ticks(proc: Path = PROC) -> int:
    """User and system CPU ticks of every `postgres` process and its reaped children."""
    total = 0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "postgres":
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while being read
            continue
        # utime, stime, cutime, cstime (proc(5): fields 14-17, here after pid and comm)
        total += sum(int(value) for value in fields[11:15])
    return total


def per_transaction(ticks_before: int, ticks_after: int, transactions: int) -> float | None:
    """PostgreSQL's CPU milliseconds per transaction between two readings (None when no local
    PostgreSQL process was seen working, or nothing ran)."""
    spent = ticks_after - ticks_before
    if spent <= 0 or transactions <= 0:
        return None
    return spent * 1000 / TICKS_PER_SECOND / transactions
