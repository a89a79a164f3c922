"""Pure business rules of the loyalty platform.

Nothing here performs I/O or imports a framework, driver or client: the import-linter contracts in
pyproject.toml keep it that way, so every rule can be unit-tested in microseconds.
"""
