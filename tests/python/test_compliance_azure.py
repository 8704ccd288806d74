"""fsspec's compliance suite inside Pyodide against Azurite (Azure Blob) through pailfs's az://
file system, with adlfs's option names. Collected when PAILFS_AZURITE_BLOB is set (conftest.py)."""

import os
import uuid

import fsspec
import pytest
from fsspec.tests.abstract.copy import AbstractCopyTests
from fsspec.tests.abstract.get import AbstractGetTests
from fsspec.tests.abstract.open import AbstractOpenTests
from fsspec.tests.abstract.pipe import AbstractPipeTests
from fsspec.tests.abstract.put import AbstractPutTests

from compliance import fixtures, removed_afterwards

CONTAINER = f"pailfs-compliance-az-{uuid.uuid4().hex[:8]}"


def new_az():
    # Azurite checks Shared Key: the well-known development account and key.
    return fsspec.filesystem(
        "az",
        skip_instance_cache=True,
        account_name=os.environ["PAILFS_AZURITE_ACCOUNT"],
        account_key=os.environ["PAILFS_AZURITE_KEY"],
        endpoint_url=os.environ["PAILFS_AZURITE_BLOB"],
        quirks="azurite",  # no suffix ranges, inverted empty ranges: declared as the Rust suites do
    )


remove_container = removed_afterwards(new_az, CONTAINER)
AzureFixtures = fixtures(new_az, CONTAINER)


class TestAzureCopy(AbstractCopyTests, AzureFixtures):
    pass


class TestAzureGet(AbstractGetTests, AzureFixtures):
    pass


class TestAzurePut(AbstractPutTests, AzureFixtures):
    pass


class TestAzurePipe(AbstractPipeTests, AzureFixtures):
    pass


class TestAzureOpen(AbstractOpenTests, AzureFixtures):
    pass


def test_ls_detail_has_adlfs_fields():
    """ls(detail=True) gives adlfs's field names; info() carries the user metadata a HEAD sees."""
    fs = new_az()
    name = f"{CONTAINER}-detail"
    fs.mkdir(name)
    try:
        with fs.open(f"{name}/d/a.csv", "wb") as f:
            f.write(b"x,y\n1,2\n")
        (entry,) = fs.ls(f"{name}/d", detail=True)
        assert entry["name"] == f"{name}/d/a.csv" and entry["type"] == "file" and entry["size"] == 8
        assert entry["etag"].startswith('"') and entry["etag"].endswith('"'), entry
        assert entry["last_modified"].tzinfo is not None, entry
        assert set(entry) >= {"name", "size", "type", "last_modified", "etag", "content_settings", "metadata"}
        assert fs.cat(f"{name}/d/a.csv", start=2, end=5) == b"y\n1"
        with pytest.raises(FileNotFoundError):
            fs.cat(f"{name}/d/missing")
    finally:
        fs.rm(name, recursive=True)
