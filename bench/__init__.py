"""Performance harness: `make bench`. Measures the API against baselines run in the same process
tree on the same machine and prints ratios; never part of `make test`."""
