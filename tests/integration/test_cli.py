"""The `registry` commands an operator types, against a real committed database."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import inspect

from certificates import normalize_id, parse_number
from registry import create_app
from registry.cli import main
from tests import factories as f
from tests.conftest import new_database


@pytest.fixture
def cli_app(backend, tmp_path):
    url, drop = new_database(backend, tmp_path)
    app = create_app({"DATABASE_URL": url, "MASTER_KEY": f.TEST_MASTER_KEY, "ENV": "development"})
    yield app
    app.extensions["registry.engine"].dispose()
    app.extensions["registry.read_engine"].dispose()
    drop()


def run(app, *args: str, ok: bool = True):
    result = app.test_cli_runner().invoke(main, list(args), catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def test_db_upgrade_creates_the_schema_on_an_empty_database(tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'new.sqlite3'}", "TESTING": True})
    assert "database at head" in run(app, "db", "upgrade").output
    tables = set(inspect(app.extensions["registry.engine"]).get_table_names())
    assert {"certificates", "audit_events", "standard_versions", "bodies", "batches"} <= tables
    assert "agree" in run(app, "db", "check").output


def test_keys_init_creates_the_master_key_and_root_once(tmp_path):
    master = tmp_path / "keys" / "master.key"
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'k.sqlite3'}", "MASTER_KEY_FILE": str(master)})
    run(app, "db", "upgrade")
    refused = run(app, "keys", "init", ok=False)
    assert refused.exit_code != 0 and "no master key" in refused.output  # says how to get one

    first = run(app, "keys", "init", "--new-master-key").output
    assert "new master key written" in first
    assert re.search(r"registry root [0-9a-f]{16} created", first)
    assert oct(master.stat().st_mode & 0o777) == "0o600"
    content = master.read_bytes()
    assert run(app, "keys", "init", ok=False).exit_code != 0  # a root is never replaced
    assert "already exists" in run(app, "keys", "init", "--if-missing", "--new-master-key").output
    assert master.read_bytes() == content
    [line] = run(app, "keys", "list").output.splitlines()
    assert re.fullmatch(r"[0-9a-f]{16}\troot\t-\t\d{4}-\d\d-\d\d\tactive", line)


def test_a_wrong_master_key_is_named_not_misused(tmp_path):
    url = f"sqlite:///{tmp_path / 'k.sqlite3'}"
    app = create_app({"DATABASE_URL": url, "MASTER_KEY": f.TEST_MASTER_KEY})
    run(app, "db", "upgrade")
    run(app, "keys", "init")
    run(app, "standards", "sync")
    other = create_app({"DATABASE_URL": url, "MASTER_KEY": "A" * 43, "ENV": "development"})
    result = other.test_cli_runner().invoke(main, ["demo"])
    assert result.exit_code != 0
    assert "master key" in str(result.exception or result.output)


def test_standards_sync_and_list(cli_app):
    assert "5 published, 0 unchanged" in run(cli_app, "standards", "sync").output
    assert "0 published, 5 unchanged" in run(cli_app, "standards", "sync").output
    lines = run(cli_app, "standards", "list").output.splitlines()
    assert "6-31-01-03\t电工\t2018\tcurrent" in lines
    assert len(lines) == 5


def test_first_regulator_then_demo_then_certificates_list(cli_app):
    run(cli_app, "standards", "sync")
    result = cli_app.test_cli_runner().invoke(
        main, ["users", "create", "--username", "chief", "--display-name", "处长"],
        env={"REGISTRY_NEW_USER_PASSWORD": "a long enough secret"})
    assert result.exit_code == 0 and "created regulator chief" in result.output

    first = run(cli_app, "demo").output
    again = run(cli_app, "demo").output
    assert first == again  # idempotent: the second run loads nothing more
    assert "password for all" in first and "regulator" in first
    issued = int(re.search(r"(\d+) certificates issued", first).group(1))
    assert issued >= 40
    tries = re.findall(r"^  ([YS]\d{21})  (\S+)  \((valid|revoked|superseded)\)$", first, re.MULTILINE)
    assert [status for *_, status in tries] == ["valid", "revoked", "superseded"]

    lines = run(cli_app, "certificates", "list").output.splitlines()
    assert len(lines) == issued
    for line in lines:
        number, name, code, level, status = line.split("\t")
        assert parse_number(number).level == int(level)
        assert re.fullmatch(r"\d-\d{2}-\d{2}-\d{2}", code) and status in ("valid", "revoked", "superseded")
    assert len(run(cli_app, "certificates", "list", "--limit", "3").output.splitlines()) == 3
    statuses = {line.split("\t")[4] for line in lines}
    assert statuses == {"valid", "revoked", "superseded"}


def test_demo_holders_have_valid_fake_ids(cli_app):
    from sqlmodel import Session, select

    from registry.models import Candidate

    run(cli_app, "standards", "sync")
    run(cli_app, "demo")
    with Session(cli_app.extensions["registry.engine"]) as session:
        candidates = session.exec(select(Candidate)).all()
    assert len({c.id_number for c in candidates}) == len(candidates)
    for c in candidates:
        assert normalize_id(c.id_type, c.id_number) == c.id_number
        if c.id_type == "resident":
            assert c.id_number[2:6] == "0000"  # province-level area code: never issued to a person


def test_demo_without_standards_fails_cleanly(cli_app):
    result = run(cli_app, "demo", ok=False)
    assert result.exit_code == 1
    assert "registry standards sync" in result.output


def test_the_regulator_files_a_body_and_its_scope_from_the_command_line(cli_app):
    run(cli_app, "standards", "sync")
    run(cli_app, "keys", "init")
    bad = run(cli_app, "bodies", "file", "--name", "某评价中心", "--kind", "S", "--credit-code", "52440000MJL000207X",
              "--province", "44", "--body-code", "0001", "--site-code", "440101", "--contact-name", "张三",
              "--contact-phone", "020-1", ok=False)
    assert bad.exit_code == 1 and "credit-code-check" in bad.output
    out = run(cli_app, "bodies", "file", "--name", "某评价中心", "--kind", "S", "--credit-code", "52440000MJL000207G",
              "--province", "44", "--body-code", "0001", "--site-code", "440101", "--contact-name", "张三",
              "--contact-phone", "020-1").output
    assert "certificate prefix S000144440101" in out
    assert re.search(r"signing key [0-9a-f]{16}", out)
    body_id = re.search(r"filed body (\d+)", out).group(1)
    scope = run(cli_app, "bodies", "scope", body_id, "--occupation", "4-10-01-06", "--work-type", "母婴护理员",
                "--levels", "5,4", "--valid-from", "2026-01-01", "--valid-to", "2028-12-31").output
    assert "levels [5, 4]" in scope
    refused = run(cli_app, "bodies", "scope", body_id, "--occupation", "4-10-01-06", "--levels", "1",
                  "--valid-from", "2026-01-01", "--valid-to", "2028-12-31", ok=False)
    assert "scope-level-unknown" in refused.output
    assert "is now suspended" in run(cli_app, "bodies", "suspend", body_id, "--reason", "检查").output
    assert f"{body_id}\tS000144440101\tS\tsuspended\t某评价中心" in run(cli_app, "bodies", "list").output.splitlines()


def test_rotating_a_bodys_keys_turns_over_both_and_the_list_shows_them(cli_app):
    run(cli_app, "standards", "sync")
    run(cli_app, "keys", "init")
    out = run(cli_app, "bodies", "file", "--name", "某评价中心", "--kind", "S", "--credit-code", "52440000MJL000207G",
              "--province", "44", "--body-code", "0001", "--site-code", "440101", "--contact-name", "张三",
              "--contact-phone", "020-1").output
    body_id = re.search(r"filed body (\d+)", out).group(1)
    assert re.search(r"now signs with key [0-9a-f]{16}", run(cli_app, "keys", "rotate", body_id).output)

    lines = [line.split("\t") for line in run(cli_app, "keys", "list").output.splitlines()]
    signing = [(role, state.split()[0]) for _, role, owner, _, state in lines if owner == body_id and role == "body"]
    credential = [(did, state.split()[0]) for _, role, owner, did, state in lines if role == "credential"]
    assert sorted(signing) == [("body", "active"), ("body", "retired")]
    assert sorted(state for _, state in credential) == ["active", "retired"]
    assert all(re.fullmatch(r"did:key:z6Mk\w+", did) for did, _ in credential)


def test_demo_refuses_a_production_registry(tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite3'}", "ENV": "production"})
    result = run(app, "demo", ok=False)
    assert result.exit_code != 0 and "production" in result.output
