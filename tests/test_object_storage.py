"""Uploaded files in an S3-compatible object store (``MEDIA_STORAGE=s3``), so every app server sees them.

A real S3 server runs on loopback for this module (moto's, ``python -m moto.server``, a separate
process speaking HTTP); each test gets its own bucket and Linli's storage pointed at it as
``config.settings.media_storage`` builds it from the environment. A photo goes in through the API
and comes back through the app; a planning extract goes in, is read by pyrosm from a local copy
and leaves its network's and people's arrays in the bucket, read back by the pages; nothing
lands in ``MEDIA_ROOT``.
"""

import socket
import subprocess
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

import boto3
import pyrosm
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts import services as account_services
from config.settings import media_storage
from planning import network as net
from planning import services as planning_services
from planning.models import JobStatus
from registry import services as registry_services
from tests.images import png_bytes

KEYS = {"S3_ACCESS_KEY_ID": "linli-test", "S3_SECRET_ACCESS_KEY": "linli-test-secret", "S3_REGION": "us-east-1"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    """An S3 server on loopback for the module's tests."""
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the S3 server (moto) did not start on {endpoint}") from None
                time.sleep(0.2)
        yield endpoint
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture
def bucket(s3_endpoint, settings, monkeypatch, tmp_path):
    """A fresh bucket, and Linli's default storage in it as the environment would configure it."""
    name = f"linli-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, aws_access_key_id=KEYS["S3_ACCESS_KEY_ID"],
                          aws_secret_access_key=KEYS["S3_SECRET_ACCESS_KEY"], region_name=KEYS["S3_REGION"])
    client.create_bucket(Bucket=name)
    for key, value in {"MEDIA_STORAGE": "s3", "S3_BUCKET": name, "S3_ENDPOINT_URL": s3_endpoint, "S3_PREFIX": "media",
                       **KEYS}.items():
        monkeypatch.setenv(key, value)
    settings.STORAGES = {**settings.STORAGES, "default": media_storage()}
    settings.MEDIA_ROOT = tmp_path / "media-not-used"
    assert default_storage.bucket_name == name  # the storage every FileField uses, now the bucket

    def objects() -> dict[str, bytes]:
        listed = client.list_objects_v2(Bucket=name).get("Contents", [])
        return {o["Key"]: client.get_object(Bucket=name, Key=o["Key"])["Body"].read() for o in listed}

    return objects


def test_the_object_store_is_read_from_the_environment_and_refused_without_its_bucket(monkeypatch):
    assert media_storage() == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    monkeypatch.setenv("MEDIA_STORAGE", "s3")
    with pytest.raises(ImproperlyConfigured, match="S3_BUCKET"):
        media_storage()
    monkeypatch.setenv("S3_BUCKET", "linli")
    monkeypatch.setenv("S3_ENDPOINT_URL", "minio.local:9000")
    with pytest.raises(ImproperlyConfigured, match="S3_ENDPOINT_URL"):
        media_storage()
    monkeypatch.setenv("S3_ENDPOINT_URL", "https://minio.example.org")
    options = media_storage()["OPTIONS"]
    assert options["bucket_name"] == "linli" and options["addressing_style"] == "path" and options["file_overwrite"] is False
    monkeypatch.setenv("MEDIA_STORAGE", "ftp")
    with pytest.raises(ImproperlyConfigured, match="MEDIA_STORAGE"):
        media_storage()


@pytest.mark.django_db
def test_a_photo_uploaded_through_the_api_lies_in_the_bucket_and_comes_back_through_the_app(world, bucket, client, settings):
    admin = world.users["street_admin"]
    site = registry_services.site_create(actor=admin, division=world.node("甲市一区一街一社"), name="服务站", kind="service_station",
                                         floor_area=Decimal("120"), property_class="state_admin", property_source="street_owned")
    _token, raw = account_services.token_issue(actor=admin, name="photos")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    response = client.post(f"/api/v1/registry/sites/{site.pk}/photos",
                           {"image": SimpleUploadedFile("门口.png", png_bytes(64, 48), content_type="image/png"), "caption": "门口"},
                           **auth)
    assert response.status_code == 201, response.content
    stored = bucket()
    (key, data), = stored.items()
    assert key.startswith("media/") and key.endswith(".jpg") and data.startswith(b"\xff\xd8\xff")  # re-encoded, then stored
    served = client.get(response.json()["url"], **auth)
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert b"".join(served.streaming_content) == data
    assert not Path(settings.MEDIA_ROOT).exists()


@pytest.mark.django_db
def test_a_planning_extract_and_its_arrays_live_in_the_bucket_and_pyrosm_reads_a_copy_it_removes(world, bucket, client, settings,
                                                                                                 monkeypatch, tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    district = world.node("甲市一区")
    pbf = Path(pyrosm.get_data("test_pbf")).read_bytes()
    network = planning_services.network_import_start(actor=world.users["supervisor"], division=district, name="路网",
                                                     upload=SimpleUploadedFile("test.osm.pbf", pbf))
    (upload, data), = bucket().items()
    assert upload.startswith("media/planning/uploads/") and upload.endswith(".osm.pbf") and data == pbf

    # The worker's task: pyrosm reads a local copy; the upload and the copy are gone after, the arrays are stored.
    network = planning_services.network_import_run(network_id=network.pk, upload=upload.removeprefix("media/"))
    assert network.status == JobStatus.DONE, network.error
    assert list(bucket()) == [f"media/{network.file}"] and network.file.startswith("planning/networks/")
    assert not list(scratch.iterdir())
    net._CACHE.clear()  # another process: the graph comes from the bucket
    graph = planning_services.network_graph(network)
    assert graph.node_count == network.node_count > 0

    # People placed on it, from a file of points at two of its nodes; their arrays go to the bucket too.
    points = "lon,lat,population\n" + "".join(f"{graph.lon[i]},{graph.lat[i]},{50 * (i + 1)}\n" for i in (0, graph.node_count - 1))
    demand = planning_services.demand_create(actor=world.users["supervisor"], division=district, network=network, name="点位",
                                             source="upload", upload=SimpleUploadedFile("points.csv", points.encode()))
    assert f"media/{demand.file}" in bucket()
    assert planning_services.demand_arrays(demand).population.sum() == pytest.approx(demand.population) and demand.point_count == 2
    client.force_login(world.users["supervisor"])
    assert client.get(f"/planning/demand/{demand.pk}/").status_code == 200
    assert client.get(f"/planning/networks/{network.pk}/").status_code == 200

    # A file gone from the bucket is said to be missing, as on disk.
    default_storage.delete(demand.file)
    with pytest.raises(Exception) as missing:
        planning_services.demand_arrays(demand)
    assert getattr(missing.value, "code", "") == "demand_file_missing"
    assert not Path(settings.MEDIA_ROOT).exists()
