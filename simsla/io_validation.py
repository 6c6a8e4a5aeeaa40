"""pydantic's validation errors of a scenario, as ``Problem``s a person can act on.

``_problems`` turns a ``pydantic.ValidationError`` into one ``Problem`` per
thing wrong (the line from the YAML node tree, the field path without
pydantic's union-branch tags, "did you mean" for a misspelt field) and drops
the echoes of the same mistake.  Part of ``simsla.io``.
"""

from __future__ import annotations

import difflib
import typing
from typing import Any

import pydantic
import yaml

from simsla.io_problems import Problem, _path
from simsla.io_traps import _NUMBER_KINDS, _bool_message, _raw_keys
from simsla.io_yaml import _line
from simsla.model import Scenario
from simsla.model.scenario import ScenarioProblems


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
