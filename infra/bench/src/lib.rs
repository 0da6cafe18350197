//! Benchmarks live in `benches/`; `hello-lambda` is the baseline binary for init time.

/// `cargo bench` passes `--bench`: the full measurement. Anything else (`cargo test --benches`,
/// `make test`) is the short mode: each benchmark once, on small inputs, so that every benchmark
/// is compiled and run on every test run and none can rot unnoticed. Its figures mean nothing.
pub fn full_run() -> bool {
    std::env::args().any(|a| a == "--bench")
}
