"""A gate device simulator speaking Last100 gate protocol v1 (docs/gate-protocol.md).

Standalone: imports nothing of the portal. `controller.py` is one virtual controller (its
list in a file, pushes, offline scan decisions, events owed), `server.py` the HTTP server
hosting many of them and the threads reporting events and heartbeats. See docs/gatesim.md.
"""
