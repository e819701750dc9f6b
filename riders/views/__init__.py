"""Rider pages: registration at a gate (/r/<code>/) and the pass (/pass/)."""
