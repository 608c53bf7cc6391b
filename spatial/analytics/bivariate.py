"""Capacity × deprivation: each unit in a 3 × 3 grid of terciles, with what it means for planning."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from spatial.errors import InvalidInput
from spatial.analytics.indices import source_values

#: (capacity class, deprivation class) → (Persian meaning, English meaning); 1 = low, 3 = high.
MEANINGS: dict[tuple[int, int], tuple[str, str]] = {
    (3, 3): ("شکوفاسازی ظرفیت محلی: محرومیت بالا با وجود ظرفیت بالا؛ گلوگاه‌ها (تأمین مالی، مهارت، بازار) را رفع کنید",
             ("Unlock local capacity: high deprivation despite high capacity; remove the bottlenecks "
              "(finance, skills, market access)")),
    (2, 3): ("حمایت ترکیبی: محرومیت بالا و ظرفیت متوسط؛ سرمایه‌گذاری همراه با تقویت ظرفیت‌های موجود",
             "Combined support: high deprivation, moderate capacity; invest while building on existing capacities"),
    (1, 3): ("نیازمند سرمایه‌گذاری بیرونی: محرومیت بالا و ظرفیت پایین؛ سرمایه‌گذاری عمومی و خدمات پایه در اولویت",
             "Needs outside investment: high deprivation and low capacity; public investment and basic services first"),
    (3, 2): ("بهره‌گیری از ظرفیت برای اشتغال: محرومیت متوسط و ظرفیت بالا؛ برنامه‌های اشتغال هدفمند برای گروه‌های محروم",
             "Turn capacity into jobs: moderate deprivation, high capacity; target employment at deprived groups"),
    (2, 2): ("توسعه متوازن: محرومیت و ظرفیت متوسط؛ برنامه‌های ترکیبی با پایش مستمر",
             "Balanced development: moderate deprivation and capacity; mixed programmes with steady monitoring"),
    (1, 2): ("ظرفیت‌سازی: محرومیت متوسط و ظرفیت پایین؛ آموزش، تعاونی‌ها و زیرساخت پیش از سرمایه‌گذاری بزرگ",
             ("Build capacity: moderate deprivation, low capacity; training, cooperatives and infrastructure "
              "before large investment")),
    (3, 1): ("قطب رشد: محرومیت پایین و ظرفیت بالا؛ کانونی برای پیشبرد و پشتیبانی مناطق همجوار",
             "Growth pole: low deprivation, high capacity; a hub to drive and support neighbouring areas"),
    (2, 1): ("حفظ و تنوع‌بخشی: محرومیت پایین و ظرفیت متوسط؛ دستاوردها را حفظ و اقتصاد محلی را متنوع کنید",
             "Sustain and diversify: low deprivation, moderate capacity; keep the gains, diversify the local economy"),
    (1, 1): ("مراقبت از آسیب‌پذیری: محرومیت پایین ولی ظرفیت پایین؛ دستاوردها شکننده‌اند، ظرفیت محلی را تقویت کنید",
             "Watch for fragility: low deprivation but low capacity; gains may not last, strengthen local capacity"),
}


def terciles(values: pd.Series) -> pd.Series:
    """Class 1, 2 or 3 by tercile of percentile rank (ties share a class).

    Examples
    --------
    >>> terciles(pd.Series([5.0, 1.0, 9.0])).tolist()
    [2, 1, 3]
    """
    pct = values.rank(method="average", pct=True)
    return pd.Series(np.clip(np.ceil(pct * 3), 1, 3).astype(int), index=values.index)


def bivariate_classes(session: Session, capacity: str, deprivation: str, level: str, period: str | None = None,
                      parent_code: str | None = None) -> dict[str, dict[str, object]]:
    """Capacity and deprivation tercile of every unit at ``level`` with the planning meaning.

    ``capacity`` and ``deprivation`` are indicator codes or ``'index:<id or code>'``;
    higher must mean more capacity and more deprivation. Units lacking either are left out.

    Examples
    --------
    >>> bivariate_classes(session, "index:capacity_demo", "index:deprivation_demo", "county")  # doctest: +SKIP
    {'IR-01-01': {'capacity_class': 3, 'deprivation_class': 1, 'meaning_fa': ..., 'meaning_en': 'Growth pole: ...'}}
    """
    _, cap = source_values(session, capacity, level, period, parent_code)
    _, dep = source_values(session, deprivation, level, period, parent_code)
    both = pd.DataFrame({"capacity": pd.Series(cap, dtype=float), "deprivation": pd.Series(dep, dtype=float)}).dropna()
    if len(both) < 3:
        raise InvalidInput(f"Fewer than three {level} units have both measures; terciles need at least three.",
                           field="level")
    cap_class, dep_class = terciles(both["capacity"]), terciles(both["deprivation"])
    return {
        code: {"capacity_class": int(c), "deprivation_class": int(d),
               "meaning_fa": MEANINGS[(int(c), int(d))][0], "meaning_en": MEANINGS[(int(c), int(d))][1]}
        for code, c, d in zip(both.index, cap_class, dep_class, strict=True)
    }
