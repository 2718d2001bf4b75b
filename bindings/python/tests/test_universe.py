"""The live universe from Python: bootstrapped from a frame, advanced by a frame of one day's bars,
answering as the stateless calls on the whole history; bad pushes refused by name; a saved state
restored bit for bit, and refused for other models."""

import numpy as np
import pytest

import trendcast
from conftest import require_pandas

require_pandas()


@pytest.fixture()
def setup(model, ranker, frame, industries):
    last = frame["date"].max()
    tickers = sorted(industries)
    sectors = {t: v[0] for t, v in industries.items()}
    subs = {t: v[1] for t, v in industries.items()}
    u = trendcast.Universe([model, ranker], tickers, sectors, subs, history=frame[frame["date"] < last])
    yield u, frame[frame["date"] == last], tickers, sectors, subs
    u.close()


def test_a_pushed_day_answers_as_the_stateless_calls(setup, model, ranker, frame):
    u, day, tickers, sectors, subs = setup
    assert u.last_date is not None and u.last_date < int(str(day["date"].iloc[0]).replace("-", ""))
    u.push_day(day)
    assert u.last_date == int(str(day["date"].iloc[0]).replace("-", ""))
    want = model.direction(frame)  # each stock as of its last bar: every one trades on the last day
    np.testing.assert_allclose(u.direction(), want, atol=1e-5)
    r, w = u.rank(), ranker.rank(frame, sectors, subs)
    np.testing.assert_allclose(r.scores, w.scores, atol=1e-5)
    np.testing.assert_array_equal(r.order, w.order)
    assert r.date == w.date and r.tickers == tickers


def test_bad_pushes_are_refused_and_change_nothing(setup):
    u, day, *_ = setup
    before = u.last_date
    with pytest.raises(trendcast.InvalidArgumentError, match="not in the universe"):
        u.push_day(day.assign(ticker="NOPE" + day["ticker"]))
    with pytest.raises(trendcast.InvalidBarError):
        u.push_day(day.assign(close=np.where(np.arange(len(day)) == 2, np.nan, day["close"])))
    with pytest.raises(trendcast.InvalidArgumentError, match="one day's bars"):
        u.push_day(day.assign(date=["2000-01-0%d" % (1 + i % 2) for i in range(len(day))]))
    assert u.last_date == before
    u.push_day(day)
    with pytest.raises(trendcast.UnsortedError, match="must come after"):
        u.push_day(day)


def test_save_and_restore(setup, model, ranker, tmp_path):
    u, day, tickers, sectors, subs = setup
    u.push_day(day)
    path = tmp_path / "universe.state"
    u.save(path)
    with trendcast.Universe.restore([model, ranker], tickers, sectors, subs, path) as back:
        assert back.last_date == u.last_date
        assert back.rank().scores.tobytes() == u.rank().scores.tobytes()
        assert back.direction().tobytes() == u.direction().tobytes()
    with pytest.raises(trendcast.ContractError, match="saved for the models"):
        trendcast.Universe.restore([ranker, model], tickers, sectors, subs, path)
    u.close()
    with pytest.raises(trendcast.NullPointerError, match="closed"):
        u.rank()
