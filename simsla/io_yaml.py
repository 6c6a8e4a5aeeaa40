"""The strict YAML reader of scenario files: ``read_yaml`` and the node tree it keeps.

Only ``yaml.SafeLoader`` (libyaml's when available) is used, duplicate keys
are refused, and documents are bounded before they are built: ``MAX_BYTES``,
``MAX_EVENTS`` values, ``MAX_DEPTH`` levels of nesting and ``MAX_NODES``
nodes after alias expansion (the "billion laughs").  YAML errors become a
``Problem`` with the line; ``_path_at`` and ``_line`` translate between a
node's position and a field path.  Part of ``simsla.io``, which re-exports
the public names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from simsla.io_problems import Problem, ScenarioError, _path

#: largest scenario file read (a scenario is a few kB; this is far beyond any real one)
MAX_BYTES = 5 * 1024 * 1024
#: most YAML nodes a document may expand to through aliases
MAX_NODES = 200_000
#: most YAML values (scalars, lists, mappings) written in a file; the example desk has ~1 600
MAX_EVENTS = 100_000
#: deepest nesting of lists and mappings (a scenario needs fewer than ten levels)
MAX_DEPTH = 64


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
