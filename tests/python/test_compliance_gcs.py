"""fsspec's compliance suite inside Pyodide against storage-testbench (GCS) through pailfs's
gs:// file system. Collected when PAILFS_GCS_ENDPOINT is set (conftest.py)."""

import os
import uuid

import fsspec
from fsspec.tests.abstract.copy import AbstractCopyTests
from fsspec.tests.abstract.get import AbstractGetTests
from fsspec.tests.abstract.open import AbstractOpenTests
from fsspec.tests.abstract.pipe import AbstractPipeTests
from fsspec.tests.abstract.put import AbstractPutTests

from compliance import fixtures, removed_afterwards

BUCKET = f"pailfs-compliance-gcs-{uuid.uuid4().hex[:8]}"


def new_gcs():
    # The testbench checks no credentials: anonymous requests. It has no batch endpoint (and
    # no suffix ranges): declared, as the Rust suites declare it.
    return fsspec.filesystem("gs", skip_instance_cache=True, endpoint_url=os.environ["PAILFS_GCS_ENDPOINT"], anon=True,
                             project="pailfs-test", quirks="storage-testbench")


remove_bucket = removed_afterwards(new_gcs, BUCKET)
GCSFixtures = fixtures(new_gcs, BUCKET)


class TestGCSCopy(AbstractCopyTests, GCSFixtures):
    pass


class TestGCSGet(AbstractGetTests, GCSFixtures):
    pass


class TestGCSPut(AbstractPutTests, GCSFixtures):
    pass


class TestGCSPipe(AbstractPipeTests, GCSFixtures):
    pass


class TestGCSOpen(AbstractOpenTests, GCSFixtures):
    pass
