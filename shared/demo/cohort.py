"""The demo cohort's data: twelve made-up children and the people around them.

Days are counted back from an anchor date (see `shared.demo.plan`); nothing
here is a real person. Changing a child changes what every later load asks for.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

#: Namespace of every id and Idempotency-Key the demo derives. Never change it:
#: a different namespace would make a second run record a second cohort.
NAMESPACE = UUID("0c5e2d4a-8f7b-5d1e-9a3c-6b2f1e0d9c8a")

TEAM_MANAGER = ("team_manager", "tm.demo")
PERFORMANCE = ("performance", "perf.demo")
PERSONAL_ADVISER = "pa.demo"
#: The council's looked-after children's nurse: records health for every child in care.
LAC_NURSE = ("lac_nurse", "lacnurse.demo")
#: Lead health professionals (`health` role): a health visitor for children who came
#: into care under 5, a school nurse for the others.
HEALTH_VISITOR = "hv.ahmed"
SCHOOL_NURSE = "sn.clarke"
#: The Virtual School: records education for every child looked after.
VIRTUAL_SCHOOL = ("virtual_school", "vs.demo")
TEAMS = {
    "sw.demo": "north-1",
    "sw.okafor": "north-1",
    "sw.byrne": "north-1",
    "sw.jones": "south-2",
    "sw.patel": "south-2",
}
#: The teams the demo's team manager manages: what the council's identity
#: provider would put in the token's `teams` claim (dev tokens carry it too).
MANAGED_TEAMS: dict[str, tuple[str, ...]] = {TEAM_MANAGER[1]: tuple(sorted(set(TEAMS.values())))}


@dataclass(frozen=True)
class Period:
    """A period of care, in days before the anchor date."""

    start: int
    legal_status: str
    category_of_need: str
    end: int | None = None
    reason_ceased: str | None = None
    legal_status_changes: tuple[tuple[int, str], ...] = ()
    permanence_plan: str | None = "long_term_fostering"


@dataclass(frozen=True)
class Placement:
    """One placement change: `kind` is start, move, end, adopt or staying_put."""

    kind: str
    ago: int
    placement_type: str | None = None
    carer: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class HealthStory:
    """A child's health history (health service): what is late, missed or noted.

    Every child gets an IHA request and IHA per period of care, review health
    assessments (six-monthly under 5, yearly from 5), yearly dental checks,
    immunisation checks, SDQs (ages 2-17), a lead health professional and a
    health plan; this says where the child's history departs from that.
    """

    #: Working days from each period of care's start to its IHA (None: not done yet).
    iha_working_days: tuple[int | None, ...] = (14,)
    #: The latest review health assessment (dental check) due was missed: overdue now.
    rha_missed: bool = False
    dental_missed: bool = False
    immunised: bool = True
    #: Around what the SDQ total difficulties scores run (0-40); or the SSDA903 reason
    #: no score was returned.
    sdq_level: int = 10
    sdq_reason: str | None = None
    #: Days before the anchor substance misuse was identified (an intervention received).
    substance_misuse: int | None = None


@dataclass(frozen=True)
class EducationStory:
    """A looked-after school-age child's education history (education service).

    The record starts at the school the child attended at the start of the last
    school year (or when they came into care, if later); a child starting Year 7
    this school year changes school at the normal transition point (not a
    mid-year move). `moves` are mid-year school moves (days before the anchor,
    taken off the summer transition window and onto a school day).
    """

    moves: tuple[int, ...] = ()
    attendance: float = 0.95
    sen: str = "N"
    #: Days before the anchor of a two-day suspension.
    suspension: int | None = None
    #: No PEP review this term or last: the PEP is overdue.
    pep_lapsed: bool = False
    #: Days after coming into care the child first started at a school (None: on roll
    #: already, from the start of the school year).
    starts_after: int | None = None
    #: The Virtual School's rating of the latest PEP review.
    rating: str = "good"


@dataclass(frozen=True)
class Spec:
    """One made-up child: the story of their case, in days before the anchor date."""

    local_id: str
    #: Date of birth: the `years`-th birthday falls `days` before the anchor.
    birthday: tuple[int, int]
    sex: str
    periods: tuple[Period, ...]
    #: (days before the anchor, worker, SW_REASON); the first is at registration.
    social_workers: tuple[tuple[int | None, str, str | None], ...]
    iro: str
    placements: tuple[Placement, ...]
    story: str
    uasc: bool = False
    registered_before_care: int = 3
    missing: tuple[tuple[int, int, str, bool], ...] = ()  # start, end, M/A, accepted
    views: tuple[str, ...] = ()
    adoption: tuple[tuple[str, int], ...] = ()
    care_leaver: tuple[tuple[str, int, str], ...] = ()  # (kind, ago, detail)
    health: HealthStory = HealthStory()
    #: None: no education record (under 5, or not looked after now).
    education: EducationStory | None = None


def _p(
    kind: str,
    ago: int,
    place: str | None = None,
    carer: str | None = None,
    reason: str | None = None,
) -> Placement:
    return Placement(kind, ago, place, carer, reason)


COHORT: tuple[Spec, ...] = (
    Spec(
        "DEMO01",
        (14, 130),
        "M",
        (Period(520, "V2", "N5"),),
        ((None, "sw.okafor", None), (200, "sw.demo", "LEFTRL")),
        "iro.demo",
        (
            _p("start", 520, "U6", "fc-0101"),
            _p("move", 300, "U6", "fc-0102", "CREQB"),
            _p("move", 200, "K2", "home-SC400123", "CARPL"),
            _p("move", 120, "K2", "home-SC400456", "STAND"),
        ),
        "four homes in a year, went missing once, a new social worker",
        health=HealthStory(
            iha_working_days=(28,), immunised=False, sdq_level=19, substance_misuse=100
        ),
        education=EducationStory(moves=(250, 110), attendance=0.82, sen="K", suspension=60),
        missing=((150, 148, "M", True),),
        views=("Wants to stay at the same school whatever happens.",),
    ),
    Spec(
        "DEMO02",
        (9, 40),
        "F",
        (
            Period(1000, "V2", "N4", end=700, reason_ceased="E4A", permanence_plan="return_home"),
            Period(250, "C1", "N1", legal_status_changes=((100, "C2"),)),
        ),
        ((None, "sw.jones", None),),
        "iro.demo",
        (
            _p("start", 1000, "U6", "fc-0201"),
            _p("end", 700),
            _p("start", 250, "U3", "fc-0202"),
            _p("move", 150, "U6", "fc-0203", "CREQO"),
            _p("move", 45, "U4", "fc-0204", "CARPL"),
        ),
        "went home, came back into care under a care order",
        health=HealthStory(iha_working_days=(12, 16), sdq_level=11),
        education=EducationStory(moves=(150,), attendance=0.93),
    ),
    Spec(
        "DEMO03",
        (18, 300),
        "M",
        (
            Period(
                1000, "V2", "N5", end=300, reason_ceased="E17", permanence_plan="independent_living"
            ),
        ),
        ((None, "sw.patel", None),),
        "iro.demo",
        (
            _p("start", 1000, "U6", "fc-0301"),
            _p("move", 850, "U4", "fc-0302", "CARPL"),
            _p("staying_put", 300),
        ),
        "care leaver: pathway plan, in-touch contacts, Staying Put with his foster carers",
        health=HealthStory(sdq_level=12),
        registered_before_care=5,
        care_leaver=(
            ("eligible", 905, ""),
            ("adviser", 900, PERSONAL_ADVISER),
            ("pathway_plan", 880, "Pathway plan agreed: college, driving lessons, savings."),
            ("pathway_review", 700, "On track at college."),
            ("pathway_review", 520, "Started part-time work."),
            ("pathway_review", 340, "Staying Put agreed with his foster carers."),
            ("former_relevant", 300, ""),
            ("staying_put", 300, ""),
            ("contact", 240, "YES F2 Z1"),
            ("pathway_review", 160, "Second year of college; wants an apprenticeship."),
            ("contact", 150, "YES F5 Z1"),
            ("contact", 60, "YES F4 Z1"),
        ),
    ),
    Spec(
        "DEMO04",
        (0, 900),
        "F",
        (
            Period(
                800,
                "C1",
                "N1",
                legal_status_changes=((620, "C2"), (430, "E1")),
                permanence_plan="adoption",
            ),
        ),
        ((None, "sw.demo", None),),
        "iro.hughes",
        (
            _p("start", 800, "U6", "fc-0401"),
            _p("move", 470, "U6", "fc-0402", "CREQO"),
            _p("adopt", 90, "A6", "adopters-0403"),
        ),
        "placed for adoption with new adopters under a placement order",
        health=HealthStory(iha_working_days=(10,), sdq_level=6),
        # placed for adoption 90 days ago: a placement (the "adopt" step), which
        # casefile learns from placements; it is not written to casefile too
        adoption=(("decision", 560), ("placement-order", 430), ("match", 150)),
    ),
    Spec(
        "DEMO05",
        (11, 200),
        "F",
        (Period(700, "C1", "N1", legal_status_changes=((480, "C2"),)),),
        ((None, "sw.byrne", None), (600, "sw.demo", "MANAGE")),
        "iro.demo",
        (
            _p("start", 700, "U6", "fc-0501"),
            _p("move", 250, "U4", "fc-0502", "CARPL"),
            _p("move", 100, "T1"),
            _p("move", 95, "U4", "fc-0502"),
            _p("move", 40, "U4", "fc-0503", "CREQO"),
        ),
        "three foster homes in a year, and a week in hospital that is not a move",
        health=HealthStory(dental_missed=True, sdq_level=14),
        education=EducationStory(moves=(245,), attendance=0.9),
        views=("Misses her brother; wants to see him every week.",),
    ),
    Spec(
        "DEMO06",
        (12, 60),
        "M",
        (Period(1060, "C1", "N1", legal_status_changes=((860, "C2"),)),),
        ((None, "sw.jones", None),),
        "iro.hughes",
        (_p("start", 1060, "U4", "fc-0601"),),
        "in the same long-term foster home for nearly three years",
        health=HealthStory(sdq_level=8),
        education=EducationStory(attendance=0.97),
    ),
    Spec(
        "DEMO07",
        (8, 250),
        "F",
        (Period(1000, "C1", "N2", legal_status_changes=((800, "C2"),)),),
        ((None, "sw.jones", None), (90, "sw.patel", "ABSENC")),
        "iro.demo",
        (
            _p("start", 1000, "U6", "fc-0701"),
            _p("move", 900, "U4", "fc-0702", "CARPL"),
        ),
        "settled long-term; her social worker changed this year",
        health=HealthStory(rha_missed=True, sdq_level=9),
        education=EducationStory(sen="K", rating="requires_improvement"),
    ),
    Spec(
        "DEMO08",
        (6, 150),
        "M",
        (Period(40, "L2", "N1", legal_status_changes=((33, "C1"),)),),
        ((None, "sw.demo", None),),
        "iro.demo",
        (_p("start", 40, "U6", "fc-0801"),),
        "came into care six weeks ago under an emergency protection order",
        health=HealthStory(iha_working_days=(None,)),
        education=EducationStory(attendance=0.88),
        registered_before_care=1,
    ),
    Spec(
        "DEMO09",
        (17, -30),
        "M",
        (Period(300, "V2", "N8", permanence_plan="independent_living"),),
        ((None, "sw.patel", None),),
        "iro.demo",
        (
            _p("start", 300, "K2", "home-SC400789"),
            _p("move", 60, "K3", "sa-0901", "CARPL"),
        ),
        "unaccompanied asylum-seeking child, eligible for leaving-care support",
        health=HealthStory(immunised=False, sdq_reason="SDQ5"),
        education=EducationStory(attendance=0.9, starts_after=45),
        uasc=True,
        registered_before_care=2,
        care_leaver=(
            ("eligible", 200, ""),
            ("adviser", 195, PERSONAL_ADVISER),
            ("pathway_plan", 190, "Pathway plan agreed: ESOL course, immigration solicitor."),
            ("pathway_review", 10, "Moved to supported accommodation; ESOL going well."),
        ),
        views=("Wants to live near the mosque and his friends from college.",),
    ),
    Spec(
        "DEMO10",
        (15, 20),
        "F",
        (Period(800, "C1", "N1", legal_status_changes=((600, "C2"),)),),
        ((None, "sw.byrne", None),),
        "iro.hughes",
        (_p("start", 800, "U4", "fc-1001"),),
        "settled with long-term foster carers",
        health=HealthStory(sdq_level=15),
        education=EducationStory(sen="E", pep_lapsed=True, attendance=0.94),
        registered_before_care=5,
    ),
    Spec(
        "DEMO11",
        (4, 100),
        "M",
        (Period(400, "C1", "N1", legal_status_changes=((220, "C2"),), permanence_plan="adoption"),),
        ((None, "sw.demo", None),),
        "iro.demo",
        (
            _p("start", 400, "U6", "fc-1101"),
            _p("move", 200, "U5", "fc-1102", "CARPL"),
        ),
        "with foster-to-adopt carers",
        health=HealthStory(sdq_level=7),
    ),
    Spec(
        "DEMO12",
        (13, 280),
        "F",
        (Period(150, "V2", "N4"),),
        ((None, "sw.okafor", None),),
        "iro.demo",
        (
            _p("start", 150, "K2", "home-SC400999"),
            _p("move", 30, "U6", "fc-1201", "CARPL"),
        ),
        "from a children's home to foster carers; away overnight once",
        health=HealthStory(iha_working_days=(25,), sdq_level=13),
        education=EducationStory(attendance=0.91),
        registered_before_care=2,
        missing=((20, 19, "A", False),),
    ),
)

ETHNICITIES = ("WBRI", "WBRI", "WBRI", "WOTH", "MWBC", "MWBA", "APKN", "AIND", "BAFR", "BCRB")
UASC_ETHNICITIES = ("BAFR", "AOTH", "OOTH")
PARTICIPATION = ("PN1", "PN1", "PN2", "PN3", "PN5", "PN6")
VISIT_NOTES = (
    "Seen at home; settled, talked about school.",
    "Seen alone in their room; happy with contact arrangements.",
    "Seen with carers; some worries about friendships.",
    "Took them out for lunch; talked about what they want from the review.",
)
