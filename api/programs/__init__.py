"""The programs area: tenant provisioning and settings."""
