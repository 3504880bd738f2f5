"""Who the tests are to the session's nats-server: an admin, and a user per service started.

The session's server (tests/conftest.py) refuses anonymous clients, as every
nats-server started for services does (shared/stack/nats_accounts.py). A
service the tests start connects as its own user, with the permissions its
streams and subjects give it (`service_env`); each module's service has
streams of its own, so it gets a user of its own, added to the running server
by reloading its config. The tests' own clients (reading what a service
wrote, publishing what another service would) connect as the admin:
`NATS_NKEY_SEED` in the process's environment for the event store's clients,
`admin_options()` for plain nats-py.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

import nats
from nats.js.errors import NotFoundError

from shared.stack.nats_accounts import NatsAccounts, NatsUser


class NatsAccess:
    """The session's NATS: its URL, and its users if the tests made them."""

    def __init__(
        self, url: str, accounts: NatsAccounts | None, reload: Callable[[], None] = lambda: None
    ) -> None:
        self.url = url
        #: None: a server the tests did not start (`NATS_URL`); its users are not ours to make.
        self.accounts = accounts
        self._reload = reload

    def service_user(
        self, service: str, stream: str | None = None, subject_prefix: str | None = None
    ) -> NatsUser | None:
        """The user of a service with these streams, added to the server if new."""
        if self.accounts is None:
            return None
        known = len(self.accounts.users())
        user = self.accounts.service(service, stream, subject_prefix)
        if len(self.accounts.users()) != known:
            self._reload()
        return user

    def service_env(
        self, service: str, stream: str | None = None, subject_prefix: str | None = None
    ) -> dict[str, str]:
        """The environment with which the service connects as its own user."""
        user = self.service_user(service, stream, subject_prefix)
        return {} if user is None else user.env(service)

    def options(self, user: NatsUser | None) -> dict[str, Any]:
        """`nats.connect()` keyword arguments for a user (None: as the environment says)."""
        # A cluster's URL is every node's, comma-separated (as NATS_URL is).
        servers = [url.strip() for url in self.url.split(",") if url.strip()]
        options: dict[str, Any] = {"servers": servers}
        if user is not None:
            options["nkeys_seed"] = str(user.seed_path)
        elif os.environ.get("NATS_NKEY_SEED"):
            options["nkeys_seed"] = os.environ["NATS_NKEY_SEED"]
        return options

    def admin_options(self) -> dict[str, Any]:
        return self.options(None if self.accounts is None else self.accounts.admin)


def admin_options(url: str) -> dict[str, Any]:
    """`nats.connect()` keyword arguments for the tests' own clients: the admin, if there is one."""
    return NatsAccess(url, None).options(None)


def fresh_integration_streams(nats_url: str, *services: str) -> None:
    """Deletes these services' integration streams on the test server.

    A relay takes its position from its integration stream, so a test module
    whose service runs a relay starts from an empty one (one relay a stream).
    """

    async def delete() -> None:
        client = await nats.connect(**admin_options(nats_url))
        try:
            for service in services:
                try:
                    await client.jetstream().delete_stream(f"INTEGRATION_{service.upper()}")
                except NotFoundError:
                    pass
        finally:
            await client.close()

    asyncio.run(delete())
