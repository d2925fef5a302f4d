"""What `validate` prints when something fails: never the text of an exception that may quote the data
(a ValueError or KeyError from pandas or a builtin), only its type and where it was raised; our own readers'
messages (which name a file and a line, never a value) are still shown."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipelines.cli import EXIT_UNREADABLE, main
from statreturns.cin.build import build_cin_frames
from statreturns.cin.xml_writer import write_cin_xml
from statreturns.generate import Config, generate

SECRET = "Zq7-not-a-real-child-upn-Xv3"  # stands for a value read from the data


@pytest.fixture(scope="module")
def cin_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("privacy-cin") / "cin.xml"
    write_cin_xml(build_cin_frames(generate(Config(children=40, seed=3, year=2026)), 2026), path, year=2026,
                  lea="356")
    return path


def _pandas_quotes_the_value(*args, **kwargs):
    return pd.to_datetime(pd.Series([SECRET]), format="%Y-%m-%d")


def _builtin_quotes_the_value(*args, **kwargs):
    return int(SECRET)


def _key_error(*args, **kwargs):
    return {}[SECRET]


@pytest.mark.parametrize("fail", [_pandas_quotes_the_value, _builtin_quotes_the_value, _key_error])
def test_a_failure_is_reported_by_type_and_place_never_its_text(cin_file, tmp_path, monkeypatch, capsys, fail):
    with pytest.raises(Exception) as raised:
        fail()
    assert SECRET in str(raised.value)  # the message would have quoted it
    monkeypatch.setattr("statreturns.validate.validate_cin", fail)
    code = main(["validate", "cin", str(cin_file), "--year", "2026", "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == EXIT_UNREADABLE
    assert SECRET not in out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and type(raised.value).__name__ in lines[0] and "not shown" in lines[0]


def test_our_readers_messages_are_still_shown(tmp_path, capsys):
    bad = tmp_path / "not-cin.xml"
    bad.write_text("<?xml version='1.0'?><Other/>")
    code = main(["validate", "cin", str(bad), "--year", "2026", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == EXIT_UNREADABLE
    assert "not-cin.xml" in err and "not a CIN census file" in err
