"""The `registry` command: Flask's CLI (run, routes, shell) plus the registry's own commands."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import FlaskGroup

import standards
from registry import create_app
from registry.db import get_session
from registry.errors import DomainError
from registry.keys import init_signing_key
from registry.services import bodies as body_service
from registry.services import standards as standards_service
from registry.services.actors import SYSTEM
from registry.services.clock import CHINA
from registry.services.issuance import list_certificates
from registry.services.users import create_user


def _now() -> datetime:
    return datetime.now(UTC)


@click.group(cls=FlaskGroup, create_app=create_app)
def main() -> None:
    """Vocational skill-level certification registry (职业技能等级认定)."""


def _fail(err: DomainError) -> None:
    click.echo(f"error [{err.reason}]: {err.message_zh} / {err.message_en}", err=True)
    sys.exit(1)


@main.group()
def db() -> None:
    """Database schema (Alembic)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Migrate the database to the newest schema."""
    from registry.migrate import upgrade

    upgrade(current_app.extensions["registry.engine"], revision)
    click.echo(f"database at {revision}")


@db.command("check")
def db_check() -> None:
    """Fail if the models and the migrations disagree."""
    from registry.migrate import check

    check(current_app.extensions["registry.engine"])
    click.echo("models and migrations agree")


@main.group()
def keys() -> None:
    """The registry signing key."""


@keys.command("init")
@click.option("--if-missing", is_flag=True, help="Do nothing when a key already exists.")
def keys_init(if_missing: bool) -> None:
    """Create the registry's P-256 signing key (never overwrites one)."""
    path = current_app.config["SIGNING_KEY_FILE"]
    try:
        key_id = init_signing_key(path, current_app.config["SIGNING_KEY_PASSWORD"])
    except FileExistsError:
        if if_missing:
            click.echo(f"signing key already at {path}")
            return
        raise click.ClickException(f"{path} already exists; a signing key is never overwritten") from None
    click.echo(f"signing key {key_id} written to {path}")


@main.group("standards")
def standards_group() -> None:
    """The national occupational standards catalogue."""


@standards_group.command("sync")
def standards_sync() -> None:
    """Publish the versions in standards/data (idempotent; a changed published version is refused)."""
    try:
        versions = standards.load_catalogue()
    except standards.StandardFileError as err:
        click.echo(f"error [{err.reason}]: {err}", err=True)
        sys.exit(1)
    try:
        report = standards_service.sync_standards(get_session(), versions=versions, actor=SYSTEM, now=_now())
    except DomainError as err:
        _fail(err)
    click.echo(f"{len(report.added)} published, {len(report.unchanged)} unchanged")
    for label in report.added:
        click.echo(f"  + {label}")


@standards_group.command("list")
def standards_list() -> None:
    """One version per line: code, name, version, status."""
    today = _now().astimezone(CHINA).date()
    for entry in standards_service.catalogue(get_session(), today=today):
        row = entry.row
        status = entry.status + (f" (by {entry.superseded_by})" if entry.superseded_by else "")
        click.echo(f"{row.code}\t{row.name}\t{row.version}\t{status}")


@main.group()
def users() -> None:
    """Staff accounts."""


@users.command("create")
@click.option("--username", required=True)
@click.option("--display-name", required=True)
@click.option("--role", type=click.Choice(["regulator", "body_admin", "assessor", "supervisor"]),
              default="regulator", show_default=True)
@click.option("--body-id", type=int, default=None)
@click.password_option(envvar="REGISTRY_NEW_USER_PASSWORD")
def users_create(username: str, display_name: str, role: str, body_id: int | None, password: str) -> None:
    """Create an account (the first regulator is made this way)."""
    try:
        user = create_user(get_session(), username=username, display_name=display_name, password=password,
                           role=role, body_id=body_id, actor=SYSTEM, now=_now())
    except DomainError as err:
        _fail(err)
    click.echo(f"created {user.role} {user.username}")


@main.group()
def bodies() -> None:
    """Evaluation bodies (the regulator's filing work, from the command line)."""


@bodies.command("list")
def bodies_list() -> None:
    """One body per line: id, number prefix, kind, status, filed name."""
    for body in body_service.list_bodies(get_session()):
        click.echo(f"{body.id}\t{body.number_prefix}\t{body.kind}\t{body.status}\t{body.name}")


@bodies.command("file")
@click.option("--name", required=True, help="Filed name (备案名称), exactly as it will print.")
@click.option("--kind", type=click.Choice(["Y", "S"]), required=True, help="Y employer, S social organisation.")
@click.option("--credit-code", required=True, help="统一社会信用代码 (18 characters).")
@click.option("--province", required=True, help="Two-digit GB/T 2260 province code, e.g. 44.")
@click.option("--body-code", required=True, help="Four digits; 0000 when first filed with a province.")
@click.option("--site-code", required=True, help="Six-digit site code assigned by the province.")
@click.option("--contact-name", required=True)
@click.option("--contact-phone", required=True)
def bodies_file(**options: str) -> None:
    """File (备案) an evaluation body."""
    try:
        body = body_service.file_body(get_session(), filing=body_service.BodyFiling(**options), actor=SYSTEM,
                                      now=_now())
    except DomainError as err:
        _fail(err)
    click.echo(f"filed body {body.id}: {body.name} (certificate prefix {body.number_prefix})")


@bodies.command("scope")
@click.argument("body_id", type=int)
@click.option("--occupation", "occupation_code", required=True, help="Occupation code X-XX-XX-XX.")
@click.option("--work-type", default=None, help="工种; omit to cover every 工种 of the occupation.")
@click.option("--levels", required=True, help="Comma-separated level digits, e.g. 5,4,3.")
@click.option("--valid-from", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--valid-to", type=click.DateTime(["%Y-%m-%d"]), required=True)
def bodies_scope(body_id: int, occupation_code: str, work_type: str | None, levels: str, valid_from: datetime,
                 valid_to: datetime) -> None:
    """Add a line to a body's filed scope."""
    try:
        digits = [int(part) for part in levels.split(",") if part.strip()]
    except ValueError:
        raise click.BadParameter("levels must be digits separated by commas, e.g. 5,4,3") from None
    try:
        entry = body_service.add_scope(get_session(), body_id=body_id, occupation_code=occupation_code,
                                       work_type=work_type, levels=digits, valid_from=valid_from.date(),
                                       valid_to=valid_to.date(), actor=SYSTEM, now=_now())
    except DomainError as err:
        _fail(err)
    click.echo(f"scope {entry.id}: {entry.occupation_code} {entry.work_type or ''} levels {entry.levels} "
               f"{entry.valid_from}..{entry.valid_to}")


def _status_command(change: str) -> None:
    @bodies.command(change, help=f"{change.capitalize()} a body; a reason is required and audited.")
    @click.argument("body_id", type=int)
    @click.option("--reason", required=True)
    def command(body_id: int, reason: str) -> None:
        try:
            body = body_service.change_body_status(get_session(), body_id=body_id, change=change, reason=reason,
                                                   actor=SYSTEM, now=_now())
        except DomainError as err:
            _fail(err)
        click.echo(f"body {body.id} is now {body.status}")


for _change in ("suspend", "reinstate", "withdraw"):
    _status_command(_change)


@main.group()
def certificates() -> None:
    """Issued certificates."""


@certificates.command("list")
@click.option("--limit", type=click.IntRange(min=1), default=None)
def certificates_list(limit: int | None) -> None:
    """One certificate per line, tab-separated: number, holder, occupation code, level, status."""
    for cert in list_certificates(get_session(), limit=limit):
        click.echo(f"{cert.number}\t{cert.holder_name}\t{cert.occupation_code}\t{cert.level}\t{cert.status}")


@main.command()
def demo() -> None:
    """Load demo data (idempotent) and print logins and certificates to try."""
    from sqlmodel import Session

    from registry.keys import signer_for
    from registry.services.demo import load_demo

    if current_app.config["ENV"] == "production" and not current_app.config.get("TESTING"):
        raise click.ClickException(
            "refusing to load demo data (with published passwords) into a production registry: "
            "set REGISTRY_ENV=development for a demo database"
        )
    signer = signer_for(current_app)
    # One outer transaction: the services' commits become savepoints, so the demo loads whole or not at all.
    with current_app.extensions["registry.engine"].connect() as connection, connection.begin():
        session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
        try:
            summary = load_demo(session, signer=signer, now=_now())
        except DomainError as err:
            _fail(err)
        finally:
            session.close()
    click.echo(summary)
