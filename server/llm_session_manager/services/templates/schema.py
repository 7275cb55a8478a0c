"""What ``templates.yaml`` may say, and its mistakes as one line naming the line.

A file is a mapping with one key, ``templates``: template names to templates.
A template names the sessions to start (each an assistant, its launch command,
optionally a role and a model), the tags they get and the files they work on
(globs). docs/templates.md describes it. The YAML is composed once into nodes,
which know their lines, and built into data from them, so every error, from the
YAML parser or from msgspec's checks, says which line is wrong.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import msgspec

from ...core.config import _explain  # the config's wording of msgspec's errors, reused
from ...core.errors import BadInput
from ...core.models import PROVIDERS

ProviderId = Literal[PROVIDERS]  # type: ignore[valid-type]  # checked against models.PROVIDERS
Text = Annotated[str, msgspec.Meta(min_length=1)]
Tag = Annotated[str, msgspec.Meta(pattern=r"^\S{1,64}$")]
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class TemplateError(BadInput):
    """A templates file that cannot be read, parsed or used; the message names the line."""


class TemplateSession(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """One session to start: which assistant, how, and what it is for."""

    provider: ProviderId
    command: Text  # run as a shell would split it (shlex), in the template's directory
    role: str | None = None  # what this session does ("implementer", "reviewer"); shown and stored with the plan
    model: str | None = None  # the model it runs; also whose tokenizer counts the context files


class Template(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    sessions: Annotated[tuple[TemplateSession, ...], msgspec.Meta(min_length=1)]
    description: str | None = None
    tags: tuple[Tag, ...] = ()
    context_files: tuple[Text, ...] = ()  # globs relative to the directory (``**`` spans folders)


class _File(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    templates: dict[str, Any] = {}  # each entry checked alone as a Template, for its line


def parse(text: str, shown: str) -> dict[str, Template]:
    """The templates in ``text`` (the file ``shown``), in file order; ``TemplateError`` names the line."""
    import yaml  # only when a templates file is read

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise TemplateError(f"{shown}{line}: invalid YAML: {e.problem or e.context}") from None
    except yaml.YAMLError as e:
        raise TemplateError(f"{shown}: invalid YAML: {' '.join(str(e).split())}") from None
    if root is None:
        return {}
    try:
        data = yaml.SafeLoader(text).construct_document(root)
    except yaml.MarkedYAMLError as e:  # a tag safe YAML does not build (!!python/...)
        mark = e.problem_mark or e.context_mark
        raise TemplateError(f"{shown}{f':{mark.line + 1}' if mark else ''}: invalid YAML: {e.problem}") from None
    if isinstance(data, dict) and data.get("templates", {}) is None:  # `templates:` with none yet
        data["templates"] = {}
    try:
        top = msgspec.convert(data, _File)
    except msgspec.ValidationError as e:
        raise _located(shown, root, str(e), data, _File, "") from None
    templates_node = _child(root, "templates")
    _no_twice(shown, templates_node)
    out = {}
    for name, value in top.templates.items():
        key_node = _key(templates_node, name)
        where = f"{shown}:{key_node.start_mark.line + 1}" if key_node is not None else shown
        if not isinstance(name, str) or not NAME.match(name):
            raise TemplateError(f"{where}: template name {name!r} must be 1-64 letters, digits, '.', '_' or '-', "
                                "starting with a letter or digit")
        if value is None:
            raise TemplateError(f"{where}: template '{name}' is empty (it needs sessions)")
        try:
            out[name] = msgspec.convert(value, Template)
        except msgspec.ValidationError as e:
            node = _child(templates_node, name)
            raise _located(shown, node if node is not None else root, str(e), value, Template,
                           f"template '{name}': ", key_node) from None
    return out


def dump(templates: dict[str, Template]) -> str:
    """``templates`` as the YAML of a templates file's ``templates:`` mapping entries."""
    import yaml

    plain = msgspec.to_builtins(templates)
    return yaml.safe_dump(plain, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)


def _located(shown: str, node: Any, error: str, data: Any, tp: Any, prefix: str, line_node: Any = None) -> TemplateError:
    """msgspec's ``error`` as a line of ``shown``: the line of the offending key (or list item)."""
    message = _explain(error, data, tp, [], _no_hook).replace("must be a list of length >= 1, got a list",
                                                             "must list at least one session")
    path = re.search(r"`\$([^`]*)`", error)
    at, line_node = node, line_node or node
    for name, index in re.findall(r"\.([^.\[`]+)|\[(\d+)\]", path[1] if path else ""):
        nxt = _child(at, name) if name else _item(at, int(index))
        if nxt is None:
            break
        line_node = _key(at, name) if name else nxt
        at = nxt
    if unknown := re.search(r"unknown field `([^`]*)`", error):
        line_node = _key(at, unknown[1]) or line_node
    if prefix and message.startswith("the top level "):  # a template that is not a mapping
        prefix, message = prefix.rstrip(": ") + " ", message.removeprefix("the top level ")
    return TemplateError(f"{shown}:{line_node.start_mark.line + 1}: {prefix}{message}")


def _no_twice(shown: str, node: Any) -> None:
    """YAML keeps the last of two same keys; a template defined twice is a mistake worth naming."""
    import yaml

    if not isinstance(node, yaml.MappingNode):
        return
    seen: dict[str, int] = {}
    for key, _value in node.value:
        line = key.start_mark.line + 1
        if isinstance(key, yaml.ScalarNode) and key.value in seen:
            raise TemplateError(f"{shown}:{line}: template '{key.value}' is defined twice (first at line "
                                f"{seen[key.value]})")
        seen[key.value] = line


def _no_hook(tp: Any, obj: Any) -> Any:
    raise TypeError(f"unexpected {tp}")


def _child(node: Any, name: str) -> Any:
    """The value node under key ``name`` of a mapping node, or None."""
    import yaml

    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(name):
                return value
    return None


def _key(node: Any, name: str) -> Any:
    """The key node ``name`` of a mapping node, or None."""
    import yaml

    if isinstance(node, yaml.MappingNode):
        for key, _value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(name):
                return key
    return None


def _item(node: Any, index: int) -> Any:
    import yaml

    if isinstance(node, yaml.SequenceNode) and 0 <= index < len(node.value):
        return node.value[index]
    return None
