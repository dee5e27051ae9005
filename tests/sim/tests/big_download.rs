//! A 2 GiB generated item streams with flat memory (own test binary, so the peak RSS
//! measured is this test's).

mod common;

use std::io::Read;
use std::time::Instant;

use common::*;
use futures::StreamExt;
use tableau_sim::{ContentKind, Sim, SimConfig};

/// Peak resident set size of this process, in KiB (Linux).
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_gib_download_streams_with_flat_memory() {
    const SIZE: u64 = 2 << 30;
    let sim = Sim::start(
        SimConfig::generated(77)
            .workbooks(2)
            .datasources(0)
            .flows(0)
            .big_items(1, SIZE),
    )
    .await
    .unwrap();
    let cat = sim.catalog();
    let big = cat
        .of_kind(ContentKind::Workbook)
        .find(|i| i.size == SIZE)
        .expect("a 2 GiB workbook")
        .clone();
    assert_eq!(big.ext, "twbx");
    let c = sign_in(&sim).await;
    let rss_before = peak_rss_kib();
    let t0 = Instant::now();
    let r = c.get(&format!("workbooks/{}/content", big.id)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-length"].to_str().unwrap(), SIZE.to_string());
    let first_byte_after = t0.elapsed();
    // Compare in lockstep with the library's reader (no 2 GiB buffers anywhere).
    let mut expected = sim.content_reader(ContentKind::Workbook, &big.id, true).unwrap();
    assert_eq!(expected.len(), SIZE);
    let mut stream = r.bytes_stream();
    let (mut total, mut chunks) = (0u64, 0u64);
    let mut buf = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.unwrap();
        if total == 0 {
            assert!(chunk.starts_with(b"PK\x03\x04"));
        }
        buf.resize(chunk.len(), 0);
        expected.read_exact(&mut buf).unwrap();
        assert!(buf[..] == chunk[..], "bytes differ near offset {total}");
        total += chunk.len() as u64;
        chunks += 1;
    }
    let elapsed = t0.elapsed();
    let rss_after = peak_rss_kib();
    eprintln!(
        "2 GiB in {elapsed:?} ({chunks} chunks, first byte after {first_byte_after:?}), peak RSS {rss_before} -> {rss_after} KiB"
    );
    assert_eq!(total, SIZE);
    assert!(chunks > 100, "streamed in chunks, got {chunks}");
    assert!(
        first_byte_after.as_secs_f64() < 1.0,
        "headers came before the body was generated"
    );
    assert!(
        rss_after.saturating_sub(rss_before) < 200 * 1024,
        "memory grew by {} KiB",
        rss_after - rss_before
    );
    let log = sim.log();
    assert!(log.bytes_sent >= SIZE);
    assert_eq!(log.count("GET workbooks/{id}/content"), 1);
}
