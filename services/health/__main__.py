"""`python -m services.health`: serve the health API."""

from services.health.bootstrap import PARTS
from shared.service_lifecycle import serve

if __name__ == "__main__":
    serve(PARTS, "services.health.bootstrap:build_app")
