//! Text normalised against evasion before phrases and brands are matched.
//!
//! Phishing writes its words so that a reader sees them and a filter does not: full-width
//! letters (`ＰａｙＰａｌ`), half-width katakana (`ｶｰﾄﾞ`), mathematical letters (`𝐀𝐦𝐚𝐳𝐨𝐧`), and
//! spaces slipped between the characters (`三 井 住 友 カ ー ド`, `E T Cマイレージ`). Matching
//! runs on a normalised copy:
//!
//! - compatibility forms folded (Unicode NFKC, per character, with half-width voiced marks
//!   joined to their kana), so every width and styled alphabet reads as the plain one;
//! - characters that render as nothing removed (zero-width spaces, soft hyphens…);
//! - spaces between CJK characters removed (Japanese and Chinese are written without them, so
//!   nothing is lost), and spaces inside a run of single letters ("P a y P a l") removed when
//!   the run is three letters or more, or touches CJK text.
//!
//! Every byte of the copy remembers where it came from, so a match is quoted from the mail as
//! the reader saw it ([`Normalised::source_span`]), and the spaced-out runs that were closed
//! up are kept ([`Normalised::closed_up`]) as evidence of the disguise.

use unicode_normalization::UnicodeNormalization;

/// A normalised copy of a text, with the way back to the original.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Normalised {
    pub text: String,
    /// For each byte of `text`, the byte offset in the original of the character it came from;
    /// empty when the text is the original itself (the ASCII fast path allocates no map).
    origin: Vec<u32>,
    /// Byte length of the original.
    source_len: usize,
    /// Original byte ranges of spaced-out runs that were closed up (three cells or more).
    closed_up: Vec<(usize, usize)>,
}

impl Normalised {
    /// Normalises `source` (see the module docs).
    pub fn new(source: &str) -> Normalised {
        // Fast path: plain ASCII without a run of single letters is its own normal form.
        if source.is_ascii() && !has_spaced_letters(source.as_bytes()) {
            return Normalised {
                text: source.to_string(),
                origin: Vec::new(),
                source_len: source.len(),
                closed_up: Vec::new(),
            };
        }
        let folded = fold(source);
        close_up(&folded, source.len())
    }

    /// The original byte range of the normalised range `start..end`; `source` is the text this
    /// was made from.
    pub fn source_span(&self, source: &str, start: usize, end: usize) -> (usize, usize) {
        let origin = |i: usize| -> Option<usize> {
            if self.origin.is_empty() && !self.text.is_empty() {
                (i < self.text.len()).then_some(i)
            } else {
                self.origin.get(i).map(|&o| o as usize)
            }
        };
        let (Some(from), Some(last)) = (origin(start), end.checked_sub(1).and_then(origin)) else {
            let at = origin(start).unwrap_or(self.source_len);
            return (at, at);
        };
        if start >= end {
            return (from, from);
        }
        // The end of the original character the last byte came from.
        let mut to = last + source.get(last..).and_then(|s| s.chars().next()).map_or(0, char::len_utf8);
        // A half-width voiced mark was joined to the kana before it (ｶﾞ → ガ).
        if let Some(mark) = source.get(to..).and_then(|s| s.chars().next())
            && matches!(mark, '\u{ff9e}' | '\u{ff9f}')
        {
            to += mark.len_utf8();
        }
        (from, to.max(from))
    }

    /// Spaced-out runs that were closed up, as original byte ranges.
    pub fn closed_up(&self) -> &[(usize, usize)] {
        &self.closed_up
    }

    /// Whether the normalised range `start..end` overlaps a run that was closed up.
    pub fn was_spaced_out(&self, source: &str, start: usize, end: usize) -> bool {
        let (s, e) = self.source_span(source, start, end);
        self.closed_up.iter().any(|&(a, b)| a < e && s < b)
    }
}

/// Plain ASCII holding "x y z": a run that closing up would change (three letters or digits
/// standing alone, one or two spaces or tabs apart, as [`close_up`] reads them). Goes word by
/// word.
fn has_spaced_letters(b: &[u8]) -> bool {
    let mut run = 0;
    let mut last_single_end: Option<usize> = None;
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_alphanumeric() {
            i += 1;
        }
        if i - start > 1 {
            run = 0;
            last_single_end = None;
            continue;
        }
        let gap_before = last_single_end.is_some_and(|e| {
            (1..=2).contains(&(start - e)) && b[e..start].iter().all(|&c| c == b' ' || c == b'\t')
        });
        run = if gap_before { run + 1 } else { 1 };
        if run >= 3 {
            return true;
        }
        last_single_end = Some(i);
    }
    false
}

/// One character of the folded text and where it came from.
#[derive(Clone, Copy)]
struct Folded {
    c: char,
    at: u32,
}

/// NFKC per character, invisible characters dropped, half-width voiced marks joined.
fn fold(source: &str) -> Vec<Folded> {
    let mut out: Vec<Folded> = Vec::with_capacity(source.len());
    for (at, c) in source.char_indices() {
        let at = at as u32;
        if crate::text::is_invisible(c) {
            continue;
        }
        if c.is_ascii() || nfkc_stable(c) {
            out.push(Folded { c, at });
            continue;
        }
        for f in std::iter::once(c).nfkc() {
            // ﾞ and ﾟ fold to combining marks: join them to the kana before them (ｶﾞ → ガ).
            if matches!(f, '\u{3099}' | '\u{309a}')
                && let Some(last) = out.last_mut()
                && let Some(joined) = unicode_normalization::char::compose(last.c, f)
            {
                last.c = joined;
                continue;
            }
            // NFKC turns the ideographic space into a plain one; other spaces stay spaces.
            out.push(Folded { c: f, at });
        }
    }
    out
}

/// Common characters that NFKC leaves as they are, folded without running the normaliser:
/// Latin-1 letters, kana, unified Han, the prolonged sound mark and CJK brackets and stops. The
/// half-width and full-width forms, compatibility ideographs and voiced marks are not here.
fn nfkc_stable(c: char) -> bool {
    matches!(c as u32,
        0xc0..=0xff | 0x3001..=0x3002 | 0x3008..=0x3011 | 0x3041..=0x3096 | 0x30a1..=0x30fa
        | 0x30fc | 0x4e00..=0x9fff)
}

/// Chinese and Japanese characters (Han, kana, the prolonged sound mark, CJK punctuation).
#[inline]
pub fn is_cjk(c: char) -> bool {
    // Most characters of most mail are below the first CJK block: one comparison for them.
    if (c as u32) < 0x3005 {
        return false;
    }
    matches!(c as u32,
        0x3005..=0x3007 | 0x3040..=0x30ff | 0x31f0..=0x31ff | 0x3400..=0x4dbf | 0x4e00..=0x9fff
        | 0xf900..=0xfaff | 0x20000..=0x2fa1f)
}

/// Horizontal white space that may be slipped between characters.
fn is_gap(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\u{a0}' | '\u{3000}')
}

/// A character that stands alone between gaps: a CJK character, or a letter or digit with no
/// letter or digit touching it.
#[inline]
fn is_cell(chars: &[Folded], i: usize) -> bool {
    let c = chars[i].c;
    if is_cjk(c) {
        return true;
    }
    if !c.is_alphanumeric() {
        return false;
    }
    let word = |j: Option<usize>| {
        j.and_then(|j| chars.get(j)).is_some_and(|f| f.c.is_alphanumeric() && !is_cjk(f.c))
    };
    !word(i.checked_sub(1)) && !word(Some(i + 1))
}

/// Removes the gaps inside runs of cells (see the module docs) and builds the offset map.
fn close_up(chars: &[Folded], source_len: usize) -> Normalised {
    let n = chars.len();
    let mut drop = vec![false; n];
    let mut closed_up = Vec::new();
    let mut cells: Vec<usize> = Vec::new();
    let mut i = 0;
    let latin = |c: char| c.is_alphanumeric() && !is_cjk(c);
    while i < n {
        if !is_cell(chars, i) {
            // A letter of a word of two or more: none of the word's letters stands alone.
            if latin(chars[i].c) {
                while i < n && latin(chars[i].c) {
                    i += 1;
                }
            } else {
                i += 1;
            }
            continue;
        }
        // A run: cell (gap{1,2} cell)*.
        let start = i;
        cells.clear();
        cells.push(i);
        let mut j = i;
        loop {
            let mut k = j + 1;
            while k < n && k - j <= 2 && is_gap(chars[k].c) {
                k += 1;
            }
            if k > j + 1 && k - j <= 3 && k < n && is_cell(chars, k) {
                cells.push(k);
                j = k;
            } else {
                break;
            }
        }
        let end = j;
        if cells.len() >= 2 {
            let latin = cells.iter().filter(|&&c| !is_cjk(chars[c].c)).count();
            let touches_cjk = cells.iter().any(|&c| is_cjk(chars[c].c))
                || chars.get(end + 1).is_some_and(|f| is_cjk(f.c))
                || start.checked_sub(1).is_some_and(|p| is_cjk(chars[p].c));
            // Gaps between two CJK cells always go; a run with Latin letters closes up when it is
            // long enough not to be ordinary words ("a I") or when it touches CJK text.
            let close_all = latin == 0 || cells.len() >= 3 || touches_cjk;
            for w in cells.windows(2) {
                let both_cjk = is_cjk(chars[w[0]].c) && is_cjk(chars[w[1]].c);
                if close_all || both_cjk {
                    for d in drop.iter_mut().take(w[1]).skip(w[0] + 1) {
                        *d = true;
                    }
                }
            }
            // Evidence of a disguise needs three cells standing alone: "により 2 件の" closes up
            // but is ordinary Japanese spacing, since its end cells belong to the words around.
            let glued = |p: Option<usize>| {
                p.and_then(|p| chars.get(p)).is_some_and(|f| is_cjk(f.c) || f.c.is_alphanumeric())
            };
            let alone =
                cells.len() - usize::from(glued(start.checked_sub(1))) - usize::from(glued(Some(end + 1)));
            if alone >= 3 && close_all {
                let to = chars.get(end + 1).map_or(source_len, |f| f.at as usize);
                closed_up.push((chars[start].at as usize, to));
            }
        }
        i = end + 1;
    }
    let mut text = String::with_capacity(n);
    let mut origin = Vec::with_capacity(n);
    for (f, dropped) in chars.iter().zip(&drop) {
        if *dropped {
            continue;
        }
        let before = text.len();
        text.push(f.c);
        origin.extend(std::iter::repeat_n(f.at, text.len() - before));
    }
    Normalised { text, origin, source_len, closed_up }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        Normalised::new(s).text
    }

    /// The ASCII fast path is taken only where closing up would change nothing.
    #[test]
    fn ascii_fast_path_agrees_with_closing_up() {
        for s in [
            "P a y P a l",
            "P  a  y  P  a  l",
            "P\ta\tl",
            "a b",
            "I am a b c",
            "x y. z",
            "ab c d e",
            "a  b   c",
            "1 2 3 go",
            "plain words only",
            "",
        ] {
            let slow = close_up(&fold(s), s.len()).text;
            assert_eq!(Normalised::new(s).text, slow, "{s:?}");
            assert_eq!(has_spaced_letters(s.as_bytes()), slow != s, "{s:?}");
        }
    }

    #[test]
    fn widths_and_styled_letters_fold() {
        assert_eq!(norm("ＰａｙＰａｌ　アカウント"), "PayPal アカウント");
        assert_eq!(norm("ｶｰﾄﾞのご利用確認"), "カードのご利用確認");
        assert_eq!(norm("ﾊﾟｽﾜｰﾄﾞ"), "パスワード");
        assert_eq!(norm("𝐀𝐦𝐚𝐳𝐨𝐧 ①"), "Amazon 1");
        assert_eq!(norm("ア\u{200b}カウ\u{ad}ント"), "アカウント");
    }

    #[test]
    fn spaces_between_cjk_and_spaced_letters_close_up() {
        assert_eq!(norm("三 井 住 友 カ ー ド"), "三井住友カード");
        assert_eq!(norm("E T Cマイレージサービス"), "ETCマイレージサービス");
        assert_eq!(norm("P a y P a l account"), "PayPal account");
        assert_eq!(norm("カード 会員様"), "カード会員様");
    }

    #[test]
    fn ordinary_text_is_left_alone() {
        for s in ["I am a B student", "Room 4 B", "see p. 3", "x = a + b", "0120 919 456", "Hello, world"] {
            assert_eq!(norm(s), s, "{s}");
        }
        assert_eq!(norm("カード\n会員"), "カード\n会員", "line breaks stay");
    }

    #[test]
    fn spans_map_back_to_the_original() {
        let src = "ご案内: 三 井 住 友 カ ー ド の件";
        let n = Normalised::new(src);
        let at = n.text.find("三井住友カード").unwrap();
        let (s, e) = n.source_span(src, at, at + "三井住友カード".len());
        assert_eq!(&src[s..e], "三 井 住 友 カ ー ド");
        assert!(n.was_spaced_out(src, at, at + 3));
        let src = "同期エラーにより 2 件のメールが返送されました";
        let n = Normalised::new(src);
        assert_eq!(n.text, "同期エラーにより2件のメールが返送されました");
        assert!(n.closed_up().is_empty(), "ordinary spacing around a number is no disguise");
        let src = "ｶｰﾄﾞ確認";
        let n = Normalised::new(src);
        let (s, e) = n.source_span(src, 0, "カード".len());
        assert_eq!(&src[s..e], "ｶｰﾄﾞ");
        let plain = Normalised::new("plain text");
        assert_eq!(plain.source_span("plain text", 6, 10), (6, 10));
        assert!(plain.closed_up().is_empty());
    }

    #[test]
    fn the_fast_path_agrees_with_nfkc() {
        let ranges = [
            0xc0..=0xff,
            0x3001..=0x3002,
            0x3008..=0x3011,
            0x3041..=0x3096,
            0x30a1..=0x30fa,
            0x30fc..=0x30fc,
            0x4e00..=0x9fff,
        ];
        for c in ranges.into_iter().flatten().filter_map(char::from_u32) {
            assert!(super::nfkc_stable(c));
            assert_eq!(std::iter::once(c).nfkc().collect::<String>(), c.to_string(), "{c:?}");
        }
    }

    #[test]
    fn hostile_text_is_harmless() {
        let long: String = "ｶﾞ ".repeat(20_000) + &"a ".repeat(20_000);
        let n = Normalised::new(&long);
        assert!(n.text.starts_with("ガガ"));
        for s in ["\u{3099}", "ﾞﾞﾞ", " ", "", "a", "\u{3000}\u{3000}"] {
            let n = Normalised::new(s);
            let _ = n.source_span(s, 0, n.text.len());
        }
    }
}
