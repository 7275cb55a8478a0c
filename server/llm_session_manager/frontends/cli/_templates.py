"""``create-from-template``, ``save-template`` and ``templates list|show|validate`` (docs/templates.md)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from ...core.errors import BadInput, LlmSessionError
from ._context import Context

if TYPE_CHECKING:
    from ...services.templates import Preparation


def _path(ctx: Context) -> Path:
    from ...services import templates

    return templates.templates_path(getattr(ctx.args, "file", None), ctx.args.config)


def cmd_create_from_template(ctx: Context) -> None:
    from ...services import templates

    a = ctx.args
    if a.dry_run and a.launch:
        raise BadInput("--dry-run and --launch do not go together: a dry run starts nothing")
    cwd = Path(a.cwd).expanduser() if a.cwd else Path.cwd()
    prep = templates.prepare(a.name, templates.get(_path(ctx), a.name), cwd, model=a.model)
    for pattern in prep.unmatched:
        print(f"warning: context_files glob {pattern!r} matched no file in {prep.cwd}", file=sys.stderr)
    if a.dry_run:
        prep = msgspec.structs.replace(prep, dry_run=True)
    else:
        prep = templates.plan(ctx.conn, prep)
    if not a.launch:
        ctx.emit(prep, lambda _: _print_preparation(prep))
        return
    if not a.json:
        _print_preparation(prep, launching=True)
        print(f"Launching {len(prep.sessions)} session(s) in {prep.cwd} ...", flush=True)
    prep = templates.launch(prep, stdout=sys.stderr if a.json else None)
    ctx.emit(prep, lambda _: print("\n".join(
        f"  [{s.provider}] pid {s.pid} exited with {s.exit_code}" for s in prep.sessions)))
    failed = [s for s in prep.sessions if s.exit_code]
    if failed:
        s = failed[0]
        raise LlmSessionError(f"session {s.position} ({s.provider}: {s.command}) exited with {s.exit_code}")


def _print_preparation(prep: Preparation, launching: bool = False) -> None:
    from ..formatting import compact

    print(f"Template {prep.template} in {prep.cwd}; tags: {' '.join(prep.tags)}")
    if prep.files:
        counter = prep.token_model or "o200k_base"
        print(f"Context files ({prep.token_source} tokens for {counter}):")
        for f in prep.files:
            shown = f"{f.tokens:>9,}" if f.tokens is not None else f"{'-':>9}"
            mark = " est." if f.source == "estimated" else ""
            print(f"  {shown}{mark:5} {f.path}{f'  ({f.note})' if f.note else ''}")
        mark = " (estimated)" if prep.token_source == "estimated" else ""
        print(f"  {prep.total_tokens:>9,}      total, {compact(prep.total_tokens)} tokens{mark}")
    else:
        print("No context files.")
    if prep.dry_run:
        print("Dry run: nothing planned. The sessions would start with:")
    else:
        print(f"Planned {len(prep.sessions)} session(s); each gets the tags when it starts in {prep.cwd}.")
        print("Commands:" if launching else "Start them with:")
    for s in prep.sessions:
        role = f" ({s.role})" if s.role else ""
        print(f"  [{s.provider}{role}]  {s.command}")


def cmd_save_template(ctx: Context) -> None:
    from ...services import templates

    a = ctx.args
    path = _path(ctx)
    template = templates.from_sessions(ctx.fresh_conn(), a.name, refs=a.sessions, project=a.project)
    backup = templates.add(path, a.name, template, force=a.force)
    info = {"name": a.name, "file": str(path), "backup": str(backup) if backup else None,
            "template": template}
    ctx.emit(info, lambda _: print(
        f"Saved template {a.name} ({len(template.sessions)} session(s), {len(template.context_files)} file(s)) "
        f"to {path}" + (f"; the previous file is {backup}" if backup else "")))


def cmd_templates_list(ctx: Context) -> None:
    from ...services import templates

    path = _path(ctx)
    found = templates.load(path)
    rows = [_summary(name, t) for name, t in found.items()]

    def human(_: Any) -> None:
        if not rows:
            print(f"No templates in {path}. An example to start from: {templates.example_path()}")
            return
        for r in rows:
            tags = f"  [{' '.join(r['tags'])}]" if r["tags"] else ""
            print(f"{r['name']:20} {' + '.join(r['providers'])}{tags}  {r['description'] or ''}".rstrip())

    ctx.emit(rows, human)


def cmd_templates_show(ctx: Context) -> None:
    from ...services import templates

    path = _path(ctx)
    template = templates.get(path, ctx.args.name)
    ctx.emit({"name": ctx.args.name, "file": str(path), **msgspec.to_builtins(template)},
             lambda _: sys.stdout.write(templates.schema.dump({ctx.args.name: template})))


def cmd_templates_validate(ctx: Context) -> None:
    from ...services import templates

    path = Path(ctx.args.path).expanduser() if ctx.args.path else _path(ctx)
    try:
        found = templates.load(path, missing_ok=False)
    except templates.TemplateError as e:
        if ctx.args.json:
            ctx.emit({"file": str(path), "valid": False, "error": str(e), "templates": []}, lambda _: None)
        raise
    ctx.emit({"file": str(path), "valid": True, "error": None, "templates": list(found)},
             lambda _: print(f"{path}: {len(found)} template(s), all valid: {', '.join(found) or '-'}"))


def _summary(name: str, t: Any) -> dict[str, Any]:
    return {"name": name, "description": t.description, "providers": [s.provider for s in t.sessions],
            "sessions": len(t.sessions), "tags": list(t.tags), "context_files": list(t.context_files)}
