"""What the bedrock provider takes from botocore: credentials, SigV4 signing, event-stream decoding.

Kept apart so that only a configured `bedrock` provider imports botocore (the `rungway[bedrock]`
extra): `bedrock.py` imports this module inside its factory. Nothing here is hand-written crypto or
framing: `SigV4Auth` signs, botocore's credential chain finds keys (environment, shared config and
credentials files, profiles, SSO, container and instance roles), and `EventStreamBuffer` decodes the
`application/vnd.amazon.eventstream` framing with both CRC checks.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.eventstream import EventStreamBuffer, ParserError

SERVICE = "bedrock"


class EventStreamBroken(Exception):
    """The upstream's event stream failed a check (CRC, lengths, or the size cap)."""


@dataclass(frozen=True, slots=True)
class StreamMessage:
    """One decoded event-stream message: its `:message-type`, event or exception type, and payload."""

    message_type: str
    event_type: str
    payload: bytes


def resolve_credentials(
    profile: str | None, access_key_id: str | None, secret_access_key: str | None, session_token: str | None
) -> Credentials | None:
    """Explicit keys when given, else botocore's standard chain (None when it finds nothing)."""
    if access_key_id and secret_access_key:
        return Credentials(access_key_id, secret_access_key, session_token)
    session = botocore.session.Session(profile=profile)
    credentials: Credentials | None = session.get_credentials()
    return credentials


def default_region(profile: str | None) -> str | None:
    """The region from AWS_REGION (the other AWS SDKs' variable), else botocore's chain: AWS_DEFAULT_REGION,
    then the profile's `region` in ~/.aws/config."""
    region = os.environ.get("AWS_REGION") or botocore.session.Session(profile=profile).get_config_variable("region")
    return region if isinstance(region, str) and region else None


class Signer:
    """Signs each request with SigV4 for the `bedrock` service in one region."""

    def __init__(self, credentials: Credentials, region: str) -> None:
        self.credentials = credentials
        self.region = region

    def must_refresh(self) -> bool:
        """Whether temporary credentials (a role, SSO) are near expiry: renewing them is a blocking network
        call, which the provider makes in a thread rather than on the event loop."""
        refresh_needed = getattr(self.credentials, "refresh_needed", None)
        return bool(refresh_needed is not None and refresh_needed())

    def refresh(self) -> None:
        self.credentials.get_frozen_credentials()

    def headers(self, url: str, body: bytes, headers: Mapping[str, str]) -> dict[str, str]:
        """`headers` plus X-Amz-Date, X-Amz-Security-Token (temporary keys) and Authorization."""
        request = AWSRequest(method="POST", url=url, data=body, headers=dict(headers))
        # Frozen per request: refreshable credentials (roles, SSO) renew themselves when near expiry.
        SigV4Auth(self.credentials.get_frozen_credentials(), SERVICE, self.region).add_auth(request)
        return {str(k): str(v) for k, v in request.headers.items()}


class EventDecoder:
    """Feeds body pieces to botocore's decoder; refuses a message larger than `max_message_bytes`
    before buffering it (botocore alone would accept a 24 MB payload)."""

    def __init__(self, max_message_bytes: int) -> None:
        self.max_message_bytes = max_message_bytes
        self._buffer = EventStreamBuffer()
        self._pending = 0

    def feed(self, piece: bytes) -> list[StreamMessage]:
        """The messages completed by `piece` (often none)."""
        self._pending += len(piece)
        self._buffer.add_data(piece)
        messages = []
        try:
            for message in self._buffer:
                self._pending -= message.prelude.total_length
                messages.append(_message(message.headers, message.payload))
        # botocore's checks raise ParserError (CRCs, lengths, duplicate headers); a header of an
        # unknown type or cut short surfaces as KeyError / struct.error / UnicodeDecodeError.
        except (ParserError, KeyError, IndexError, ValueError, struct.error) as exc:
            raise EventStreamBroken(f"{type(exc).__name__}: {exc}") from None
        if self._pending > self.max_message_bytes:
            raise EventStreamBroken(f"one event-stream message exceeded {self.max_message_bytes} bytes")
        return messages

    @property
    def pending(self) -> int:
        """Bytes received that are not yet a whole message (a stream ending with some is truncated)."""
        return self._pending


def _message(headers: Mapping[str, Any], payload: bytes) -> StreamMessage:
    def text(name: str) -> str:
        value = headers.get(name)
        return value[:100] if isinstance(value, str) else ""

    message_type = text(":message-type")
    kind = text(":exception-type") if message_type == "exception" else text(":event-type")
    if message_type == "error":
        kind = text(":error-code")
    return StreamMessage(message_type, kind, payload)
