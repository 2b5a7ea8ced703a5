"""The `registry` command: Flask's CLI (run, routes, shell) plus the registry's own commands."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime, timedelta

import click
from flask import current_app
from flask.cli import FlaskGroup
from sqlmodel import select

import standards
from registry import create_app
from registry.db import get_session
from registry.errors import DomainError
from registry.models import User, pk
from registry.services import bodies as body_service
from registry.services import standards as standards_service
from registry.services import tokens as token_service
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
    """The registry's PKI: master key, root certificate, body signing keys."""


def _vault():  # type: ignore[no-untyped-def]
    from registry.keys import MasterKeyMissing, vault_for

    try:
        return vault_for(current_app)
    except MasterKeyMissing as err:
        raise click.ClickException(str(err)) from None


@keys.command("init")
@click.option("--if-missing", is_flag=True, help="Do nothing when the root already exists.")
@click.option("--new-master-key", is_flag=True,
              help="Create the master key file (REGISTRY_MASTER_KEY_FILE) first if there is no master key.")
def keys_init(if_missing: bool, new_master_key: bool) -> None:
    """Create the registry root CA (never replaces one), then a key for every body that lacks one."""
    from pathlib import Path

    from registry.keys import create_master_key_file
    from registry.services import keys as key_service

    path = Path(current_app.config["MASTER_KEY_FILE"])
    if new_master_key and not current_app.config.get("MASTER_KEY") and not path.exists():
        create_master_key_file(path)
        click.echo(f"new master key written to {path}: keep a copy apart from the database backups")
    vault = _vault()
    session = get_session()
    now = _now()
    try:
        root = key_service.root_key(session)
        if root is None:
            root = key_service.init_root(session, vault, actor=SYSTEM, now=now)
            click.echo(f"registry root {root.key_id} created, valid until {root.not_after:%Y-%m-%d}")
        elif not if_missing:
            raise click.ClickException(f"the registry root {root.key_id} exists; it is never replaced")
        else:
            click.echo(f"registry root {root.key_id} already exists")
        for key in key_service.ensure_body_keys(session, vault, now=now):
            click.echo(f"body {key.body_id}: signing key {key.key_id} issued")
        session.commit()
    except DomainError as err:
        session.rollback()
        _fail(err)


@keys.command("rotate")
@click.argument("body_id", type=int)
def keys_rotate(body_id: int) -> None:
    """Retire a body's signing key and its credential key and make new ones; the old keys keep verifying what
    they signed."""
    from registry.services.key_rotation import rotate_body_key

    try:
        key = rotate_body_key(get_session(), _vault(), body_id=body_id, actor=SYSTEM, now=_now())
    except DomainError as err:
        _fail(err)
    click.echo(f"body {body_id} now signs with key {key.key_id}")


@keys.command("list")
def keys_list() -> None:
    """One key per line: key id, role, body id, not after, active or retired; then the bodies' Open Badges
    credential keys: key id, "credential", body id, its did:key, active or retired. Never a private key."""
    from registry.services import keys as key_service
    from registry.services.credential_keys import list_credential_keys

    session = get_session()
    for key in key_service.list_keys(session):
        state = f"retired {key.retired_at:%Y-%m-%d}" if key.retired_at else "active"
        click.echo(f"{key.key_id}\t{key.role}\t{key.body_id or '-'}\t{key.not_after:%Y-%m-%d}\t{state}")
    for credential in list_credential_keys(session):
        state = f"retired {credential.retired_at:%Y-%m-%d}" if credential.retired_at else "active"
        click.echo(f"{credential.key_id}\tcredential\t{credential.body_id}\tdid:key:{credential.public_key_multibase}"
                   f"\t{state}")


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
def tokens() -> None:
    """API tokens for programs: each acts as one staff account, read-only or read-write."""


@tokens.command("create")
@click.option("--username", required=True, help="The account the token acts as.")
@click.option("--name", required=True, help="What the token is for, e.g. the system that uses it.")
@click.option("--scope", type=click.Choice(["read", "write"]), default="read", show_default=True)
@click.option("--days", type=click.IntRange(1, 3650), default=None, help="Expire after this many days.")
def tokens_create(username: str, name: str, scope: str, days: int | None) -> None:
    """Issue a token and print it once: only its hash is kept."""
    session = get_session()
    user = session.exec(select(User).where(User.username == username.strip().lower())).first()
    if user is None:
        raise click.ClickException(f"no account {username}")
    now = _now()
    try:
        issued = token_service.create_token(session, user_id=pk(user), name=name, scope=scope, actor=SYSTEM, now=now,
                                            expires_at=now + timedelta(days=days) if days else None)
    except DomainError as err:
        _fail(err)
    click.echo(issued.secret)
    click.echo(f"token {issued.token.token_id} ({scope}) for {user.username}: shown once, store it now", err=True)


@tokens.command("list")
def tokens_list() -> None:
    """One token per line: id, account, scope, state, last use, name (never the secret)."""
    now = _now()
    for token, user in token_service.tokens_for(get_session(), SYSTEM):
        expired = token.expires_at is not None and token.expires_at <= now
        state = "revoked" if token.revoked_at else ("expired" if expired else "active")
        used = token.last_used_at.isoformat(timespec="minutes") if token.last_used_at else "never"
        click.echo(f"{token.token_id}\t{user.username}\t{token.scope}\t{state}\t{used}\t{token.name}")


@tokens.command("revoke")
@click.argument("token_id")
def tokens_revoke(token_id: str) -> None:
    """Stop a token at once."""
    try:
        token_service.revoke_token(get_session(), token_id=token_id, actor=SYSTEM, now=_now())
    except DomainError as err:
        _fail(err)
    click.echo(f"revoked {token_id}")


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
                                      vault=_vault(), now=_now())
    except DomainError as err:
        _fail(err)
    from registry.services.keys import current_key

    key = current_key(get_session(), body.id or 0)
    click.echo(f"filed body {body.id}: {body.name} (certificate prefix {body.number_prefix}, "
               f"signing key {key.key_id if key else '-'})")


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


@certificates.command("pdf")
@click.argument("number")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True,
              help="Where to write the signed PDF.")
def certificates_pdf(number: str, output: str) -> None:
    """Write a certificate's signed PDF (rendered and signed by its body on first use, then kept)."""
    from pathlib import Path

    from registry.runtime import document_settings
    from registry.services.documents import certificate_pdf

    try:
        pdf = certificate_pdf(get_session(), _vault(), number=number, actor=SYSTEM,
                              settings=document_settings(current_app), now=_now())
    except DomainError as err:
        _fail(err)
    Path(output).write_bytes(pdf)
    click.echo(f"{number.upper()}: {len(pdf):,} bytes written to {output}")


# `registry certificate pdf NUMBER` reads naturally too.
main.add_command(certificates, "certificate")


@main.group()
def trust() -> None:
    """What offline verifiers need: the trust bundle and the status snapshot."""


def _write_json(document: dict, output: str) -> None:  # type: ignore[type-arg]
    from pathlib import Path

    from certificates.trust import dumps

    Path(output).write_text(dumps(document), encoding="utf-8")


@trust.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
def trust_export(output: str) -> None:
    """Write the trust bundle (root certificate, every body key with validity and status), signed by the root."""
    from registry.services.trust import trust_bundle

    try:
        bundle = trust_bundle(get_session(), _vault(), now=_now(), registry_url=current_app.config["BASE_URL"])
    except DomainError as err:
        _fail(err)
    _write_json(bundle, output)
    click.echo(f"trust bundle with {len(bundle['keys'])} body keys written to {output}; "
               f"root SHA-256 {bundle['root']['sha256']}")


@trust.command("status")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
def trust_status(output: str) -> None:
    """Write the status snapshot (every revoked or superseded certificate), signed by the root."""
    from registry.services.trust import status_snapshot

    try:
        snapshot = status_snapshot(get_session(), _vault(), now=_now())
    except DomainError as err:
        _fail(err)
    _write_json(snapshot, output)
    click.echo(f"status snapshot with {len(snapshot['certificates'])} entries written to {output}")


@main.command("verify")
@click.argument("pdf", metavar="[FILE]", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--qr", "url", help="The URL decoded from a certificate's QR code, instead of a PDF.")
@click.option("--trust", "trust_file", type=click.Path(exists=True, dir_okay=False), required=True,
              help="The trust bundle (registry trust export, or /.well-known/skill-registry/trust.json).")
@click.option("--status", "status_file", type=click.Path(exists=True, dir_okay=False),
              help="A status snapshot, to tell revoked and superseded certificates.")
@click.option("--root", "root_fingerprint", envvar="REGISTRY_ROOT_SHA256", required=True,
              help="The registry root's SHA-256 fingerprint, as the registry publishes it (`registry trust export` "
              "prints it): a bundle under any other root is refused. Also REGISTRY_ROOT_SHA256.")
@click.option("--scan", is_flag=True, help="Also rasterise the page and decode the drawn QR code "
              "(needs pdftoppm and zxing-cpp).")
@click.option("--id-number", help="With a credential: the holder's 证件号码, checked against its salted hash.")
def verify(pdf: str | None, url: str | None, trust_file: str, status_file: str | None,
           root_fingerprint: str, scan: bool, id_number: str | None) -> None:
    """Verify a certificate PDF, its QR URL or its Open Badges credential (JSON) offline; exit 0 only for a
    genuine certificate."""
    from pathlib import Path

    from certificates.credential_verifier import CredentialReport, verify_credential
    from certificates.trust import TrustError, load_bundle, load_status
    from certificates.verifier import Report, verify_pdf, verify_qr_url

    if (pdf is None) == (url is None):
        raise click.UsageError("give either a file (PDF or credential JSON) or --qr URL")
    data = Path(pdf).read_bytes() if pdf is not None else b""
    credential = data.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] == b"{"  # JSON, with or without a BOM
    if scan and credential:
        raise click.UsageError("--scan reads a PDF's page, not a credential")
    if id_number is not None and not credential:
        raise click.UsageError("--id-number checks a credential's holder; a PDF or QR shows the masked number")
    # pyHanko logs a warning with a traceback for every chain it cannot build; the verdict below says it plainly.
    logging.getLogger("pyhanko").setLevel(logging.ERROR)
    try:
        bundle = load_bundle(Path(trust_file).read_bytes(), root_fingerprint=root_fingerprint)
        status = load_status(Path(status_file).read_bytes(), bundle) if status_file else None
    except TrustError as err:
        raise click.ClickException(f"trust bundle refused: {err}") from None
    report: CredentialReport | Report
    if credential:
        report = verify_credential(data, bundle, status, id_number=id_number)
    elif pdf is not None:
        report = verify_pdf(data, bundle, status, scanned_url=_scan(data) if scan else None)
    else:
        report = verify_qr_url(url or "", bundle, status)
    for line in report.lines():
        click.echo(line)
    sys.exit(report.exit_code)


def _scan(pdf: bytes) -> str:
    from certificates.scan import ScanError, scan_qr

    try:
        return scan_qr(pdf)
    except ScanError as err:
        raise click.ClickException(str(err)) from None


@main.command()
def demo() -> None:
    """Load demo data (idempotent) and print logins and certificates to try."""
    from sqlmodel import Session

    from registry.runtime import document_settings
    from registry.services.demo import load_demo
    from registry.services.documents import certificate_url

    if current_app.config["ENV"] == "production" and not current_app.config.get("TESTING"):
        raise click.ClickException(
            "refusing to load demo data (with published passwords) into a production registry: "
            "set REGISTRY_ENV=development for a demo database"
        )
    vault = _vault()
    # One outer transaction: the services' commits become savepoints, so the demo loads whole or not at all.
    with current_app.extensions["registry.engine"].connect() as connection, connection.begin():
        session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
        try:
            summary = load_demo(session, vault=vault, now=_now())
            valid = next(c for c in list_certificates(session) if c.status == "valid")
            link = certificate_url(valid, document_settings(current_app))
        except DomainError as err:
            _fail(err)
        finally:
            session.close()
    click.echo(summary)
    click.echo(f"Its QR code opens: {link}")
    click.echo(f"Signed PDF: registry certificate pdf {valid.number} -o certificate.pdf")
    click.echo("Check offline: registry trust export -o bundle.json && "
               "registry verify certificate.pdf --trust bundle.json")


@main.command("worker")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Jobs run at the same time in this process (threads).")
def worker(workers: int) -> None:
    """Run background jobs from REGISTRY_JOBS_URL until stopped (Ctrl-C lets running jobs finish).

    Start one on every machine that should share the work; they take jobs from the same queue.
    """
    from registry.jobs.worker import run_consumer

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if current_app.config["JOBS_URL"] == "immediate":
        raise click.UsageError("REGISTRY_JOBS_URL=immediate runs jobs inside requests: there is no queue to serve")
    run_consumer(current_app._get_current_object(), workers=workers)  # type: ignore[attr-defined]


@main.command("run", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.option("--worker/--no-worker", default=True, show_default=True,
              help="Also run background jobs in this process (the embedded default needs no other service).")
@click.pass_context
def run(ctx: click.Context, worker: bool) -> None:
    """Serve the registry for development, with a background-job worker (production: gunicorn, and
    `registry worker` for jobs). Other options are Flask's (`--host`, `--port`, …)."""
    from flask.cli import run_command

    from registry.jobs.worker import start_embedded

    if worker:
        start_embedded(current_app._get_current_object())  # type: ignore[attr-defined]
    run_command.main(args=ctx.args, prog_name=f"{ctx.info_name}", standalone_mode=False, obj=ctx.obj)
