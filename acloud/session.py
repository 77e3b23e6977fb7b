"""Session: the group of clients that share one connection pool, one thread pool, one retry
policy and one set of rate limiters, with a factory for each provider's client.

Example:
    >>> import acloud
    >>> async def main():                                          # doctest: +SKIP
    ...     async with acloud.Session(pool_size=64) as cloud:
    ...         s3 = cloud.s3(endpoint_url="http://127.0.0.1:9000")
    ...         local = cloud.local("/tmp/store")
    ...         await local.put_object("bucket", "hello.txt", b"hi")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._core.session import BaseSession

if TYPE_CHECKING:
    from .aws import S3Client
    from .azure import AzureBlobClient
    from .coda import CodaClient
    from .gcp import GCSClient
    from .infomaniak.newsletter import InfomaniakNewsletterClient
    from .infomaniak.s3 import InfomaniakS3Client
    from .storage.local import LocalStorageClient

__all__ = ["Session"]


class Session(BaseSession):
    """The shared machinery of a group of clients (an async context manager), with a
    factory for each provider's client. Its arguments are :class:`BaseSession`'s
    (``pool_size``, ``connect_timeout``, ``read_timeout``, ``max_workers``, ``retry``...).

    Clients created by the factories (:meth:`s3`, :meth:`local`...) share this Session's
    pool and are closed with it; closing one of them never closes the pool.
    """

    def local(self, root: str | Any, **kwargs: Any) -> LocalStorageClient:
        """A :class:`~acloud.storage.local.LocalStorageClient` on directory ``root``."""
        from .storage.local import LocalStorageClient

        return LocalStorageClient(root, session=self, **kwargs)

    def s3(self, region_name: str | None = None, **kwargs: Any) -> S3Client:
        """An :class:`~acloud.aws.S3Client` on this Session's pool (extra ``aws``)."""
        from .aws import S3Client

        return S3Client(region_name, session=self, **kwargs)

    def gcs(self, project: str | None = None, **kwargs: Any) -> GCSClient:
        """A :class:`~acloud.gcp.GCSClient` on this Session's pool (extra ``gcp``)."""
        from .gcp import GCSClient

        return GCSClient(project, session=self, **kwargs)

    def azure(self, account_url: str | None = None, **kwargs: Any) -> AzureBlobClient:
        """An :class:`~acloud.azure.AzureBlobClient` on this Session's pool (extra ``azure``)."""
        from .azure import AzureBlobClient

        return AzureBlobClient(account_url, session=self, **kwargs)

    def coda(self, api_token: str | None = None, **kwargs: Any) -> CodaClient:
        """A :class:`~acloud.coda.CodaClient` on this Session's pool (``CODA_API_TOKEN``
        when no token is given)."""
        from .coda import CodaClient

        if api_token is None:
            return CodaClient.from_env(session=self, **kwargs)
        return CodaClient(api_token, session=self, **kwargs)

    def newsletter(
        self, token: str | None = None, domain_id: int | str | None = None, **kwargs: Any
    ) -> InfomaniakNewsletterClient:
        """An :class:`~acloud.infomaniak.InfomaniakNewsletterClient` on this Session's pool
        (``INFOMANIAK_NEWSLETTER_TOKEN`` and ``INFOMANIAK_NEWSLETTER_ID`` when neither is
        given)."""
        from .infomaniak.newsletter import InfomaniakNewsletterClient

        if token is None and domain_id is None:
            return InfomaniakNewsletterClient.from_env(session=self, **kwargs)
        if token is None or domain_id is None:
            raise ValueError("give both token and domain_id, or neither (from the environment)")
        return InfomaniakNewsletterClient(token, domain_id, session=self, **kwargs)

    def infomaniak_s3(self, **kwargs: Any) -> InfomaniakS3Client:
        """An :class:`~acloud.infomaniak.InfomaniakS3Client` on this Session (extra ``aws``)."""
        from .infomaniak.s3 import InfomaniakS3Client

        return InfomaniakS3Client(session=self, **kwargs)
