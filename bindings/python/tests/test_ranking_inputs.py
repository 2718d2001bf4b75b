"""Model.ranking_inputs: the node features and relation matrices a ranking model reads on a day."""

import numpy as np
import pytest

import trendcast
from conftest import require_pandas

pd = require_pandas()


def test_inputs_of_the_latest_day(ranker, frame, industries):
    sectors = {t: s for t, (s, _) in industries.items()}
    subs = {t: s for t, (_, s) in industries.items()}
    x = ranker.ranking_inputs(frame, sectors, subs)
    tickers = sorted(frame["ticker"].unique())
    window = ranker.manifest["window"]
    n = len(x.nodes)
    assert x.date == int(frame["date"].max().replace("-", ""))
    assert x.nodes[: x.n_stocks] == tickers
    assert x.nodes[x.n_stocks : x.n_stocks + x.n_sub_industries] == sorted({subs[t] for t in tickers})
    assert x.nodes[x.n_stocks + x.n_sub_industries :] == sorted({sectors[t] for t in tickers})
    assert n == x.n_stocks + x.n_sub_industries + x.n_sectors
    assert x.node_features.shape == (window, n, len(x.feature_names))
    assert x.a_long.shape == (n, n) and x.a_short.shape == (window, n, n)
    # Two stocks of one sub-industry are related in A_L; a stock and a sector not its own are not.
    k = {t: i for i, t in enumerate(x.nodes[: x.n_stocks])}
    a, b = [t for t in tickers if subs[t] == subs[tickers[0]]][:2]
    assert x.a_long[k[a], k[b]] != 0
    other = next(s for s in x.nodes[x.n_stocks + x.n_sub_industries :] if s != sectors[tickers[0]])
    assert x.a_long[k[tickers[0]], x.nodes.index(other)] == 0
    assert np.all(np.isfinite(x.a_short))
    # (tests/ranking.rs holds the arrays to the Rust API's, bit for bit)


def test_integer_ids_give_ids_as_labels(ranker, frame, industries):
    tickers = sorted(frame["ticker"].unique())
    sec_names = sorted({industries[t][0] for t in tickers})
    sub_names = sorted({industries[t][1] for t in tickers})
    sec = np.array([100 + sec_names.index(industries[t][0]) for t in tickers])
    sub = np.array([1000 + sub_names.index(industries[t][1]) for t in tickers])
    x = ranker.ranking_inputs(trendcast.Stocks(frame), sec, sub)
    assert x.nodes[x.n_stocks :] == sorted(set(sub.tolist())) + sorted(set(sec.tolist()))
    # The same node order as names numbered in name order: the same numbers.
    y = ranker.ranking_inputs(frame, {t: industries[t][0] for t in tickers}, {t: industries[t][1] for t in tickers})
    np.testing.assert_array_equal(x.a_short, y.a_short)
    np.testing.assert_array_equal(x.node_features, y.node_features)


def test_a_direction_model_has_no_ranking_inputs(model, frame):
    with pytest.raises(trendcast.WrongKindError):
        model.ranking_inputs(frame, [0] * frame["ticker"].nunique(), [0] * frame["ticker"].nunique())
