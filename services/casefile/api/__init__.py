"""Casefile's REST API under /v1: the child and its reads, and one route per command."""

from __future__ import annotations

from fastapi import APIRouter

from services.casefile.api import break_glass, children, commands, retention


def routers() -> list[APIRouter]:
    return [children.router, commands.router, retention.router, break_glass.router]
