"""The casefile service: a child's case record, event-sourced on NATS.

`domain/`: the `Child` aggregate, its commands and rules (no framework imports);
`application.py`: the `Casefile` application; `api/`: the /v1 routes and the
role table (`policy.py`); `projections/`: read models in PostgreSQL (`case_team`
for authorisation, `children` for the register); `adapters/`: integration events
out and the audit history; `bootstrap.py`: settings in, app out; `__main__.py`:
`python -m services.casefile`.
"""

#: Place in the local stack's port plan: `belonging dev up` serves it on the base + 1.
PORT_OFFSET = 1
