"""Gate sync: the access change log (outbox), pushes to gate controllers, their health.

Layers: core <- communities <- gatesync <- riders <- ... Gate sync imports communities
(gates, controllers, rules) and nothing above it; the rest of the project calls
interface.py only (see docs/gate-sync.md).

interface.py  the one door: access_changed, policy_changed, keys_changed,
              controller_resync; reads and start-up hooks
receivers.py  communities' domain signals (rules_published, gate_rules_changed,
              controller_saved) -> interface.policy_changed / a push
outbox.py     writes the change log rows and the materialised list, in the caller's
              transaction; says what needs a push, enqueues nothing itself
documents.py  reads: snapshot and delta documents of docs/gate-protocol.md, the policy
              object, the list digest
push.py       the push service: what a controller lacks, sent by its driver, state recorded
tasks.py      Celery: push per controller, reconcile (beat), expiry sweep (beat), prune
              (beat); push_after_commit and enqueueing
inbound.py    controllers' heartbeats
health.py     reads: per-controller sync health for the admin, /staff/ and the dashboard
auth.py       the gate protocol's request signatures (both directions), controller auth
drivers/      http_json (our protocol) and hikvision_isapi
cache.py      what each process keeps beside the database (one object, `clear()`)
providers.py  what riders hands in at start-up: public pass keys, riders' names
admin.py, api.py, urls.py, management/commands/sync_gates.py   the edges

Imports inside the package go one way (no circles, no imports inside functions):

    interface -> outbox, tasks, push, health, documents, auth, cache, providers
    receivers -> interface, tasks, models
    inbound   -> tasks, documents, models
    tasks     -> push, outbox, drivers, models
    outbox    -> documents, models
    push      -> documents, drivers, models
    drivers   -> auth (http_json), providers, models (hikvision)
    documents -> cache, providers, models
    auth      -> cache
"""
