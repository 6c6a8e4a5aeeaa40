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


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys."""


def _no_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
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
    try:
        node = yaml.compose(text, Loader=_StrictLoader)
        if node is not None and _expanded_size(node, {}) > MAX_NODES:
            raise ScenarioError([Problem(name, None, "", f"the document expands to more than {MAX_NODES} nodes through anchors and aliases")])
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - _StrictLoader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = " ".join(s for s in (exc.context, exc.problem) if s)
        if "could not determine a constructor" in what:
            what += " (YAML tags are not allowed in scenario files)"
        raise ScenarioError([Problem(name, line, "", f"not valid YAML: {what}")]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(name, None, "", f"not valid YAML: {exc}")]) from None
    except RecursionError:
        raise ScenarioError([Problem(name, None, "", "the YAML nests too deeply")]) from None
    except (ValueError, OverflowError) as exc:  # e.g. an impossible date such as 2026-13-45
        line = _bad_scalar_line(node) if node is not None else None
        raise ScenarioError([Problem(name, line, "", f"a value cannot be read: {exc}; write dates as YYYY-MM-DD")]) from None
    return data, node


def _bad_scalar_line(root: yaml.Node) -> int | None:
    """Line of the first scalar that the safe constructor cannot build (impossible dates)."""
    loader = _StrictLoader("")
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            try:
                loader.construct_object(node)
            except (ValueError, OverflowError):
                return node.start_mark.line + 1
            except yaml.YAMLError:
                continue
        elif isinstance(node, yaml.MappingNode):
            stack.extend(v for pair in reversed(node.value) for v in reversed(pair))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
    return None


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario file.

    Raises
    ------
    ScenarioError
        with one ``Problem`` per thing wrong (file, line, field, message).
    """
    name = str(path)
    data, node = read_yaml(path)
    if data is None:
        raise ScenarioError([Problem(name, None, "", "the file is empty; start from scenarios/erlang-c.yaml")])
    if not isinstance(data, dict):
        raise ScenarioError([Problem(name, 1, "", f"a scenario is a mapping of fields (name:, start:, …), found a {type(data).__name__}")])
    try:
        return Scenario.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ScenarioError(_problems(name, exc, node)) from None


def _problems(name: str, exc: pydantic.ValidationError, node: yaml.Node | None) -> list[Problem]:
    out: list[Problem] = []
    for err in exc.errors():
        cross = (err.get("ctx") or {}).get("error")
        if isinstance(cross, ScenarioProblems):
            for loc, message in cross.problems:
                out.append(Problem(name, _line(node, loc), _path(loc), message))
            continue
        loc = _clean(err["loc"])
        out.append(Problem(name, _line(node, loc), _path(loc), _message(err, loc)))
    # a list whose items failed is also reported as too short: say only what is wrong inside
    fields = [p.field for p in out]
    out = [p for p in out if not (p.message.startswith("Tuple should have at least")
                                  and any(f != p.field and f.startswith(p.field) for f in fields))]
    return list(dict.fromkeys(out))


def _clean(loc: tuple) -> tuple:
    """Drop pydantic's union-branch tags from a location."""
    return tuple(x for x in loc if isinstance(x, int) or not _is_branch_tag(x))


def _is_branch_tag(x: str) -> bool:
    return x in {"Distribution", "HandlingTimes", "Probabilities", "Profile", "float", "str", "int", "plain", "rules"} or x.startswith(("function-", "tagged-union", "union["))


def _path(loc: tuple) -> str:
    text = ""
    for x in loc:
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
