"""pailfs in Pyodide: blocking fsspec file systems for S3 (s3, s3a), GCS (gs, gcs) and Azure Blob
(abfs, abfss, az) over the pailfs wasm package, registered with fsspec on import.

    import pailfs, fsspec
    fs = fsspec.filesystem("s3", key=..., secret=..., endpoint_url=...)
    pailfs.transport()   # "jspi", or "unavailable" (calls then raise, saying how to run)
"""

import fsspec

from ._js import HOW_TO_RUN, transport
from .core import AzureBlobFileSystem, GCSFileSystem, PailFile, PailFileSystem, S3FileSystem

__all__ = ["AzureBlobFileSystem", "GCSFileSystem", "HOW_TO_RUN", "PailFile", "PailFileSystem", "S3FileSystem", "register", "transport"]

PROTOCOLS = {
    "s3": S3FileSystem, "s3a": S3FileSystem,
    "gs": GCSFileSystem, "gcs": GCSFileSystem,
    "abfs": AzureBlobFileSystem, "abfss": AzureBlobFileSystem, "az": AzureBlobFileSystem,
}


def register():
    """Make fsspec.filesystem / fsspec.open use pailfs for its protocols, replacing whatever
    was registered (s3fs and gcsfs cannot run in Pyodide). Done on import."""
    for name, cls in PROTOCOLS.items():
        fsspec.register_implementation(name, cls, clobber=True)


register()
