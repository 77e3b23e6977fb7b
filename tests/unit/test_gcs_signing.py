"""acloud's V4 signed URLs are exactly the ones Google's own library makes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import pytest
from google.cloud.storage._signing import generate_signed_url_v4
from google.oauth2 import service_account

from acloud.gcp._signing import signed_url_v4

WHEN = datetime(2026, 11, 23, 9, 30, 5, tzinfo=timezone.utc)


@pytest.mark.parametrize("method", ["GET", "PUT"])
@pytest.mark.parametrize(
    "key", ["plain.txt", "dir/sub/file.bin", "space name+plus%pct", "ünïcode/ø", "a~b?c#d"]
)
@pytest.mark.parametrize("endpoint", ["https://storage.googleapis.com", "http://127.0.0.1:9023"])
def test_same_url_as_google_cloud_storage(gcs_service_account, method, key, endpoint):
    credentials = service_account.Credentials.from_service_account_info(gcs_service_account)
    theirs = generate_signed_url_v4(
        credentials,
        resource=f"/bucket-1/{quote(key, safe='/~')}",
        expiration=timedelta(seconds=900),
        api_access_endpoint=endpoint,
        method=method,
        _request_timestamp=WHEN.strftime("%Y%m%dT%H%M%SZ"),
    )
    ours = signed_url_v4(
        method=method,
        bucket="bucket-1",
        key=key,
        expires_in=900,
        client_email=gcs_service_account["client_email"],
        private_key=gcs_service_account["private_key"],
        endpoint=endpoint,
        now=WHEN,
    )
    assert ours == theirs


def test_a_bad_key_is_a_value_error(gcs_service_account):
    with pytest.raises(ValueError, match="PEM"):
        signed_url_v4(
            method="GET",
            bucket="b",
            key="k",
            expires_in=60,
            client_email=gcs_service_account["client_email"],
            private_key="not a key",
        )
