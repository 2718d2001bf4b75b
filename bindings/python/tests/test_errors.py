"""Every failure is a TrendcastError subclass carrying the C status code and the library's message."""

import numpy as np
import pytest

import trendcast
from trendcast import Status


def one(stocks, i=0):
    return {k: v.copy() for k, v in list(stocks.values())[i].items()}


def test_each_status_has_its_subclass():
    from trendcast._errors import ERRORS, error_for

    for status in Status:
        if status == Status.OK:
            continue
        e = error_for(int(status), "message")
        assert type(e) is ERRORS[status] and e.status == status and str(e) == "message"
        assert isinstance(e, trendcast.TrendcastError)
    assert isinstance(error_for(99, "new"), trendcast.TrendcastError)
    assert issubclass(trendcast.ShapeError, ValueError) and issubclass(trendcast.IoError, OSError)


def test_missing_bundle(tmp_path):
    with pytest.raises(trendcast.IoError) as e:
        trendcast.Model(tmp_path / "nope", backend="tract")
    assert e.value.status == Status.IO
    assert "nope" in e.value.message


def test_unknown_backend(direction_dir):
    with pytest.raises(trendcast.InvalidArgumentError, match="backend"):
        trendcast.Model(direction_dir, backend="cuda")


def test_invalid_bar(model, stocks):
    s = one(stocks)
    s["close"][-1] = np.nan
    with pytest.raises(trendcast.InvalidBarError) as e:
        model.direction(s)
    assert e.value.status == Status.INVALID_BAR and "close" in e.value.message
    s = one(stocks)
    s["low"][-2] = s["high"][-2] * 2
    with pytest.raises(trendcast.InvalidBarError, match="below low"):
        model.direction([one(stocks, 1), s])


def test_unsorted_dates(model, stocks):
    s = one(stocks)
    s["date"][-1] = s["date"][-2]
    with pytest.raises(trendcast.UnsortedError) as e:
        model.direction(s)
    assert e.value.status == Status.UNSORTED


def test_too_little_history(model, stocks):
    s = {k: v[-(model.min_bars - 1):] for k, v in one(stocks).items()}
    with pytest.raises(trendcast.TooLittleHistoryError, match=str(model.min_bars)):
        model.direction(s)


def test_not_a_date(model, stocks):
    s = one(stocks)
    s["date"][-1] = 20241340
    with pytest.raises(trendcast.ParseError):
        model.direction(s)
    with pytest.raises(trendcast.ParseError):
        model.direction({**s, "date": ["2024-13-01"] * len(s["date"])})


def test_shapes(model, stocks):
    s = one(stocks)
    s["volume"] = s["volume"][:-1]
    with pytest.raises(trendcast.ShapeError, match="volume"):
        model.direction(s)
    with pytest.raises(trendcast.ShapeError):
        model.direction([])
    with pytest.raises(trendcast.InvalidArgumentError, match="high"):
        model.direction({k: v for k, v in one(stocks).items() if k != "high"})
    with pytest.raises(trendcast.InvalidArgumentError):
        model.direction("not bars")


def test_wrong_kind(model, ranker, stocks):
    batch = list(stocks.values())
    with pytest.raises(trendcast.WrongKindError) as e:
        ranker.direction(batch)
    assert e.value.status == Status.WRONG_KIND and isinstance(e.value, TypeError)
    with pytest.raises(trendcast.WrongKindError):
        model.rank(batch, np.zeros(len(batch), np.int32), np.arange(len(batch), dtype=np.int32))


def test_rank_ids(ranker, stocks):
    batch = list(stocks.values())
    n = len(batch)
    with pytest.raises(trendcast.ShapeError):
        ranker.rank(batch, np.zeros(n - 1, np.int32), np.zeros(n, np.int32))
    # A sub-industry in two sectors: the library's own refusal, naming the ids and the stocks.
    sectors = np.zeros(n, np.int32)
    sectors[1] = 1
    with pytest.raises(trendcast.InvalidArgumentError) as e:
        ranker.rank(batch, sectors, np.zeros(n, np.int32))
    assert e.value.status == Status.INVALID_ARGUMENT
    assert "sub-industry id 0 appears under two sector ids: 0 (stock #0) and 1 (stock #1)" in e.value.message
    # Names too: numbered in name order, so the message says the numbers.
    names = np.array(["Energy"] * n, dtype=object)
    names[2] = "Utilities"
    with pytest.raises(trendcast.InvalidArgumentError, match="appears under two sector ids") as e:
        ranker.rank(batch, names, ["Oil"] * n)
    assert "(stock #2)" in e.value.message
    with pytest.raises(trendcast.InvalidArgumentError, match="DataFrame"):
        ranker.rank(batch, {"A": 1}, {"A": 1})


def test_a_path_with_a_nul_byte_is_refused(direction_dir):
    # The C string would end at the NUL and name another bundle.
    with pytest.raises(trendcast.InvalidArgumentError, match="NUL"):
        trendcast.Model(direction_dir + "\0/elsewhere", backend="tract")
    with pytest.raises(trendcast.InvalidArgumentError, match="ort_library"):
        trendcast.Model(direction_dir, backend="tract", ort_library="lib\0onnxruntime.so")


@pytest.mark.parametrize(
    "column, values, words",
    [
        ("volume", lambda v: v > 0, "booleans"),
        ("close", lambda v: v + 1j, "complex"),
        ("close", lambda v: v.astype(str), "strings"),
        ("open", lambda v: np.array([str(x) for x in v], dtype=object), "str"),
        ("high", lambda v: np.array([bool(x) for x in v], dtype=object), "bool"),
    ],
)
def test_prices_that_are_not_numbers_are_refused_by_column(model, stocks, column, values, words):
    s = one(stocks)
    s[column] = values(s[column])
    with pytest.raises(trendcast.ParseError, match=words) as e:
        model.direction(s)
    assert f"`{column}`" in e.value.message
