"""The roles an account can hold, from the most to the least powerful.

A module of names only: the schema's check (:mod:`spatial.models.accounts`), the
accounts, the API's authorisation and ``pishraft users --help`` all read them here.
"""

from __future__ import annotations

#: Roles, from the most to the least powerful.
ROLES: tuple[str, ...] = ("admin", "analyst", "planner", "core", "viewer")
