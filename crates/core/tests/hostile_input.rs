//! Hostile input: mutated and truncated versions of the fixtures, and pathological shapes, must
//! be analysed or refused cleanly, never panic, and finish quickly.

use std::time::{Duration, Instant};

const FIXTURES: &[&[u8]] = &[
    include_bytes!("../../../tests/fixtures/phish_seed_utf8.eml"),
    include_bytes!("../../../tests/fixtures/phish_seed_iso2022jp.eml"),
    include_bytes!("../../../tests/fixtures/bounce_postfix.eml"),
    include_bytes!("../../../tests/fixtures/notice_isp_ja.eml"),
    include_bytes!("../../../tests/fixtures/forward_phish_as_attachment.eml"),
];

/// xorshift64*: a fixed-seed generator, so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn check(input: &[u8]) {
    let t = Instant::now();
    let _ = kaibo_core::analyze(input, &kaibo_core::Options::default());
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "took {:?} on {:?}",
        t.elapsed(),
        String::from_utf8_lossy(&input[..input.len().min(200)])
    );
}

#[test]
fn mutated_fixtures_never_panic() {
    let mut rng = Rng(0x6b61_6962_6f21);
    let interesting: &[&[u8]] = &[
        b"<",
        b">",
        b"\"",
        b"=",
        b"=?",
        b"?=",
        b"--",
        b"\r\n",
        b"\n\n",
        b"\x1b$B",
        b"\xff",
        b"\x00",
        b":",
        b";",
        b"@",
        b"<a href=",
        b"boundary=",
        b"&#",
    ];
    for round in 0..3000 {
        let base = FIXTURES[round % FIXTURES.len()];
        let mut m = base.to_vec();
        for _ in 0..1 + rng.below(8) {
            let at = rng.below(m.len());
            match rng.below(5) {
                0 => m[at] = rng.next() as u8,
                1 => {
                    let end = (at + rng.below(64)).min(m.len());
                    m.drain(at..end);
                }
                2 => {
                    let tok = interesting[rng.below(interesting.len())];
                    m.splice(at..at, tok.iter().copied());
                }
                3 => m.truncate(at),
                _ => {
                    let end = (at + rng.below(200)).min(m.len());
                    let chunk = m[at..end].to_vec();
                    m.splice(at..at, chunk);
                }
            }
            if m.is_empty() {
                break;
            }
        }
        check(&m);
    }
}

#[test]
fn pathological_shapes_are_bounded() {
    let mut nested =
        b"From: a@example.com\r\nContent-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n".to_vec();
    for i in 1..200 {
        nested.extend(
            format!("--b{}\r\nContent-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n", i - 1).as_bytes(),
        );
    }
    check(&nested);

    let mut rfc822 = b"From: a@example.com\r\nSubject: x\r\n\r\nhi".to_vec();
    for _ in 0..50 {
        let mut outer = b"From: a@example.com\r\nContent-Type: message/rfc822\r\n\r\n".to_vec();
        outer.extend(&rfc822);
        rfc822 = outer;
    }
    check(&rfc822);

    let many_headers: Vec<u8> = (0..20_000)
        .flat_map(|i| format!("X-H{i}: v\r\n").into_bytes())
        .chain(b"\r\nbody".iter().copied())
        .collect();
    check(&many_headers);

    let mut long_html = b"From: a@example.com\r\nContent-Type: text/html\r\n\r\n".to_vec();
    long_html.extend("<div>".repeat(100_000).as_bytes());
    long_html.extend("<a href=\"http://x.example/\">".repeat(5_000).as_bytes());
    check(&long_html);

    let long_line: Vec<u8> = b"From: a@example.com\r\nSubject: "
        .iter()
        .copied()
        .chain(std::iter::repeat_n(b'a', 2_000_000))
        .collect();
    check(&long_line);

    let encoded_words: String = "=?utf-8?b?44GC?=".repeat(50_000);
    check(format!("From: a@example.com\r\nSubject: {encoded_words}\r\n\r\nx").as_bytes());
}

#[test]
fn size_limit_is_enforced() {
    let opts = kaibo_core::Options { max_input_bytes: 100, ..Default::default() };
    let err = kaibo_core::analyze(FIXTURES[0], &opts).unwrap_err();
    assert!(matches!(err, kaibo_core::AnalyzeError::TooLarge { limit: 100, .. }));
}
