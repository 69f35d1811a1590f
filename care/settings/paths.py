"""Paths written in care.toml, anchored in the file's folder (see `anchor_paths`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from care.settings.load import ConfigFile


def anchor_paths(file: ConfigFile, folder: Path) -> ConfigFile:
    """The file's relative paths made relative to the file's own folder, not to the working
    directory: a worker, `care serve` and `care status` started from different folders
    with one care.toml must share one SQLite database and one outbox, or each would send
    its own surveys. Defaults and environment variables stay relative to the working
    directory."""
    fields = file.model_fields_set
    survey = file.survey
    if "outbox_dir" in survey.model_fields_set:
        survey = survey.model_copy(update={"outbox_dir": _under(folder, survey.outbox_dir)})
    report = file.report
    if "dir" in report.model_fields_set:
        report = report.model_copy(update={"dir": _under(folder, report.dir)})
    rules = file.rules
    if rules.faq.catalogue:
        faq = rules.faq.model_copy(update={"catalogue": _under(folder, rules.faq.catalogue)})
        rules = rules.model_copy(update={"faq": faq})
    update: dict[str, Any] = {"survey": survey, "report": report, "rules": rules}
    if "templates_dir" in fields and file.templates_dir:
        update["templates_dir"] = _under(folder, file.templates_dir)
    if "database_url" in fields and file.database_url:
        update["database_url"] = _sqlite_under(folder, file.database_url)
    return file.model_copy(update=update)


def _under(folder: Path, path: str) -> str:
    given = Path(path).expanduser()
    return str(given if given.is_absolute() else folder / given)


def _sqlite_under(folder: Path, url: str) -> str:
    """A SQLite URL with a relative file name, anchored in `folder`; any other URL as given."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return url  # the store explains a malformed URL when it opens it
    name = parsed.database
    if not parsed.drivername.startswith("sqlite") or not name or name == ":memory:":
        return url
    if name.startswith("file:") or Path(name).is_absolute():
        return url
    return parsed.set(database=str(folder / name)).render_as_string(hide_password=False)
