"""Governance pages: `owners` (/vote/), `staff` (/vote/staff/<slug>/), `public`
(the result page anyone may read)."""
