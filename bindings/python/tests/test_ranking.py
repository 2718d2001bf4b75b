"""The ranking call, and the Python answers against the command line's on the same bundle and bars."""

import json
import os
import subprocess

import numpy as np
import pytest

import trendcast
from conftest import ort_library


def cli_json_lines(cli, *args):
    out = subprocess.run([cli, *args], capture_output=True, text=True, check=True)
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def iso(d):
    return f"{d // 10000:04d}-{d // 100 % 100:02d}-{d % 100:02d}"


def test_rank_returns_scores_and_order(ranker, stocks, industries):
    batch = list(stocks.values())
    tickers = list(stocks)
    sectors = [industries[t][0] for t in tickers]  # names: numbered by equality
    subs = [industries[t][1] for t in tickers]
    r = ranker.rank(batch, sectors, subs)
    scores, order = r  # unpacks as a pair
    assert scores.dtype == np.float32 and scores.shape == (len(batch),)
    assert order.dtype == np.int64 and sorted(order) == list(range(len(batch)))
    assert (np.diff(scores[order]) <= 0).all()  # best first
    assert r.date == int(batch[0]["date"][-1]) and r.scores is scores and r.order is order
    # Integer ids that group the stocks the same way give the same answer.
    _, sector_ids = np.unique(sectors, return_inverse=True)
    _, sub_ids = np.unique(subs, return_inverse=True)
    s2, o2 = ranker.rank(batch, (sector_ids * 7 + 100).astype(np.int32), sub_ids.astype(np.int64))
    np.testing.assert_allclose(s2, scores, atol=1e-6)


def test_a_stock_without_todays_bar_is_not_ranked(ranker, stocks, industries):
    batch = [dict(s) for s in stocks.values()]
    batch[5] = {k: v[:-1] for k, v in batch[5].items()}
    tickers = list(stocks)
    scores, order = ranker.rank(batch, [industries[t][0] for t in tickers], [industries[t][1] for t in tickers])
    assert np.isnan(scores[5]) and 5 not in order and len(order) == len(batch) - 1


@pytest.mark.parametrize("back", [0, 17])
def test_direction_matches_the_cli(model, stocks, cli, direction_dir, data_dir, back):
    """The same bundle and bars through Python and `trendcast direction` (both on tract)."""
    dates = next(iter(stocks.values()))["date"]
    day = int(dates[-1 - back])
    tickers = [t for t, s in stocks.items() if day in s["date"]]
    lines = cli_json_lines(cli, "direction", "--model", direction_dir, "--data", data_dir, "--date", iso(day),
                           "--backend", "tract", "--tickers", ",".join(tickers))
    assert [line["ticker"] for line in lines] == tickers
    upto = [{k: v[s["date"] <= day] for k, v in s.items()} for s in (stocks[t] for t in tickers)]
    probs = model.direction(upto)
    want = np.array([[line["down"], line["flat"], line["up"]] for line in lines], dtype=np.float32)
    np.testing.assert_allclose(probs, want, rtol=0, atol=1e-6)


def test_ranking_matches_the_cli(ranker, frame, industries, cli, ranking_dir, data_dir):
    """The same bundle and bars through Python (a long DataFrame, industry names by ticker) and
    `trendcast rank`."""
    day = sorted(frame["date"].unique())[-3]
    r = ranker.rank(
        frame[frame["date"] <= day],
        {t: v[0] for t, v in industries.items()},
        {t: v[1] for t, v in industries.items()},
    )
    (out,) = cli_json_lines(cli, "rank", "--model", ranking_dir, "--data", data_dir, "--date", day,
                            "--top", "1000", "--backend", "tract")
    assert out["date"] == day and iso(r.date) == day and out["scored"] == len(r.order)
    assert [r.tickers[k] for k in r.order] == [e["ticker"] for e in out["top"]]
    np.testing.assert_allclose(r.scores[r.order], [e["score"] for e in out["top"]], rtol=0, atol=1e-6)


def shipped_bundles(kind):
    """The bundles of `kind` under models/ (TRENDCAST_TEST_SHIPPED_MODELS), by directory."""
    root = os.environ.get("TRENDCAST_TEST_SHIPPED_MODELS")
    if not root:
        return []
    out = []
    for name in sorted(os.listdir(root)):
        manifest = os.path.join(root, name, "manifest.json")
        if os.path.exists(manifest):
            with open(manifest) as f:
                if json.load(f)["kind"] == kind:
                    out.append(os.path.join(root, name))
    return out


def shipped_ranking_bundles():
    return shipped_bundles("ranking")


@pytest.mark.parametrize("bundle", shipped_bundles("direction") or [pytest.param(None, marks=pytest.mark.skip)])
def test_shipped_direction_bundles_predict_on_both_backends_as_the_cli(bundle, stocks, cli, data_dir):
    """Every shipped direction bundle (the default, the best-validation ensemble, the original)
    through Python on tract and ONNX Runtime, against `trendcast direction` on the same bars."""
    day = int(next(iter(stocks.values()))["date"][-1])
    tickers = [t for t, s in stocks.items() if day in s["date"]]
    lines = cli_json_lines(cli, "direction", "--model", bundle, "--data", data_dir, "--date", iso(day),
                           "--backend", "tract", "--tickers", ",".join(tickers))
    want = np.array([[line["down"], line["flat"], line["up"]] for line in lines], dtype=np.float32)
    batch = [stocks[t] for t in tickers]
    with trendcast.Model(bundle, backend="tract") as m:
        np.testing.assert_allclose(m.direction(batch), want, rtol=0, atol=1e-6)
    lib = ort_library()
    if lib is None:
        return
    with trendcast.Model(bundle, backend="ort", ort_library=lib) as m:
        assert m.backend == "ort"
        np.testing.assert_allclose(m.direction(batch), want, rtol=0, atol=1e-5)


@pytest.mark.parametrize("bundle", shipped_ranking_bundles() or [pytest.param(None, marks=pytest.mark.skip)])
def test_shipped_ranking_bundles_rank_on_both_backends_as_the_cli(bundle, frame, industries, cli, data_dir):
    """Every shipped ranking bundle (a seed ensemble among them) through Python on tract and ONNX
    Runtime, against `trendcast rank` on the same bars."""
    day = sorted(frame["date"].unique())[-1]
    sectors = {t: v[0] for t, v in industries.items()}
    subs = {t: v[1] for t, v in industries.items()}
    with trendcast.Model(bundle, backend="tract") as m:
        r = m.rank(frame, sectors, subs)
    (out,) = cli_json_lines(cli, "rank", "--model", bundle, "--data", data_dir, "--date", day, "--top", "1000",
                            "--backend", "tract")
    assert out["scored"] == len(r.order) > 0 and iso(r.date) == day
    # An ensemble's scores are z-scores: dividing by a member's spread (about 0.005) multiplies by
    # about 200 the f32 rounding that differs between the two paths (the C call names industry
    # nodes by id, the CLI by name, so the nodes come in another order).
    with open(os.path.join(bundle, "manifest.json")) as f:
        atol = 1e-4 if "members" in json.load(f)["extra"] else 1e-6
    np.testing.assert_allclose(r.scores[r.order], [e["score"] for e in out["top"]], rtol=0, atol=atol)
    if ort_library() is None:
        assert os.environ.get("TRENDCAST_TEST_REQUIRE") != "1" or not os.environ.get("TRENDCAST_ORT_LIB"), "ORT missing"
        return
    with trendcast.Model(bundle, backend="ort", ort_library=ort_library()) as m:
        assert m.backend == "ort"
        o = m.rank(frame, sectors, subs)
    np.testing.assert_allclose(o.scores, r.scores, rtol=0, atol=max(5 * atol, 1e-5))
    assert np.isnan(o.scores).tolist() == np.isnan(r.scores).tolist()
