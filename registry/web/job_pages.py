"""The console's page for a background job: progress while it runs, the outcome, a retry, and its file.

The page works without script (a "refresh" link); static/job.js, when it runs, polls the job's JSON and
moves the progress bar, then reloads the page once the job has ended.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _

from registry import jobs
from registry.db import get_session
from registry.errors import DomainError
from registry.models import Job
from registry.services import jobs as job_service
from registry.web.downloads import pdf_download, xlsx_download
from registry.web.i18n import select_language
from registry.web.staff import current_actor


def page(job_id: int, *, status: int = 200, problem: str | None = None) -> Any:
    job = job_service.get_job(get_session(), job_id, actor=current_actor())
    view = jobs.view(current_app, job)
    return render_template("console_job.html", job=job, view=view, result=view.result(select_language()),
                           problem=problem), status


def progress(job_id: int) -> Any:
    """The job as JSON for the page's script (the same fields as the API's job)."""
    job = job_service.get_job(get_session(), job_id, actor=current_actor())
    response = jsonify(jobs.view(current_app, job).as_dict(select_language()))
    response.headers["Cache-Control"] = "no-store"
    return response


def retry(job_id: int) -> Any:
    session = get_session()
    actor = current_actor()
    try:
        job = job_service.get_job(session, job_id, actor=actor)
        job = job_service.send_again(session, job_id, actor=actor, now=datetime.now(UTC),
                                     interrupted=jobs.view(current_app, job).state == "interrupted")
    except DomainError as err:
        if err.status == 404:
            raise
        return page(job_id, status=err.status, problem=err.message(select_language()))
    jobs.send(current_app, job)
    flash(_("任务已重新开始。"))
    return redirect(url_for("console.job", job_id=job_id))


def download(job_id: int) -> Any:
    session = get_session()
    job: Job = job_service.get_job(session, job_id, actor=current_actor())
    report = jobs.error_report(job, select_language())
    if report is not None:
        return xlsx_download(*report)
    file = job_service.job_file(session, job, "output")
    return pdf_download(file.content, file.filename)
