"""Roadmaps and the people who carry them out.

:mod:`~spatial.planning.roadmaps` (roadmaps, actions, key results, measurements) with
:mod:`~spatial.planning.roadmap_inputs` (the shape of their input) and
:mod:`~spatial.planning.references` (resolving units, people and organisations named in it);
:mod:`~spatial.planning.progress` (the progress watch; its SQL in ``sql/``),
:mod:`~spatial.planning.history` (every change, and a roadmap as it was on a date),
:mod:`~spatial.planning.exchange` (JSON and Excel export and import),
:mod:`~spatial.planning.people` (organisations, people, handovers),
:mod:`~spatial.planning.cores` (progress cores), :mod:`~spatial.planning.past_plans` and
:mod:`~spatial.planning.worklist` (what a signed-in user works on),
:mod:`~spatial.planning.notifications` (what became late or is due soon: inboxes and the
daily e-mail). It
may import :mod:`spatial.db`, :mod:`spatial.units`, :mod:`spatial.analytics` (a roadmap
shows its unit's advantages), :mod:`spatial.accounts.audit` (every change it records in its
history is said to the audit log) and the shared modules.
"""
