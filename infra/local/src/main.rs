//! `reelcart-local [up|demo] [--port N] [--prefix NAME] [--template PATH]`
//!
//! `up` runs the local stack in the foreground until Ctrl-C or SIGTERM, logging JSON lines to
//! stdout; `demo` also runs the demo, its story on the terminal and the JSON logs in a file it
//! names (`REELCART_DEMO_LOG`, default `reelcart-demo.log` in the temporary directory).
//! The port defaults to `REELCART_PORT` or 3000.

use anyhow::{Context, Result, bail};
use reelcart_local::{Options, Stack, demo};
use std::net::SocketAddr;

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "up".to_string());
    if !matches!(mode.as_str(), "up" | "demo") {
        bail!("usage: reelcart-local [up|demo] [--port N] [--prefix NAME] [--template PATH]");
    }
    // The demo tells its story on the terminal; the functions' JSON logs go to a file it names.
    let demo_log = if mode == "demo" {
        let path = std::env::var_os("REELCART_DEMO_LOG")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::env::temp_dir().join("reelcart-demo.log"));
        let file = std::fs::File::create(&path)
            .with_context(|| format!("creating the demo's log file {}", path.display()))?;
        reelcart_lambda::init_tracing_to(std::sync::Mutex::new(file), "info");
        Some(path)
    } else {
        reelcart_lambda::init_tracing_with_default("info");
        None
    };
    let port: u16 = std::env::var("REELCART_PORT")
        .ok()
        .map(|p| p.parse())
        .transpose()
        .context("REELCART_PORT")?
        .unwrap_or(3000);
    let mut opts = Options::new("reelcart-local");
    opts.bind = SocketAddr::from(([127, 0, 0, 1], port));
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--port" => opts.bind.set_port(value.parse().context("--port")?),
            "--prefix" => opts.prefix = value,
            "--template" => opts.template = value.into(),
            other => bail!("unknown option {other}"),
        }
    }

    let stack = Stack::start(opts).await?;
    println!(
        "Reelcart local stack on {} (AWS emulator {}{})",
        stack.url(),
        stack.emulator.endpoint,
        if stack.emulator.started_here() {
            ", started here"
        } else {
            ""
        }
    );
    println!("  GET  {}/healthz", stack.url());
    for (method, path, function) in stack.routes() {
        println!("  {method:<4} {}{path}  → {function}", stack.url());
    }
    let mut names: Vec<_> = stack.names.resources.iter().collect();
    names.sort_by_key(|(k, _)| k.as_str());
    for (logical, physical) in names {
        println!("  {logical:<22} {}", physical.reference);
    }
    if let Some(log) = &demo_log {
        println!("  JSON logs of every function: {}", log.display());
        demo::run(&stack).await?;
        println!(
            "\nThe stack keeps running at {} — Ctrl-C to stop. The functions' JSON logs: {}",
            stack.url(),
            log.display()
        );
    } else {
        println!("Ready. Ctrl-C or SIGTERM stops it.");
    }
    wait_for_signal().await?;
    println!("stopping…");
    stack.stop().await;
    Ok(())
}

async fn wait_for_signal() -> Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r?,
        _ = term.recv() => {}
    }
    Ok(())
}
