"""Gate sync: the access change log (outbox), pushes to gate controllers, their health.

outbox.py    writes: the change log rows and the materialised access list, in the caller's
             transaction (called from riders.services.grants and the rules/key services)
documents.py reads: snapshot and delta documents of docs/gate-protocol.md, the list digest
push.py      the push service: what a controller lacks, sent by its driver, state recorded
health.py    reads: per-controller sync health for the admin, /staff/ and the dashboard
tasks.py     Celery: push per controller, reconcile (beat), expiry sweep (beat)
drivers/     http_json (our protocol) and hikvision_isapi
"""
