"""The demo: `manage.py seed_demo` and every app's demo data, written through the apps'
services so the demo obeys the rules the product does (docs/demo.md).

Installed by the dev, test and bench settings only, never in production; no app imports it.
"""
