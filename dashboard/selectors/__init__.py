"""Reads for the staff dashboard, one module per sub-domain:

- counts.py: scans counted over hours (roll-ups and the raw tail), riders inside and
  time inside (raw-event windows)
- overview.py: `/staff/`'s and a community page's cards and charts
- history.py: a community's events and a rider's visits
"""
