"""Scenario files: YAML in, a validated ``Scenario`` out, or errors a person can act on.

Every problem is reported with the file, the line (where the YAML has one),
the field path, what was expected and what was found.  The loader only uses
``yaml.SafeLoader`` (no tags that construct objects), refuses duplicate keys
(a silent "last one wins" hides typos) and refuses documents whose aliases
expand beyond a bound (the "billion laughs").
"""

from __future__ import annotations

import difflib
import json
import re
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydantic
import yaml

from simsla.model import Scenario
from simsla.model.scenario import ScenarioProblems

#: largest scenario file read (a scenario is a few kB; this is far beyond any real one)
MAX_BYTES = 5 * 1024 * 1024
#: most YAML nodes a document may expand to through aliases
MAX_NODES = 200_000
#: most YAML values (scalars, lists, mappings) written in a file; the example desk has ~1 600
MAX_EVENTS = 100_000
#: deepest nesting of lists and mappings (a scenario needs fewer than ten levels)
MAX_DEPTH = 64


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario file."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ScenarioError(Exception):
    """A scenario file could not be loaded; ``problems`` says why, one by one."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


_Base: Any = getattr(yaml, "CSafeLoader", None) if yaml.__with_libyaml__ else None
_Base = _Base or yaml.SafeLoader


class _StrictLoader(_Base):  # type: ignore[misc, valid-type]
    """SafeLoader (libyaml's when available: much faster) that refuses duplicate keys."""


class _PyStrictLoader(yaml.SafeLoader):
    """The pure-Python variant, used to find the line of a scalar that cannot be built."""


def _no_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    # keys written in this mapping must be unique; keys brought in by `<<:` merges may be overridden
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, f"a mapping key must be a plain value, found {type(key).__name__}", key_node.start_mark
            ) from None
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None,
                f"the key {key!r} appears twice in one mapping (first on line {seen[key] + 1}); keep one",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)
_PyStrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def _check_shape(name: str, text: str) -> None:
    """Refuse, before building anything, documents with too many values or too deep nesting.

    Scans the YAML events (cheap, iterative) and stops as soon as a bound is
    passed, so an oversized document costs no more than a normal one.
    """
    depth = events = 0
    for event in yaml.parse(text, Loader=_Base):
        events += 1
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else None
                raise ScenarioError([Problem(name, line, "", f"the YAML nests too deeply here (more than {MAX_DEPTH} levels; "
                                             "a scenario needs fewer than ten): look for unclosed brackets")])
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        if events > MAX_EVENTS:
            line = event.start_mark.line + 1 if event.start_mark else None
            raise ScenarioError([Problem(name, line, "", f"the document holds more than {MAX_EVENTS} YAML values "
                                         "(a scenario has a few thousand); is this a scenario file?")])


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    if id(node) in memo:
        return memo[id(node)]
    memo[id(node)] = 1  # guards against recursive aliases
    if isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    elif isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(v, memo) for v in node.value)
    else:
        size = 1
    memo[id(node)] = min(size, MAX_NODES + 1)
    return memo[id(node)]


def read_yaml(path: str | Path) -> tuple[Any, yaml.Node | None]:
    """Parse a YAML file safely; returns (data, node tree) or raises ``ScenarioError``."""
    name = str(path)
    p = Path(path)
    if not p.is_file():
        raise ScenarioError([Problem(name, None, "", "no such file" if not p.exists() else "not a file")])
    if p.stat().st_size > MAX_BYTES:
        raise ScenarioError([Problem(name, None, "", f"the file is {p.stat().st_size / 1e6:.1f} MB; a scenario file is at most {MAX_BYTES // 2**20} MiB")])
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError([Problem(name, line, "", f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x}); save it as UTF-8")]) from None
    if text.startswith("\ufeff"):
        text = text[1:]  # a UTF-8 byte order mark (Windows editors write one)
    node = None
    try:
        _check_shape(name, text)
        loader = _StrictLoader(text)
        try:
            node = loader.get_single_node()
            if node is not None and _expanded_size(node, {}) > MAX_NODES:
                raise ScenarioError([Problem(name, None, "", f"the document expands to more than {MAX_NODES} nodes through anchors and aliases")])
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1 if isinstance(exc.position, int) else None
        char = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        raise ScenarioError([Problem(name, line, "", f"not valid YAML: the file contains the control character {char}, "
                                     "which YAML does not allow; remove it (or save the file as plain text)")]) from None
    except yaml.MarkedYAMLError as exc:
        line, _, message = _yaml_error(exc)
        field = _path(_path_at(node, exc.problem_mark)) if node is not None and exc.problem_mark else ""
        raise ScenarioError([Problem(name, line, field, message)]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(name, None, "", f"not valid YAML: {exc}")]) from None
    except RecursionError:
        raise ScenarioError([Problem(name, None, "", "the YAML nests too deeply")]) from None
    except (ValueError, OverflowError) as exc:  # e.g. an impossible date such as 2026-13-45
        line, loc, value = _bad_scalar(node) if node is not None else (None, (), None)
        what = f"{value} is not a date ({exc})" if value is not None else f"a value cannot be read: {exc}"
        raise ScenarioError([Problem(name, line, _path(loc), f"{what}; write dates as YYYY-MM-DD")]) from None
    return data, node


def _yaml_error(exc: yaml.MarkedYAMLError) -> tuple[int | None, str, str]:
    """(line, field, message) for a YAML syntax error: the line where it was found, and where the construct began."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    context, problem = exc.context or "", exc.problem or ""
    if exc.context_mark is not None and context and exc.context_mark.line + 1 != line:
        if "end of stream" in problem and "quoted scalar" in context:
            line = exc.context_mark.line + 1  # an unclosed quote: point at where it opens
            problem += "; close the quote"
        else:
            context += f" (from line {exc.context_mark.line + 1})"
    what = " ".join(s for s in (context, problem) if s)
    if "could not determine a constructor" in what:
        what += " (YAML tags are not allowed in scenario files)"
    elif "maximum nesting depth" in what:
        what += " (the YAML nests too deeply: look for unclosed brackets)"
    elif "expected a single document" in what:
        what += " (a scenario file holds one document: remove the `---` line and what follows, or split the file)"
    elif "found character '\\t'" in what or "tab character" in what:
        what += " (indent with spaces, not tabs)"
    return line, "", f"not valid YAML: {what}"


def _children(node: yaml.Node) -> list[tuple[Any, yaml.Node]]:
    """(path step, child node) pairs of a mapping or sequence node: keys and values of a mapping, items of a list."""
    if isinstance(node, yaml.MappingNode):
        out: list[tuple[Any, yaml.Node]] = []
        for k, v in node.value:
            step = k.value if isinstance(k, yaml.ScalarNode) else None
            out += [(step, k), (step, v)]
        return out
    if isinstance(node, yaml.SequenceNode):
        return list(enumerate(node.value))
    return []


def _walk(root: yaml.Node) -> Any:
    """Every node with its field path, depth first in document order (iterative; aliases visited once)."""
    seen: set[int] = set()
    stack: list[tuple[tuple, yaml.Node]] = [((), root)]
    while stack:
        loc, node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield loc, node
        stack.extend((loc if step is None else (*loc, step), child) for step, child in reversed(_children(node)))


def _path_at(root: yaml.Node, mark: Any) -> tuple:
    """Field path of the node (or, for a key, of its value) that starts at ``mark``."""
    for loc, node in _walk(root):
        if node.start_mark.line == mark.line and node.start_mark.column == mark.column:
            return loc
    return ()


def _bad_scalar(root: yaml.Node) -> tuple[int | None, tuple, str | None]:
    """(line, field path, text) of the first scalar the safe constructor cannot build (impossible dates)."""
    loader = _PyStrictLoader("")
    for loc, node in _walk(root):
        if isinstance(node, yaml.ScalarNode):
            try:
                loader.construct_object(node)
            except (ValueError, OverflowError):
                return node.start_mark.line + 1, loc, node.value
            except yaml.YAMLError:
                continue
    return None, (), None


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


def load_scenario(path: str | Path, backlog: str | Path | None = None) -> Scenario:
    """Load and validate a scenario file.

    Its backlog files (``backlog: [{file: OPEN.csv}]``, relative to the
    scenario file) are read into the scenario (``simsla.backlog_file``);
    ``backlog`` adds one more such file (``simsla run --backlog``, relative
    to the working folder).

    Raises
    ------
    ScenarioError
        with one ``Problem`` per thing wrong (file, line, field, message); a
        backlog file's problems name that file, its line and column.
    """
    name = str(path)
    data, node = read_yaml(path)
    if data is None:
        raise ScenarioError([Problem(name, None, "", "the file is empty; start from scenarios/erlang-c.yaml")])
    if not isinstance(data, dict):
        raise ScenarioError([Problem(name, 1, "", f"a scenario is a mapping of fields (name:, start:, …), found a {type(data).__name__}")])
    traps = _yaml_traps(name, node)
    from simsla import backlog_file

    sources, unreadable = backlog_file.attach(data, Path(path).parent, None if backlog is None else Path(backlog))
    if unreadable:
        raise ScenarioError([Problem(f, line, field, message) if f else Problem(name, _line(node, field), _path(field), message)
                             for f, line, field, message in unreadable])

    def located(loc: tuple) -> tuple[str, int | None, str] | None:
        return backlog_file.locate(loc, data.get("backlog"), sources)

    try:
        scenario = Scenario.model_validate(data)
    except pydantic.ValidationError as exc:
        trapped = {p.field for p in traps}  # the field's own complaint about 8 or 240 would only confuse
        raise ScenarioError(traps + [p for p in _problems(name, exc, node, located) if p.field not in trapped]) from None
    if traps:
        raise ScenarioError(traps)
    return scenario


def _problems(name: str, exc: pydantic.ValidationError, node: yaml.Node | None,
              located: typing.Callable[[tuple], tuple[str, int | None, str] | None] | None = None) -> list[Problem]:
    out: list[Problem] = []
    for err in exc.errors():
        cross = (err.get("ctx") or {}).get("error")
        if isinstance(cross, ScenarioProblems):
            for loc, message in cross.problems:
                where = located(loc) if located is not None else None  # a row of a backlog file
                out.append(Problem(*where, message) if where else Problem(name, _line(node, loc), _path(loc), message))
            continue
        loc = _clean(err["loc"])
        if err["type"] == "invalid_key":  # a number or date used as a field name
            loc = (*loc[:-1], str(loc[-1]))
            err = {**err, "type": "extra_forbidden"}
        got = err.get("input")
        if isinstance(got, bool) and err["loc"][-1:] == ("[key]",):
            loc = (*loc[:-1], got)  # pydantic writes a key true/false as 1/0, like a list index
        if isinstance(got, bool) and err["type"] not in (*_NUMBER_KINDS, "bool_type", "value_error"):  # ours explain
            message = _bool_message(node, loc, got)  # e.g. a service named NO
        else:
            message = _message(err, loc)
        loc = _raw_keys(node, loc)
        line = None if err["type"] == "missing" and len(loc) == 1 else _line(node, loc)  # the file as a whole lacks it
        out.append(Problem(name, line, _path(loc), message))
    # a list whose items failed is also reported as too short: say only what is wrong inside
    fields = [p.field for p in out]
    out = [p for p in out if not (p.message.startswith(("Tuple should have at least", "needs at least"))
                                  and any(f != p.field and f.startswith(p.field) for f in fields))]
    # an inline mapping where a name is also allowed (profile: {…} or a profile's name): the
    # "should be a valid string" of the other branch is noise when the mapping itself has problems
    out = [p for p in out if not (p.message.startswith("Input should be a valid string")
                                  and sum(f == p.field or f.startswith(p.field + ".") for f in fields) > 1)]
    # a misspelt field is also reported as missing: "did you mean" says it all
    meant = {p.field.rsplit(".", 1)[0] + "." + p.message.split("did you mean '")[1].rstrip("'?") if "." in p.field
             else p.message.split("did you mean '")[1].rstrip("'?")
             for p in out if "did you mean '" in p.message}
    out = [p for p in out if not (p.message == "this field is required" and p.field in meant)]
    return list(dict.fromkeys(out))


def _clean(loc: tuple) -> tuple:
    """Drop pydantic's union-branch tags from a location."""
    return tuple(x for x in loc if isinstance(x, int) or not _is_branch_tag(x))


def _is_branch_tag(x: str) -> bool:
    # "[key]": pydantic's step for a mapping key that failed; the key itself is the step before it
    return x in {"Distribution", "HandlingTimes", "Probabilities", "Profile", "float", "str", "int", "plain", "rules", "[key]"} \
        or x.startswith(("function-", "tagged-union", "union[", "tuple[", "list["))


def _path(loc: tuple) -> str:
    text = ""
    for x in loc:
        if isinstance(x, str) and not x.isprintable():
            text += f"[{x!r}]"  # a key with control characters: escaped, so that it cannot act on the terminal
        else:
            text += f"[{x}]" if isinstance(x, int) else (f".{x}" if text else str(x))
    return text


def _message(err: dict, loc: tuple) -> str:
    kind, msg = err["type"], err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if kind == "extra_forbidden":
        known = _fields_at(loc[:-1])
        hint = difflib.get_close_matches(str(loc[-1]), known, n=1)
        text = f"unknown field {loc[-1]!r}"
        if hint:
            return f"{text}; did you mean {hint[0]!r}?"
        return f"{text}; the fields here are {', '.join(known)}" if known else text
    if kind == "missing":
        return "this field is required"
    got = err.get("input")
    if isinstance(got, bool) and kind in ("int_type", "float_type", "int_from_float", "float_parsing", "int_parsing"):
        return (f"expected a number, found {str(got).lower()} (YAML reads yes/no/true/false/on/off as true or false): "
                "write the number")
    if kind in ("tuple_type", "list_type") and isinstance(got, dict):
        return "expected a list (one item per line, each starting with '- '), found a mapping"
    if kind in ("model_type", "model_attributes_type", "dict_type") and not isinstance(got, dict):
        return f"expected a mapping of fields (field: value), found {got!r}"
    if kind == "too_short" and isinstance(got, (list, tuple)):
        need = (err.get("ctx") or {}).get("min_length", 1)
        return f"needs at least {need} item{'s' if need != 1 else ''}, found {len(got) or 'none'}"
    if kind in ("date_from_datetime_parsing", "date_parsing", "date_type", "date_from_datetime_inexact"):
        return f"expected a date written YYYY-MM-DD (e.g. 2026-01-05), found {got!r}"
    if kind in ("int_from_float", "int_type") and isinstance(got, float):
        return f"expected a whole number, found {got!r}"
    if kind not in ("value_error",) and not isinstance(got, (dict, list)):
        return f"{msg} (found {got!r})"
    return msg


def _fields_at(loc: tuple) -> list[str]:
    """Field names of the model at a location, for 'did you mean'."""
    tp: Any = Scenario
    for part in loc:
        tp = _step(tp, part)
        if tp is None:
            return []
    models = _models_in(tp)
    return sorted({f for m in models for f in m.model_fields} | {f.alias for m in models for f in m.model_fields.values() if f.alias})


def _models_in(tp: Any) -> list[type[pydantic.BaseModel]]:
    if isinstance(tp, type) and issubclass(tp, pydantic.BaseModel):
        return [tp]
    return [m for arg in typing.get_args(tp) for m in _models_in(arg)]


def _step(tp: Any, part: Any) -> Any:
    for model in _models_in(tp):
        if isinstance(part, str) and part in model.model_fields:
            return model.model_fields[part].annotation
    origin = typing.get_origin(tp)
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if origin in (list, tuple) and isinstance(part, int):
        return args[0] if args else None
    if origin is dict:
        return args[1] if len(args) > 1 else None
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)) or origin is typing.Annotated:
        for a in args:
            found = _step(a, part)
            if found is not None:
                return found
    return None


def _line(node: yaml.Node | None, loc: tuple) -> int | None:
    """1-based line of the deepest YAML node on the path ``loc``."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in loc:
        nxt = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == str(part):
                    nxt = v
                    line = k.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            nxt = node.value[part]
            line = nxt.start_mark.line + 1
        if nxt is None:
            break
        node = nxt
    return line


def json_schema() -> str:
    """The JSON Schema of a scenario file (for editors and validators)."""
    return json.dumps(Scenario.model_json_schema(mode="validation"), indent=2)
