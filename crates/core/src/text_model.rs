//! The learned text model: how much a mail's own words read like phishing.
//!
//! Phrase lists catch the stories they were written for; a lure worded differently ("confirm
//! your records or your account will be suspended") slips past them. The text model is a
//! logistic regression over hashed features of the text, trained on labelled mail
//! (`kaibo learn`, or `kaibo eval --fit` for the bundled one). It adds one finding,
//! `content.text_model`, with its probability and, as evidence, the phrases that weighed most.
//!
//! **Features.** The text is normalised against evasion ([`crate::normalise`]) and lower-cased.
//! Latin-script and other alphabetic words give word unigrams and bigrams (digits folded to
//! `0`, so a year or an amount is a shape, not a value); Chinese and Japanese give character
//! bigrams, which need no word segmentation. Each feature is hashed (FNV-1a) into 2^`bits`
//! buckets and counted once per mail, with value 1/√n for a mail of n features.
//!
//! **What it reads.** Only what the sender wrote: the subject without list tags and spam
//! stamps, the visible text without quoted replies and mailing-list footers, with the
//! recipients' addresses and names masked. So it cannot learn a list's footer, a honeypot's
//! address or another filter's stamp as evidence.
//!
//! **The file** (`.kbtm`): a small header, the bias, the non-zero weights quantised to 16 bits
//! with delta-coded bucket numbers, and a JSON description of how it was trained. The bundled
//! model is `data/text-model.kbtm`.

use serde::{Deserialize, Serialize};

use crate::body::Content;
use crate::knowledge::Knowledge;
use crate::mail::MailFacts;
use crate::normalise::{Normalised, is_cjk};

/// Characters of text the model reads (the head of a long mail says what it wants).
pub const MAX_MODEL_CHARS: usize = 20_000;
/// Bucket bits of the models kaibo trains.
pub const DEFAULT_BITS: u8 = 18;
const MAGIC: &[u8; 4] = b"KBTM";
const FORMAT_VERSION: u16 = 1;

/// How a model was trained, stored in its file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// Mails it was trained on, by label.
    pub phish: usize,
    pub ham: usize,
    /// Where they came from (source names or folders), when known.
    #[serde(default)]
    pub sources: Vec<String>,
    /// The command that trained it.
    #[serde(default)]
    pub command: String,
}

/// A trained text model.
#[derive(Clone, PartialEq)]
pub struct TextModel {
    bits: u8,
    bias: f32,
    /// Dense weights, one per bucket.
    weights: Vec<f32>,
    pub info: ModelInfo,
}

impl std::fmt::Debug for TextModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "TextModel {{ bits: {}, bias: {}, nonzero: {}, info: {:?} }}",
            self.bits,
            self.bias,
            self.nonzero(),
            self.info
        )
    }
}

/// The hashed features of one mail's text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    /// Bucket numbers, sorted, each once.
    pub buckets: Vec<u32>,
    /// The text is Japanese (kana). Training uses it to keep the language itself from
    /// becoming evidence (see `kaibo-learn`).
    pub japanese: bool,
}

impl Document {
    pub fn new(text: &str, bits: u8) -> Document {
        Document::of(&Features::of(text), bits)
    }

    fn of(features: &Features, bits: u8) -> Document {
        let mut buckets: Vec<u32> = features.list.iter().map(|f| bucket(f.hash, bits)).collect();
        buckets.sort_unstable();
        buckets.dedup();
        Document { buckets, japanese: features.kana >= 5 }
    }

    /// The value of each present feature: 1/√n.
    pub fn value(&self) -> f32 {
        if self.buckets.is_empty() { 0.0 } else { 1.0 / (self.buckets.len() as f32).sqrt() }
    }
}

/// One feature of a text: its hash and where it is in the normalised text.
#[derive(Clone, Copy)]
struct Feature {
    /// FNV-1a 64 of the feature's key: a kind byte (`w` word, `b` word pair, `c` CJK pair,
    /// `u` lone CJK character) and its text, digits read as 0.
    hash: u64,
    kind: u8,
    /// Byte span in the normalised text; a word pair's first word is at `prev`.
    start: usize,
    end: usize,
    prev: Option<(usize, usize)>,
    cjk: bool,
}

impl Feature {
    /// What a reader would recognise: the word, the two words, the characters.
    fn shown(&self, text: &str) -> String {
        let digits =
            |s: &str| s.chars().map(|c| if c.is_ascii_digit() { '0' } else { c }).collect::<String>();
        match (self.kind, self.prev) {
            (b'b', Some((a, b))) => {
                format!("{} {}", digits(&text[a..b]), digits(&text[self.start..self.end]))
            }
            (b'c' | b'u', _) => text[self.start..self.end].to_string(),
            _ => digits(&text[self.start..self.end]),
        }
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a 64 over `bytes`, ASCII digits read as '0', continuing from `h`.
fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        let b = if b.is_ascii_digit() { b'0' } else { b };
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The features of a text (with repeats), in order, over its normalised copy.
struct Features {
    /// The normalised, lower-cased text the spans refer to.
    text: String,
    list: Vec<Feature>,
    /// Kana among the first 4,000 characters: the text is Japanese at five.
    kana: usize,
}

impl Features {
    /// Reads `text` once; hashes are computed in place, with no string per feature.
    fn of(text: &str) -> Features {
        let head = crate::text::head(text, MAX_MODEL_CHARS);
        let mut text = Normalised::new(head).text;
        if text.is_ascii() {
            text.make_ascii_lowercase();
        } else {
            text = text.to_lowercase();
        }
        let (list, kana) = scan_features(&text);
        Features { text, list, kana }
    }
}

fn scan_features(n: &str) -> (Vec<Feature>, usize) {
    let mut list = Vec::with_capacity(n.len() / 3);
    let mut f = |feature: &Feature, _: &str| list.push(*feature);
    let chars: Vec<(usize, char)> = n.char_indices().collect();
    let kana = chars.iter().take(4000).filter(|(_, c)| matches!(*c as u32, 0x3040..=0x30ff)).count();
    let mut i = 0;
    // The previous word of the same sentence, for pairs.
    let mut prev_word: Option<(usize, usize)> = None;
    while i < chars.len() {
        let (at, c) = chars[i];
        if is_cjk(c) {
            let start = i;
            while i < chars.len() && is_cjk(chars[i].1) {
                i += 1;
            }
            let run = &chars[start..i];
            if run.len() == 1 {
                let end = at + c.len_utf8();
                let hash = fnv(fnv(FNV_OFFSET, b"u"), &n.as_bytes()[at..end]);
                f(&Feature { hash, kind: b'u', start: at, end, prev: None, cjk: true }, n);
            }
            for w in run.windows(2) {
                let end = w[1].0 + w[1].1.len_utf8();
                let hash = fnv(fnv(FNV_OFFSET, b"c"), &n.as_bytes()[w[0].0..end]);
                f(&Feature { hash, kind: b'c', start: w[0].0, end, prev: None, cjk: true }, n);
            }
            prev_word = None;
            continue;
        }
        if c.is_alphanumeric() {
            let start = i;
            while i < chars.len() && chars[i].1.is_alphanumeric() && !is_cjk(chars[i].1) {
                i += 1;
            }
            let end = chars.get(i).map_or(n.len(), |(b, _)| *b);
            let len = i - start;
            if (2..=30).contains(&len) {
                let word = &n.as_bytes()[at..end];
                if let Some((a, b)) = prev_word {
                    let h = fnv(fnv(fnv(FNV_OFFSET, b"b"), &n.as_bytes()[a..b]), b" ");
                    let hash = fnv(h, word);
                    f(&Feature { hash, kind: b'b', start: at, end, prev: prev_word, cjk: false }, n);
                }
                let hash = fnv(fnv(FNV_OFFSET, b"w"), word);
                f(&Feature { hash, kind: b'w', start: at, end, prev: None, cjk: false }, n);
                prev_word = Some((at, end));
            } else if len > 30 {
                prev_word = None;
            }
            continue;
        }
        if matches!(c, '\n' | '.' | '!' | '?' | '。' | '！' | '？' | ':' | ';') {
            prev_word = None;
        }
        i += 1;
    }
    (list, kana)
}

/// A feature hash folded to `bits` bits.
fn bucket(hash: u64, bits: u8) -> u32 {
    ((hash ^ (hash >> 32)) & ((1u64 << bits) - 1)) as u32
}

/// What the model reads of a mail: the subject without list tags and spam stamps, then the
/// sender's own lines (no quoted reply, nothing after a mailing-list footer), with the
/// recipients' addresses and names masked.
pub fn model_text(mail: &MailFacts, content: &Content, k: &Knowledge) -> String {
    let mut subject = content.subject.trim();
    loop {
        let before = subject;
        if let Some(stamp) = k.subject_stamp(subject)
            && let Some(rest) = subject.get(stamp.len()..)
        {
            subject = rest.trim_start();
        }
        // A list's tag ("[Osst-users] …") is the list's name, not the sender's words.
        if mail.is_list_mail()
            && subject.starts_with('[')
            && let Some(end) = subject.find(']')
        {
            subject = subject[end + 1..].trim_start();
        }
        if subject == before {
            break;
        }
    }
    let mut text =
        String::with_capacity(content.visible_text.len().min(MAX_MODEL_CHARS * 4) + subject.len() + 1);
    text.push_str(subject);
    text.push('\n');
    let list = mail.is_list_mail();
    for line in crate::text::own_lines(&content.visible_text) {
        let t = line.trim_start();
        // Mailman's footer starts at a rule of underscores.
        if list && t.len() >= 20 && t.bytes().all(|b| b == b'_') {
            break;
        }
        text.push_str(line);
        text.push('\n');
        if text.len() > MAX_MODEL_CHARS * 4 {
            break;
        }
    }
    mask_recipients(&text, mail)
}

/// The recipients' addresses, local parts (four characters or more) and display names, each
/// replaced by "recipient".
fn mask_recipients(text: &str, mail: &MailFacts) -> String {
    let mut needles: Vec<String> = Vec::new();
    let delivered: Vec<&str> = mail.header_values("Delivered-To").map(|(_, v)| v).take(4).collect();
    for m in mail.to.iter().chain(&mail.cc).take(20) {
        if let Some(a) = &m.address {
            needles.push(a.to_lowercase());
            if let Some((local, _)) = a.split_once('@')
                && local.chars().count() >= 4
            {
                needles.push(local.to_lowercase());
            }
        }
        if let Some(n) = &m.name
            && n.chars().count() >= 4
        {
            needles.push(n.to_lowercase());
        }
    }
    for d in delivered {
        needles.push(d.trim().trim_matches(['<', '>']).to_lowercase());
    }
    needles.retain(|n| !n.is_empty());
    // Longest first, so an address is masked before its local part.
    needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
    needles.dedup();
    let mut out = text.to_lowercase();
    for n in &needles {
        out = replace_words(&out, n);
    }
    out
}

/// `text` with every occurrence of `needle` that is not part of a longer word replaced by
/// "recipient".
fn replace_words(text: &str, needle: &str) -> String {
    if !text.contains(needle) {
        return text.to_string();
    }
    let wordy = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() && !is_cjk(c));
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    for (at, _) in text.match_indices(needle) {
        if at < rest {
            continue;
        }
        let before = text[..at].chars().next_back();
        let after = text[at + needle.len()..].chars().next();
        if wordy(before) || wordy(after) {
            continue;
        }
        out.push_str(&text[rest..at]);
        out.push_str("recipient");
        rest = at + needle.len();
    }
    out.push_str(&text[rest..]);
    out
}

/// What the text model says of one mail.
#[derive(Debug, Clone, PartialEq)]
pub struct TextVerdict {
    pub probability: f64,
    /// The phrases that weighed most (only worked out when the probability counts).
    pub phrases: Vec<(String, f32)>,
}

/// The model's verdict on a mail's model text; the phrases are worked out when the probability
/// reaches a band that counts.
pub fn judge(model: &TextModel, text: &str, k: &Knowledge) -> TextVerdict {
    let features = Features::of(text);
    let probability = model.probability(&Document::of(&features, model.bits));
    let phrases =
        if k.text_model_weight(probability) > 0 { model.explain_features(&features, 5) } else { Vec::new() };
    TextVerdict { probability, phrases }
}

impl TextModel {
    /// A model from trained weights (one per bucket; the length is 2^`bits`).
    pub fn new(bits: u8, bias: f32, weights: Vec<f32>, info: ModelInfo) -> TextModel {
        assert_eq!(weights.len(), 1usize << bits, "one weight per bucket");
        TextModel { bits, bias, weights, info }
    }

    pub fn bits(&self) -> u8 {
        self.bits
    }

    /// Number of buckets with a weight.
    pub fn nonzero(&self) -> usize {
        self.weights.iter().filter(|w| **w != 0.0).count()
    }

    /// The log-odds that the mail is phishing.
    pub fn logit(&self, doc: &Document) -> f64 {
        let v = f64::from(doc.value());
        let sum: f64 = doc.buckets.iter().map(|&b| f64::from(self.weights[b as usize])).sum();
        f64::from(self.bias) + sum * v
    }

    pub fn probability(&self, doc: &Document) -> f64 {
        1.0 / (1.0 + (-self.logit(doc)).exp())
    }

    /// The phrases of `text` that pushed the model towards phishing most, strongest first:
    /// words and word pairs as they are, adjacent character pairs of Chinese and Japanese
    /// merged into the phrase they make.
    pub fn explain(&self, text: &str, top: usize) -> Vec<(String, f32)> {
        self.explain_features(&Features::of(text), top)
    }

    fn explain_features(&self, all: &Features, top: usize) -> Vec<(String, f32)> {
        let positive: Vec<(Feature, f32)> = all
            .list
            .iter()
            .filter_map(|f| {
                let w = self.weights[bucket(f.hash, self.bits) as usize];
                (w > 0.0).then_some((*f, w))
            })
            .collect();
        // Candidate phrases as spans (no strings yet): a word or word pair alone; overlapping
        // CJK pairs (each starting where the previous one's second character does) as one.
        let mut candidates: Vec<(Feature, usize, f32)> = Vec::new();
        let mut i = 0;
        while i < positive.len() {
            let (f, w) = positive[i];
            let mut end = f.end;
            let mut score = w;
            let mut j = i + 1;
            if f.cjk {
                while j < positive.len()
                    && positive[j].0.cjk
                    && positive[j].0.start < end
                    && positive[j].0.start > f.start
                {
                    end = positive[j].0.end;
                    score += positive[j].1;
                    j += 1;
                }
            }
            candidates.push((f, end, score));
            i = j;
        }
        // Strongest first (earliest on a tie); strings only for the phrases that may be kept.
        candidates.sort_by(|a, b| b.2.total_cmp(&a.2).then_with(|| a.0.start.cmp(&b.0.start)));
        let mut kept: Vec<(String, f32)> = Vec::new();
        for (f, end, score) in candidates {
            let phrase = if f.cjk { all.text[f.start..end].to_string() } else { f.shown(&all.text) };
            // A phrase seen already (with a higher score), or a word inside a stronger phrase,
            // adds nothing.
            if !kept.iter().any(|(k, _)| k.contains(phrase.as_str())) {
                kept.push((phrase, score));
            }
            if kept.len() == top {
                break;
            }
        }
        kept
    }

    /// The model as a `.kbtm` file.
    pub fn to_bytes(&self) -> Vec<u8> {
        let max = self.weights.iter().fold(0f32, |m, w| m.max(w.abs()));
        let scale = if max > 0.0 { max / f32::from(i16::MAX) } else { 1.0 };
        let info = serde_json::to_vec(&self.info).expect("model info serialises");
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.push(self.bits);
        out.push(0);
        out.extend_from_slice(&self.bias.to_le_bytes());
        out.extend_from_slice(&scale.to_le_bytes());
        out.extend_from_slice(&(info.len() as u32).to_le_bytes());
        out.extend_from_slice(&info);
        let entries: Vec<(u32, i16)> = self
            .weights
            .iter()
            .enumerate()
            .filter_map(|(b, w)| {
                let q = (w / scale).round() as i16;
                (q != 0).then_some((b as u32, q))
            })
            .collect();
        out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
        let mut last = 0u32;
        for (b, q) in entries {
            let mut delta = b - last;
            last = b;
            loop {
                let byte = (delta & 0x7f) as u8;
                delta >>= 7;
                if delta == 0 {
                    out.push(byte);
                    break;
                }
                out.push(byte | 0x80);
            }
            out.extend_from_slice(&q.to_le_bytes());
        }
        out
    }

    /// Reads a `.kbtm` file.
    pub fn from_bytes(bytes: &[u8]) -> Result<TextModel, String> {
        let mut r = Reader { b: bytes, at: 0 };
        if r.take(4)? != MAGIC {
            return Err("not a kaibo text model (no KBTM header)".into());
        }
        let version = u16::from_le_bytes(r.take(2)?.try_into().unwrap());
        if version != FORMAT_VERSION {
            return Err(format!("text model format {version}, this kaibo reads {FORMAT_VERSION}"));
        }
        let bits = r.take(2)?[0];
        if !(10..=24).contains(&bits) {
            return Err(format!("text model with {bits} bucket bits"));
        }
        let bias = f32::from_le_bytes(r.take(4)?.try_into().unwrap());
        let scale = f32::from_le_bytes(r.take(4)?.try_into().unwrap());
        let info_len = u32::from_le_bytes(r.take(4)?.try_into().unwrap()) as usize;
        let info: ModelInfo =
            serde_json::from_slice(r.take(info_len)?).map_err(|e| format!("text model description: {e}"))?;
        let n = u32::from_le_bytes(r.take(4)?.try_into().unwrap()) as usize;
        let size = 1usize << bits;
        let mut weights = vec![0f32; size];
        let mut at = 0u64;
        for _ in 0..n {
            let mut delta = 0u64;
            let mut shift = 0;
            loop {
                let byte = r.take(1)?[0];
                delta |= u64::from(byte & 0x7f) << shift;
                if byte & 0x80 == 0 {
                    break;
                }
                shift += 7;
                if shift > 35 {
                    return Err("text model: bad bucket number".into());
                }
            }
            at += delta;
            let q = i16::from_le_bytes(r.take(2)?.try_into().unwrap());
            let slot = weights.get_mut(at as usize).ok_or("text model: bucket out of range")?;
            *slot = f32::from(q) * scale;
        }
        if r.at != bytes.len() {
            return Err("text model: trailing bytes".into());
        }
        if !bias.is_finite() || !scale.is_finite() {
            return Err("text model: weights are not numbers".into());
        }
        Ok(TextModel { bits, bias, weights, info })
    }

    /// The model shipped with kaibo (`data/text-model.kbtm`), or none when the build has none.
    pub fn bundled() -> Option<&'static TextModel> {
        static MODEL: std::sync::OnceLock<Option<TextModel>> = std::sync::OnceLock::new();
        MODEL
            .get_or_init(|| {
                let bytes: &[u8] = include_bytes!("../../../data/text-model.kbtm");
                if bytes.is_empty() {
                    return None;
                }
                Some(TextModel::from_bytes(bytes).unwrap_or_else(|e| panic!("data/text-model.kbtm: {e}")))
            })
            .as_ref()
    }
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end =
            self.at.checked_add(n).filter(|e| *e <= self.b.len()).ok_or("text model: truncated file")?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let features = Features::of(text);
        for f in &features.list {
            let key = format!("{}{}", f.kind as char, f.shown(&features.text));
            // The hash is the key's, computed without building it.
            assert_eq!(f.hash, fnv(FNV_OFFSET, key.as_bytes()));
            out.push(key);
        }
        out
    }

    #[test]
    fn words_pairs_and_cjk_bigrams() {
        assert_eq!(
            keys("Verify your account in 24 hours."),
            [
                "wverify",
                "bverify your",
                "wyour",
                "byour account",
                "waccount",
                "baccount in",
                "win",
                "bin 00",
                "w00",
                "b00 hours",
                "whours"
            ]
        );
        assert_eq!(keys("カード確認"), ["cカー", "cード", "cド確", "c確認"]);
        // Spaced-out and full-width text reads as the plain text.
        assert_eq!(keys("三 井 住 友"), keys("三井住友"));
        assert_eq!(keys("ＶＥＲＩＦＹ"), keys("verify"));
    }

    #[test]
    fn documents_hash_stably() {
        let d = Document::new("Your account is suspended", 18);
        assert_eq!(d.buckets.len(), 7);
        assert!(d.buckets.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(d, Document::new("Your account is suspended", 18));
        assert!(!d.japanese);
        assert!(Document::new("アカウントが停止されました", 18).japanese);
    }

    #[test]
    fn recipients_are_masked_as_words() {
        assert_eq!(
            replace_words("dear info, information at info@x.example", "info@x.example"),
            "dear info, information at recipient"
        );
        assert_eq!(replace_words("dear info, information", "info"), "dear recipient, information");
        assert_eq!(replace_words("phishing様", "phishing"), "recipient様");
    }

    #[test]
    fn files_round_trip() {
        let mut weights = vec![0f32; 1 << 12];
        weights[3] = 1.5;
        weights[4000] = -0.25;
        weights[77] = 0.001;
        let info = ModelInfo { phish: 3, ham: 4, sources: vec!["a".into()], command: "test".into() };
        let m = TextModel::new(12, -0.5, weights, info);
        let back = TextModel::from_bytes(&m.to_bytes()).unwrap();
        assert_eq!(back.bits, 12);
        assert_eq!(back.info, m.info);
        assert!((back.weights[3] - 1.5).abs() < 1e-3);
        assert!((back.weights[4000] + 0.25).abs() < 1e-3);
        assert_eq!(back.nonzero(), 3);
        // Truncated and corrupted files are refused, never a panic.
        let bytes = m.to_bytes();
        for cut in 0..bytes.len() {
            assert!(TextModel::from_bytes(&bytes[..cut]).is_err());
        }
        assert!(TextModel::from_bytes(b"KBTM\x09\x00").is_err());
    }

    #[test]
    fn explanations_merge_cjk_pairs() {
        let text = "カードの利用を停止しました。 verify now";
        let mut weights = vec![0f32; 1 << 12];
        for key in ["c利用", "c用を", "c停止", "wverify"] {
            weights[bucket(fnv(FNV_OFFSET, key.as_bytes()), 12) as usize] = 1.0;
        }
        let m = TextModel::new(12, 0.0, weights, ModelInfo::default());
        let phrases: Vec<String> = m.explain(text, 5).into_iter().map(|(p, _)| p).collect();
        assert!(phrases.contains(&"利用を".to_string()), "{phrases:?}");
        assert!(phrases.contains(&"停止".to_string()), "{phrases:?}");
        assert!(phrases.contains(&"verify".to_string()), "{phrases:?}");
    }
}
