"""V4 signed URLs for Cloud Storage, signed locally with a service account's RSA key.

The algorithm is Google's "GOOG4-RSA-SHA256" (the XML API's query-string signing):
https://cloud.google.com/storage/docs/access-control/signing-urls-manually
"""

from __future__ import annotations

import binascii
import hashlib
from datetime import datetime, timezone
from urllib.parse import quote

__all__ = ["signed_url_v4"]


def signed_url_v4(
    *,
    method: str,
    bucket: str,
    key: str,
    expires_in: int,
    client_email: str,
    private_key: str,
    endpoint: str = "https://storage.googleapis.com",
    now: datetime | None = None,
) -> str:
    """A URL allowing ``method`` on ``bucket/key`` for ``expires_in`` seconds (blocking:
    the RSA signature takes about a millisecond)."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    now = now or datetime.now(timezone.utc)
    timestamp = now.strftime("%Y%m%dT%H%M%SZ")
    scope = f"{now.strftime('%Y%m%d')}/auto/storage/goog4_request"
    host = endpoint.split("://", 1)[1].rstrip("/")
    resource = f"/{bucket}/{quote(key, safe='/~')}"
    query = {
        "X-Goog-Algorithm": "GOOG4-RSA-SHA256",
        "X-Goog-Credential": f"{client_email}/{scope}",
        "X-Goog-Date": timestamp,
        "X-Goog-Expires": str(expires_in),
        "X-Goog-SignedHeaders": "host",
    }
    canonical_query = "&".join(
        f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in sorted(query.items())
    )
    canonical_request = "\n".join(
        [method, resource, canonical_query, f"host:{host}\n", "host", "UNSIGNED-PAYLOAD"]
    )
    to_sign = "\n".join(
        [
            "GOOG4-RSA-SHA256",
            timestamp,
            scope,
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )
    try:
        pem = serialization.load_pem_private_key(private_key.encode(), password=None)
    except (ValueError, TypeError) as err:
        raise ValueError("the service account's private key is not a valid PEM RSA key") from err
    if not isinstance(pem, rsa.RSAPrivateKey):
        raise ValueError("the service account's private key is not an RSA key")
    signature = pem.sign(to_sign.encode(), padding.PKCS1v15(), hashes.SHA256())
    return (
        f"{endpoint.rstrip('/')}{resource}?{canonical_query}"
        f"&X-Goog-Signature={binascii.hexlify(signature).decode()}"
    )
