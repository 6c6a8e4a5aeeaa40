"""simsla.io: YAML in, a validated Scenario out, or problems with file, line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import simsla
from simsla.io import MAX_BYTES, Problem, ScenarioError, json_schema, load_scenario

ERLANG_C = Path(__file__).resolve().parent.parent / "scenarios" / "erlang-c.yaml"
BASE = ERLANG_C.read_text(encoding="utf-8")


def write(tmp_path: Path, text: str | bytes, name: str = "s.yaml") -> Path:
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return p


def problems(path: Path | str) -> list[Problem]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    found = info.value.problems
    assert found, "a ScenarioError without problems"
    assert str(info.value) == "\n".join(str(p) for p in found)
    return found


def line_of(text: str, fragment: str) -> int:
    """1-based number of the first line of ``text`` containing ``fragment``."""
    for i, line in enumerate(text.splitlines(), start=1):
        if fragment in line:
            return i
    raise AssertionError(f"{fragment!r} not in text")


def test_the_example_loads():
    s = load_scenario(ERLANG_C)
    assert isinstance(s, simsla.Scenario)
    assert s.horizon == 28 * 86400.0 and s.warmup == 86400.0
    assert s.desk.staff == 14
    assert load_scenario(str(ERLANG_C)) == s


def test_problem_str():
    assert str(Problem("f.yaml", 3, "groups[0].staff", "bad")) == "f.yaml:3: groups[0].staff: bad"
    assert str(Problem("f.yaml", None, "", "no such file")) == "f.yaml: no such file"
    assert str(Problem("f.yaml", 2, "", "bad")) == "f.yaml:2: bad"


# ------------------------------------------------------------ file problems


def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    [p] = problems(path)
    assert (p.file, p.line, p.field, p.message) == (str(path), None, "", "no such file")


def test_a_folder_is_not_a_file(tmp_path):
    [p] = problems(tmp_path)
    assert p.message == "not a file"


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n", "\n\n"])
def test_empty_file(tmp_path, text):
    [p] = problems(write(tmp_path, text))
    assert "the file is empty" in p.message
    assert p.field == ""


@pytest.mark.parametrize("text, kind", [("- a\n- b\n", "list"), ("just text\n", "str"), ("42\n", "int")])
def test_not_a_mapping(tmp_path, text, kind):
    [p] = problems(write(tmp_path, text))
    assert p.line == 1
    assert f"a scenario is a mapping of fields" in p.message and f"found a {kind}" in p.message


def test_malformed_yaml(tmp_path):
    path = write(tmp_path, "name: [unclosed\nstart: 2026-01-05\n")
    [p] = problems(path)
    assert p.file == str(path)
    assert p.line == 2
    assert p.message.startswith("not valid YAML:")


def test_tab_indentation(tmp_path):
    [p] = problems(write(tmp_path, "name: x\n\tstart: 1\n"))
    assert p.line == 2 and "not valid YAML" in p.message


def test_duplicate_keys(tmp_path):
    text = BASE.replace("timezone: UTC", "timezone: UTC\ntimezone: Europe/Stockholm")
    [p] = problems(write(tmp_path, text))
    first = line_of(text, "timezone: UTC")
    assert p.line == first + 1
    assert "'timezone' appears twice" in p.message
    assert f"first on line {first}" in p.message


def test_duplicate_keys_nested(tmp_path):
    text = BASE.replace("    staff: 14 ", "    staff: 14\n    staff: 15 ")
    [p] = problems(write(tmp_path, text))
    assert p.line == line_of(text, "staff: 15")
    assert "'staff' appears twice" in p.message


def test_non_scalar_key(tmp_path):
    [p] = problems(write(tmp_path, "? [a, b]\n: c\n"))
    assert "a mapping key must be a plain value" in p.message


@pytest.mark.parametrize(
    "text",
    [
        "!!python/object:os.system {}\n",
        "name: !!python/object/apply:os.system ['echo pwned']\n",
        "name: !!python/name:os.system ''\n",
    ],
)
def test_python_tags_are_refused(tmp_path, text):
    [p] = problems(write(tmp_path, text))
    assert p.line == 1
    assert "YAML tags are not allowed" in p.message


def test_python_tag_inside_a_valid_scenario(tmp_path):
    text = BASE.replace("horizon: 28d", "horizon: !!python/object/apply:os.getcwd []")
    [p] = problems(write(tmp_path, text))
    assert p.line == line_of(text, "horizon:")
    assert "YAML tags are not allowed" in p.message


def test_not_utf8(tmp_path):
    raw = BASE.encode("utf-8").replace(b"name: Erlang C", b"name: Caf\xe9 Erlang C")
    [p] = problems(write(tmp_path, raw))
    assert p.line == line_of(BASE, "name: Erlang C")
    assert "not UTF-8" in p.message and "0xe9" in p.message


def test_too_large_file(tmp_path):
    path = tmp_path / "big.yaml"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(BASE)
        fh.write(("#" + "x" * 1023 + "\n") * (MAX_BYTES // 1024 + 8))
    assert path.stat().st_size > 5 * 1024 * 1024
    [p] = problems(path)
    assert p.line is None
    assert "MB" in p.message and "at most 5 MiB" in p.message


def test_billion_laughs(tmp_path):
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 9):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 10) + "]")
    [p] = problems(write(tmp_path, "\n".join(lines) + "\n"))
    assert "expands to more than" in p.message


def test_harmless_aliases_are_allowed(tmp_path):
    text = BASE.replace("handling: {dist: exponential, mean: 3m}", "handling: &talk {dist: exponential, mean: 3m}")
    assert load_scenario(write(tmp_path, text)).desk.handling.expected == 180.0


def test_too_deep_nesting(tmp_path):
    [p] = problems(write(tmp_path, "name: " + "[" * 1500 + "]" * 1500 + "\n"))
    assert "nests too deeply" in p.message


# ------------------------------------------------------ validation problems


def test_misspelt_field_did_you_mean(tmp_path):
    text = BASE.replace("    staff: 14 ", "    staf: 14 ")
    found = problems(write(tmp_path, text))
    p = next(p for p in found if p.field == "groups[0].staf")
    assert p.line == line_of(text, "staf: 14")
    assert p.message == "unknown field 'staf'; did you mean 'staff'?"


def test_misspelt_top_level_field(tmp_path):
    text = BASE.replace("horizon: 28d", "horizn: 28d")
    found = problems(write(tmp_path, text))
    by_field = {p.field: p for p in found}
    assert by_field["horizn"].message == "unknown field 'horizn'; did you mean 'horizon'?"
    assert by_field["horizn"].line == line_of(text, "horizn:")
    # the field the misspelling stands for is not reported again as missing: "did you mean" says it
    assert "horizon" not in by_field


def test_unknown_field_without_a_near_miss_lists_the_fields(tmp_path):
    text = BASE.replace("horizon: 28d", "horizon: 28d\nzzzzzz: 1")
    found = problems(write(tmp_path, text))
    p = next(p for p in found if p.field == "zzzzzz")
    assert "the fields here are" in p.message and "horizon" in p.message


def test_wrong_unit_with_line(tmp_path):
    text = BASE.replace("mean: 3m}", "mean: 3 minutes}")
    [p] = problems(write(tmp_path, text))
    assert p.field == "groups[0].handling.mean"
    assert p.line == line_of(text, "3 minutes")
    assert "expected a duration such as" in p.message and "'3 minutes'" in p.message
    assert str(p).startswith(f"{p.file}:{p.line}: groups[0].handling.mean: ")


def test_wrong_rate_unit_with_line(tmp_path):
    text = BASE.replace("volume: 200/h ", "volume: 200 per hour ")
    [p] = problems(write(tmp_path, text))
    assert p.field == "demand[0].volume"
    assert p.line == line_of(text, "200 per hour")
    assert "a rate such as" in p.message


def test_wrong_distribution_parameters(tmp_path):
    text = BASE.replace("handling: {dist: exponential, mean: 3m}", "handling: {dist: lognormal, mean: 3m}")
    [p] = problems(write(tmp_path, text))
    assert p.field == "groups[0].handling"
    assert p.line == line_of(text, "handling:")
    assert "{cv, mean} or {mean, sd} or {mu, sigma}" in p.message


def test_cross_reference_problem_with_its_line(tmp_path):
    text = BASE.replace("    volume: 200/h ", "    profile: office\n    volume: 200/h ")
    [p] = problems(write(tmp_path, text))
    assert p.field == "demand[0].profile"
    assert p.line == line_of(text, "profile: office")
    assert "unknown profile 'office'" in p.message


def test_cross_reference_unknown_destination_with_its_line(tmp_path):
    text = BASE.replace("first_contact_resolution: 1.0", "first_contact_resolution: 0.5") + (
        "\nrouting:\n  - from: desk\n    to: {second-line: 1.0}\n"
    )
    [p] = problems(write(tmp_path, text))
    assert p.field == "routing[0].to.second-line"
    assert p.line == line_of(text, "to: {second-line")
    assert "unknown destination 'second-line'" in p.message


def test_several_problems_are_reported_together(tmp_path):
    text = BASE.replace("horizon: 28d", "horizon: 28 days").replace("    staff: 14 ", "    staf: 14 ")
    fields = {p.field for p in problems(write(tmp_path, text))}
    assert {"horizon", "groups[0].staf"} <= fields


def test_wrong_type(tmp_path):
    text = BASE.replace("    staff: 14 ", "    staff: many ")
    found = problems(write(tmp_path, text))
    p = next(p for p in found if p.field == "groups[0].staff")
    assert p.line == line_of(text, "staff: many")
    assert "'many'" in p.message


def test_impossible_date_is_a_problem_with_its_line(tmp_path):
    text = BASE.replace("start: 2026-01-05", "start: 2026-13-45")
    [p] = problems(write(tmp_path, text))
    assert p.line == line_of(text, "start:")


# ------------------------------------------------------------------ schema


def test_json_schema():
    schema = json.loads(json_schema())
    assert schema["type"] == "object"
    props = schema["properties"]
    for field in ("name", "start", "horizon", "services", "demand", "groups", "routing", "suppliers"):
        assert field in props
    assert set(schema["required"]) >= {"name", "start", "horizon", "services", "demand", "groups"}


# ------------------------------------------------- YAML 1.1 traps (issue 10)


@pytest.mark.parametrize(
    "old, new, field, message",
    [
        ("threshold: 20s", "threshold: 4:00", "agreements[0].targets[0].threshold",
         '4:00 is read by YAML as the number 240 (base 60: 4:00 = 240); write a duration with its unit, e.g. "4m" or "4h"'),
        ("threshold: 20s", "threshold: 1:30", "agreements[0].targets[0].threshold", 'e.g. "1m30s" or "1h30m"'),
        ("horizon: 28d", "horizon: 1:30:00", "horizon", "the number 5400 (base 60"),
        ("mean: 3m", "mean: 3:00.5", "groups[0].handling.mean", "the number 180.5 (base 60"),
        ("staff: 14", "staff: 010", "groups[0].staff", "010 is read as the octal number 8 by YAML (a leading zero means base 8); write 10"),
        ("staff: 14", "staff: -010", "groups[0].staff", "write -10"),
        ("- name: helpdesk", "- name: 0755", "services[0].name", 'write 755, or quote it ("0755") if you mean text'),
        ("- name: helpdesk", "- name: 4:00", "services[0].name", 'quote it ("4:00") if you mean text'),
    ],
)
def test_base_60_and_octal_numbers_are_refused_with_the_fix(tmp_path, old, new, field, message):
    text = BASE.replace(old, new, 1)
    assert text != BASE
    found = problems(write(tmp_path, text))
    assert [(p.line, p.field) for p in found if message in p.message] == [(line_of(text, new), field)], found
    assert not any("found 8" in p.message or "found 240" in p.message for p in found), found


@pytest.mark.parametrize("value", ['"4:00"', "'010'", "08:00", "10", "0", "0.5", "1_000", "0x10"])
def test_quoted_decimal_and_clock_like_text_is_not_a_trap(tmp_path, value):
    # quoted text is text; 08:00 is not base 60 in YAML 1.1 (a leading zero), 0 and 0x10 are what they say
    text = BASE.replace("name: Erlang C — one phone queue", f"name: Erlang C\ndescription: {value}", 1)
    try:
        load_scenario(write(tmp_path, text))
    except ScenarioError as exc:
        assert not any("base 60" in p.message or "octal" in p.message for p in exc.problems), exc


@pytest.mark.parametrize(
    "old, new, field, word",
    [
        ("- name: helpdesk", "- name: NO", "services[0].name", "NO"),
        ("- name: calls", "- name: yes", "demand[0].name", "yes"),
        ("- name: desk", "- name: off", "groups[0].name", "off"),
        ("name: Erlang C — one phone queue", "name: On", "name", "On"),
        ("- {name: calls in 20 s,", "- {name: TRUE,", "agreements[0].targets[0].name", "TRUE"),
    ],
)
def test_a_name_read_as_a_boolean_gets_the_quote_it_hint(tmp_path, old, new, field, word):
    text = BASE.replace(old, new, 1)
    assert text != BASE
    found = problems(write(tmp_path, text))
    truth = "true" if word.lower() in ("yes", "on", "true") else "false"
    want = f'`{word}` is read as the boolean {truth} by YAML; quote it: "{word}"'
    assert any(p.field == field and p.message == want and p.line == line_of(text, new) for p in found), found


def test_a_mapping_key_read_as_a_boolean_is_named_as_written(tmp_path):
    text = BASE.replace("  - name: helpdesk", '  - name: helpdesk\n  - name: "no"', 1).replace(
        "    type: incident", "    type: incident\n    services: {helpdesk: 1, no: 2}", 1)
    found = problems(write(tmp_path, text))
    want = '`no` is read as the boolean false by YAML; quote it: "no"'
    assert [(p.line, p.field, p.message) for p in found] == [(line_of(text, "services: {"), "demand[0].services.no", want)]


def test_booleans_stay_booleans_where_a_field_is_on_off(tmp_path):
    text = BASE.replace("discipline: fifo", "discipline: fifo\n    preemptive: no\n    phone_first: yes", 1)
    assert load_scenario(write(tmp_path, text)).desk.phone_first is True


def test_a_control_character_in_a_key_is_escaped_in_the_field_path(tmp_path):
    text = BASE.replace("  - name: helpdesk", '  - name: helpdesk\n  - name: "he\\e[2Jlp"', 1)
    found = problems(write(tmp_path, text))
    assert [p.field for p in found] == ["services[1].name"]
    assert "\x1b" not in str(found[0]) and "'he\\x1b[2Jlp' contains ESC" in found[0].message
    text = BASE.replace("    type: incident", '    type: incident\n    services: {"help\\e[2Jdesk": 1}', 1)
    found = problems(write(tmp_path, text))
    assert all("\x1b" not in str(p) for p in found), found
    assert any(p.field == "demand[0].services['help\\x1b[2Jdesk']" for p in found), found
