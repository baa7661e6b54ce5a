//! Word patterns: a lure told in other words than the phrase lists have.
//!
//! A phrase list knows "account will be suspended" but not "your eBay account could be
//! suspended" or "access to bid or buy on eBay has been restricted". A word pattern names the
//! parts of the sentence instead: `{account|access} ~7 {be|been} {suspend*|restrict*}` is a
//! word from the first set, at most seven other words, a form of "be", and a word starting with
//! "suspend" or "restrict". Patterns are data (lures.toml `patterns`), matched on whole Latin
//! words, case-insensitively, inside one sentence, so "access. Be suspended" is no match.
//!
//! Syntax, word by word, separated by spaces:
//! - `word` or `{word|other}`: one word of the set; a trailing `*` makes it a prefix;
//! - `~N`: up to N other words (at most 9) between its neighbours.

/// One word of a pattern's set.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Alternative {
    text: String,
    prefix: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Word(Vec<Alternative>),
    Gap(usize),
}

/// A compiled word pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordPattern {
    pub source: String,
    steps: Vec<Step>,
    /// The first two letters ([`Token::key`]) the first step's words can start with: most
    /// words of a text start no match, and this says so at one lookup, without comparing them
    /// (a mail has thousands of words).
    starts: [u64; KEY_WORDS],
}

/// Letters, digits, `'`/`-`, and "no more letters".
const KEY_SYMBOLS: usize = 38;
const KEY_END: usize = 37;
const KEY_WORDS: usize = (KEY_SYMBOLS * KEY_SYMBOLS).div_ceil(64);

fn key_symbol(b: u8) -> usize {
    match b.to_ascii_lowercase() {
        c @ b'a'..=b'z' => usize::from(c - b'a'),
        c @ b'0'..=b'9' => 26 + usize::from(c - b'0'),
        _ => 36,
    }
}

/// A word's first two symbols as one number (the second is [`KEY_END`] for a one-letter word).
fn key_of(word: &[u8]) -> usize {
    let first = word.first().map_or(KEY_END, |&b| key_symbol(b));
    let second = word.get(1).map_or(KEY_END, |&b| key_symbol(b));
    first * KEY_SYMBOLS + second
}

/// A word of a text: its byte span, the sentence it is in and its first two letters.
#[derive(Debug, Clone, Copy)]
pub struct Token {
    pub start: usize,
    pub end: usize,
    sentence: u32,
    key: u16,
}

/// The Latin words of `text` (letters, digits, apostrophes and hyphens inside a word), with
/// the sentence each is in (a new one after `.`, `!`, `?`, or a line break).
pub fn tokens(text: &str) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut sentence = 0u32;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_alphanumeric() {
            let start = i;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric()
                    || ((bytes[i] == b'\'' || bytes[i] == b'-')
                        && bytes.get(i + 1).is_some_and(u8::is_ascii_alphanumeric)))
            {
                i += 1;
            }
            // A word glued to other letters ("café", Japanese) is not a Latin word.
            let glued = |c: Option<char>| c.is_some_and(|c| !c.is_ascii() && c.is_alphanumeric());
            if !glued(text[..start].chars().next_back()) && !glued(text[i..].chars().next()) {
                out.push(Token { start, end: i, sentence, key: key_of(&bytes[start..i]) as u16 });
            }
            continue;
        }
        if matches!(b, b'.' | b'!' | b'?' | b'\n') {
            sentence += 1;
        }
        i += 1;
    }
    out
}

impl WordPattern {
    /// Parses a pattern; the error says what is wrong with it.
    pub fn parse(source: &str) -> Result<WordPattern, String> {
        let mut steps = Vec::new();
        for part in source.split_whitespace() {
            if let Some(n) = part.strip_prefix('~') {
                let n: usize = n.parse().map_err(|_| format!("{part}: a gap is ~ and a number"))?;
                if n == 0 || n > 9 {
                    return Err(format!("{part}: a gap is 1 to 9 words"));
                }
                if !matches!(steps.last(), Some(Step::Word(_))) {
                    return Err(format!("{part}: a gap must follow a word"));
                }
                steps.push(Step::Gap(n));
                continue;
            }
            let inner = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')).unwrap_or(part);
            let mut alternatives = Vec::new();
            for w in inner.split('|') {
                let (text, prefix) = match w.strip_suffix('*') {
                    Some(t) => (t, true),
                    None => (w, false),
                };
                if text.is_empty()
                    || !text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'\'' || b == b'-')
                {
                    return Err(format!("{part}: words are Latin letters, digits, ' and -"));
                }
                alternatives.push(Alternative { text: text.to_ascii_lowercase(), prefix });
            }
            steps.push(Step::Word(alternatives));
        }
        match (steps.first(), steps.last()) {
            (Some(Step::Word(first)), Some(Step::Word(_))) => {
                let mut starts = [0u64; KEY_WORDS];
                let mut set = |key: usize| starts[key / 64] |= 1 << (key % 64);
                for a in first {
                    let t = a.text.as_bytes();
                    if a.prefix && t.len() == 1 {
                        // "a*": any second symbol, or none.
                        for second in 0..KEY_SYMBOLS {
                            set(key_symbol(t[0]) * KEY_SYMBOLS + second);
                        }
                    } else {
                        set(key_of(t));
                    }
                }
                Ok(WordPattern { source: source.to_string(), steps, starts })
            }
            _ => Err("a pattern starts and ends with a word".to_string()),
        }
    }

    /// Every match in the words of `text` (from [`tokens`]), as byte spans, left to right and
    /// not overlapping.
    pub fn find_all(&self, text: &str, words: &[Token]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < words.len() {
            let key = usize::from(words[i].key);
            if self.starts[key / 64] & (1 << (key % 64)) == 0 {
                i += 1;
                continue;
            }
            if let Some(last) = self.match_from(text, words, 0, i, words[i].sentence) {
                out.push((words[i].start, words[last].end));
                i = last + 1;
            } else {
                i += 1;
            }
        }
        out
    }

    /// Matches steps `step..` starting at word `at`; the index of the last word matched.
    fn match_from(
        &self,
        text: &str,
        words: &[Token],
        step: usize,
        at: usize,
        sentence: u32,
    ) -> Option<usize> {
        let word = words.get(at).filter(|w| w.sentence == sentence)?;
        let Step::Word(alternatives) = &self.steps[step] else { return None };
        let w = &text.as_bytes()[word.start..word.end];
        let fits = alternatives.iter().any(|a| {
            let t = a.text.as_bytes();
            if a.prefix {
                w.len() >= t.len() && w[..t.len()].eq_ignore_ascii_case(t)
            } else {
                w.eq_ignore_ascii_case(t)
            }
        });
        if !fits {
            return None;
        }
        match self.steps.get(step + 1) {
            None => Some(at),
            Some(Step::Gap(n)) => {
                (0..=*n).find_map(|skip| self.match_from(text, words, step + 2, at + 1 + skip, sentence))
            }
            Some(Step::Word(_)) => self.match_from(text, words, step + 1, at + 1, sentence),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(pattern: &str, text: &str) -> Vec<String> {
        let p = WordPattern::parse(pattern).unwrap();
        p.find_all(text, &tokens(text)).into_iter().map(|(s, e)| text[s..e].to_string()).collect()
    }

    #[test]
    fn words_gaps_and_prefixes() {
        let p = "{account|access} ~7 {be|been} {suspend*|restrict*}";
        assert_eq!(spans(p, "Your eBay account could be suspended!"), ["account could be suspended"]);
        assert_eq!(
            spans(p, "As a result, your access to bid or buy on eBay has been restricted."),
            ["access to bid or buy on eBay has been restricted"]
        );
        // Too far apart, or in another sentence.
        assert!(spans(p, "account one two three four five six seven eight be suspended").is_empty());
        assert!(spans(p, "Check your account. Be suspended later").is_empty());
        // Whole words: "accountant" is not "account", "suspenders" is a "suspend*".
        assert!(spans(p, "the accountant may be suspended").is_empty());
        assert_eq!(spans(p, "ACCOUNT will BE SUSPENDED"), ["ACCOUNT will BE SUSPENDED"]);
    }

    #[test]
    fn one_letter_words_and_prefixes_start_matches() {
        // The first-two-letters table: "a" alone, "x*" with any second letter or none.
        let p = "{a|x*|it's} word";
        assert_eq!(
            spans(p, "a word. xylo word. x word. ab word. It's word"),
            ["a word", "xylo word", "x word", "It's word"]
        );
    }

    #[test]
    fn latin_words_inside_other_scripts_are_not_words() {
        let t = tokens("アカウントaccountが停止 and café");
        assert_eq!(t.len(), 1, "{t:?}");
    }

    #[test]
    fn bad_patterns_are_refused() {
        assert!(WordPattern::parse("~2 account").is_err());
        assert!(WordPattern::parse("account ~2").is_err());
        assert!(WordPattern::parse("account ~0 locked").is_err());
        assert!(WordPattern::parse("account ~2 ~2 locked").is_err());
        assert!(WordPattern::parse("{account|} locked").is_err());
        assert!(WordPattern::parse("アカウント locked").is_err());
    }
}
