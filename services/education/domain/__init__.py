"""The education domain: a child's education record, its rules, its status on a day."""

from services.education.domain.calendar import ENGLAND, SchoolCalendar
from services.education.domain.record import EducationRecord
from services.education.domain.state import EducationState
from services.education.domain.status import EducationStatus, PepTimescales, status_on

__all__ = [
    "ENGLAND",
    "EducationRecord",
    "EducationState",
    "EducationStatus",
    "PepTimescales",
    "SchoolCalendar",
    "status_on",
]
