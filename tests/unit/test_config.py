"""Configuration from REGISTRY_* variables, with explicit overrides winning."""

from __future__ import annotations

import pytest

from registry.config import DEVELOPMENT_SECRET, load_config, upload_size


def test_environment_variables_configure_the_registry(monkeypatch):
    monkeypatch.setenv("REGISTRY_DATABASE_URL", "postgresql://registry@db.example/registry")
    monkeypatch.setenv("REGISTRY_BASE_URL", "https://zs.example.gov.cn/")
    monkeypatch.setenv("REGISTRY_SECRET_KEY", "s3cret-from-the-vault")
    monkeypatch.setenv("REGISTRY_PROXY_COUNT", "1")
    config = load_config()
    assert config["DATABASE_URL"] == "postgresql://registry@db.example/registry"
    assert config["BASE_URL"] == "https://zs.example.gov.cn"  # no trailing slash in printed addresses
    assert config["SECRET_KEY"] == "s3cret-from-the-vault"
    assert config["PROXY_COUNT"] == 1


def test_defaults_are_sqlite_under_instance_and_overrides_win(monkeypatch):
    for name in ("DATABASE_URL", "SECRET_KEY", "ENV"):
        monkeypatch.delenv(f"REGISTRY_{name}", raising=False)
    config = load_config({"ENV": "development"})
    assert config["DATABASE_URL"].startswith("sqlite:///") and config["DATABASE_URL"].endswith(
        "instance/registry.sqlite3")
    assert config["SECRET_KEY"] == DEVELOPMENT_SECRET
    assert config["ENV"] == "development"


def test_a_base_url_too_long_for_the_qr_code_is_refused_at_start(monkeypatch):
    monkeypatch.setenv("REGISTRY_BASE_URL", "https://" + "verify." * 9 + "example.gov.cn")
    with pytest.raises(ValueError, match="at most 64 characters"):
        load_config()
    monkeypatch.setenv("REGISTRY_BASE_URL", "https://zscx.example.cn/verify?x=1")
    with pytest.raises(ValueError, match="without '\\?'"):
        load_config()


def test_the_pdf_prints_masked_ids_unless_configured(monkeypatch):
    monkeypatch.delenv("REGISTRY_PDF_FULL_ID", raising=False)
    assert load_config()["PDF_FULL_ID"] is False
    monkeypatch.setenv("REGISTRY_PDF_FULL_ID", "true")
    assert load_config()["PDF_FULL_ID"] is True


def test_size_limits_are_written_as_people_read_them_and_never_above_the_limit():
    assert [upload_size(n) for n in (20 * 1024 * 1024, 1536 * 1024, 900 * 1024, 100)] == [
        "20 MB", "1.5 MB", "900 KB", "100 B"]
    # Just under a round figure shows just under it: a file of the size shown is never refused as too large.
    assert upload_size(209_700_000) == "199.9 MB"
    assert upload_size(1024 * 1024 - 1) == "1023.9 KB"
    assert upload_size(10_000) == "9.7 KB"


def test_photo_zips_have_limits_of_their_own(monkeypatch):
    monkeypatch.setenv("REGISTRY_PHOTOS_MAX_BYTES", str(300 * 1024 * 1024))
    config = load_config()
    assert config["PHOTOS_MAX_BYTES"] == 300 * 1024 * 1024
    assert config["MAX_CONTENT_LENGTH"] == config["IMPORT_MAX_BYTES"] + 1024 * 1024  # other requests stay small
