"""Who may do what: accounts, credentials and the records kept about them.

:mod:`~spatial.accounts.users` (users with roles and areas, partner keys),
:mod:`~spatial.accounts.tokens` (signed bearer tokens), :mod:`~spatial.accounts.ratelimit`
(per-key token buckets), :mod:`~spatial.accounts.audit` (the log of write requests) and
:mod:`~spatial.accounts.backup` (database and layer files in one archive). It may import
:mod:`spatial.db` and the shared modules.
"""
