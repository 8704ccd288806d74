"""fsspec's compliance suite inside Pyodide against storage-testbench (GCS) through pailfs's
gs:// file system. Collected when PAILFS_GCS_ENDPOINT is set (conftest.py)."""

import os
import uuid

import fsspec
import pytest
from fsspec.tests.abstract import AbstractFixtures
from fsspec.tests.abstract.copy import AbstractCopyTests
from fsspec.tests.abstract.get import AbstractGetTests
from fsspec.tests.abstract.open import AbstractOpenTests
from fsspec.tests.abstract.pipe import AbstractPipeTests
from fsspec.tests.abstract.put import AbstractPutTests

BUCKET = f"pailfs-compliance-gcs-{uuid.uuid4().hex[:8]}"


def new_gcs():
    # The testbench checks no credentials: anonymous requests. It has no batch endpoint (and
    # no suffix ranges): declared, as the Rust suites declare it.
    return fsspec.filesystem("gs", skip_instance_cache=True, endpoint_url=os.environ["PAILFS_GCS_ENDPOINT"], anon=True,
                             project="pailfs-test", quirks="storage-testbench")


@pytest.fixture(scope="module", autouse=True)
def remove_bucket():
    yield
    fs = new_gcs()
    if fs.exists(BUCKET):
        fs.rm(BUCKET, recursive=True)


class GCSFixtures(AbstractFixtures):
    @pytest.fixture(scope="class")
    @classmethod
    def fs(cls):
        fs = new_gcs()
        if not fs.exists(BUCKET):
            fs.mkdir(BUCKET)
        return fs

    @pytest.fixture
    def fs_join(self):
        return lambda *parts: "/".join(parts)

    @pytest.fixture
    def fs_path(self):
        return BUCKET

    @pytest.fixture
    def supports_empty_directories(self):
        return False


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
