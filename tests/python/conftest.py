"""Shared fixtures: an S3 file system on moto (scripts/servers.sh start moto), and a bucket."""

import os
import uuid

import fsspec
import pytest

import pailfs


def s3_options():
    return {
        "key": os.environ["PAILFS_MOTO_KEY"],
        "secret": os.environ["PAILFS_MOTO_SECRET"],
        "endpoint_url": os.environ["PAILFS_MOTO_ENDPOINT"],
        "client_kwargs": {"region_name": "us-east-1"},
    }


def new_s3(**extra):
    return fsspec.filesystem("s3", skip_instance_cache=True, **s3_options(), **extra)


@pytest.fixture(scope="session")
def s3():
    assert pailfs.transport() == "jspi"
    return new_s3()


@pytest.fixture
def bucket(s3):
    """A fresh bucket, removed with its contents afterwards."""
    name = f"pailfs-py-{uuid.uuid4().hex[:12]}"
    s3.mkdir(name)
    yield name
    s3.rm(name, recursive=True)


# Providers whose server is not running are not collected (never counted as skipped-and-passed):
# scripts/pyodide.sh test says which ran.
collect_ignore = ([] if os.environ.get("PAILFS_GCS_ENDPOINT") else ["test_compliance_gcs.py"]) + (
    [] if os.environ.get("PAILFS_AZURITE_BLOB") else ["test_compliance_azure.py"]
)
