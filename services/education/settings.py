"""The education service's settings: the shared ones, its port, its calendar and feeds."""

from __future__ import annotations

from pydantic import AliasChoices, Field, field_validator

from services.education.domain.calendar import ENGLAND, SchoolCalendar
from services.education.domain.status import PepTimescales
from shared.settings import ServiceSettings


class EducationSettings(ServiceSettings):
    service_name: str = "education"
    #: `make run` puts the services on 8001.. in port-plan order; education is the fourth.
    port: int = Field(default=8004, ge=0, le=65535)
    #: School years, terms and the transition window (JSON, `SchoolCalendar`);
    #: England's defaults when unset (`EDUCATION_SCHOOL_CALENDAR`).
    school_calendar: SchoolCalendar = Field(
        default=ENGLAND,
        validation_alias=AliasChoices("school_calendar", "EDUCATION_SCHOOL_CALENDAR"),
    )
    #: Days from becoming looked after to the first PEP (seed KPI 20; statutory 10 school days).
    pep_initial_days: int = Field(
        default=20,
        ge=1,
        le=365,
        validation_alias=AliasChoices("pep_initial_days", "EDUCATION_PEP_INITIAL_DAYS"),
    )
    #: The largest feed upload (CSV or JSON): it is spooled to disk as it arrives,
    #: never held in memory whole (`EDUCATION_FEED_MAX_BYTES`).
    feed_max_bytes: int = Field(
        default=200 * 1024 * 1024,
        gt=0,
        validation_alias=AliasChoices("feed_max_bytes", "EDUCATION_FEED_MAX_BYTES"),
    )

    @field_validator("school_calendar", mode="before")
    @classmethod
    def _calendar(cls, value: object) -> object:
        if isinstance(value, str | bytes):
            return SchoolCalendar.model_validate_json(value)
        return value

    def pep_timescales(self) -> PepTimescales:
        return PepTimescales(initial_days=self.pep_initial_days)
