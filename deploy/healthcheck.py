"""Container HEALTHCHECK: the service answers GET /health on its PORT.

Liveness only (the process is serving); readiness, which also checks NATS and
PostgreSQL, is `/ready`, used by Kubernetes to route traffic.
"""

import os
import sys
import urllib.request

url = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/health"
try:
    with urllib.request.urlopen(url, timeout=4) as response:
        sys.exit(0 if response.status == 200 else 1)
except Exception as error:  # any failure is "unhealthy"; say why in `docker inspect`
    print(f"{url}: {error}", file=sys.stderr)
    sys.exit(1)
