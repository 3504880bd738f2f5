"""The education record's broken rules (422) and missing things (404), by name."""

from __future__ import annotations

from shared.domain_errors import NotFound, RuleBroken


class UnknownCode(RuleBroken):
    """A code is not in its list (phase, SEN status, exclusion reason, rating, …)."""


class InvalidUrn(RuleBroken):
    """A school URN is six digits, 100000-999999."""


class DateInFuture(RuleBroken):
    """A fact is recorded after it happens, never before."""


class DatesOutOfOrder(RuleBroken):
    """An end before its start."""


class EnrolmentsOverlap(RuleBroken):
    """Two main enrolments at once (a dual registration is recorded with phase AP)."""


class EnrolmentEnded(RuleBroken):
    """The enrolment already ended on another day."""


class NotEnrolled(RuleBroken):
    """The child was not enrolled at that school on those days."""


class BadFigures(RuleBroken):
    """Attendance figures that do not add up."""


class BadDays(RuleBroken):
    """Exclusion days that are not whole or half days, or past the yearly limit."""


class MissingResult(RuleBroken):
    """A key stage result without the measure that stage reports."""


class PepMissing(RuleBroken):
    """No PEP has been initiated, or targets met exceed targets set."""


class NotKnownChild(RuleBroken):
    """The casefile service has not told education of the child."""

    learned_from = ("casefile",)


class EnrolmentNotFound(NotFound):
    pass


class PepNotFound(NotFound):
    pass


class ExclusionNotFound(NotFound):
    pass
