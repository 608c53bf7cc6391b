"""Demo accounts: one user per role and one partner key, with fixed, published
credentials. They are for the demo only (rows marked ``synthetic``); a real
installation creates its own with ``pishraft users create`` and ``pishraft keys create``.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.accounts import users as accounts
from spatial.demo.common import DemoStep, Progress

#: The progress core's area in the demo: Kerman province (seed 000 is from Kerman).
DEMO_CORE_AREA = "IR-15"
#: The demo planner's account, linked to a demo person once the demo's people exist.
DEMO_PLANNER = "demo-planner"
#: (username, password, role, area code). DEMO ONLY: these passwords are public.
DEMO_USERS: tuple[tuple[str, str, str, str | None], ...] = (
    ("demo-admin", "demo-admin-1403", "admin", None),
    ("demo-analyst", "demo-analyst-1403", "analyst", None),
    (DEMO_PLANNER, "demo-planner-1403", "planner", None),
    ("demo-core", "demo-core-1403", "core", DEMO_CORE_AREA),
    ("demo-viewer", "demo-viewer-1403", "viewer", None),
)
DEMO_PARTNER = "demo-partner"
#: DEMO ONLY: a fixed key, so that the printed tile URLs keep working across reloads.
DEMO_KEY = "pk_demo1403_synthetic-demo-key-not-for-production"
DEMO_KEY_RATE = 50.0


def load(session: Session, progress: Progress) -> None:
    """Create the demo users and the demo partner key (all collections)."""
    for username, password, role, area in DEMO_USERS:
        accounts.create_user(session, username, password, role, area_code=area, synthetic=True)
    accounts.create_key(session, DEMO_PARTNER, None, DEMO_KEY_RATE, created_by="demo", synthetic=True,
                        key=DEMO_KEY)


def remove(session: Session) -> None:
    """Delete the demo users and key."""
    session.execute(text("DELETE FROM app_user WHERE synthetic"))
    session.execute(text("DELETE FROM api_key WHERE synthetic"))
    accounts.forget_cached()


def credentials_text() -> str:
    """The demo credentials as lines to print after loading the demo."""
    lines = ["Demo accounts (DEMO ONLY — public passwords; sign in at POST /api/auth/token):"]
    lines += [f"  {role:<8} {user:<13} {password}" + (f"   (core area {area})" if area else "")
              for user, password, role, area in DEMO_USERS]
    lines.append(f"  partner key ({DEMO_PARTNER}, all collections, {DEMO_KEY_RATE:g}/s): {DEMO_KEY}")
    return "\n".join(lines)


STEP = DemoStep(name="accounts", load=load, remove=remove)
