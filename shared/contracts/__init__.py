"""Integration events: the only thing services know of each other."""

from shared.contracts.base import REGISTRY, IntegrationEvent, model_for

__all__ = ["REGISTRY", "IntegrationEvent", "model_for"]
