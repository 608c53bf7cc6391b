"""The message catalogue: every user-facing word of the maps and the workspace pages, in
Persian (``FA``) and English (``EN``).

Keys are dotted: ``<area>.<name>``. Vocabularies — the codes stored in the database
(sectors, statuses, financing lines, roles, levels…) — are keyed ``<vocabulary>.<code>``,
so that a code never reaches a page: :func:`label` looks it up and, for a code the
catalogue does not know, shows a neutral "other" word instead of the English code.

Add a word by adding one key to both ``FA`` and ``EN`` (a test checks they have the same
keys). Text may hold ``{name}`` placeholders, filled by :func:`t`'s keyword arguments.

Examples
--------
>>> t("nav.home", "fa")
'خانه'
>>> label("financing", "investment_fund", "en")
'Investment fund'
>>> t("form.required", "en", field="Title")
'Title: this field is required.'
"""

from __future__ import annotations

from collections.abc import Iterable

LANGS: tuple[str, ...] = ("fa", "en")

#: Vocabularies whose codes are stored data and must never appear on a Persian page as code.
VOCABULARIES: tuple[str, ...] = (
    "sector", "financing", "action_status", "roadmap_status", "progress", "cluster", "role", "level",
    "layer_kind", "core_stage", "outcome", "organisation_kind", "domain", "scheme",
)

FA: dict[str, str] = {
    # Site-wide
    "site.name": "پیشرفت",
    "site.tagline": "برنامه‌ریزی فضایی توسعه منطقه‌ای",
    "nav.home": "خانه",
    "nav.sign_in": "ورود",
    "nav.sign_out": "خروج",
    "nav.language": "English",
    "nav.signed_in_as": "واردشده به نام {name}",
    "nav.skip": "پرش به محتوا",
    "common.unknown": "نامشخص",
    "common.other": "سایر",
    "common.none": "ندارد",
    "common.no_data": "بدون داده",
    "common.save": "ذخیره",
    "common.cancel": "انصراف",
    "common.search": "جستجو",
    "common.open": "باز کردن",
    "common.synthetic": "داده‌های نمونه (مصنوعی)",
    "common.rials": "ریال",
    # Sign in
    "signin.title": "ورود به پیشرفت",
    "signin.username": "نام کاربری",
    "signin.password": "گذرواژه",
    "signin.submit": "ورود",
    "signin.failed": "{field}: نام کاربری یا گذرواژه درست نیست.",
    "signin.needed": "برای این کار ابتدا وارد شوید.",
    "signout.title": "خروج",
    "signout.question": "از پیشرفت خارج می‌شوید؟",
    "signout.submit": "خروج",
    "signout.done": "خارج شدید.",
    # Form errors (always name the field)
    "form.required": "{field}: این بخش را پر کنید.",
    "form.too_long": "{field}: حداکثر {max} نویسه.",
    "form.bad_date": "{field}: تاریخ را به شکل ۱۴۰۵/۰۱/۱۵ بنویسید.",
    "form.bad_number": "{field}: یک عدد بنویسید.",
    "form.bad_choice": "{field}: یکی از گزینه‌ها را برگزینید.",
    "form.rejected": "{field}: این مقدار پذیرفته نشد؛ آن را اصلاح کنید.",
    "form.csrf": "این فرم منقضی شده است؛ صفحه را دوباره باز کنید و دوباره بفرستید.",
    "form.errors_title": "فرم کامل نیست:",
    "form.date_hint": "مثلاً ۱۴۰۵/۰۱/۱۵",
    "form.pick_date": "انتخاب تاریخ",
    # Errors
    "error.title": "خطا",
    "error.not_found": "این صفحه یا واحد پیدا نشد.",
    "error.forbidden": "اجازه این کار را ندارید.",
    "error.back_home": "بازگشت به خانه",
    # Home
    "home.title": "میز کار پیشرفت",
    "home.maps": "نقشه‌ها",
    "home.search": "جستجوی واحد",
    "home.search_hint": "نام فارسی یا انگلیسی یا کد واحد، مثلاً کرمان یا IR-15",
    "home.no_results": "واحدی با این نام یا کد پیدا نشد.",
    "home.mine": "کارهای من",
    "home.my_roadmaps": "نقشه‌های راه من",
    "home.my_actions": "اقدام‌های من",
    "home.my_core": "هسته پیشرفت من",
    "home.nothing_yet": "هنوز چیزی ثبت نشده است.",
    "home.provinces": "استان‌ها",
    # Map families
    "map.overview": "نقشه کشور",
    "map.overview_about": "استان‌ها، شهرستان‌ها یا محله‌ها بر پایه یک شاخص",
    "map.bivariate": "ظرفیت × محرومیت",
    "map.bivariate_about": "طبقه‌های ۳×۳ ظرفیت و محرومیت و معنای هر طبقه",
    "map.clusters": "خوشه‌های فضایی",
    "map.clusters_about": "کانون‌های داغ و سرد (LISA)",
    "map.progress": "دیده‌بان پیشرفت",
    "map.progress_about": "وضعیت پیشرفت اقدام‌ها زیر هر واحد",
    "map.roadmaps": "نقشه‌های راه",
    "map.roadmaps_about": "اقدام‌های هر نقشه راه روی نقشه",
    "map.unit": "نقشه زیرواحدها",
    # Unit page
    "unit.code": "کد",
    "unit.level": "سطح",
    "unit.parent": "واحد بالاتر",
    "unit.population": "جمعیت",
    "unit.area": "مساحت (کیلومتر مربع)",
    "unit.indicators": "شاخص‌ها",
    "unit.indicator": "شاخص",
    "unit.value": "مقدار",
    "unit.period": "دوره",
    "unit.source": "منبع",
    "unit.indices": "شاخص‌های ترکیبی",
    "unit.score": "امتیاز",
    "unit.rank": "رتبه",
    "unit.rank_of": "{rank} از {of}",
    "unit.cluster": "خوشه فضایی",
    "unit.bivariate": "طبقه ظرفیت × محرومیت",
    "unit.advantages": "مزیت‌های نسبی برتر",
    "unit.location_quotient": "ضریب مکانی",
    "unit.target_community": "جامعه هدف",
    "unit.people": "نفر",
    "unit.children": "زیرواحدها",
    "unit.roadmaps": "نقشه‌های راه",
    "unit.maps": "نقشه‌های این واحد",
    "unit.no_children": "این واحد زیرواحدی ندارد.",
    "unit.no_roadmaps": "هنوز نقشه راهی برای این واحد نیست.",
    "unit.actions_count": "{count} اقدام",
    "unit.progress_of": "پیشرفت",
    "unit.profile": "نمایه",
    # Vocabularies
    "sector.agriculture": "کشاورزی",
    "sector.industry": "صنعت",
    "sector.services": "خدمات",
    "sector.mining": "معدن",
    "sector.handicrafts": "صنایع دستی",
    "sector.tourism": "گردشگری",
    "financing.investment_fund": "صندوق سرمایه‌گذاری",
    "financing.bank_loan": "وام بانکی",
    "financing.sponsor": "معین اقتصادی",
    "financing.government_budget": "بودجه دولتی",
    "financing.people": "مشارکت مردمی",
    "action_status.planned": "برنامه‌ریزی‌شده",
    "action_status.in_progress": "در حال اجرا",
    "action_status.done": "انجام‌شده",
    "action_status.stalled": "متوقف",
    "action_status.cancelled": "لغوشده",
    "roadmap_status.draft": "پیش‌نویس",
    "roadmap_status.approved": "مصوب",
    "roadmap_status.archived": "بایگانی‌شده",
    "progress.achieved": "محقق‌شده",
    "progress.on_track": "در مسیر",
    "progress.behind": "عقب از برنامه",
    "progress.overdue": "سررسید گذشته",
    "progress.no_data": "بدون اندازه‌گیری",
    "cluster.HH": "بالا-بالا (کانون داغ)",
    "cluster.LL": "پایین-پایین (کانون سرد)",
    "cluster.HL": "بالا-پایین (نقطه دورافتاده)",
    "cluster.LH": "پایین-بالا (نقطه دورافتاده)",
    "cluster.ns": "غیرمعنادار",
    "role.admin": "مدیر سامانه",
    "role.analyst": "تحلیلگر",
    "role.planner": "برنامه‌ریز",
    "role.core": "عضو هسته پیشرفت",
    "role.viewer": "بیننده",
    "level.country": "کشور",
    "level.province": "استان",
    "level.county": "شهرستان",
    "level.district": "بخش",
    "level.rural_district": "دهستان",
    "level.neighbourhood": "محله",
    "level.village": "روستا",
    "layer_kind.capacity": "ظرفیت",
    "layer_kind.deprivation": "محرومیت",
    "layer_kind.context": "زمینه",
    "core_stage.identified": "شناسایی‌شده",
    "core_stage.assessed": "ارزیابی‌شده",
    "core_stage.selected": "انتخاب‌شده",
    "core_stage.trained": "آموزش‌دیده",
    "outcome.succeeded": "موفق",
    "outcome.partial": "نیمه‌موفق",
    "outcome.failed": "ناموفق",
    "organisation_kind.government": "دستگاه دولتی",
    "organisation_kind.economic_sponsor": "معین اقتصادی",
    "organisation_kind.cooperative": "تعاونی",
    "organisation_kind.ngo": "سازمان مردم‌نهاد",
    "organisation_kind.other": "سایر",
    "domain.deprivation": "محرومیت",
    "domain.capacity": "ظرفیت",
    "domain.context": "زمینه",
    "scheme.quantiles": "چندک",
    "scheme.fisher_jenks": "شکست طبیعی",
    "scheme.equal_interval": "فاصله برابر",
    # Capacity × deprivation classes: bivariate.<capacity><deprivation>
    "bivariate.11": "ظرفیت کم، محرومیت کم: پایش",
    "bivariate.21": "ظرفیت متوسط، محرومیت کم: نگهداشت",
    "bivariate.31": "ظرفیت زیاد، محرومیت کم: قطب پیشران",
    "bivariate.12": "ظرفیت کم، محرومیت متوسط: ظرفیت‌سازی",
    "bivariate.22": "ظرفیت و محرومیت متوسط: توسعه متوازن",
    "bivariate.32": "ظرفیت زیاد، محرومیت متوسط: فعال‌سازی ظرفیت",
    "bivariate.13": "ظرفیت کم، محرومیت زیاد: اولویت حمایت مستقیم",
    "bivariate.23": "ظرفیت متوسط، محرومیت زیاد: سرمایه‌گذاری هدفمند",
    "bivariate.33": "ظرفیت زیاد، محرومیت زیاد: فرصت طلایی اشتغال‌زایی",
    # What each class asks of planners (spatial.analytics.bivariate)
    "bivariate_advice.11": ("مراقبت از آسیب‌پذیری: محرومیت پایین ولی ظرفیت پایین؛ "
        "دستاوردها شکننده‌اند، ظرفیت محلی را تقویت کنید"),
    "bivariate_advice.12": ("ظرفیت‌سازی: محرومیت متوسط و ظرفیت پایین؛ آموزش، "
        "تعاونی‌ها و زیرساخت پیش از سرمایه‌گذاری بزرگ"),
    "bivariate_advice.13": ("نیازمند سرمایه‌گذاری بیرونی: محرومیت بالا و ظرفیت "
        "پایین؛ سرمایه‌گذاری عمومی و خدمات پایه در اولویت"),
    "bivariate_advice.21": ("حفظ و تنوع‌بخشی: محرومیت پایین و ظرفیت متوسط؛ "
        "دستاوردها را حفظ و اقتصاد محلی را متنوع کنید"),
    "bivariate_advice.22": "توسعه متوازن: محرومیت و ظرفیت متوسط؛ برنامه‌های ترکیبی با پایش مستمر",
    "bivariate_advice.23": "حمایت ترکیبی: محرومیت بالا و ظرفیت متوسط؛ سرمایه‌گذاری همراه با تقویت ظرفیت‌های موجود",
    "bivariate_advice.31": "قطب رشد: محرومیت پایین و ظرفیت بالا؛ کانونی برای پیشبرد و پشتیبانی مناطق همجوار",
    "bivariate_advice.32": ("بهره‌گیری از ظرفیت برای اشتغال: محرومیت متوسط و ظرفیت "
        "بالا؛ برنامه‌های اشتغال هدفمند برای گروه‌های محروم"),
    "bivariate_advice.33": ("شکوفاسازی ظرفیت محلی: محرومیت بالا با وجود ظرفیت بالا؛ "
        "گلوگاه‌ها (تأمین مالی، مهارت، بازار) را رفع کنید"),
}

EN: dict[str, str] = {
    "site.name": "Pishraft",
    "site.tagline": "Spatial planning for regional development",
    "nav.home": "Home",
    "nav.sign_in": "Sign in",
    "nav.sign_out": "Sign out",
    "nav.language": "فارسی",
    "nav.signed_in_as": "Signed in as {name}",
    "nav.skip": "Skip to content",
    "common.unknown": "Unknown",
    "common.other": "Other",
    "common.none": "None",
    "common.no_data": "No data",
    "common.save": "Save",
    "common.cancel": "Cancel",
    "common.search": "Search",
    "common.open": "Open",
    "common.synthetic": "Synthetic demo data",
    "common.rials": "rials",
    "signin.title": "Sign in to Pishraft",
    "signin.username": "Username",
    "signin.password": "Password",
    "signin.submit": "Sign in",
    "signin.failed": "{field}: the username or password is not right.",
    "signin.needed": "Sign in first to do this.",
    "signout.title": "Sign out",
    "signout.question": "Sign out of Pishraft?",
    "signout.submit": "Sign out",
    "signout.done": "You are signed out.",
    "form.required": "{field}: this field is required.",
    "form.too_long": "{field}: at most {max} characters.",
    "form.bad_date": "{field}: write the date as 1405/01/15.",
    "form.bad_number": "{field}: write a number.",
    "form.bad_choice": "{field}: choose one of the options.",
    "form.rejected": "{field}: this value was not accepted; correct it.",
    "form.csrf": "This form has expired; open the page again and resend it.",
    "form.errors_title": "The form is not complete:",
    "form.date_hint": "e.g. 1405/01/15",
    "form.pick_date": "Pick a date",
    "error.title": "Error",
    "error.not_found": "This page or unit was not found.",
    "error.forbidden": "You may not do this.",
    "error.back_home": "Back to home",
    "home.title": "Pishraft workspace",
    "home.maps": "Maps",
    "home.search": "Find a unit",
    "home.search_hint": "A Persian or English name, or a unit code, e.g. Kerman or IR-15",
    "home.no_results": "No unit has this name or code.",
    "home.mine": "My work",
    "home.my_roadmaps": "My roadmaps",
    "home.my_actions": "My actions",
    "home.my_core": "My progress core",
    "home.nothing_yet": "Nothing recorded yet.",
    "home.provinces": "Provinces",
    "map.overview": "National map",
    "map.overview_about": "Provinces, counties or neighbourhoods by an indicator",
    "map.bivariate": "Capacity × deprivation",
    "map.bivariate_about": "3×3 classes of capacity and deprivation, with their meaning",
    "map.clusters": "Spatial clusters",
    "map.clusters_about": "Hot and cold spots (LISA)",
    "map.progress": "Progress watch",
    "map.progress_about": "Progress of the actions below each unit",
    "map.roadmaps": "Roadmaps",
    "map.roadmaps_about": "Each roadmap's actions on the map",
    "map.unit": "Map of its sub-units",
    "unit.code": "Code",
    "unit.level": "Level",
    "unit.parent": "Parent unit",
    "unit.population": "Population",
    "unit.area": "Area (km²)",
    "unit.indicators": "Indicators",
    "unit.indicator": "Indicator",
    "unit.value": "Value",
    "unit.period": "Period",
    "unit.source": "Source",
    "unit.indices": "Composite indices",
    "unit.score": "Score",
    "unit.rank": "Rank",
    "unit.rank_of": "{rank} of {of}",
    "unit.cluster": "Spatial cluster",
    "unit.bivariate": "Capacity × deprivation class",
    "unit.advantages": "Top comparative advantages",
    "unit.location_quotient": "Location quotient",
    "unit.target_community": "Target community",
    "unit.people": "people",
    "unit.children": "Sub-units",
    "unit.roadmaps": "Roadmaps",
    "unit.maps": "Maps of this unit",
    "unit.no_children": "This unit has no sub-units.",
    "unit.no_roadmaps": "No roadmap for this unit yet.",
    "unit.actions_count": "{count} actions",
    "unit.progress_of": "Progress",
    "unit.profile": "Profile",
    "sector.agriculture": "Agriculture",
    "sector.industry": "Industry",
    "sector.services": "Services",
    "sector.mining": "Mining",
    "sector.handicrafts": "Handicrafts",
    "sector.tourism": "Tourism",
    "financing.investment_fund": "Investment fund",
    "financing.bank_loan": "Bank loan",
    "financing.sponsor": "Economic sponsor",
    "financing.government_budget": "Government budget",
    "financing.people": "Public participation",
    "action_status.planned": "Planned",
    "action_status.in_progress": "In progress",
    "action_status.done": "Done",
    "action_status.stalled": "Stalled",
    "action_status.cancelled": "Cancelled",
    "roadmap_status.draft": "Draft",
    "roadmap_status.approved": "Approved",
    "roadmap_status.archived": "Archived",
    "progress.achieved": "Achieved",
    "progress.on_track": "On track",
    "progress.behind": "Behind",
    "progress.overdue": "Overdue",
    "progress.no_data": "No measurement yet",
    "cluster.HH": "High-High (hot spot)",
    "cluster.LL": "Low-Low (cold spot)",
    "cluster.HL": "High-Low (outlier)",
    "cluster.LH": "Low-High (outlier)",
    "cluster.ns": "Not significant",
    "role.admin": "Administrator",
    "role.analyst": "Analyst",
    "role.planner": "Planner",
    "role.core": "Progress-core member",
    "role.viewer": "Viewer",
    "level.country": "Country",
    "level.province": "Province",
    "level.county": "County",
    "level.district": "District",
    "level.rural_district": "Rural district",
    "level.neighbourhood": "Neighbourhood",
    "level.village": "Village",
    "layer_kind.capacity": "Capacity",
    "layer_kind.deprivation": "Deprivation",
    "layer_kind.context": "Context",
    "core_stage.identified": "Identified",
    "core_stage.assessed": "Assessed",
    "core_stage.selected": "Selected",
    "core_stage.trained": "Trained",
    "outcome.succeeded": "Succeeded",
    "outcome.partial": "Partly succeeded",
    "outcome.failed": "Failed",
    "organisation_kind.government": "Government body",
    "organisation_kind.economic_sponsor": "Economic sponsor",
    "organisation_kind.cooperative": "Cooperative",
    "organisation_kind.ngo": "NGO",
    "organisation_kind.other": "Other",
    "domain.deprivation": "Deprivation",
    "domain.capacity": "Capacity",
    "domain.context": "Context",
    "scheme.quantiles": "Quantiles",
    "scheme.fisher_jenks": "Natural breaks",
    "scheme.equal_interval": "Equal intervals",
    "bivariate.11": "Low capacity, low deprivation: monitor",
    "bivariate.21": "Medium capacity, low deprivation: maintain",
    "bivariate.31": "High capacity, low deprivation: growth pole",
    "bivariate.12": "Low capacity, medium deprivation: build capacity",
    "bivariate.22": "Medium capacity and deprivation: balanced development",
    "bivariate.32": "High capacity, medium deprivation: activate capacity",
    "bivariate.13": "Low capacity, high deprivation: priority for direct support",
    "bivariate.23": "Medium capacity, high deprivation: targeted investment",
    "bivariate.33": "High capacity, high deprivation: prime opportunity for jobs",
    "bivariate_advice.11": ("Watch for fragility: low deprivation but low capacity; "
        "gains may not last, strengthen local capacity"),
    "bivariate_advice.12": ("Build capacity: moderate deprivation, low capacity; training, "
        "cooperatives and infrastructure before large investment"),
    "bivariate_advice.13": ("Needs outside investment: high deprivation and low capacity; "
        "public investment and basic services first"),
    "bivariate_advice.21": ("Sustain and diversify: low deprivation, moderate capacity; "
        "keep the gains, diversify the local economy"),
    "bivariate_advice.22": ("Balanced development: moderate deprivation and capacity; "
        "mixed programmes with steady monitoring"),
    "bivariate_advice.23": ("Combined support: high deprivation, moderate capacity; "
        "invest while building on existing capacities"),
    "bivariate_advice.31": ("Growth pole: low deprivation, high capacity; a "
        "hub to drive and support neighbouring areas"),
    "bivariate_advice.32": ("Turn capacity into jobs: moderate deprivation, high "
        "capacity; target employment at deprived groups"),
    "bivariate_advice.33": ("Unlock local capacity: high deprivation despite high capacity; "
        "remove the bottlenecks (finance, skills, market access)"),
}

CATALOGUE: dict[str, dict[str, str]] = {"fa": FA, "en": EN}


def t(key: str, lang: str = "fa", **params: object) -> str:
    """The text of ``key`` in ``lang`` (Persian for anything but ``en``), placeholders filled.

    A missing key raises :class:`KeyError`: a typo should fail a test, not show a code.
    """
    text = CATALOGUE["en" if lang == "en" else "fa"][key]
    return text.format(**params) if params else text


def has(key: str) -> bool:
    """True when the catalogue holds ``key``."""
    return key in FA


def label(vocabulary: str, code: str | None, lang: str = "fa") -> str:
    """The word for a stored ``code`` of ``vocabulary`` (e.g. ``label("sector", "agriculture")``).

    Empty codes read "unknown"; codes the catalogue lacks read "other" in Persian (never
    the English code) and as given in English.
    """
    if not code:
        return t("common.unknown", lang)
    key = f"{vocabulary}.{code}"
    if has(key):
        return t(key, lang)
    return code if lang == "en" else t("common.other", lang)


def choices(vocabulary: str, codes: Iterable[str], lang: str = "fa") -> list[tuple[str, str]]:
    """``(code, word)`` pairs for a form's select list."""
    return [(code, label(vocabulary, code, lang)) for code in codes]


def code_words() -> set[str]:
    """Every stored code of every vocabulary: words that must not appear on a Persian page."""
    return {key.split(".", 1)[1] for key in FA if key.split(".", 1)[0] in VOCABULARIES}
