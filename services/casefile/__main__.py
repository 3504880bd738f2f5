"""`python -m services.casefile`: serve the casefile API."""

from services.casefile.bootstrap import PARTS
from shared.service_lifecycle import serve

if __name__ == "__main__":
    serve(PARTS, "services.casefile.bootstrap:build_app")
