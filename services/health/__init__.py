"""The health service: assessments, SDQ, dental, immunisations; FHIR in (issue #20)."""

#: Place in the local stack's port plan: `belonging dev up` serves it on the base + 3.
PORT_OFFSET = 3
