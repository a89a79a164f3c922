"""The members area: enrollment, profiles and member lookups."""
