//! The video pipeline's encode, on the same 30-second 1080×1920 source with audio, two ways in one
//! run: this pipeline (one FFmpeg process decodes once and encodes every rung) and the naive
//! approach (one FFmpeg process per rendition, each decoding the source). Prints wall time, the
//! CPU-busy fraction of the machine's cores and the realtime factor of each, and their ratio.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reelcart_domain::video::plan;
use reelcart_media::ffmpeg::Ffmpeg;
use reelcart_media::samples::{Sample, generate};
use std::time::Instant;

/// CPU seconds of waited-for children (`/proc/self/stat` cutime + cstime, in USER_HZ = 100).
fn children_cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After the command name: state is field 3, so cutime (16) and cstime (17) are at 13 and 14.
    let ticks: f64 = fields[13].parse::<f64>().unwrap() + fields[14].parse::<f64>().unwrap();
    ticks / 100.0
}

struct Figures {
    wall: f64,
    busy: f64,
}

async fn measure<F: std::future::Future<Output = ()>>(f: F) -> Figures {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let cpu0 = children_cpu_secs();
    let t = Instant::now();
    f.await;
    let wall = t.elapsed().as_secs_f64();
    let cpu = children_cpu_secs() - cpu0;
    Figures {
        wall,
        busy: cpu / (wall * cores),
    }
}

#[tokio::main]
async fn main() {
    // `X264_PRESET` as the function reads it; `BENCH_SOURCE_KBPS` for the source's bitrate (phones
    // record 1080p at 10-20 Mbit/s; the default is 8).
    let ff = Ffmpeg::from_vars(|k| std::env::var(k).ok());
    let kbps: u32 = std::env::var("BENCH_SOURCE_KBPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8_000);
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("source.mp4");
    // Two seconds in the short mode (`make test`): the pipeline runs, its figures mean nothing.
    let secs = if reelcart_bench::full_run() {
        30.0
    } else {
        2.0
    };
    // `BENCH_SOURCE_CODEC=hevc` for HEVC, as iPhones record by default.
    let hevc = std::env::var("BENCH_SOURCE_CODEC").is_ok_and(|c| c == "hevc");
    let sample = Sample {
        kbps,
        hevc,
        ..Sample::new(1080, 1920, secs)
    };
    generate(&ff.ffmpeg, sample, &src).await.unwrap();
    let probe = ff.probe(&src).await.unwrap();
    let ladder = plan(&probe);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "transcode: {secs:.0} s source {}x{} {} {} kbit/s with audio, ladder {:?}, x264 preset {}, {cores} cores",
        probe.display_width,
        probe.display_height,
        probe.video_codec,
        kbps,
        ladder
            .rungs
            .iter()
            .map(|r| r.resolution())
            .collect::<Vec<_>>(),
        ff.preset
    );
    let one = dir.path().join("one");
    let pipeline = measure(async {
        ff.encode_ladder(&src, &probe, &ladder, &one).await.unwrap();
    })
    .await;
    let naive_dir = dir.path().join("naive");
    let naive = measure(async {
        ff.encode_per_rung(&src, &probe, &ladder, &naive_dir)
            .await
            .unwrap();
    })
    .await;
    for (name, f) in [
        ("one process, every rung", &pipeline),
        ("one process per rung (naive)", &naive),
    ] {
        println!(
            "transcode/{name}: wall {:.2} s, cores busy {:.0} %, realtime factor {:.2}x",
            f.wall,
            f.busy * 100.0,
            secs / f.wall
        );
    }
    println!(
        "transcode: this pipeline is {:.2}x faster than per-rung (goal >= 1.6x), cores busy {:.0} % (goal >= 90 %)",
        naive.wall / pipeline.wall,
        pipeline.busy * 100.0
    );
}
