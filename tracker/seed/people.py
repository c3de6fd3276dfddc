"""Names, mentor profiles and the learner stories of the demo, as plain data."""

from __future__ import annotations

from dataclasses import dataclass

STAFF_USERNAME = "staff"
STAFF_NAME = ("Sam", "Rivera")

FIRST_NAMES = (
    "Ada", "Ben", "Chloe", "Dev", "Elif", "Femi", "Grace", "Hiro", "Ines", "Jonas", "Kemi",
    "Liam", "Maya", "Nikhil", "Olga", "Pedro", "Qi", "Rosa", "Sven", "Tara", "Umar", "Vera",
    "Wen", "Xavier", "Yara", "Zoe", "Amir", "Bianca", "Carlos", "Dana", "Emeka", "Freya",
    "Goran", "Hana", "Ivan", "Jia", "Kofi", "Lena", "Mateo", "Noor",
)  # fmt: skip
LAST_NAMES = (
    "Okafor", "Schmidt", "Nakamura", "Silva", "Kowalski", "Haddad", "Lindqvist", "Mensah",
    "Rossi", "Dubois", "Patel", "Novak", "Moreau", "Tanaka", "Costa", "Jensen", "Ibrahim",
    "Fischer", "Santos", "Yilmaz", "Murphy", "Kim", "Larsen", "Alvarez", "Chen", "Adeyemi",
    "Petrov", "Garcia", "Nguyen", "Bauer", "Ortiz", "Sato", "Walsh", "Hoffmann", "Ali",
    "Kovacs", "Reyes", "Berg", "Osei", "Laine",
)  # fmt: skip


def learner_name(number: int) -> tuple[str, str]:
    first = FIRST_NAMES[(number - 1) % len(FIRST_NAMES)]
    # A step coprime with the list length gives every pairing before repeating one.
    last = LAST_NAMES[((number - 1) * 7 + (number - 1) // len(FIRST_NAMES)) % len(LAST_NAMES)]
    return first, last


@dataclass(frozen=True)
class MentorProfile:
    first_name: str
    last_name: str
    timezone: str
    capacity: int
    expertise: tuple[str, ...]
    bio: str


# First and last name, time zone, capacity; expertise; bio.
# fmt: off
MENTOR_PROFILES = (
    MentorProfile("Priya", "Raman", "Europe/Berlin", 8,
                  ("python", "statistics", "data cleaning", "regression"),
                  "Data scientist for ten years in retail forecasting; "
                  "loves a well-tested pipeline."),
    MentorProfile("Tomás", "Herrera", "America/New_York", 10,
                  ("deep learning", "computer vision", "pytorch"),
                  "Computer-vision engineer; shipped models to phones and factory floors."),
    MentorProfile("Aiko", "Watanabe", "Asia/Tokyo", 6,
                  ("nlp", "information retrieval", "transformers"),
                  "Search and NLP engineer; builds retrieval systems for legal documents."),
    MentorProfile("Lukas", "Meyer", "Europe/London", 12,
                  ("mlops", "big data", "deployment", "spark", "anomaly detection"),
                  "ML platform lead; Spark, feature stores and model serving at scale."),
    MentorProfile("Nadia", "Boateng", "Africa/Lagos", 9,
                  ("tree ensembles", "unsupervised learning", "statistics"),
                  "Credit-risk modeller turned teacher; gradient boosting is her happy place."),
    MentorProfile("Marco", "Bianchi", "America/Sao_Paulo", 8,
                  ("deployment", "apis", "python", "software engineering"),
                  "Backend engineer who now deploys other people's models behind fast APIs."),
)
# fmt: on


def mentor_profile(number: int) -> MentorProfile:
    """The profile of ``mentor<number>``; beyond the named six, variations of them."""
    base = MENTOR_PROFILES[(number - 1) % len(MENTOR_PROFILES)]
    if number <= len(MENTOR_PROFILES):
        return base
    first, last = learner_name(number + 17)
    return MentorProfile(first, last, base.timezone, base.capacity, base.expertise, base.bio)


@dataclass(frozen=True)
class Story:
    """How one demo learner's ten weeks went; the progress engine turns it into pace and risk.
    ``target`` is the pace aimed at (``TARGET_DELTA``: points over or under the schedule); each
    flag adds one risk reason; ``quiet_days`` since the last activity (7+ is ``inactive``)."""

    target: str
    label: str
    quiet_days: int = 0
    missed_streak: bool = False
    stale_changes: bool = False
    overdue_milestone: bool = False
    pause: str = ""  # "", "past" or "current"
    help: str = ""  # "", "open" or "answered"
    repaired: bool = False
    withdrawn: bool = False


TARGET_DELTA = {"ahead": 18.0, "on_track": 0.0, "slipping": -17.0, "behind": -40.0}
LOG_RATE = {"ahead": 0.5, "on_track": 0.4, "slipping": 0.25, "behind": 0.15}

# learner1..learner24 follow these stories in order; bigger cohorts repeat them.
STORIES: tuple[Story, ...] = (
    Story("ahead", "ahead of the schedule"),
    Story("on_track", "on track"),
    Story("on_track", "on track, asked for help (open)", help="open"),
    Story("slipping", "at risk: behind schedule", quiet_days=3),
    Story("on_track", "on track after a 10-day pause", pause="past"),
    Story("behind", "behind and inactive", quiet_days=9),
    Story("on_track", "at risk: inactive for 11 days", quiet_days=11),
    Story("on_track", "on track, re-paired with a new mentor", repaired=True),
    Story("ahead", "ahead, help request answered", help="answered"),
    Story("on_track", "at risk: missed the last two sessions", missed_streak=True),
    Story("on_track", "on track"),
    Story("on_track", "at risk: changes requested 10 days ago", stale_changes=True),
    Story("on_track", "on track"),
    Story("on_track", "at risk: capstone milestone overdue", overdue_milestone=True),
    Story("behind", "behind, missing sessions", quiet_days=2, missed_streak=True),
    Story("on_track", "paused right now", pause="current"),
    Story("ahead", "ahead of the schedule"),
    Story("slipping", "at risk: behind schedule, stale changes", stale_changes=True),
    Story("on_track", "on track"),
    Story("slipping", "withdrew in week 7", quiet_days=20, withdrawn=True),
    Story("on_track", "on track, asked for help (open)", help="open"),
    Story("slipping", "at risk: behind schedule"),
    Story("on_track", "on track"),
    Story("behind", "behind, inactive for 16 days", quiet_days=16),
)


def story_of(number: int) -> Story:
    return STORIES[(number - 1) % len(STORIES)]
