"""Security plumbing shared by every app: log-in lock-outs (django-axes), session
timeouts, rate limits, security event logging with masked personal data
(docs/security.md)."""
