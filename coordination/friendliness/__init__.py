"""The rider-friendliness index: how friendly a community is to riders, measured from
what Last100 records (scans, registrations, approvals, gates, facilities, units,
feedback, controllers), never typed in. docs/friendliness.md gives each component's
definition, weight and source.

- index.py: the components, their weights, and the `Friendliness` value (no queries)
- measure.py: `friendliness_compute` (seven queries whatever the size) and its cache
"""
