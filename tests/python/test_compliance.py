"""fsspec's own compliance suite (fsspec.tests.abstract: Copy, Get, Put, Pipe, Open), run inside
Pyodide against moto through pailfs's S3 file system."""

import uuid

from fsspec.tests.abstract.copy import AbstractCopyTests
from fsspec.tests.abstract.get import AbstractGetTests
from fsspec.tests.abstract.open import AbstractOpenTests
from fsspec.tests.abstract.pipe import AbstractPipeTests
from fsspec.tests.abstract.put import AbstractPutTests

from compliance import fixtures, removed_afterwards
from conftest import new_s3

BUCKET = f"pailfs-compliance-{uuid.uuid4().hex[:8]}"


remove_bucket = removed_afterwards(new_s3, BUCKET)
S3Fixtures = fixtures(new_s3, BUCKET)


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
