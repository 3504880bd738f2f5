"""`python -m services.placements`: serve the placements API."""

from services.placements.bootstrap import PARTS
from shared.service_lifecycle import serve

if __name__ == "__main__":
    serve(PARTS, "services.placements.bootstrap:build_app")
