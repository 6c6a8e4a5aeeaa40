"""Scenario files: YAML in, a validated ``Scenario`` out, or errors a person can act on.

Every problem is reported with the file, the line (where the YAML has one),
the field path, what was expected and what was found.  The loader only uses
``yaml.SafeLoader`` (no tags that construct objects), refuses duplicate keys
(a silent "last one wins" hides typos) and refuses documents whose aliases
expand beyond a bound (the "billion laughs").

The parts live beside this module, which re-exports their public names:

* ``simsla.io_problems``: ``Problem`` (``file:line: field: message``),
  ``ScenarioError`` and the field path text;
* ``simsla.io_yaml``: the strict YAML reader ``read_yaml``, its bounds
  (``MAX_BYTES``, ``MAX_NODES``, ``MAX_EVENTS``, ``MAX_DEPTH``) and the
  lines of field paths in the node tree;
* ``simsla.io_traps``: YAML 1.1 traps (base-60 and octal numbers, booleans);
* ``simsla.io_validation``: pydantic's validation errors as problems;
* here: ``load_scenario`` and ``json_schema``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pydantic

from simsla.io_problems import Problem, ScenarioError, _path
from simsla.io_traps import _yaml_traps
from simsla.io_validation import _problems
from simsla.io_yaml import MAX_BYTES, MAX_DEPTH, MAX_EVENTS, MAX_NODES, _line, read_yaml
from simsla.model import Scenario

__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_EVENTS", "MAX_NODES", "Problem", "ScenarioError", "json_schema",
           "load_scenario", "read_yaml"]


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


def json_schema() -> str:
    """The JSON Schema of a scenario file (for editors and validators)."""
    return json.dumps(Scenario.model_json_schema(mode="validation"), indent=2)
