//! One message through the offline pipeline: `cargo bench -p kaibo-core`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const FIXTURES: &[(&str, &[u8])] = &[
    ("phish_seed_utf8", include_bytes!("../../../tests/fixtures/phish_seed_utf8.eml")),
    ("phish_seed_iso2022jp", include_bytes!("../../../tests/fixtures/phish_seed_iso2022jp.eml")),
    ("bounce_postfix", include_bytes!("../../../tests/fixtures/bounce_postfix.eml")),
    ("notice_isp_ja", include_bytes!("../../../tests/fixtures/notice_isp_ja.eml")),
];

fn analyze(c: &mut Criterion) {
    let opts = kaibo_core::Options::default();
    // Parse the knowledge once, as a long-running process would.
    let _ = kaibo_core::analyze(FIXTURES[0].1, &opts);
    let mut group = c.benchmark_group("analyze");
    for (name, raw) in FIXTURES {
        group.throughput(Throughput::Bytes(raw.len() as u64));
        group.bench_function(*name, |b| {
            b.iter(|| kaibo_core::analyze(std::hint::black_box(raw), &opts).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, analyze);
criterion_main!(benches);
