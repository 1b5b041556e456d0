"""What the bedrock provider takes from botocore: credentials and SigV4 signing.

Kept apart so that only a configured `bedrock` provider imports botocore (the `rungway[bedrock]`
extra): `bedrock.py` imports this module inside its factory. Nothing here is hand-written crypto:
`SigV4Auth` signs, botocore's credential chain finds keys (environment, shared config and credentials
files, profiles, SSO, container and instance roles). The event-stream framing is decoded by
`rungway.wire.eventstream`, held to botocore's decoder by its tests.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SERVICE = "bedrock"


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
