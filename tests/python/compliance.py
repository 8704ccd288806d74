"""What the three runs of fsspec's compliance suite share (test_compliance*.py): the fixtures
fsspec's abstract tests ask for, on one bucket or container of a remote file system, and the
module fixture that removes it afterwards."""

import pytest
from fsspec.tests.abstract import AbstractFixtures


def fixtures(new_fs, root):
    """AbstractFixtures on `root` (created on first use) of the file system `new_fs()` opens."""

    class RemoteFixtures(AbstractFixtures):
        @pytest.fixture(scope="class")
        @classmethod
        def fs(cls):
            fs = new_fs()
            if not fs.exists(root):
                fs.mkdir(root)
            return fs

        @pytest.fixture
        def fs_join(self):
            return lambda *parts: "/".join(parts)

        @pytest.fixture
        def fs_path(self):
            return root

        @pytest.fixture
        def supports_empty_directories(self):
            return False

    return RemoteFixtures


def removed_afterwards(new_fs, root):
    """A module fixture (assign it to a module-level name) that removes `root` when the module is done."""

    @pytest.fixture(scope="module", autouse=True)
    def remove_root():
        yield
        fs = new_fs()
        if fs.exists(root):
            fs.rm(root, recursive=True)

    return remove_root
