"""The keyed household id: one ID number, however written, gives one id; another key, another id."""

from __future__ import annotations

import secrets

import pytest

from cli import gongkai
from gongkai.roster.household_id import KeyMissing, household_id, household_ids, load_key, normalise_id

ID18 = "53232919900101008X"          # a valid GB 11643 number (check character X)
ID15 = "532329900101008"             # the same person's old 15-digit number


def test_an_id_is_normalised_before_hashing():
    assert normalise_id(ID18) == (ID18, "")
    assert normalise_id(ID18.lower()) == (ID18, "")
    assert normalise_id("５３２３２９１９９００１０１００８ｘ") == (ID18, "")      # full-width
    assert normalise_id(f" '{ID18} ") == (ID18, "")                              # CSV text marker, blanks
    assert normalise_id(ID15) == (ID18, "")                                      # upgraded to 18


@pytest.mark.parametrize("raw,why", [(5.32329199001E17, "mangled"), ("5.32329E+17", "mangled"),
                                     ("532329199001010021", "invalid"), (None, "empty"), ("", "empty")])
def test_an_id_that_cannot_key_a_household_says_why(raw, why):
    assert normalise_id(raw) == (None, why)


def test_the_same_key_gives_the_same_id_every_run_and_another_key_another(monkeypatch):
    key = secrets.token_hex(32)
    monkeypatch.setenv("GONGKAI_HMAC_KEY", key)
    first = household_id(normalise_id(ID15)[0], load_key())
    assert household_id(ID18, load_key()) == first and len(first) == 64
    monkeypatch.setenv("GONGKAI_HMAC_KEY", secrets.token_hex(32))
    assert household_id(ID18, load_key()) != first


def test_a_roster_is_keyed_as_each_household_alone():
    key = secrets.token_hex(32).encode()
    ids = [ID18, "532329194001010013", "11010519491231002X"]
    assert household_ids(iter(ids), key) == {household_id(i, key) for i in ids}


@pytest.mark.parametrize("value", [None, "too-short"])
def test_a_missing_or_short_key_is_refused(monkeypatch, value):
    if value is None:
        monkeypatch.delenv("GONGKAI_HMAC_KEY", raising=False)
    else:
        monkeypatch.setenv("GONGKAI_HMAC_KEY", value)
    with pytest.raises(KeyMissing):
        load_key()


def test_validate_without_a_key_is_a_clear_error_not_a_traceback(rosters, monkeypatch, tmp_path):
    monkeypatch.delenv("GONGKAI_HMAC_KEY", raising=False)
    monkeypatch.setenv("GONGKAI_OUT", str(tmp_path / "out"))
    folder, _ = rosters
    result = gongkai("validate", str(folder), "--dataset", "relief-roster", "--period", "2024-03",
                     "--out", str(tmp_path / "checked"))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "GONGKAI_HMAC_KEY" in result.output and "secrets.token_hex(32)" in result.output
    assert "缺少户标识密钥" in result.output and "gongkai-hmac-key" in result.output
    assert not list((tmp_path / "checked").glob("*.csv"))       # nothing written for a period with an error


@pytest.mark.integration
@pytest.mark.slow
def test_inside_a_flow_the_key_comes_from_the_prefect_secret_block(prefect_backend, monkeypatch):
    from prefect import flow
    from prefect.blocks.system import Secret

    monkeypatch.delenv("GONGKAI_HMAC_KEY", raising=False)
    key = secrets.token_hex(32)
    Secret(value=key).save("gongkai-hmac-key", overwrite=True)

    @flow
    def key_the_household() -> str:
        return household_id(ID18, load_key())

    assert key_the_household() == household_id(ID18, key.encode())
    with pytest.raises(KeyMissing):     # outside a flow there is no API to ask: the variable is needed
        load_key()
