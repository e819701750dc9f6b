"""Staff pages for riders, one module per sub-domain:

- guard.py: the guard console at a gate (log-in, the guard's gates, live events)
- gates.py: gate code rotation and poster downloads
- rider_queue.py: rider search, the queue of grants and its bulk actions
- rider_page.py: a rider's page with grant actions

Every page is scoped by object permissions on the community: a gate or rider outside the
user's communities answers 404, as if it did not exist. Every change to a grant goes
through riders.services.grants.
"""
