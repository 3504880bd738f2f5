"""The casefile service: a child's case record, event-sourced on NATS.

- `domain/`: the `Child` aggregate and its rules (no framework imports);
- `application.py`: the `Casefile` application, one method per command;
- `api/`: FastAPI routers under /v1, request/response models, the role table
  (`policy.py`) and domain errors as problem details;
- `projections/`: read models in PostgreSQL (`case_team` for authorisation,
  `children` for the register);
- `adapters/`: integration events out (for the shared relay) and the audit
  history read from the event store's headers;
- `bootstrap.py`: settings in, app out; `__main__.py`: `python -m services.casefile`.
"""

#: Place in the local stack's port plan: `belonging dev up` serves it on the base + 1.
PORT_OFFSET = 1
