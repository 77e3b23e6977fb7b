"""Google Cloud: :class:`GCSClient` on gcloud-aio-storage (extra ``acloud[gcp]``)."""

from .._core.extras import require

require("gcloud.aio.storage", "gcp", "acloud.gcp (GCSClient)")

from .storage import GCSClient  # noqa: E402

__all__ = ["GCSClient"]
