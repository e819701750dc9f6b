"""Governance domain models (built by a later issue)."""
