import sys

import pandas as pd
import trendcast

model = trendcast.Model(sys.argv[1], backend="tract")  # a model bundle directory
bars = pd.read_csv(sys.argv[2])  # long format: date,ticker,open,high,low,close,volume
stocks = trendcast.Stocks(bars)  # split once (tickers sorted); each call then passes pointers
probs = model.direction(stocks)  # (n, 3) float32: down, flat, up
for ticker, (down, flat, up) in zip(stocks.tickers, probs):
    print(f"{ticker} down {down:.6f} flat {flat:.6f} up {up:.6f}")
