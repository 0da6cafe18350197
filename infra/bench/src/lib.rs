//! Benchmarks live in `benches/`; `hello-lambda` is the baseline binary for init time.
