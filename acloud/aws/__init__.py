"""AWS: :class:`S3Client` on aiobotocore (extra ``acloud[aws]``)."""

from .._core.extras import require

require("aiobotocore", "aws", "acloud.aws (S3Client)")

from .s3 import AWSCredentials, S3Client  # noqa: E402

__all__ = ["AWSCredentials", "S3Client"]
