"""The notifications service: statutory deadlines to reminders and escalation."""

#: Place in the local stack's port plan: `belonging dev up` serves it on the base + 5.
PORT_OFFSET = 5
