"""Where ``templates.yaml`` lives, reading it, and adding a template without losing the rest.

The file sits next to the config (``config.yaml``'s directory), unless
``LLM_SESSION_TEMPLATES`` or ``--file`` names another. A write keeps the file
the user wrote: a new template is added as text at the end of the
``templates:`` mapping, so comments and layout stay; only when that cannot be
done safely (a flow-style mapping, a replaced template) is the whole file
written again from its data. Either way the previous file is kept as
``templates.yaml.bak`` first, and the result is read back before it replaces
the file, so a write can never leave a file that does not parse.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ...core.config import config_path
from .schema import Template, TemplateError, dump, parse

ENV_VAR = "LLM_SESSION_TEMPLATES"
FILE_NAME = "templates.yaml"


def templates_path(explicit: Path | str | None = None, config: Path | None = None) -> Path:
    """``explicit`` (``--file``), else ``LLM_SESSION_TEMPLATES``, else beside the config file."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    return config_path(config).parent / FILE_NAME


def example_path() -> Path:
    """The commented example file shipped with the package."""
    from ... import DATA_DIR

    return DATA_DIR / "templates.example.yaml"


def load(path: Path, *, missing_ok: bool = True) -> dict[str, Template]:
    """The templates in ``path``; none if it does not exist and ``missing_ok``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if missing_ok:
            return {}
        raise TemplateError(f"{path}: no such templates file") from None
    except OSError as e:
        raise TemplateError(f"{path}: cannot read: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise TemplateError(f"{path}: not UTF-8 text (bad byte at offset {e.start})") from None
    return parse(text, str(path))


def get(path: Path, name: str) -> Template:
    templates = load(path)
    if name not in templates:
        known = ", ".join(templates) or f"none; see {example_path()}"
        raise TemplateError(f"no template '{name}' in {path} (templates: {known})")
    return templates[name]


def add(path: Path, name: str, template: Template, *, force: bool = False) -> Path | None:
    """Write ``template`` as ``name`` into ``path``; the backup made, if the file existed.

    An existing ``name`` is replaced only with ``force``; every other template stays.
    """
    try:
        old = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        old = None
    except (OSError, UnicodeDecodeError) as e:
        raise TemplateError(f"{path}: cannot read: {e}") from None
    existing = parse(old, str(path)) if old is not None else {}
    if name in existing and not force:
        raise TemplateError(f"template '{name}' already exists in {path} (use --force to replace it)")
    wanted = {**existing, name: template}
    text = _appended(old, name, template) if old is not None and name not in existing else None
    if text is None or _parses_to(text, path) != wanted:
        text = "templates:\n" + _indented(dump(wanted))
    if _parses_to(text, path) != wanted:  # cannot happen: dump writes what parse reads
        raise TemplateError(f"{path}: the new file would not read back as written; nothing changed")
    backup = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if old is not None:
            backup = path.with_name(path.name + ".bak")
            shutil.copy2(path, backup)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:
        raise TemplateError(f"{path}: cannot write: {e.strerror}") from None
    return backup


def _appended(old: str, name: str, template: Template) -> str | None:
    """``old`` with ``name`` added as text at the end of its ``templates:`` mapping, or None."""
    import yaml

    entry = _indented(dump({name: template}))
    if not old.strip():
        return "templates:\n" + entry
    try:
        root = yaml.compose(old, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    if not isinstance(root, yaml.MappingNode) or root.flow_style:
        return None
    for key, value in root.value:
        if key.value != "templates":
            continue
        if isinstance(value, yaml.ScalarNode) and value.value in ("", "~", "null"):  # `templates:` and nothing
            lines = old.splitlines(keepends=True)
            at = key.start_mark.line + 1
            head = "".join(lines[:at])
            return head + ("" if head.endswith("\n") else "\n") + entry + "".join(lines[at:])
        if not isinstance(value, yaml.MappingNode) or value.flow_style or not value.value:
            return None
        indent = value.value[0][0].start_mark.column
        entry = _indented(dump({name: template}), indent)
        end = value.end_mark.line + (1 if value.end_mark.column else 0)
        lines = old.splitlines(keepends=True)
        while end > 0 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
            end -= 1  # before the blank lines and comments that end the file
        head = "".join(lines[:end])
        return head + ("" if head.endswith("\n") or not head else "\n") + entry + "".join(lines[end:])
    text = old if old.endswith("\n") else old + "\n"
    return text + "templates:\n" + entry


def _indented(text: str, by: int = 2) -> str:
    pad = " " * by
    return "".join(pad + line if line.strip() else line for line in text.splitlines(keepends=True))


def _parses_to(text: str, path: Path) -> dict[str, Template] | None:
    try:
        return parse(text, str(path))
    except TemplateError:
        return None
