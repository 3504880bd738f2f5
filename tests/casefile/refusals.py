"""What a refused command tells the user: the field and message of its problem detail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from shared.domain_errors import NotFound, RuleBroken


def refusal(
    error: type[Exception], command: Callable[..., object], /, **arguments: Any
) -> tuple[object, str]:
    """The field and message of the `error` that `command(**arguments)` is refused with."""
    with pytest.raises(error) as caught:
        command(**arguments)
    refused = caught.value
    assert isinstance(refused, RuleBroken | NotFound)
    return refused.field, refused.message
