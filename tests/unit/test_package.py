import os
import subprocess
import sys
import textwrap

import pytest

import acloud
from acloud._core.extras import MissingExtraError, require


def test_all_is_sorted_and_resolves():
    assert acloud.__all__ == sorted(acloud.__all__)
    for name in acloud.__all__:
        assert getattr(acloud, name) is not None, name


def test_unknown_attribute():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = acloud.nope


def test_import_acloud_imports_no_provider_sdk():
    code = textwrap.dedent(
        """
        import sys, acloud
        acloud.Session, acloud.LocalStorageClient, acloud.NotFoundError
        bad = [m for m in sys.modules if m.split('.')[0] in
               ('aiobotocore', 'botocore', 'boto3', 'gcloud', 'azure', 'openstack')]
        assert not bad, bad
        print(acloud.__version__)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == acloud.__version__


def test_missing_extra_names_the_extra():
    with pytest.raises(MissingExtraError, match=r"pip install 'acloud\[aws\]'"):
        require("acloud_no_such_module_xyz", "aws", "S3Client")
    with pytest.raises(ImportError):
        require("acloud_no_such_module_xyz", "aws", "S3Client")


def test_py_typed_is_shipped():
    assert os.path.exists(os.path.join(os.path.dirname(acloud.__file__), "py.typed"))


def test_secret_never_shows():
    from acloud import Secret

    s = Secret("hunter2")
    assert "hunter2" not in repr(s)
    assert "hunter2" not in str(s)
    assert "hunter2" not in f"{s}"
    assert s.get() == "hunter2"
    assert s.fingerprint() != "hunter2"
    assert len(s.fingerprint()) == 16
    assert Secret(s) == s
    with pytest.raises(TypeError):
        Secret(123)
    import pickle

    with pytest.raises(TypeError, match="not picklable"):
        pickle.dumps(s)


def test_common_names():
    from acloud.common import CloudCredentials, CloudProvider, ResourceType

    creds = CloudCredentials(CloudProvider.AZURE, {"account": "a"}, secrets={"key": "k3y"})
    assert "k3y" not in repr(creds)
    assert creds.secret("key") == "k3y"
    with pytest.raises(KeyError, match="no secret 'other'"):
        creds.secret("other")
    assert ResourceType("storage") is ResourceType.STORAGE
