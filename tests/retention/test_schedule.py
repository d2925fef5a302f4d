"""The schedule: shipped defaults load and cite sources; mistakes are errors naming file and line."""

from pathlib import Path

import pytest

from statreturns.retention.schedule import ScheduleError, default_path, load

GOOD = """schedule: test
series:
  - id: photos
    source: "domain.md 1.1"
    subject: school_pupils
    trigger: {table: school_pupils, column: leaving_date}
    period: {years: 0}
    action: destroy
    records:
      - {table: school_pupils, columns: [photo_file]}
"""


@pytest.mark.parametrize("kind", ["school", "council"])
def test_shipped_schedules_load_and_cite_sources(kind):
    sched = load(default_path(kind))
    assert sched.series
    for s in sched.series:
        assert "domain.md" in s.source
        for alt in s.alternatives:
            assert alt["source"]


def test_council_schedule_periods_from_the_domain_reference():
    sched = load(default_path("council"))
    assert sched.get("lac_record").period.years == 75
    assert sched.get("lac_record").death_rule.period.years == 15
    assert sched.get("adoption_record").period.years == 100
    assert sched.get("adoption_record").trigger_column == "adoption_order_date"


def test_school_schedule_periods():
    sched = load(default_path("school"))
    assert sched.get("sen_file").period.years == 31
    assert sched.get("pupil_record").period.years == 25
    assert sched.get("photos").auto_approve


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("old,new,message", [
    ("table: school_pupils, columns", "table: pupils, columns", "unknown table 'pupils'"),
    ("[photo_file]", "[photo]", "unknown column 'photo'"),
    ("column: leaving_date", "column: left_on", "unknown column 'left_on'"),
    ("action: destroy", "action: shred", "unknown action 'shred'"),
    ('    source: "domain.md 1.1"\n', "", "missing 'source'"),
    ("subject: school_pupils", "subject: staff", "subject must be one of"),
])
def test_schedule_mistakes_are_errors_with_file_and_line(tmp_path, old, new, message):
    path = _write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(ScheduleError, match=message) as err:
        load(path)
    assert str(path) in str(err.value) and "line 3" in str(err.value)


def test_unknown_series_is_an_error(tmp_path):
    sched = load(_write(tmp_path, GOOD))
    with pytest.raises(ScheduleError, match="unknown series 'videos'"):
        sched.get("videos")


def test_anonymise_needs_a_method_for_every_personal_column(tmp_path):
    text = GOOD.replace("action: destroy", "action: anonymise").replace(
        "      - {table: school_pupils, columns: [photo_file]}",
        "      - {table: school_pupils, columns: [pupil_id, UPN]}\n"
        "    methods: {school_pupils: {pupil_id: hmac}}")
    with pytest.raises(ScheduleError, match="lacks \\['UPN'\\]"):
        load(_write(tmp_path, text))
    ok = text.replace("{pupil_id: hmac}", "{pupil_id: hmac, UPN: 'null'}")
    assert load(_write(tmp_path, ok)).series[0].methods == {"school_pupils": {"pupil_id": "hmac", "UPN": "null"}}
    bad_key = text.replace("{pupil_id: hmac}", "{pupil_id: 'null', UPN: 'null'}")
    with pytest.raises(ScheduleError, match="hmac for the key"):
        load(_write(tmp_path, bad_key))


def test_fallbacks_and_catch_all_load_and_mistakes_are_errors(tmp_path):
    text = GOOD.replace("    period: {years: 0}\n", "    fallback:\n"
                        "      - {table: school_pupils, column: PersonBirthDate, period: {years: 19}}\n"
                        "      - {activity: true}\n      - {landed: true}\n    period: {years: 0}\n")
    s = load(_write(tmp_path, text)).series[0]
    assert [f.name for f in s.fallback] == ["school_pupils.PersonBirthDate", "activity", "landed"]
    assert s.fallback[0].period.years == 19 and s.fallback[1].period is None
    with pytest.raises(ScheduleError, match="unknown column 'born'") as err:
        load(_write(tmp_path, text.replace("column: PersonBirthDate", "column: born")))
    assert "line 3" in str(err.value)
    with pytest.raises(ScheduleError, match="a fallback needs"):
        load(_write(tmp_path, text.replace("{activity: true}", "{sometime: true}")))
    council = load(default_path("council"))
    assert [s.id for s in council.series if s.catch_all] == ["default_record"]
    for sched in (council, load(default_path("school"))):
        assert all(s.fallback for s in sched.series), "every series needs a fallback trigger"
