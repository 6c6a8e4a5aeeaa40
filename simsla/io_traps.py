"""YAML 1.1 traps in scenario files: base-60 and octal numbers, and yes/no/on/off booleans.

``_yaml_traps`` refuses the numbers from the text as written; ``_bool_message``
and ``_raw_keys`` explain a boolean where a field wanted text.  Part of
``simsla.io``.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from simsla.io_problems import Problem, _path
from simsla.io_yaml import _PyStrictLoader, _path_at


# ------------------------------------------------------------- YAML 1.1 traps
# PyYAML reads YAML 1.1, where `4:00` is the base-60 integer 240, `010` the octal integer 8 and
# yes/no/on/off booleans.  Nobody means a base-60 or an octal number in a scenario, so those are
# refused wherever they appear, from the text as written; booleans are legitimate for on/off
# fields, so they are explained only where a field refuses them (see `_bool_message`).
_INT_TAG, _FLOAT_TAG, _BOOL_TAG = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool"
_SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
_OCTAL = re.compile(r"^[-+]?0[0-7_]+$")
_TRUE_WORDS = ("yes", "true", "on")
#: pydantic error kinds of number fields, which already explain booleans (`simsla.model.units`)
_NUMBER_KINDS = ("int_type", "float_type", "int_from_float", "float_parsing", "int_parsing")


def _is_plain(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.style in (None, "")  # libyaml says '' for plain


def _yaml_traps(name: str, root: yaml.Node | None) -> list[Problem]:
    """Plain scalars that YAML 1.1 reads as base-60 or octal numbers, each with the fix spelled out."""
    out: list[Problem] = []
    if root is None:
        return out
    for node in _numbers(root):
        text = node.value
        if ":" in text and _SEXAGESIMAL.match(text):
            value = _PyStrictLoader("").construct_object(node)
            message = (f"{text} is read by YAML as the number {value:g} (base 60: {text} = {value:g}); write a duration "
                       f"with its unit, e.g. \"{_as_minutes(text)}\" or \"{_as_hours(text)}\", or quote it (\"{text}\") "
                       "if you mean text")
        elif _OCTAL.match(text) and text.strip("+-_0"):
            value = _PyStrictLoader("").construct_object(node)
            decimal = text[0] * (text[0] in "+-") + text.lstrip("+-").lstrip("0_")
            message = (f"{text} is read as the octal number {value} by YAML (a leading zero means base 8); write {decimal}, "
                       f"or quote it (\"{text}\") if you mean text")
        else:
            continue
        out.append(Problem(name, node.start_mark.line + 1, _path(_path_at(root, node.start_mark)), message))
    return sorted(out, key=lambda p: p.line or 0)


def _numbers(root: yaml.Node) -> list[yaml.ScalarNode]:
    """Plain scalars that YAML resolved as numbers (a cheap pass: paths are looked up only for the few trapped)."""
    found, seen, stack = [], set(), [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in node.value for n in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif node.tag in (_INT_TAG, _FLOAT_TAG) and _is_plain(node):
            found.append(node)
    return found


def _as_minutes(text: str) -> str:
    """`4:00` as it was probably meant in minutes and seconds ("4m"), or with its seconds ("4m30s")."""
    parts = text.lstrip("+-").split(":")
    if len(parts) == 2:
        return f"{int(parts[0])}m" + (f"{int(float(parts[1]))}s" if float(parts[1]) else "")
    return f"{int(parts[0])}h{int(parts[1])}m" + (f"{int(float(parts[2]))}s" if float(parts[2]) else "")


def _as_hours(text: str) -> str:
    """`4:00` as it was probably meant in hours and minutes ("4h"), or `1:30` as "1h30m"."""
    parts = text.lstrip("+-").split(":")
    return f"{int(parts[0])}h" + (f"{int(float(parts[1]))}m" if float(parts[1]) else "")


def _scalar_at(root: yaml.Node | None, loc: tuple) -> yaml.ScalarNode | None:
    """The scalar node (a value, or a mapping key whose path ends there) at ``loc``, if the path leads to one."""
    node = root
    for i, part in enumerate(loc):
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if _key_is(k, part)), None)
            if pair is None:
                return None
            node = pair[1] if i < len(loc) - 1 or not isinstance(part, bool) else pair[0]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
        else:
            return None
    return node if isinstance(node, yaml.ScalarNode) else None


def _key_is(key: yaml.Node, part: Any) -> bool:
    """Whether a mapping key node is the path step ``part`` (a boolean step matches its YAML word)."""
    if not isinstance(key, yaml.ScalarNode):
        return False
    if isinstance(part, bool):
        return key.tag == _BOOL_TAG and (key.value.lower() in _TRUE_WORDS) == part
    return key.value == str(part)


def _raw_keys(root: yaml.Node | None, loc: tuple) -> tuple:
    """``loc`` with boolean steps (keys YAML read as true/false) replaced by the words written."""
    if root is None or not any(isinstance(x, bool) for x in loc):
        return loc
    out: list[Any] = []
    for i, part in enumerate(loc):
        if isinstance(part, bool):
            key = _scalar_at(root, (*loc[:i], part))
            out.append(key.value if key is not None and key.tag == _BOOL_TAG else str(part).lower())
        else:
            out.append(part)
    return tuple(out)


def _bool_message(node: yaml.Node | None, loc: tuple, got: bool) -> str:
    """The hint for a YAML boolean where text was expected (a name written NO, yes, on, …)."""
    scalar = _scalar_at(node, loc)
    raw = scalar.value if scalar is not None and scalar.tag == _BOOL_TAG else str(got).lower()
    return f"`{raw}` is read as the boolean {str(got).lower()} by YAML; quote it: \"{raw}\""
