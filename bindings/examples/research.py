import glob
import sys

import pandas as pd
import trendcast
import trendcast.sweep
from dask.distributed import Client, LocalCluster


def main():
    data, model_dir = sys.argv[1], sys.argv[2]  # a data folder (bars_*.csv, industries.csv), a ranking bundle
    bars = pd.concat(pd.read_csv(f) for f in sorted(glob.glob(f"{data}/bars_*.csv*")))
    industries = pd.read_csv(f"{data}/industries.csv").set_index("ticker")
    sectors, subs = industries["sector"].to_dict(), industries["sub_industry"].to_dict()

    # The 13 features per (date, ticker), the numbers the models were trained on.
    features = trendcast.features(bars)
    # A signal of your own: one-day reversal; backtested as the CLI does (top 5, 5 bps, 2 swaps a day).
    signal = pd.DataFrame({"date": features["date"].dt.strftime("%Y-%m-%d"), "ticker": features["ticker"],
                           "score": -features["daily_return"]}).dropna()
    result = trendcast.backtest(bars, signal, start="2020-03-02", top_k=5, cost_bps=5, strategy="dropout:2")
    print("reversal", result.metrics["days"], result.metrics["arr"], result.metrics["rank_ic"])
    print("final net value", result.equity["portfolio_nv"].iloc[-1])

    with trendcast.Model(model_dir) as model:  # what a ranking model reads on the last day
        inputs = model.ranking_inputs(bars, sectors, subs)
        print("nodes", len(inputs.nodes), "A_S", inputs.a_short.shape)

    # A sweep on a Dask cluster (here two local worker processes; Client("tcp://host:8786") for a real one).
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, Client(cluster) as client:
        table = trendcast.sweep.backtest_sweep(bars, [model_dir], [("2020-05-01", "2020-08-31")], sector_ids=sectors,
                                               sub_industry_ids=subs, top_k=[5, 10], cost_bps=[0, 5], client=client)
    print(table[["top_k", "cost_bps", "days", "arr", "rank_ic"]].to_string(index=False))


if __name__ == "__main__":  # Dask starts its workers by importing this file again
    main()
