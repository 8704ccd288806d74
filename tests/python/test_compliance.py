"""fsspec's own compliance suite (fsspec.tests.abstract: Copy, Get, Put, Pipe, Open), run inside
Pyodide against moto through pailfs's S3 file system."""

import uuid

import pytest
from fsspec.tests.abstract import AbstractFixtures
from fsspec.tests.abstract.copy import AbstractCopyTests
from fsspec.tests.abstract.get import AbstractGetTests
from fsspec.tests.abstract.open import AbstractOpenTests
from fsspec.tests.abstract.pipe import AbstractPipeTests
from fsspec.tests.abstract.put import AbstractPutTests

from conftest import new_s3

BUCKET = f"pailfs-compliance-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module", autouse=True)
def remove_bucket():
    yield
    fs = new_s3()
    if fs.exists(BUCKET):
        fs.rm(BUCKET, recursive=True)


class S3Fixtures(AbstractFixtures):
    @pytest.fixture(scope="class")
    @classmethod
    def fs(cls):
        fs = new_s3()
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


class TestS3Copy(AbstractCopyTests, S3Fixtures):
    pass


class TestS3Get(AbstractGetTests, S3Fixtures):
    pass


class TestS3Put(AbstractPutTests, S3Fixtures):
    pass


class TestS3Pipe(AbstractPipeTests, S3Fixtures):
    pass


class TestS3Open(AbstractOpenTests, S3Fixtures):
    pass
