"""FastAPI dependencies that authenticate the caller and authorise each action.

`authenticated` is attached to every `/v1` router by the app factory;
`require(action, policy)` adds the role and relationship check per endpoint.
Both record who is acting, and why, in `shared.request_context` for the audit
envelope, and both are `async def` so that context reaches the endpoint
(docs/adr/0006-tokens-say-who-read-models-say-whom.md).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from uuid import UUID

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from shared.api.problems import FieldError, Problem, ProblemError, problem_type
from shared.auth.break_glass import BreakGlassGrants, CannotOpenHere, Grant
from shared.auth.relationships import RelationshipChecker, RememberedRelationships
from shared.auth.tokens import InvalidToken, KeysUnavailable, Principal, TokenVerifier
from shared.observability.logs import correlation_id_from, get_logger
from shared.request_context import RequestContext, set_current

PURPOSE_HEADER = "X-Purpose"
BREAK_GLASS_HEADER = "X-Break-Glass-Reason"
CORRELATION_HEADER = "X-Correlation-Id"
DEFAULT_PURPOSE = "direct-care"
BREAK_GLASS_MAX_LENGTH = 500
_PURPOSE = re.compile(r"[a-z][a-z0-9-]{0,63}")
#: What the server strips from around a header value before reading it: the
#: optional whitespace of RFC 9110 §5.6.3, nothing else.
_OWS = " \t"
REALM = "belonging"

log = get_logger(__name__)

# The headers above, as every service's OpenAPI document gives them (app_factory).
# A header's value is given as the text the server reads: a break-glass reason,
# typed in any language, is sent as UTF-8.
PURPOSE_PATTERN = r"^[ \t]*[a-z][a-z0-9-]{0,63}[ \t]*$"
#: Not blank: something besides the space and tab the server strips from its ends.
BREAK_GLASS_PATTERN = r"[^ \t]"
CONTEXT_HEADER_PARAMETERS: dict[str, dict[str, object]] = {
    PURPOSE_HEADER: {
        "description": "Why the record is read or changed, recorded in the audit trail: a "
        "lower-case word of letters, digits and hyphens, at most 64 (400 otherwise); "
        f"`{DEFAULT_PURPOSE}` if omitted.",
        "schema": {"type": "string", "pattern": PURPOSE_PATTERN, "default": DEFAULT_PURPOSE},
    },
    BREAK_GLASS_HEADER: {
        "description": "Break-glass: the reason a caller with no recorded relationship to the "
        "child acts on the child's record (docs/adr/0015-break-glass.md). Text, sent as UTF-8: "
        "not blank, 1 to "
        f"{BREAK_GLASS_MAX_LENGTH} characters once space and tab around it are taken off "
        "(400 otherwise). Read on every operation that names a policy action; it opens a "
        "grant only where the caller is unrelated and the service opens grants (casefile).",
        "schema": {
            "type": "string",
            "minLength": 1,
            "maxLength": BREAK_GLASS_MAX_LENGTH,
            "pattern": BREAK_GLASS_PATTERN,
        },
    },
    CORRELATION_HEADER: {
        "description": "Ties the request's log lines and trace to the caller's: a value of "
        "1 to 128 letters, digits and `._:-` is kept, anything else replaced by a new id; "
        "either way the answer's `X-Correlation-Id` header gives the one used. Never refused.",
        "schema": {"type": "string"},
    },
}

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    bearerFormat="JWT",
    description="An OAuth2 access token (RS256 JWT) from the council's identity provider; "
    "locally, `belonging token --role social_worker --user sw.jones`.",
)


def _unauthenticated(reason: str | None) -> ProblemError:
    # RFC 6750 §3: no error code when no token was sent at all.
    challenge = f'Bearer realm="{REALM}"'
    if reason is not None:
        challenge += f', error="invalid_token", error_description="{reason}"'
    return ProblemError(
        401,
        type=problem_type("unauthenticated"),
        detail=reason or "A bearer token is required.",
        headers={"WWW-Authenticate": challenge},
    )


def _header_problem(header: str, message: str) -> ProblemError:
    return ProblemError(
        400,
        type=problem_type("invalid-header"),
        detail=message,
        errors=[FieldError(field=f"header.{header.lower()}", message=message)],
    )


def _purpose(request: Request) -> str:
    purpose = request.headers.get(PURPOSE_HEADER, DEFAULT_PURPOSE).strip(_OWS)
    if not _PURPOSE.fullmatch(purpose):
        raise _header_problem(
            PURPOSE_HEADER, "purpose must be a lower-case word such as 'direct-care'"
        )
    return purpose


def _break_glass_reason(request: Request) -> str | None:
    raw = request.headers.get(BREAK_GLASS_HEADER)
    if raw is None:
        return None
    try:
        # HTTP header values arrive as bytes, which Starlette decodes as Latin-1;
        # a reason typed in any language is sent as UTF-8.
        reason = raw.encode("latin-1").decode("utf-8").strip(_OWS)
    except UnicodeError:
        raise _header_problem(BREAK_GLASS_HEADER, "a break-glass reason is UTF-8 text") from None
    if not reason or len(reason) > BREAK_GLASS_MAX_LENGTH:
        raise _header_problem(
            BREAK_GLASS_HEADER,
            f"a break-glass reason must be 1 to {BREAK_GLASS_MAX_LENGTH} characters",
        )
    return reason


def _correlation_id(request: Request) -> str:
    # The app factory's logging middleware has already chosen one per request.
    chosen = getattr(request.state, "correlation_id", None)
    if isinstance(chosen, str):
        return chosen
    return correlation_id_from(request.headers.get(CORRELATION_HEADER))


def _child_id(request: Request) -> str | None:
    """The child the path names, canonical; None if none, or not a child id at all."""
    raw = request.path_params.get("child_id")
    if raw is None:
        return None
    try:
        return str(UUID(str(raw)))
    except ValueError:
        return None


def _named_child(request: Request) -> str | None:
    """The child the path names; 422 naming `path.child_id` if it is not a child id.

    Checked before the relationship: a malformed id is the client's mistake to
    be told of, not a question for the read models.
    """
    if request.path_params.get("child_id") is None:
        return None
    child_id = _child_id(request)
    if child_id is None:
        message = "a child id is a UUID, as the casefile service gave it"
        raise ProblemError(
            422,
            type=problem_type("validation"),
            title="Invalid request",
            detail=message,
            errors=[FieldError(field="path.child_id", message=message)],
        )
    return child_id


async def authenticated(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer_scheme),
) -> Principal:
    """The verified caller, or a 401 problem with a `WWW-Authenticate` challenge."""
    if credentials is None:
        raise _unauthenticated(None)
    verifier: TokenVerifier = request.app.state.token_verifier
    try:
        # A token seen a moment ago is answered without a thread hop.
        known = verifier.already_verified(credentials.credentials)
        if known is None:
            known = await run_in_threadpool(verifier.verify, credentials.credentials)
        principal: Principal = known
    except InvalidToken as error:
        raise _unauthenticated(str(error)) from error
    except KeysUnavailable as error:
        log.error("token_keys_unavailable", error=str(error))
        raise ProblemError(
            503, detail="Tokens cannot be verified just now.", headers={"Retry-After": "5"}
        ) from error
    set_current(
        RequestContext(
            actor=principal.user_id,
            role=principal.roles[0] if principal.roles else "none",
            on_behalf_of=principal.on_behalf_of,
            purpose=_purpose(request),
            child_id=_child_id(request),
            correlation_id=_correlation_id(request),
        )
    )
    return principal


Policy = Mapping[str, frozenset[str]]


def require(
    action: str,
    policy: Policy,
    *,
    relationships: RelationshipChecker | None = None,
) -> Callable[..., Awaitable[Principal]]:
    """A dependency allowing `action` to the roles `policy[action]` names.

    When the path has a `child_id`, the caller must also be related to the
    child in one of those roles, as the `RelationshipChecker` says (the one
    given here, else `app.state.relationships`). An unrelated caller in a
    permitted role may proceed under a break-glass grant (`_break_glass`):
    the reason is recorded in the request context and so in the audit trail.
    Returns the principal with `role` set to the role the request acts in.
    """
    if action not in policy:
        raise KeyError(f"no policy names the roles for action {action!r}")
    allowed = policy[action]

    async def authorised(
        request: Request, principal: Principal = Depends(authenticated)
    ) -> Principal:
        permitted = [role for role in principal.roles if role in allowed]
        if not permitted:
            raise ProblemError(
                403,
                type=problem_type("role-not-permitted"),
                detail=f"None of your roles may perform '{action}'.",
            )
        child_id = _named_child(request)
        reason = _break_glass_reason(request)
        role, break_glass_reason = permitted[0], None
        if child_id is not None:
            related = await _related_role(request, relationships, principal, permitted, child_id)
            if related is not None:
                role = related
            else:
                grant = await _break_glass(request, principal, role, child_id, reason, action)
                role = grant.role if grant.role in permitted else role
                # This request's own reason if it gave one, else the grant's; a
                # service holding only the published grant names the grant.
                break_glass_reason = reason or grant.reason or f"break-glass grant {grant.grant_id}"
                log.warning(
                    "break_glass_access",
                    action=action,
                    acting_role=role,
                    grant_id=grant.grant_id,
                    expires_at=grant.expires_at.isoformat(),
                )
        set_current(
            RequestContext(
                actor=principal.user_id,
                role=role,
                on_behalf_of=principal.on_behalf_of,
                purpose=_purpose(request),
                child_id=child_id,
                break_glass_reason=break_glass_reason,
                correlation_id=_correlation_id(request),
            )
        )
        return replace(principal, role=role)

    authorised.__name__ = "require_" + re.sub(r"\W", "_", action)
    return authorised


async def _break_glass(
    request: Request,
    principal: Principal,
    role: str,
    child_id: str,
    reason: str | None,
    action: str,
) -> Grant:
    """The grant an unrelated caller acts under, or a 403 saying why there is none.

    The rule (docs/adr/0015-break-glass.md): the user's latest grant to the
    child, while open, admits every request with or without the header, and a
    header then never extends it. With no open grant, a request with the
    header records a new grant (a new alert to the child's team manager); one
    without it is refused: `break-glass-expired` if a grant has run out,
    `not-related` if there was never one.
    """
    grants: BreakGlassGrants | None = getattr(request.app.state, "break_glass", None)
    latest = None
    if grants is not None:
        latest = await run_in_threadpool(grants.latest, principal.user_id, child_id)
    if latest is not None and latest.open_at(datetime.now(UTC)):
        return latest
    if reason is None:
        if latest is not None:
            raise _expired(latest)
        raise ProblemError(
            403,
            type=problem_type("not-related"),
            detail="You have no recorded relationship with this child in a role "
            f"that may perform '{action}'. In an emergency, repeat the request "
            f"with an {BREAK_GLASS_HEADER} header: access is granted for a limited "
            "time, recorded, and the child's team manager is told.",
        )
    if grants is None:
        # Fail closed and loudly: break-glass that nobody records is the silent
        # self-service access this rule exists to end.
        raise RuntimeError("no BreakGlassGrants configured for a route with {child_id}")
    try:
        grant = await run_in_threadpool(grants.open, principal.user_id, role, child_id, reason)
    except CannotOpenHere as error:
        raise ProblemError(
            403,
            type=problem_type("break-glass-not-open"),
            title="Break-glass access is opened on the child's case record",
            detail=str(error),
        ) from error
    log.warning("break_glass_granted", grant_id=grant.grant_id, acting_role=role)
    return grant


def _expired(grant: Grant) -> ProblemError:
    """403: the user's break-glass access to the child ran out; how to ask again."""
    error = ProblemError(
        403,
        type=problem_type("break-glass-expired"),
        title="Break-glass access has expired",
        detail=f"Your break-glass access to this child expired at "
        f"{grant.expires_at.isoformat(timespec='seconds')}. If you still need it, repeat the "
        f"request with an {BREAK_GLASS_HEADER} header saying why: a new grant is recorded "
        "and the child's team manager is told.",
    )
    # Extension members (RFC 9457 §3.2), so a client can say which grant ran out and when.
    error.problem = Problem.model_validate(
        {
            **error.problem.model_dump(exclude_none=True),
            "grant_id": grant.grant_id,
            "expired_at": grant.expires_at.isoformat(),
        }
    )
    return error


async def _related_role(
    request: Request,
    given: RelationshipChecker | None,
    principal: Principal,
    permitted: list[str],
    child_id: str,
) -> str | None:
    """The first permitted role in which the caller is related to the child."""
    checker: RelationshipChecker | None = given or getattr(request.app.state, "relationships", None)
    if checker is None:
        # Fail closed and loudly: a child's record without a relationship check
        # is a configuration error, never an open door.
        raise RuntimeError("no RelationshipChecker configured for a route with {child_id}")
    remembered = checker if isinstance(checker, RememberedRelationships) else None
    for role in permitted:
        if remembered is not None and remembered.remembers(
            principal.user_id, role, child_id, principal.teams
        ):
            return role  # found a moment ago, and no read model has changed since
        if await run_in_threadpool(
            checker.is_related, principal.user_id, role, child_id, principal.teams
        ):
            return role
    return None
