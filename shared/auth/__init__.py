"""Who is calling (bearer JWTs) and what they may do (roles, relationship to the child).

DESIGN.md, "Security": every request is authenticated, every action is
authorised by role and by relationship to the child, and break-glass access
needs a reason and is flagged in the audit trail.
"""
