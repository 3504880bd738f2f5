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
from uuid import UUID

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from shared.api.problems import FieldError, ProblemError, problem_type
from shared.auth.relationships import RelationshipChecker
from shared.auth.tokens import InvalidToken, KeysUnavailable, Principal, TokenVerifier
from shared.observability.logs import correlation_id_from, get_logger
from shared.request_context import RequestContext, set_current

PURPOSE_HEADER = "X-Purpose"
BREAK_GLASS_HEADER = "X-Break-Glass-Reason"
CORRELATION_HEADER = "X-Correlation-Id"
DEFAULT_PURPOSE = "direct-care"
BREAK_GLASS_MAX_LENGTH = 500
_PURPOSE = re.compile(r"[a-z][a-z0-9-]{0,63}")
REALM = "belonging"

log = get_logger(__name__)

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
    purpose = request.headers.get(PURPOSE_HEADER, DEFAULT_PURPOSE).strip()
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
        reason = raw.encode("latin-1").decode("utf-8").strip()
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
    permitted role may still proceed with an `X-Break-Glass-Reason` header;
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
            elif reason is not None:
                break_glass_reason = reason
                log.warning("break_glass_access", action=action, acting_role=role)
            else:
                raise ProblemError(
                    403,
                    type=problem_type("not-related"),
                    detail="You have no recorded relationship with this child in a role "
                    f"that may perform '{action}'. In an emergency, repeat the request "
                    f"with an {BREAK_GLASS_HEADER} header: it is recorded and reviewed.",
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
    for role in permitted:
        if await run_in_threadpool(checker.is_related, principal.user_id, role, child_id):
            return role
    return None
