"""Casefile's REST API under /v1: one router per resource of a child's case."""

from __future__ import annotations

from fastapi import APIRouter

from services.casefile.api import (
    adoption,
    allocations,
    care_leaver,
    children,
    missing,
    periods_of_care,
    plans,
    reviews,
    views,
    visits,
)


def routers() -> list[APIRouter]:
    return [
        children.router,
        periods_of_care.router,
        allocations.router,
        plans.router,
        reviews.router,
        visits.router,
        missing.router,
        care_leaver.router,
        adoption.router,
        views.router,
    ]
