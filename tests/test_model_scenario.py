"""simsla.model: calendars, the priority matrix, and the Scenario's cross-reference checks."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from pydantic import ValidationError

import simsla
from simsla.model import ALWAYS, Calendar, PriorityMatrix, Shift
from simsla.model.calendar import DAYS_HINT, HOURS_HINT, parse_clock, parse_days, parse_hours
from simsla.model.demand import Profile
from simsla.model.scenario import ScenarioProblems

H = 3600.0

# ----------------------------------------------------------------- calendar


@pytest.mark.parametrize(
    "text, days",
    [
        ("mon", (0,)),
        ("sun", (6,)),
        ("mon-fri", (0, 1, 2, 3, 4)),
        ("Mon - Wed", (0, 1, 2)),
        ("sat,sun", (5, 6)),
        ("mon,wed,fri", (0, 2, 4)),
        ("fri-mon", (0, 4, 5, 6)),  # wraps over the weekend
        ("sun-sun", (6,)),
        ("mon,mon", (0,)),
        ("mon-wed,tue-thu", (0, 1, 2, 3)),
        ("all", tuple(range(7))),
        ("daily", tuple(range(7))),
        ("weekdays", (0, 1, 2, 3, 4)),
        ("weekend", (5, 6)),
        ("weekend,mon", (0, 5, 6)),
    ],
)
def test_parse_days(text, days):
    assert parse_days(text) == days


@pytest.mark.parametrize("text", ["", "xyz", "monday", "mon-xyz", "mon-tue-wed", "mon,,tue", 5, None, ["mon"]])
def test_parse_days_rejects(text):
    with pytest.raises(ValueError) as info:
        parse_days(text)
    assert DAYS_HINT in str(info.value)
    assert repr(text) in str(info.value)


@pytest.mark.parametrize(
    "text, seconds",
    [("00:00", 0.0), ("8:30", 8.5 * H), ("08:30", 8.5 * H), ("23:59", 23 * H + 59 * 60), ("24:00", 24 * H)],
)
def test_parse_clock(text, seconds):
    assert parse_clock(text) == seconds


@pytest.mark.parametrize("text, message", [("8", "like 08:30"), ("08:60", "not a time of day"),
                                           ("25:00", "not a time of day"), ("24:01", "not a time of day"),
                                           ("8h", "like 08:30")])
def test_parse_clock_rejects(text, message):
    with pytest.raises(ValueError, match=message):
        parse_clock(text)


@pytest.mark.parametrize(
    "text, windows",
    [
        ("08:00-17:00", ((8 * H, 17 * H),)),
        ("08:00-12:00, 13:00-17:00", ((8 * H, 12 * H), (13 * H, 17 * H))),
        ("13:00-17:00,08:00-12:00", ((8 * H, 12 * H), (13 * H, 17 * H))),  # sorted
        (["08:00-12:00", "13:00-17:00"], ((8 * H, 12 * H), (13 * H, 17 * H))),
        ("08:00-12:00,12:00-17:00", ((8 * H, 12 * H), (12 * H, 17 * H))),  # touching is fine
        ("24h", ((0.0, 24 * H),)),
        ("24H", ((0.0, 24 * H),)),
        ("00:00-24:00", ((0.0, 24 * H),)),
        ("20:00-24:00", ((20 * H, 24 * H),)),
        # overnight: the end runs past midnight
        ("22:00-06:00", ((22 * H, 30 * H),)),
        ("17:00-08:00", ((17 * H, 32 * H),)),
        ("06:00-10:00, 22:00-02:00", ((6 * H, 10 * H), (22 * H, 26 * H))),
    ],
)
def test_parse_hours(text, windows):
    assert parse_hours(text) == windows


@pytest.mark.parametrize(
    "text, message",
    [
        ("08:00-12:00,11:00-13:00", "overlap"),
        ("08:00-17:00, 09:00-10:00", "overlap"),  # one inside another
        ("22:00-02:00, 23:00-01:00", "overlap"),  # two overnight windows
        ("20:00-06:00, 23:00-24:00", "overlap"),  # overnight window covers a later one
        ("24h, 08:00-09:00", "overlap"),
        ("08:00-08:00", "empty"),
        ("8-17", "like 08:30"),
        ("08:00", HOURS_HINT),
        ("08:00-12:00-13:00", HOURS_HINT),
        ("25:00-26:00", "not a time of day"),
        (5, HOURS_HINT),
        (None, HOURS_HINT),
    ],
)
def test_parse_hours_rejects(text, message):
    with pytest.raises(ValueError) as info:
        parse_hours(text)
    assert message in str(info.value)


def test_calendar_weekly_and_always():
    cal = Calendar(hours={"mon-fri": "08:00-17:00", "sat": "09:00-12:00, 13:00-15:00"})
    week = cal.weekly()
    assert week[0] == week[4] == ((8 * H, 17 * H),)
    assert week[5] == ((9 * H, 12 * H), (13 * H, 15 * H))
    assert week[6] == ()
    assert not cal.is_always_open
    assert ALWAYS.is_always_open
    assert not Calendar(hours={"all": "24h"}, holidays=[dt.date(2026, 1, 1)]).is_always_open
    assert not Calendar(hours={"all": "24h"}, holiday_country="SE").is_always_open


def test_calendar_overnight_window():
    cal = Calendar(hours={"all": "22:00-06:00"})
    assert cal.weekly()[3] == ((22 * H, 30 * H),)


@pytest.mark.parametrize(
    "hours, message",
    [
        ({"mon-fri": "08:00-17:00", "fri": "09:00-12:00"}, "fri is given twice"),
        ({"weekdays": "08:00-17:00", "mon": "09:00-12:00"}, "mon is given twice"),
        ({"mon-fri": "08:00-12:00, 11:00-13:00"}, "overlap"),
        ({"mon-fri": "8 to 5"}, "expected opening hours such as"),
        ({"someday": "08:00-17:00"}, DAYS_HINT),
        ({}, "no open hours at all"),
    ],
)
def test_calendar_rejects(hours, message):
    with pytest.raises(ValidationError) as info:
        Calendar(hours=hours)
    assert message in str(info.value)


def test_shift_validates_days_and_hours():
    s = Shift(days="mon-fri", hours="22:00-06:00", staff=2)
    assert s.label == "mon-fri 22:00-06:00"
    assert Shift(name="night", days="all", hours="24h", staff=1).label == "night"
    with pytest.raises(ValidationError, match="days such as"):
        Shift(days="mo-fr", hours="08:00-17:00", staff=1)
    with pytest.raises(ValidationError, match="opening hours such as"):
        Shift(days="mon", hours="morning", staff=1)
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        Shift(days="mon", hours="08:00-17:00", staff=-1)


# ---------------------------------------------------------- priority matrix


def test_default_priority_matrix():
    pm = PriorityMatrix()
    assert pm.priorities == ("P1", "P2", "P3", "P4", "P5")
    assert pm.priority("high", "high") == "P1"
    assert pm.priority("high", "low") == "P3"
    assert pm.priority("medium", "high") == "P2"
    assert pm.priority("medium", "medium") == "P3"
    assert pm.priority("low", "low") == "P5"


def test_custom_priority_matrix():
    pm = PriorityMatrix(
        impacts=("major", "minor"), urgencies=("now", "later"), priorities=("crit", "normal"),
        matrix={"major": ("crit", "crit"), "minor": ("crit", "normal")},
    )
    assert pm.priority("major", "later") == "crit"
    assert pm.priority("minor", "later") == "normal"
    assert pm.priority("minor", "now") == "crit"


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"impacts": ("a", "a")}, "impacts must be a non-empty list of distinct labels"),
        ({"urgencies": ()}, "urgencies must be a non-empty list of distinct labels"),
        ({"priorities": ("P1", "P1")}, "priorities must be a non-empty list of distinct labels"),
        ({"matrix": {"high": ("P1", "P2", "P3")}}, "matrix needs exactly one row per impact"),
        ({"matrix": {"high": ("P1", "P2"), "medium": ("P2", "P3", "P4"), "low": ("P3", "P4", "P5")}},
         "matrix row 'high' needs 3 priorities"),
        ({"matrix": {"high": ("P0", "P2", "P3"), "medium": ("P2", "P3", "P4"), "low": ("P3", "P4", "P5")}},
         "matrix row 'high' names 'P0', which is not in priorities"),
        ({"matrix": {"high": ("P1", "P2", "P3"), "medium": ("P2", "P3", "P4"), "low": ("P3", "P4", "P5"),
                     "none": ("P5", "P5", "P5")}}, "matrix needs exactly one row per impact"),
    ],
)
def test_invalid_priority_matrix(kw, message):
    with pytest.raises(ValidationError) as info:
        PriorityMatrix(**kw)
    assert message in str(info.value)


# ------------------------------------------------------------------ profiles


def test_profile_forms():
    assert Profile(hour_of_week=[1.0] * 168).hour_of_week is not None
    assert Profile(days={"mon-fri": 1, "sat": 0.2}, hours=[1.0] * 24).days is not None
    assert Profile(intervals=[{"days": "mon-fri", "hours": "08:00-17:00", "weight": 1}]).intervals is not None
    with pytest.raises(ValidationError, match="exactly one"):
        Profile()
    with pytest.raises(ValidationError, match="exactly one"):
        Profile(hour_of_week=[1.0] * 168, hours=[1.0] * 24)
    with pytest.raises(ValidationError, match="168 weights"):
        Profile(hour_of_week=[1.0] * 24)
    with pytest.raises(ValidationError, match="24 weights"):
        Profile(hours=[1.0] * 23)
    with pytest.raises(ValidationError, match="must not be negative"):
        Profile(hours=[-1.0] + [1.0] * 23)


# ------------------------------------------------------------------ scenario

BASE = {
    "name": "unit",
    "start": "2026-01-05",
    "timezone": "UTC",
    "horizon": "1d",
    "services": [{"name": "mail"}, {"name": "erp"}],
    "demand": [{"name": "calls", "channel": "phone", "volume": "20/h"}],
    "groups": [
        {"name": "desk", "role": "desk", "staff": 2, "handling": {"dist": "exponential", "mean": "3m"},
         "first_contact_resolution": 0.5},
        {"name": "l2", "staff": 1, "handling": {"dist": "exponential", "mean": "10m"}},
    ],
    "suppliers": [{"name": "vendor", "response": {"dist": "deterministic", "value": "1h"},
                   "resolution": {"dist": "exponential", "mean": "2h"}}],
    "routing": [
        {"from": "desk", "to": {"l2": 1.0}},
        {"from": "l2", "to": {"resolved": 0.8, "vendor": 0.2}},
    ],
}


def build(change=None) -> simsla.Scenario:
    data = copy.deepcopy(BASE)
    if change is not None:
        change(data)
    return simsla.Scenario.model_validate(data)


def problems_of(change) -> list[tuple[tuple, str]]:
    """The cross-reference problems (field path, message) that ``change`` causes."""
    with pytest.raises(ValidationError) as info:
        build(change)
    found = []
    for err in info.value.errors():
        cross = (err.get("ctx") or {}).get("error")
        if isinstance(cross, ScenarioProblems):
            found.extend(cross.problems)
        else:
            found.append((tuple(err["loc"]), err["msg"]))
    return found


def test_base_scenario_is_valid():
    s = build()
    assert s.desk.name == "desk"
    assert s.parties == ("desk", "l2", "vendor")
    assert s.end == 86400.0
    assert s.origin == dt.datetime(2026, 1, 5, tzinfo=s.origin.tzinfo)
    assert s.levels("service") == ("mail", "erp")
    assert s.levels("customer") == ("-",)
    assert s.calendar(None).is_always_open and s.calendar("24/7").is_always_open


def _set(path, value):
    def change(d):
        node = d
        for p in path[:-1]:
            node = node[p]
        node[path[-1]] = value
    return change


@pytest.mark.parametrize(
    "change, field, message",
    [
        (_set(("demand", 0, "profile"), "office"), ("demand", 0, "profile"), "unknown profile 'office'"),
        (_set(("routing", 0, "to"), {"l3": 1.0}), ("routing", 0, "to", "l3"), "unknown destination 'l3'"),
        (lambda d: d["routing"].append({"from": "l9", "to": {"resolved": 1.0}}), ("routing", 2, "from"),
         "unknown party 'l9'"),
        (_set(("routing", 0, "to"), {"l2": 0.5, "resolved": 0.5}), ("routing", 0, "to"),
         "the desk resolves through first_contact_resolution"),
        (_set(("routing", 0, "to"), {"l2": 0.5, "desk": 0.5}), ("routing", 0, "to"), "the desk cannot escalate to itself"),
        (_set(("routing", 0, "when"), {"channel": "phone"}), ("routing",), "no catch-all rule from it"),
        (_set(("groups", 1, "staff"), 0), ("groups", 1), "group 'l2' receives tickets but is never staffed"),
        (_set(("groups", 1, "name"), "desk"), ("groups",), "the name 'desk' is used twice"),
        (_set(("suppliers", 0, "name"), "l2"), ("groups",), "the name 'l2' is used twice"),
        (lambda d: d["services"].append({"name": "mail"}), ("services",), "the name 'mail' is used twice"),
        (lambda d: d["demand"].append({"name": "calls", "channel": "email", "volume": "1/h"}), ("demand",),
         "the name 'calls' is used twice"),
        (_set(("groups", 1, "role"), "desk"), ("groups",), "exactly one group needs role: desk"),
        (_set(("groups", 1, "name"), "resolved"), ("groups",), "'resolved' is reserved for routing"),
        (_set(("demand", 0, "services"), {"web": 1}), ("demand", 0, "services", "web"), "'web' is unknown"),
        (_set(("demand", 0, "impact"), {"huge": 1}), ("demand", 0, "impact", "huge"), "'huge' is unknown"),
        (_set(("groups", 1, "closed_on_holidays"), "office"), ("groups", 1, "closed_on_holidays"),
         "unknown calendar 'office'"),
        (_set(("suppliers", 0, "calendar"), "office"), ("suppliers", 0, "calendar"), "unknown calendar 'office'"),
        (lambda d: d["routing"].insert(1, {"from": "l2", "when": {"priority": "P9"}, "to": {"resolved": 1.0}}),
         ("routing", 1, "when", "priority"), "priority 'P9' is unknown"),
        (lambda d: d["services"][0].update(customers=["acme"]), ("services", 0, "customers"), "customer 'acme'"),
    ],
)
def test_cross_reference_problems_name_the_field(change, field, message):
    found = problems_of(change)
    assert any(loc == field and message in msg for loc, msg in found), found


def test_routing_loop_with_no_way_out():
    def loop(d):
        d["groups"].append({"name": "l3", "staff": 1, "handling": {"dist": "exponential", "mean": "10m"}})
        d["routing"][1] = {"from": "l2", "to": {"l3": 1.0}}
        d["routing"].append({"from": "l3", "to": {"l2": 1.0}})

    found = problems_of(loop)
    messages = [msg for loc, msg in found if loc == ("routing",)]
    assert any("'l2' can never be resolved" in m for m in messages), found
    assert any("'l3' can never be resolved" in m for m in messages), found


def test_loop_with_a_way_out_is_fine():
    def loop(d):
        d["groups"].append({"name": "l3", "staff": 1, "handling": {"dist": "exponential", "mean": "10m"}})
        d["routing"][1] = {"from": "l2", "to": {"l3": 1.0}}
        d["routing"].append({"from": "l3", "to": {"l2": 0.9, "resolved": 0.1}})

    assert build(loop).parties == ("desk", "l2", "l3", "vendor")


def test_conditional_route_leaves_a_way_out():
    # l2 sends only P1 on; everything else it resolves itself: no loop
    def change(d):
        d["routing"][1] = {"from": "l2", "when": {"priority": "P1"}, "to": {"vendor": 1.0}}
        d["routing"].append({"from": "vendor", "to": {"l2": 1.0}})

    build(change)


def test_unreachable_unstaffed_group_is_fine():
    def change(d):
        d["groups"].append({"name": "spare", "staff": 0, "handling": {"dist": "exponential", "mean": "10m"}})

    build(change)


def test_never_staffed_shifts():
    def change(d):
        g = d["groups"][1]
        del g["staff"]
        g["shifts"] = [{"days": "mon-fri", "hours": "08:00-17:00", "staff": 0}]

    found = problems_of(change)
    assert (("groups", 1), "group 'l2' receives tickets but is never staffed (staff 0 in every shift)") in found


def test_full_first_contact_resolution_needs_no_route():
    def change(d):
        d["groups"][0]["first_contact_resolution"] = 1.0
        d["routing"] = []

    assert build(change).routing == ()


def test_unknown_time_zone():
    found = problems_of(_set(("timezone",), "Mars/Olympus"))
    assert any(loc == ("timezone",) and "unknown time zone 'Mars/Olympus'" in msg for loc, msg in found), found


def test_known_time_zone_sets_the_origin():
    s = build(_set(("timezone",), "Europe/Stockholm"))
    assert s.origin.utcoffset() == dt.timedelta(hours=1)


@pytest.mark.parametrize(
    "change, field, message",
    [
        (_set(("horizon",), 0), ("horizon",), "the horizon must be positive"),
        (_set(("horizon",), "21w"), None, None),
        (_set(("horizon",), "1100w"), ("horizon",), "longer than 20 years"),
        (_set(("groups", 1, "first_contact_resolution"), 0.5), ("groups", 1), "applies to the desk only"),
        (_set(("groups", 1, "shifts"), [{"days": "all", "hours": "24h", "staff": 1}]), ("groups", 1),
         "give either `staff`"),
        (_set(("routing", 0, "to"), {"l2": 0.7}), ("routing", 0), "must sum to 1"),
        (_set(("demand", 0, "patience"), {"dist": "exponential", "mean": "1m"}), None, None),
        (lambda d: d["demand"][0].update(channel="email", patience={"dist": "exponential", "mean": "1m"}),
         ("demand", 0), "patience applies to phone calls only"),
        (_set(("demand", 0, "volume"), "20 per hour"), ("demand", 0, "volume"), "a rate such as"),
        (_set(("colour",), "blue"), ("colour",), "Extra inputs are not permitted"),
    ],
)
def test_field_level_problems(change, field, message):
    if field is None:
        build(change)
        return
    found = problems_of(change)
    assert any(loc == field and message in msg for loc, msg in found), found


def test_scenario_problems_message_names_the_path():
    with pytest.raises(ValidationError) as info:
        build(_set(("routing", 0, "to"), {"l3": 1.0}))
    assert "routing.0.to.l3: unknown destination 'l3'" in str(info.value)


def test_scenario_round_trips_through_json():
    s = build()
    again = simsla.Scenario.model_validate_json(s.model_dump_json(by_alias=True))
    assert again == s


# ------------------------------------------------- domains that can be simulated (issue 10)


@pytest.mark.parametrize(
    "change, field, message",
    [
        (_set(("start",), "0001-01-01"), ("start",), "dates lie between 1971-01-01 and 2100-12-31"),
        (_set(("start",), "9999-01-04"), ("start",), "the start 9999-01-04 is outside"),
        (_set(("start",), "1970-12-31"), ("start",), "outside the dates simsla can simulate"),
        (lambda d: d.update(start="2100-12-01", horizon="5w"), ("horizon",), "ends on 2101-01-05"),
        (lambda d: d.update(start="1985-01-07", calendars={"office": {"hours": {"mon-fri": "08:00-17:00"},
                                                                       "holiday_country": "DE"}}),
         ("calendars", "office", "holiday_country"), "public holidays of DE from 1991 to 2100 only, and this run covers 1985"),
        (_set(("demand", 0, "volume"), "0/h"), ("demand",), "every demand stream has volume 0"),
        (_set(("groups", 1, "name"), "l2\n"), ("groups", 1, "name"), "'l2\\n' contains a newline"),
        (_set(("name",), "\x1b[2Junit"), ("name",), "contains ESC"),
        (_set(("services", 0, "name"), "ma\x9bil"), ("services", 0, "name"), "the control character U+009B"),
        (_set(("services", 0, "name"), "mail\u202e"), ("services", 0, "name"), "the control character U+202E"),
        (_set(("demand", 0, "services"), {"mail\x00": 1}), ("demand", 0, "services", "mail\x00"), "contains NUL"),
        (_set(("routing", 0, "from"), "desk\x7f"), ("routing", 0, "from"), "contains DEL"),
    ],
)
def test_values_outside_the_domain_are_refused_naming_the_field(change, field, message):
    found = problems_of(change)
    assert any(loc == field and message in msg for loc, msg in found), found


@pytest.mark.parametrize("start", ["1971-01-01", "2026-01-05", "2100-12-30"])
def test_dates_inside_the_range_are_kept(start):
    assert build(_set(("start",), start)).start == dt.date.fromisoformat(start)


def test_descriptions_may_span_lines_but_hold_no_escape_sequences():
    assert build(_set(("description",), "line one\nline two\ttabbed")).description.count("\n") == 1
    found = problems_of(_set(("services", 0, "description"), "a \x1b[2J clear screen"))
    assert found == [(("services", 0, "description"), "'a \\x1b[2J clear screen' contains ESC (it starts terminal escape "
                      "sequences); a description is text without control characters other than newlines and tabs: "
                      "remove it")]


def test_demand_from_failures_alone_is_something_to_simulate():
    def change(d):
        d["demand"][0]["volume"] = "0/h"
        d["services"][0]["failures"] = {"time_between": {"dist": "exponential", "mean": "1w"},
                                        "time_to_restore": {"dist": "exponential", "mean": "1h"}}
    assert build(change).demand[0].volume == 0


@pytest.mark.parametrize(
    "change, field, message",
    [
        (_set(("routing", 0, "when"), {"service": []}), ("routing", 0, "when", "service"), "an empty list matches no ticket"),
        (_set(("routing", 0, "when"), {"priority": ()}), ("routing", 0, "when", "priority"), "leave `priority` out"),
        (_set(("groups", 1, "staff"), 10_001), ("groups", 1, "staff"), "less than or equal to 10000"),
        (_set(("groups", 1, "cost_per_hour"), 1e308), ("groups", 1, "cost_per_hour"), "less than or equal to 1000000"),
        (lambda d: d["groups"][1].pop("staff") and d["groups"][1].update(shifts=[
            {"days": "all", "hours": "24h", "staff": 10_000}, {"days": "sun", "hours": "23:00-01:00", "staff": 1}]),
         ("groups", 1), "up to 10,001 people on duty at once"),
        (_set(("demand", 0, "services"), {"mail": 1e10}), ("demand", 0, "services", "mail"), "a weight is 0 or lies between"),
        (_set(("profiles",), {"p": {"hour_of_week": [1e308] * 168}}), ("profiles", "p", "hour_of_week", 0),
         "a weight is 0 or lies between"),
        (_set(("demand", 0, "volume"), "1e7/s"), ("demand", 0, "volume"), "more than 1e+06/s"),
    ],
)
def test_field_values_outside_the_domain_are_refused(change, field, message):
    found = problems_of(change)
    assert any(loc == field and message in msg for loc, msg in found), found


def test_overlapping_blocks_count_at_the_instant_they_overlap():
    from simsla.model.chain import peak_staff

    def shift(days, hours, staff):
        return Shift(days=days, hours=hours, staff=staff)

    assert peak_staff(()) == 0
    assert peak_staff((shift("mon-fri", "08:00-12:00", 3), shift("mon-fri", "12:00-20:00", 2))) == 3  # back to back
    assert peak_staff((shift("mon-fri", "08:00-17:00", 3), shift("mon-fri", "12:00-20:00", 2))) == 5
    # Sunday night runs into Monday morning, where it meets Monday's early block
    assert peak_staff((shift("sun", "22:00-06:00", 7), shift("mon", "05:00-09:00", 4))) == 11


@pytest.mark.parametrize("text", ["24:00-08:00", "24:00-24:00", "08:00-12:00, 24:00-02:00"])
def test_a_window_opens_before_the_end_of_the_day(text):
    with pytest.raises(ValueError, match="a window opens before 24:00"):
        parse_hours(text)
