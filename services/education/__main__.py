"""`python -m services.education`: serve the education API."""

from services.education.bootstrap import PARTS
from shared.service_lifecycle import serve

if __name__ == "__main__":
    serve(PARTS, "services.education.bootstrap:build_app")
