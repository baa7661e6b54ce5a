//! Knowledge as data: the versioned files under `data/`, compiled into the binary and parsed once.
//!
//! Checks never spell phrases, brands or domains in code; they ask this module. Each file is
//! parsed on first use into lookup structures built for the hot path (Aho-Corasick automata over
//! all phrases of a file, hash sets of domains), so analysing a mail does no parsing of data and
//! no per-message compilation.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use crate::word_pattern::WordPattern;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use serde::Deserialize;

use kaibo_model::{Explanation, FindingId};

pub const FINDINGS_TOML: &str = include_str!("../../../data/findings.toml");
pub const LURES_TOML: &str = include_str!("../../../data/lures.toml");
pub const SENDERS_TOML: &str = include_str!("../../../data/senders.toml");
pub const BRANDS_TOML: &str = include_str!("../../../data/brands.toml");
pub const CCTLD_TOML: &str = include_str!("../../../data/cctld.toml");
pub const COUNTRIES_TSV: &str = include_str!("../../../data/countries.tsv");
pub const ATTACHMENTS_TOML: &str = include_str!("../../../data/attachments.toml");
pub const BOUNCES_TOML: &str = include_str!("../../../data/bounces.toml");
pub const VOCABULARY_TOML: &str = include_str!("../../../data/vocabulary.toml");
pub const WEIGHTS_TOML: &str = include_str!("../../../data/weights.toml");

/// The labels of a quoted header block in an inline forward.
#[derive(Debug, Clone, Deserialize)]
pub struct ForwardVocabulary {
    pub from_labels: Vec<String>,
    pub date_labels: Vec<String>,
    pub subject_labels: Vec<String>,
    pub markers: Vec<String>,
    pub subject_prefixes: Vec<String>,
}

/// Structural vocabulary (`data/vocabulary.toml`).
#[derive(Debug, Clone, Deserialize)]
pub struct Vocabulary {
    pub greetings: Vec<String>,
    pub password_labels: Vec<String>,
    pub currencies: Vec<String>,
    pub millions: Vec<String>,
    pub million_abbreviations: Vec<String>,
    pub unsubscribe_markers: Vec<String>,
    pub reply_prefixes: Vec<String>,
    pub reply_attributions: Vec<String>,
    pub qr_words: Vec<String>,
    pub disguise_targets: Vec<String>,
    /// Words of a sentence that offers to stop the mail: a bulk mail's footer, where "update
    /// your information or unsubscribe" is furniture, not a lure.
    pub unsubscribe_words: Vec<String>,
    pub forward: ForwardVocabulary,
}

/// A finding's definition from `findings.toml`.
#[derive(Debug, Clone, Deserialize)]
pub struct FindingDef {
    pub id: String,
    pub category: String,
    /// The weight in the score: fitted on labelled mail (`data/weights.toml`) when the
    /// finding was fitted, else the hand-set weight of `findings.toml`.
    pub weight: i32,
    pub en: String,
    pub ja: String,
    /// The weight `findings.toml` sets by hand: the prior of the fit, and the weight itself
    /// where no data fitted one.
    #[serde(skip)]
    pub hand_weight: i32,
    /// The most the fit may give it: weak evidence that is common in legitimate bulk mail
    /// (hidden preheaders, buttons, tracking links with the address) must not become strong
    /// because the training mail lacked a kind of legitimate mail. Below zero, on
    /// counter-evidence, it keeps the finding counting (an authenticated unsubscribe header
    /// stays at least that much in the sender's favour when no newsletter was in the training).
    #[serde(default)]
    pub max_weight: Option<i32>,
    /// The least the fit may give it, on weak counter-evidence: what a phisher can have as
    /// well (a DMARC pass for the phisher's own domain, a mailing service) must not become a
    /// strong excuse because the training phishing lacked it.
    #[serde(default)]
    pub min_weight: Option<i32>,
}

impl FindingDef {
    pub fn explanation(&self) -> Explanation {
        Explanation { en: self.en.clone(), ja: self.ja.clone() }
    }

    /// A scored finding of this definition with its evidence.
    pub fn finding(&self, evidence: Vec<kaibo_model::Evidence>) -> kaibo_model::Finding {
        kaibo_model::Finding {
            id: self.id.clone(),
            category: self.category.clone(),
            weight: self.weight,
            scored: true,
            evidence,
            explanation: self.explanation(),
        }
    }
}

#[derive(Deserialize)]
struct FindingsFile {
    finding: Vec<FindingDef>,
}

/// `data/weights.toml`: the weights fitted on labelled mail (`kaibo eval --fit`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WeightsFile {
    /// Finding id → fitted weight.
    #[serde(default)]
    pub weights: std::collections::BTreeMap<String, i32>,
    #[serde(default)]
    pub text_model: Option<TextModelBands>,
}

/// The weight of `content.text_model` by the model's probability.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, serde::Serialize)]
pub struct TextModelBands {
    /// Cumulative: a mail reaching a band's probability gets that band's weight and the
    /// weights of the bands below it.
    pub bands: Vec<TextModelBand>,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize, serde::Serialize)]
pub struct TextModelBand {
    pub probability: f64,
    pub weight: i32,
}

/// The weight of a probability under cumulative `bands`: every band it reaches adds its weight.
pub fn band_weight(bands: &[TextModelBand], probability: f64) -> i32 {
    bands.iter().filter(|b| probability >= b.probability).map(|b| b.weight).sum()
}

#[derive(Deserialize)]
struct LureGroupDef {
    finding: String,
    phrases: Vec<String>,
    /// Phrases that tell the story only beside another of its phrases ("investor", "dear
    /// friend"): ordinary words that the story also uses.
    #[serde(default)]
    weak: Vec<String>,
    /// The story in other words: word patterns ([`crate::word_pattern`]).
    #[serde(default)]
    patterns: Vec<String>,
}

#[derive(Deserialize)]
struct NameList {
    names: Vec<String>,
}

#[derive(Deserialize)]
struct PhraseList {
    phrases: Vec<String>,
}

#[derive(Deserialize)]
struct WordList {
    words: Vec<String>,
}

#[derive(Deserialize)]
struct LuresFile {
    lure: Vec<LureGroupDef>,
    #[serde(default)]
    combination: Vec<CombinationDef>,
    roles: NameList,
    celebrities: NameList,
    signatures: PhraseList,
    organisation_words: WordList,
}

/// Findings that together are a scam's script (`[[combination]]` in lures.toml).
#[derive(Debug, Clone, Deserialize)]
struct CombinationDef {
    id: String,
    all: Vec<Vec<String>>,
}

/// Findings that together are a scam's script (`[[combination]]` in lures.toml), its ids checked
/// against the catalog when the file is loaded.
#[derive(Debug, Clone)]
pub struct Combination {
    pub id: FindingId,
    /// Every group must have one of its findings present.
    pub all: Vec<Vec<FindingId>>,
}

#[derive(Deserialize)]
struct ConsumerDomains {
    free_mail: Vec<String>,
    consumer_isp: Vec<String>,
}

#[derive(Deserialize)]
struct DomainList {
    domains: Vec<String>,
}

#[derive(Deserialize)]
struct UpstreamDef {
    subject_stamps: Vec<String>,
}

/// A mail gateway's link rewriter and the query parameter holding the real destination.
#[derive(Debug, Clone, Deserialize)]
pub struct Rewriter {
    pub host: String,
    pub param: String,
}

#[derive(Deserialize)]
struct SendersFile {
    consumer_domains: ConsumerDomains,
    shorteners: DomainList,
    upstream: UpstreamDef,
    rewriter: Vec<Rewriter>,
    hosting: DomainList,
    image_hosts: DomainList,
    abused_suffixes: SuffixList,
    relay_senders: RelaySenders,
    bulk_services: DomainList,
    neutral_link_domains: DomainList,
}

#[derive(Deserialize)]
struct RelaySenders {
    addresses: Vec<String>,
    relay_domains: Vec<String>,
}

#[derive(Deserialize)]
struct SuffixList {
    suffixes: Vec<String>,
}

#[derive(Deserialize)]
struct BouncesFile {
    system_local_parts: Vec<String>,
    subjects: Vec<String>,
    body_markers: Vec<String>,
}

#[derive(Deserialize)]
struct AttachmentsFile {
    executable: Vec<String>,
    decoy: Vec<String>,
    html: Vec<String>,
}

/// A brand phishing imitates.
#[derive(Debug, Clone, Deserialize)]
pub struct Brand {
    pub id: String,
    #[serde(default)]
    pub kind: Option<String>,
    pub names: Vec<String>,
    /// Names that are also ordinary words ("Correos" is Spanish for mail, "Stellar" an
    /// adjective): recognised only as the sender's display name claims them.
    #[serde(default)]
    pub sender_names: Vec<String>,
    pub domains: Vec<String>,
}

impl Brand {
    pub fn is_webmail(&self) -> bool {
        self.kind.as_deref() == Some("webmail")
    }

    /// True when `domain` (a host or registrable domain) is one of the brand's or below one.
    pub fn owns(&self, domain: &str) -> bool {
        self.domains.iter().any(|d| domain_is_or_under(domain, d))
    }
}

#[derive(Deserialize)]
struct BrandsFile {
    brand: Vec<Brand>,
}

#[derive(Deserialize)]
struct NotCountries {
    tlds: Vec<String>,
}

#[derive(Deserialize)]
struct CctldFile {
    exceptions: HashMap<String, String>,
    not_countries: NotCountries,
    generic_use: NotCountries,
}

/// A country: ISO code and names.
#[derive(Debug, Clone)]
pub struct Country {
    pub code: String,
    pub en: String,
    pub ja: Option<String>,
}

/// True when `domain` equals `parent` or is a subdomain of it (both lower case).
pub fn domain_is_or_under(domain: &str, parent: &str) -> bool {
    domain == parent
        || (domain.len() > parent.len()
            && domain.ends_with(parent)
            && domain.as_bytes()[domain.len() - parent.len() - 1] == b'.')
}

/// All of kaibo's knowledge, ready for lookups.
pub struct Knowledge {
    pub findings: HashMap<String, FindingDef>,
    /// The weight of `content.text_model` by probability (fitted, or one hand-set band).
    pub text_model_bands: Vec<TextModelBand>,
    /// Finding id of each lure group, indexed by group.
    /// The finding of each lure group.
    pub lure_groups: Vec<FindingId>,
    lure_matcher: AhoCorasick,
    /// Pattern index → (lure group index, phrase, weak).
    lure_patterns: Vec<(usize, String, bool)>,
    /// Lure group index and word pattern.
    lure_word_patterns: Vec<(usize, WordPattern)>,
    pub roles: Vec<String>,
    pub celebrities: Vec<String>,
    pub combinations: Vec<Combination>,
    signature_matcher: AhoCorasick,
    signature_phrases: Vec<String>,
    free_mail: HashSet<String>,
    consumer_isp: HashSet<String>,
    shorteners: HashSet<String>,
    subject_stamps: Vec<String>,
    pub brands: Vec<Brand>,
    /// Brand domain → the first brand (in file order) that lists it.
    brand_by_domain: HashMap<String, usize>,
    brand_matcher: AhoCorasick,
    sender_brand_matcher: AhoCorasick,
    sender_brand_patterns: Vec<(usize, String)>,
    /// Pattern index → (brand index, name).
    brand_patterns: Vec<(usize, String)>,
    countries: HashMap<String, Country>,
    cctld_exceptions: HashMap<String, String>,
    not_countries: HashSet<String>,
    generic_cctlds: HashSet<String>,
    pub rewriters: Vec<Rewriter>,
    executable_ext: HashSet<String>,
    decoy_ext: HashSet<String>,
    html_ext: HashSet<String>,
    /// Confusable skeleton of each brand domain → brand index.
    brand_skeletons: HashMap<String, usize>,
    /// The name part of each brand domain ("netflix" of netflix.com) → brand index.
    brand_names_by_domain: Vec<(String, usize)>,
    organisation_words: HashSet<String>,
    system_local_parts: HashSet<String>,
    bounce_subjects: AhoCorasick,
    bounce_markers: AhoCorasick,
    hosting: HashSet<String>,
    image_hosts: HashSet<String>,
    bulk_services: HashSet<String>,
    neutral_link_domains: HashSet<String>,
    abused_suffixes: HashSet<String>,
    relay_addresses: HashSet<String>,
    relay_domains: HashSet<String>,
    pub vocab: Vocabulary,
}

/// A phrase found in text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhraseHit<'k> {
    pub group: usize,
    pub phrase: &'k str,
    /// A weak phrase (lures.toml `weak`): evidence of its story only with another phrase of it.
    pub weak: bool,
    pub start: usize,
    pub end: usize,
}

/// A phrase automaton: a contiguous NFA, not a DFA. With a thousand case-insensitive phrases
/// (Japanese among them) the DFA took 14 MB and most of the start-up time; the NFA takes 0.4 MB
/// and a few milliseconds, and the texts it searches are short.
/// A finding id named by lures.toml, checked against the catalog: past loading, every id is the
/// catalog's.
fn lures_finding(s: &str) -> Result<FindingId, crate::data::DataError> {
    FindingId::parse(s).ok_or_else(|| crate::data::DataError {
        file: "lures.toml".into(),
        problem: format!("{s} is not a finding of findings.toml"),
    })
}

/// The finding of each lure group, every phrase with its group, and one automaton over them.
struct Lures {
    groups: Vec<FindingId>,
    patterns: Vec<(usize, String, bool)>,
    matcher: AhoCorasick,
    word_patterns: Vec<(usize, WordPattern)>,
}

fn lure_automaton(lures: &LuresFile) -> Result<Lures, crate::data::DataError> {
    let mut groups = Vec::new();
    let mut patterns = Vec::new();
    let mut word_patterns = Vec::new();
    for (i, g) in lures.lure.iter().enumerate() {
        groups.push(lures_finding(&g.finding)?);
        for p in &g.patterns {
            let pattern = WordPattern::parse(p).map_err(|problem| crate::data::DataError {
                file: "lures.toml".into(),
                problem: format!("{}: pattern {p:?}: {problem}", g.finding),
            })?;
            word_patterns.push((i, pattern));
        }
        for p in &g.phrases {
            patterns.push((i, p.clone(), false));
        }
        for p in &g.weak {
            patterns.push((i, p.clone(), true));
        }
    }
    // Each story is matched on its own: "verify your wallet" is a verification request and
    // a crypto story at once, so the automaton reports overlapping matches (sorted out per
    // story in `lure_hits`).
    // Built over lower-case phrases and run over lower-cased text: an ASCII case-insensitive
    // automaton carries both cases on every transition, which makes each step slower.
    let matcher = AhoCorasickBuilder::new()
        .match_kind(MatchKind::Standard)
        .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
        .build(patterns.iter().map(|(_, p, _)| p.to_ascii_lowercase()))
        .expect("lure phrases build an automaton");
    Ok(Lures { groups, patterns, matcher, word_patterns })
}

fn combinations(lures: &LuresFile) -> Result<Vec<Combination>, crate::data::DataError> {
    lures
        .combination
        .iter()
        .map(|c| {
            let all = c
                .all
                .iter()
                .map(|g| g.iter().map(|s| lures_finding(s)).collect())
                .collect::<Result<_, _>>()?;
            Ok(Combination { id: lures_finding(&c.id)?, all })
        })
        .collect()
}

/// Every name of every brand (as `names` picks them), with the brand's index.
fn brand_names(brands: &[Brand], names: impl Fn(&Brand) -> &Vec<String>) -> Vec<(usize, String)> {
    brands.iter().enumerate().flat_map(|(i, b)| names(b).iter().map(move |n| (i, n.clone()))).collect()
}

fn countries() -> Result<HashMap<String, Country>, crate::data::DataError> {
    let mut countries = HashMap::new();
    for line in COUNTRIES_TSV.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut cols = line.split('\t');
        let (Some(code), Some(en)) = (cols.next(), cols.next()) else {
            return Err(crate::data::DataError {
                file: "countries.tsv".into(),
                problem: format!("bad line {line:?}"),
            });
        };
        let ja = cols.next().filter(|s| !s.is_empty()).map(str::to_string);
        countries.insert(code.to_string(), Country { code: code.to_string(), en: en.to_string(), ja });
    }
    Ok(countries)
}

/// The confusable skeleton of every brand domain, and the distinctive names of brand domains
/// (six letters or more), with the brand's index: what look-alike domains are compared with.
fn brand_lookalikes(brands: &[Brand]) -> (HashMap<String, usize>, Vec<(String, usize)>) {
    let mut skeletons = HashMap::new();
    let mut names_by_domain = Vec::new();
    for (i, b) in brands.iter().enumerate() {
        for d in &b.domains {
            skeletons.insert(crate::text::skeleton(d), i);
            if let Some(name) = d.split('.').next().filter(|n| n.len() >= 6) {
                names_by_domain.push((name.to_string(), i));
            }
        }
    }
    (skeletons, names_by_domain)
}

fn automaton(patterns: &[String]) -> AhoCorasick {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostLongest)
        .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
        .build(patterns)
        .expect("knowledge phrases build an automaton")
}

/// The catalog with its fitted weights in place; a fitted id that is not in the catalog is an
/// error (a renamed finding must be fitted again).
fn apply_fitted_weights(
    file: FindingsFile,
    weights: &WeightsFile,
) -> Result<HashMap<String, FindingDef>, crate::data::DataError> {
    let mut out: HashMap<String, FindingDef> = HashMap::new();
    for mut f in file.finding {
        f.hand_weight = f.weight;
        if let Some(&w) = weights.weights.get(&f.id) {
            f.weight = w;
        }
        out.insert(f.id.clone(), f);
    }
    if let Some(unknown) = weights.weights.keys().find(|id| !out.contains_key(*id)) {
        return Err(crate::data::DataError {
            file: "weights.toml".into(),
            problem: format!("{unknown} is not a finding of findings.toml"),
        });
    }
    Ok(out)
}

/// The text model's bands: fitted, or the hand-set weight of `content.text_model` from a
/// probability of 0.9.
fn text_model_bands(weights: &WeightsFile, file: &FindingsFile) -> Vec<TextModelBand> {
    if let Some(b) = &weights.text_model {
        return b.bands.clone();
    }
    let hand = file.finding.iter().find(|f| f.id == "content.text_model").map_or(0, |f| f.weight);
    vec![TextModelBand { probability: 0.9, weight: hand }]
}

fn lower_set(items: &[String]) -> HashSet<String> {
    items.iter().map(|s| s.to_ascii_lowercase()).collect()
}

impl Knowledge {
    /// Parses the embedded data files. Fails only when a data file is broken, which the data
    /// tests catch before a release.
    pub fn load() -> Result<Knowledge, crate::data::DataError> {
        use crate::data::toml;
        let findings: FindingsFile = toml("findings.toml", FINDINGS_TOML, 1)?;
        let weights: WeightsFile = toml("weights.toml", WEIGHTS_TOML, 1)?;
        let lures: LuresFile = toml("lures.toml", LURES_TOML, 1)?;
        let senders: SendersFile = toml("senders.toml", SENDERS_TOML, 1)?;
        let brands: BrandsFile = toml("brands.toml", BRANDS_TOML, 1)?;
        let cctld: CctldFile = toml("cctld.toml", CCTLD_TOML, 1)?;
        let bounces: BouncesFile = toml("bounces.toml", BOUNCES_TOML, 1)?;
        let vocab: Vocabulary = toml("vocabulary.toml", VOCABULARY_TOML, 1)?;
        let attachments: AttachmentsFile = toml("attachments.toml", ATTACHMENTS_TOML, 1)?;

        let Lures {
            groups: lure_groups,
            patterns: lure_patterns,
            matcher: lure_matcher,
            word_patterns: lure_word_patterns,
        } = lure_automaton(&lures)?;
        let combinations = combinations(&lures)?;
        let brand_patterns = brand_names(&brands.brand, |b| &b.names);
        let brand_matcher = automaton(&brand_patterns.iter().map(|(_, p)| p.clone()).collect::<Vec<_>>());
        let sender_brand_patterns = brand_names(&brands.brand, |b| &b.sender_names);
        let sender_brand_matcher =
            automaton(&sender_brand_patterns.iter().map(|(_, p)| p.clone()).collect::<Vec<_>>());
        let countries = countries()?;
        let (brand_skeletons, brand_names_by_domain) = brand_lookalikes(&brands.brand);

        Ok(Knowledge {
            text_model_bands: text_model_bands(&weights, &findings),
            findings: apply_fitted_weights(findings, &weights)?,
            lure_groups,
            lure_matcher,
            lure_patterns,
            lure_word_patterns,
            roles: lures.roles.names.iter().map(|s| s.to_lowercase()).collect(),
            celebrities: lures.celebrities.names.iter().map(|s| s.to_lowercase()).collect(),
            combinations,
            signature_matcher: automaton(&lures.signatures.phrases),
            signature_phrases: lures.signatures.phrases,
            free_mail: lower_set(&senders.consumer_domains.free_mail),
            consumer_isp: lower_set(&senders.consumer_domains.consumer_isp),
            shorteners: lower_set(&senders.shorteners.domains),
            subject_stamps: senders.upstream.subject_stamps,
            brand_by_domain: {
                let mut by_domain = HashMap::new();
                for (i, b) in brands.brand.iter().enumerate() {
                    for d in &b.domains {
                        by_domain.entry(d.clone()).or_insert(i);
                    }
                }
                by_domain
            },
            brands: brands.brand,
            brand_matcher,
            brand_patterns,
            sender_brand_matcher,
            sender_brand_patterns,
            countries,
            cctld_exceptions: cctld.exceptions,
            not_countries: cctld.not_countries.tlds.into_iter().collect(),
            generic_cctlds: cctld.generic_use.tlds.into_iter().collect(),
            rewriters: senders.rewriter,
            executable_ext: lower_set(&attachments.executable),
            decoy_ext: lower_set(&attachments.decoy),
            html_ext: lower_set(&attachments.html),
            brand_skeletons,
            brand_names_by_domain,
            organisation_words: lures.organisation_words.words.iter().map(|w| w.to_lowercase()).collect(),
            system_local_parts: lower_set(&bounces.system_local_parts),
            bounce_subjects: automaton(&bounces.subjects),
            bounce_markers: automaton(&bounces.body_markers),
            hosting: lower_set(&senders.hosting.domains),
            image_hosts: lower_set(&senders.image_hosts.domains),
            bulk_services: lower_set(&senders.bulk_services.domains),
            neutral_link_domains: lower_set(&senders.neutral_link_domains.domains),
            abused_suffixes: lower_set(&senders.abused_suffixes.suffixes),
            relay_addresses: lower_set(&senders.relay_senders.addresses),
            relay_domains: lower_set(&senders.relay_senders.relay_domains),
            vocab,
        })
    }

    pub fn finding(&self, id: &str) -> Option<&FindingDef> {
        self.findings.get(id)
    }

    /// The weight of `content.text_model` for a text-model probability (0 below every band).
    pub fn text_model_weight(&self, probability: f64) -> i32 {
        band_weight(&self.text_model_bands, probability)
    }

    /// The spam stamp a server put at the start of `subject` (`[spam] …`), if any.
    pub fn subject_stamp(&self, subject: &str) -> Option<&str> {
        let lower = subject.trim_start().to_lowercase();
        self.subject_stamps.iter().find(|s| lower.starts_with(&s.to_lowercase())).map(String::as_str)
    }

    /// The definition of a catalog finding. Every [`FindingId`] is generated from the same file,
    /// so it is always there (a test checks both lists are one).
    pub fn definition(&self, id: FindingId) -> &FindingDef {
        &self.findings[id.as_str()]
    }

    /// Every lure phrase in `text`: within one story leftmost-longest and non-overlapping,
    /// across stories overlapping ("verify your wallet" counts for verification and for crypto's
    /// "your wallet"). Latin phrases match whole words only ("dating" is not in "updating").
    pub fn lure_hits<'k>(&'k self, text: &str) -> Vec<PhraseHit<'k>> {
        // ASCII lower-casing keeps every byte offset.
        let lower = text.to_ascii_lowercase();
        let mut hits: Vec<PhraseHit<'k>> = self
            .lure_matcher
            .find_overlapping_iter(&lower)
            .filter(|m| is_word_bounded(text, m.start(), m.end()))
            .map(|m| {
                let (group, phrase, weak) = &self.lure_patterns[m.pattern().as_usize()];
                PhraseHit { group: *group, phrase, weak: *weak, start: m.start(), end: m.end() }
            })
            .collect();
        if !self.lure_word_patterns.is_empty() && text.bytes().any(|b| b.is_ascii_alphabetic()) {
            let words = crate::word_pattern::tokens(text);
            for (group, pattern) in &self.lure_word_patterns {
                for (start, end) in pattern.find_all(text, &words) {
                    hits.push(PhraseHit { group: *group, phrase: &pattern.source, weak: false, start, end });
                }
            }
        }
        // Per story, leftmost first and the longest of those starting together.
        hits.sort_by(|a, b| (a.group, a.start, b.end).cmp(&(b.group, b.start, a.end)));
        let mut kept: Vec<PhraseHit<'k>> = Vec::with_capacity(hits.len());
        for h in hits {
            if kept.last().is_some_and(|k| k.group == h.group && h.start < k.end) {
                continue;
            }
            kept.push(h);
        }
        kept.sort_by_key(|h| (h.start, h.group));
        kept
    }

    /// Signature phrases in `text`.
    pub fn signature_hits<'k, 't>(&'k self, text: &'t str) -> impl Iterator<Item = &'k str> + use<'k, 't> {
        self.signature_matcher
            .find_iter(text)
            .map(|m| self.signature_phrases[m.pattern().as_usize()].as_str())
    }

    /// Brands named in `text`: (brand index, the name as written in the data). Short Latin
    /// names must stand as whole words, so "au" does not match inside "audit".
    pub fn brand_mentions(&self, text: &str) -> Vec<(usize, &str)> {
        let mut out = Vec::new();
        mentions_in(&self.brand_matcher, &self.brand_patterns, text, &mut out);
        out
    }

    /// Brands a sender's display name claims: [`Knowledge::brand_mentions`] and the names that
    /// count only there (`sender_names`).
    pub fn sender_brand_mentions(&self, name: &str) -> Vec<(usize, &str)> {
        let mut out = self.brand_mentions(name);
        mentions_in(&self.sender_brand_matcher, &self.sender_brand_patterns, name, &mut out);
        out
    }

    /// Is `domain` (host or registrable domain, lower case) a free-mail or consumer ISP domain?
    pub fn is_consumer_domain(&self, domain: &str) -> bool {
        suffix_in_set(domain, &self.free_mail) || suffix_in_set(domain, &self.consumer_isp)
    }

    pub fn is_free_mail(&self, domain: &str) -> bool {
        suffix_in_set(domain, &self.free_mail)
    }

    pub fn is_shortener(&self, host: &str) -> bool {
        let host = host.strip_prefix("www.").unwrap_or(host);
        self.shorteners.contains(host)
    }

    /// Is `name` (a display name or local part) a system role name? Latin role names must be
    /// whole words of the name; Japanese ones may stand anywhere in it.
    pub fn role_in(&self, name: &str) -> Option<&str> {
        name_in(&self.roles, name)
    }

    /// A famous person's name in a display name ("Advanced Energy by Elon Musk"), from the
    /// `[celebrities]` list of lures.toml.
    pub fn celebrity_in(&self, name: &str) -> Option<&str> {
        name_in(&self.celebrities, name)
    }

    /// Country of a top-level domain, when it is a country code.
    pub fn country_of_tld(&self, tld: &str) -> Option<&Country> {
        let tld = tld.to_ascii_lowercase();
        if tld.len() != 2 || self.not_countries.contains(&tld) {
            return None;
        }
        let code = self.cctld_exceptions.get(&tld).cloned().unwrap_or_else(|| tld.to_ascii_uppercase());
        self.countries.get(&code)
    }

    pub fn country(&self, code: &str) -> Option<&Country> {
        self.countries.get(code)
    }

    /// Is this local part one of the system addresses MTAs send bounces from?
    pub fn is_system_local_part(&self, local: &str) -> bool {
        self.system_local_parts.contains(&local.to_ascii_lowercase())
    }

    pub fn is_bounce_subject(&self, subject: &str) -> bool {
        self.bounce_subjects.is_match(subject)
    }

    /// How many distinct MTA bounce phrases the text holds.
    pub fn bounce_marker_count(&self, text: &str) -> usize {
        let mut seen = HashSet::new();
        for m in self.bounce_markers.find_iter(text) {
            seen.insert(m.pattern());
        }
        seen.len()
    }

    /// The organisation word in a display name ("Billing Department" → "billing"), if any.
    pub fn organisation_word_in(&self, name: &str) -> Option<String> {
        let lower = name.to_lowercase();
        lower
            .split(|c: char| !c.is_alphanumeric())
            .find(|w| self.organisation_words.contains(*w))
            .map(str::to_string)
            .or_else(|| {
                self.organisation_words.iter().find(|w| !w.is_ascii() && lower.contains(w.as_str())).cloned()
            })
    }

    /// The public hosting service a host belongs to, if any (`x.storage.googleapis.com` →
    /// `storage.googleapis.com`).
    pub fn hosting_service(&self, host: &str) -> Option<&str> {
        domain_in(&self.hosting, host)
    }

    /// The bulk-mail service a host or domain belongs to, if any (`u123.ct.sendgrid.net` →
    /// `sendgrid.net`).
    pub fn bulk_service(&self, host: &str) -> Option<&str> {
        domain_in(&self.bulk_services, host)
    }

    /// Whether a link host is a social profile or app store a footer links to.
    pub fn is_neutral_link_host(&self, host: &str) -> bool {
        domain_in(&self.neutral_link_domains, host).is_some()
    }

    /// The free public image host a host belongs to, if any (`i.imgur.com` → `imgur.com`).
    pub fn image_host(&self, host: &str) -> Option<&str> {
        domain_in(&self.image_hosts, host)
    }

    /// Is this the notification address of a platform that relays other people's content
    /// (a shared document, a help-desk ticket, an invoice)?
    pub fn is_relay_sender(&self, address: &str) -> bool {
        let a = address.to_ascii_lowercase();
        self.relay_addresses.contains(&a)
            || a.rsplit_once('@')
                .is_some_and(|(_, d)| d.contains('.') && suffix_in_set(d, &self.relay_domains))
    }

    /// The brand whose own domain a sender's domain is. A free-mail or consumer ISP domain is
    /// nobody's: an account at gmail.com is a person, not Google.
    pub fn sender_domain_brand(&self, domain: &str) -> Option<&Brand> {
        if self.is_consumer_domain(domain) {
            return None;
        }
        // The host and each parent domain, looked up; the brand first in the file wins, as it
        // would going through the brands in order.
        let mut d = domain;
        let mut first: Option<usize> = None;
        loop {
            if let Some(&i) = self.brand_by_domain.get(d) {
                first = Some(first.map_or(i, |f| f.min(i)));
            }
            match d.find('.') {
                Some(dot) => d = &d[dot + 1..],
                None => break,
            }
        }
        first.map(|i| &self.brands[i])
    }

    /// The abused public suffix a host ends in, if any.
    pub fn abused_suffix(&self, host: &str) -> Option<&str> {
        let suffix = psl::suffix_str(host)?;
        self.abused_suffixes.get(suffix).map(String::as_str)
    }

    /// A country-code TLD sold worldwide for its look, which tells nothing about a country.
    pub fn is_generic_cctld(&self, tld: &str) -> bool {
        self.generic_cctlds.contains(&tld.to_ascii_lowercase())
    }

    pub fn is_executable_ext(&self, ext: &str) -> bool {
        self.executable_ext.contains(&ext.to_ascii_lowercase())
    }

    pub fn is_decoy_ext(&self, ext: &str) -> bool {
        self.decoy_ext.contains(&ext.to_ascii_lowercase())
    }

    pub fn is_html_ext(&self, ext: &str) -> bool {
        self.html_ext.contains(&ext.to_ascii_lowercase())
    }

    /// The brand whose domain `domain_unicode` imitates by look-alike characters: same
    /// confusable skeleton as a brand domain, but not that domain.
    pub fn brand_lookalike(&self, domain_unicode: &str) -> Option<&Brand> {
        let ascii = idna::domain_to_ascii(domain_unicode).unwrap_or_default();
        if let Some(&i) = self.brand_skeletons.get(&crate::text::skeleton(domain_unicode)) {
            let brand = &self.brands[i];
            return (!brand.owns(&ascii) && !brand.owns(domain_unicode)).then_some(brand);
        }
        // Typo-squats: the name part one keystroke away from a brand's ("netfix.com",
        // "arnazon-jp.com" aside). Only names of six letters or more: short names collide.
        let name = ascii.split('.').next().unwrap_or("");
        if name.len() < 6 {
            return None;
        }
        self.brand_names_by_domain.iter().find_map(|(brand_name, i)| {
            let brand = &self.brands[*i];
            (brand_name.len() >= 6
                && name != brand_name
                && edit_distance_at_most_one(name, brand_name)
                && !brand.owns(&ascii))
            .then_some(brand)
        })
    }

    /// A brand's real domain written as whole labels at the front of a host that is not the
    /// brand's: `www.paypal.com.login-check.info`, `kuronekoyamato.co.jp-vxz.top`. The reader sees
    /// the familiar name first; the site belongs to whoever registered `registrable`. The brand's
    /// domain must end before the registrable domain begins, or be glued on with a hyphen, so a
    /// brand's regional domain (`ebay.com.my`, `amazon.com.au`) is not mistaken for one.
    pub fn brand_domain_in_host<'a>(&self, host: &'a str, registrable: &str) -> Option<(&Brand, &'a str)> {
        let registrable_start = host.len().checked_sub(registrable.len())?;
        let bytes = host.as_bytes();
        let label_starts = std::iter::once(0)
            .chain(bytes.iter().enumerate().filter(|(_, b)| **b == b'.').map(|(i, _)| i + 1));
        // Bounded for hostile hosts: brand domains are short and sit in the first labels.
        for start in label_starts.take(16).filter(|&s| s < registrable_start) {
            let mut dots = 0;
            for end in start + 1..bytes.len().min(start + 64) {
                match bytes[end] {
                    b'.' => dots += 1,
                    b'-' => {}
                    _ => continue,
                }
                let glued = bytes[end] == b'-';
                if dots == 0 || (!glued && end + 1 > registrable_start) {
                    continue;
                }
                let candidate = &host[start..end];
                if let Some(&i) = self.brand_by_domain.get(candidate) {
                    let brand = &self.brands[i];
                    return (!brand.owns(registrable)).then_some((brand, candidate));
                }
            }
        }
        None
    }
}

/// True when `a` becomes `b` by one insertion, deletion or substitution.
fn edit_distance_at_most_one(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let prefix = short.iter().zip(long).take_while(|(x, y)| x == y).count();
    if short.len() == long.len() {
        short[prefix + 1..] == long[prefix + 1..]
    } else {
        short[prefix..] == long[prefix + 1..]
    }
}

/// Word-bounded brand names of `patterns` in `text`, one per brand, appended to `out`.
fn mentions_in<'k>(
    matcher: &AhoCorasick,
    patterns: &'k [(usize, String)],
    text: &str,
    out: &mut Vec<(usize, &'k str)>,
) {
    for m in matcher.find_iter(text) {
        let (brand, name) = &patterns[m.pattern().as_usize()];
        if !is_word_bounded(text, m.start(), m.end()) {
            continue;
        }
        // Names in capitals (UPS, JCB, IRS) are acronyms: "follow-ups" is not UPS.
        let capitals =
            name.chars().any(|c| c.is_ascii_uppercase()) && name.chars().all(|c| !c.is_ascii_lowercase());
        if capitals && &text[m.start()..m.end()] != name.as_str() {
            continue;
        }
        if !out.iter().any(|(b, _)| b == brand) {
            out.push((*brand, name.as_str()));
        }
    }
}

/// The first of `names` (lower case) in `text`: non-Latin names anywhere, Latin ones as whole
/// words.
fn name_in<'a>(names: &'a [String], text: &str) -> Option<&'a str> {
    let lower = text.trim().to_lowercase();
    let words: Vec<&str> =
        lower.split(|c: char| !c.is_alphanumeric() && c != '-').filter(|w| !w.is_empty()).collect();
    names
        .iter()
        .find(|r| {
            if !r.is_ascii() {
                lower.contains(r.as_str())
            } else if r.contains(' ') {
                lower.find(r.as_str()).is_some_and(|i| is_word_bounded(&lower, i, i + r.len()))
            } else {
                words.contains(&r.as_str())
            }
        })
        .map(String::as_str)
}

/// The entry of `set` that is the host or one of its parent domains.
fn domain_in<'a>(set: &'a HashSet<String>, host: &str) -> Option<&'a str> {
    let mut d = host;
    loop {
        if let Some(h) = set.get(d) {
            return Some(h.as_str());
        }
        d = &d[d.find('.')? + 1..];
    }
}

fn suffix_in_set(domain: &str, set: &HashSet<String>) -> bool {
    domain_in(set, domain).is_some()
}

/// A match of an ASCII word must not be glued to other ASCII letters or digits.
fn is_word_bounded(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    let first = text[start..].chars().next();
    let last = text[..end].chars().next_back();
    // An underscore joins words in identifiers ("noc_shells"), so it counts as part of a word.
    let wordy = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let glued = |c: Option<char>, edge: Option<char>| matches!((c, edge), (Some(c), Some(e)) if wordy(c) && e.is_ascii_alphanumeric());
    !glued(before, first) && !glued(after, last)
}

/// The knowledge, parsed on first use.
pub fn knowledge() -> &'static Knowledge {
    static KNOWLEDGE: OnceLock<Knowledge> = OnceLock::new();
    crate::data::compiled(&KNOWLEDGE, Knowledge::load)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The typed ids (generated from findings.toml at build time) and the catalog loaded at run
    /// time are one list: every id a check, a rung or a data file can name has its weight and
    /// explanations. This replaces scanning the sources for id strings.
    #[test]
    fn typed_finding_ids_are_the_catalog() {
        let k = knowledge();
        for id in kaibo_model::ids::ALL {
            let def = k.definition(*id);
            assert_eq!(def.category, id.category(), "{id}");
        }
        assert_eq!(k.findings.len(), kaibo_model::ids::ALL.len());
    }

    #[test]
    fn data_files_load() {
        let k = Knowledge::load().unwrap();
        assert!(k.findings.len() > 30);
        assert!(!k.brands.is_empty());
    }

    /// A ceiling keeps a weak finding weak (`0 < max_weight`), or keeps counter-evidence
    /// counting (`max_weight < 0`: the fit may make it stronger, never nothing).
    #[test]
    fn ceilings_keep_their_sign_and_bound_the_weight() {
        let k = knowledge();
        let capped: Vec<&FindingDef> = k.findings.values().filter(|f| f.max_weight.is_some()).collect();
        assert!(capped.len() >= 5, "the weak findings carry a ceiling");
        for f in capped {
            let cap = f.max_weight.unwrap();
            if f.hand_weight > 0 {
                assert!(cap > 0 && cap <= 60, "{}: ceiling {cap}", f.id);
            } else {
                assert!(cap < 0 && cap >= f.hand_weight, "{}: ceiling {cap} on counter-evidence", f.id);
            }
            assert!(f.weight <= cap, "{}: weight {} over its ceiling {cap}", f.id, f.weight);
        }
    }

    /// A floor keeps weak counter-evidence weak: below zero, no stronger than its hand weight
    /// allows, and the fitted weight at or above it.
    #[test]
    fn floors_sit_on_counter_evidence() {
        let k = knowledge();
        let floored: Vec<&FindingDef> = k.findings.values().filter(|f| f.min_weight.is_some()).collect();
        assert!(floored.iter().any(|f| f.id == "auth.dmarc_pass"), "DMARC pass is weak counter-evidence");
        for f in floored {
            let floor = f.min_weight.unwrap();
            assert!(f.hand_weight < 0 && floor < 0 && floor <= f.hand_weight, "{}: floor {floor}", f.id);
            assert!(f.weight >= floor, "{}: weight {} under its floor {floor}", f.id, f.weight);
        }
    }

    #[test]
    fn every_finding_has_both_languages_and_a_category() {
        let k = knowledge();
        for (id, f) in &k.findings {
            assert!(!f.en.trim().is_empty(), "{id} has no English text");
            assert!(!f.ja.trim().is_empty(), "{id} has no Japanese text");
            assert!(!f.ja.is_ascii(), "{id}: ja text is not Japanese");
            assert!(id.starts_with(&format!("{}.", f.category)), "{id}: id must start with its category");
        }
    }

    #[test]
    fn docs_list_every_finding_with_its_weight() {
        let doc = include_str!("../../../docs/findings.md");
        for (id, f) in &knowledge().findings {
            let row = format!("| `{id}` | {} | {:+} |", f.category, f.weight);
            assert!(
                doc.contains(&row),
                "docs/findings.md lacks or misstates {id}: expected a row starting {row}"
            );
        }
    }

    #[test]
    fn finding_ids_are_unique_in_the_file() {
        let file: FindingsFile = toml::from_str(FINDINGS_TOML).unwrap();
        let mut seen = HashSet::new();
        for f in &file.finding {
            assert!(seen.insert(f.id.clone()), "duplicate finding id {}", f.id);
        }
    }

    #[test]
    fn every_lure_group_names_a_lure_finding() {
        let k = knowledge();
        for id in &k.lure_groups {
            assert_eq!(id.category(), "lure", "{id}");
        }
    }

    #[test]
    fn lure_phrases_match_japanese_and_english() {
        let k = knowledge();
        let text =
            "午前 08 時 11 分、同期エラーにより 2 件のメールが差出人に返送されました。 Your MAILBOX IS FULL";
        let groups: HashSet<&str> =
            k.lure_hits(text).iter().map(|h| k.lure_groups[h.group].as_str()).collect();
        assert!(groups.contains("lure.sync_error"));
        assert!(groups.contains("lure.undelivered_messages"));
        assert!(groups.contains("lure.mailbox_quota"));
    }

    /// The stories told in other words than the phrase lists: the word patterns of lures.toml
    /// catch them, and ordinary sentences with the same words stay quiet.
    #[test]
    fn lure_word_patterns_tell_stories_in_other_words() {
        let k = knowledge();
        let groups = |text: &str| -> Vec<&str> {
            k.lure_hits(text).iter().map(|h| k.lure_groups[h.group].as_str()).collect()
        };
        for (text, story) in [
            ("Your eBay account could be suspended !", "lure.account_suspension"),
            ("your access to bid or buy on eBay has been restricted.", "lure.account_suspension"),
            ("We have temporarily limited your account access.", "lure.account_suspension"),
            ("we could not verify your current information.", "lure.account_verification"),
            ("Please confirm your billing records today.", "lure.account_verification"),
            ("The card on file was declined by your bank.", "lure.payment_problem"),
            ("We were unable to charge your card for this month.", "lure.payment_problem"),
            ("We noticed some suspicious login attempts.", "lure.security_alert"),
            ("Take pictures of the codes and email them to me.", "lure.gift_card_request"),
            ("Send me photos of the codes on the cards.", "lure.gift_card_request"),
            ("Scratch the back and take a picture of the back of the cards.", "lure.gift_card_request"),
        ] {
            assert!(groups(text).contains(&story), "{text}: {:?}", groups(text));
        }
        for ordinary in [
            "Access is limited to members. Be quick!",
            "The account manager will be back on Monday.",
            "Please update your profile and preferences.",
            "Our card game night is limited to ten players.",
        ] {
            assert!(groups(ordinary).is_empty(), "{ordinary}: {:?}", groups(ordinary));
        }
        // A shop's gift card notice and a claim for photos are not the request (naming gift
        // cards is only a weak phrase of it).
        for ordinary in [
            "Get an Apple Gift Card of up to $150. Gift cards are not redeemable for cash.",
            "To redeem, go to the site and enter the claim code.",
            "Please send us photos of the damage and a picture of the receipt.",
        ] {
            let strong = k
                .lure_hits(ordinary)
                .into_iter()
                .filter(|h| !h.weak && k.lure_groups[h.group].as_str() == "lure.gift_card_request")
                .count();
            assert_eq!(strong, 0, "{ordinary}: {:?}", groups(ordinary));
        }
    }

    #[test]
    fn weak_lure_phrases_are_marked_and_not_also_strong() {
        let lures: LuresFile = toml::from_str(LURES_TOML).unwrap();
        for g in &lures.lure {
            let strong: HashSet<String> = g.phrases.iter().map(|p| p.to_lowercase()).collect();
            for w in &g.weak {
                assert!(!strong.contains(&w.to_lowercase()), "{}: {w} is both weak and strong", g.finding);
            }
        }
        let k = knowledge();
        let hits = k.lure_hits("An investor relations update for the next of kin");
        let weak: Vec<(&str, bool)> = hits.iter().map(|h| (h.phrase, h.weak)).collect();
        assert!(weak.contains(&("investor", true)), "{weak:?}");
        assert!(weak.contains(&("next of kin", false)), "{weak:?}");
    }

    #[test]
    fn consumer_domains_and_shorteners() {
        let k = knowledge();
        assert!(k.is_consumer_domain("biglobe.ne.jp"));
        assert!(k.is_consumer_domain("gmail.com"));
        assert!(k.is_consumer_domain("mail.goo.ne.jp"));
        assert!(!k.is_consumer_domain("example.co.jp"));
        assert!(k.is_shortener("bit.ly"));
        assert!(!k.is_shortener("example.com"));
    }

    #[test]
    fn roles() {
        let k = knowledge();
        assert_eq!(k.role_in("postmaster@03.bounce.."), Some("postmaster"));
        assert_eq!(k.role_in("MAILER-DAEMON"), Some("mailer-daemon"));
        assert!(k.role_in("メールセンター").is_some());
        assert!(k.role_in("Taro Yamada").is_none());
        assert!(k.role_in("Administration Office of Rootes").is_none());
    }

    #[test]
    fn brands_own_their_domains_and_need_word_bounds() {
        let k = knowledge();
        let amazon = k.brands.iter().find(|b| b.id == "amazon").unwrap();
        assert!(amazon.owns("amazon.co.jp"));
        assert!(amazon.owns("www.amazon.co.jp"));
        assert!(!amazon.owns("amazon.co.jp.evil.example"));
        assert!(!amazon.owns("notamazon.co.jp"));
        let hits = k.brand_mentions("Your Amazon order; an audit of JCBs");
        let ids: Vec<&str> = hits.iter().map(|(i, _)| k.brands[*i].id.as_str()).collect();
        assert_eq!(ids, vec!["amazon"]);
        let ja = k.brand_mentions("【三井住友カード】ご利用確認");
        assert_eq!(k.brands[ja[0].0].id, "smbc_card");
    }

    /// A brokerage or a group company named inside a longer name is its brand, and the group's
    /// own domains are its own: a login notice from rakuten-sec.co.jp or smbcnikko.co.jp, or
    /// NHK情報ネットワーク's newsletter from nhk-jn.co.jp, claims no other brand.
    #[test]
    fn brokers_and_groups_are_named_whole_and_own_their_domains() {
        let k = knowledge();
        for (text, id, domain) in [
            ("【楽天証券】ログインのお知らせ", "rakuten", "mail.rakuten-sec.co.jp"),
            ("【SMBC日興証券】約定のお知らせ", "smbc_nikko", "mail.smbcnikko.co.jp"),
            ("三菱UFJ eスマート証券 入金のお知らせ", "mufg", "kabu.com"),
            ("マネックス証券からのお知らせ", "monex", "monex.co.jp"),
            ("野村証券 お取引のお知らせ", "nomura", "nomura.co.jp"),
            // A broadcaster's group company mailing under the group's name.
            ("NHK情報ネットワーク", "nhk", "nhk-jn.co.jp"),
            // The merged company's own domain, a card's mail domain, a regional domain.
            ("LINEヤフー", "yahoo", "lycorp.co.jp"),
            ("エポスカード ご利用のお知らせ", "epos", "01epos.jp"),
            ("PayPal", "paypal", "paypal.co.uk"),
        ] {
            let hits = k.brand_mentions(text);
            assert_eq!(hits.len(), 1, "{text}");
            let brand = &k.brands[hits[0].0];
            assert_eq!(brand.id, id, "{text}");
            assert!(brand.owns(domain), "{id} owns {domain}");
        }
    }

    #[test]
    fn lookalike_brand_domains() {
        let k = knowledge();
        assert_eq!(k.brand_lookalike("\u{430}mazon.co.jp").map(|b| b.id.as_str()), Some("amazon"));
        assert_eq!(k.brand_lookalike("paypa1.com").map(|b| b.id.as_str()), Some("paypal"));
        assert!(k.brand_lookalike("amazon.co.jp").is_none());
        assert_eq!(k.brand_lookalike("netfix.com").map(|b| b.id.as_str()), Some("netflix"));
        assert_eq!(k.brand_lookalike("paypall.com").map(|b| b.id.as_str()), Some("paypal"));
        assert!(k.brand_lookalike("netflix.com").is_none());
        assert!(k.brand_lookalike("github.com").is_none());
        assert!(k.brand_lookalike("example.com").is_none());
    }

    #[test]
    fn brand_domains_written_into_foreign_hosts() {
        let k = knowledge();
        let found = |host: &str| {
            let registrable = psl::domain_str(host).unwrap_or(host);
            k.brand_domain_in_host(host, registrable).map(|(b, d)| (b.id.clone(), d.to_string()))
        };
        let paypal = Some(("paypal".to_string(), "paypal.com".to_string()));
        assert_eq!(found("www.paypal.com.login-check.info"), paypal);
        assert_eq!(found("paypal.com.login-check.info"), paypal);
        assert_eq!(found("paypal.com-secure.login-check.info"), paypal);
        assert_eq!(
            found("kuronekoyamato.co.jp-vxz.top").map(|(_, d)| d),
            Some("kuronekoyamato.co.jp".to_string())
        );
        assert_eq!(
            found("www.smbc-card.com.vpass-confirm.cn").map(|(_, d)| d),
            Some("smbc-card.com".to_string())
        );
        // The brand's own hosts and its regional domains are not one.
        assert_eq!(found("www.paypal.com"), None);
        assert_eq!(found("www.paypal.com.paypal.com"), None);
        assert_eq!(found("www.ebay.com.my"), None);
        assert_eq!(found("www.amazon.com.au"), None);
        // Only whole labels: a name that merely ends like a brand's domain is not one.
        assert_eq!(found("notpaypal.com.example.net"), None);
        assert_eq!(found("www.example.com"), None);
    }

    #[test]
    fn organisation_words_hosting_and_abused_suffixes() {
        let k = knowledge();
        assert_eq!(k.organisation_word_in("PayPal Billing Department").as_deref(), Some("billing"));
        assert!(k.organisation_word_in("Taro Yamada").is_none());
        assert_eq!(k.celebrity_in("Advanced Energy by Elon Musk"), Some("elon musk"));
        assert!(k.celebrity_in("Muskoka Lodge").is_none());
        assert!(k.organisation_word_in("カスタマーサポート").is_some());
        assert_eq!(k.hosting_service("bucket.storage.googleapis.com"), Some("storage.googleapis.com"));
        assert_eq!(k.hosting_service("x.y.r2.dev"), Some("r2.dev"));
        assert!(k.hosting_service("www.example.com").is_none());
        assert_eq!(k.image_host("i.imgur.com"), Some("imgur.com"));
        assert!(k.image_host("notimgur.com").is_none());
        assert_eq!(k.abused_suffix("b3ila3.aboutline.beauty"), Some("beauty"));
        assert_eq!(k.abused_suffix("ello.3azoun.sa.com"), Some("sa.com"));
        assert!(k.abused_suffix("example.com").is_none());
    }

    #[test]
    fn capitalised_brand_names_are_case_sensitive() {
        let k = knowledge();
        assert!(k.brand_mentions("Re: follow-ups on the release").is_empty());
        assert_eq!(k.brands[k.brand_mentions("UPS: your parcel")[0].0].id, "ups");
    }

    #[test]
    fn brand_ids_are_unique_and_sender_names_count_only_for_senders() {
        let k = knowledge();
        let mut ids: Vec<&str> = k.brands.iter().map(|b| b.id.as_str()).collect();
        ids.sort_unstable();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "a brand id appears twice in brands.toml");
        // "Correos" is Spanish for mail: in text it is a word, as a sender's name a brand.
        assert!(k.brand_mentions("Le enviamos los correos de la semana").is_empty());
        assert_eq!(k.brands[k.sender_brand_mentions("Correos")[0].0].id, "correos");
    }

    #[test]
    fn attachment_extensions() {
        let k = knowledge();
        assert!(k.is_executable_ext("EXE"));
        assert!(k.is_decoy_ext("pdf"));
        assert!(k.is_html_ext("svg"));
        assert!(!k.is_executable_ext("pdf"));
    }

    #[test]
    fn country_codes() {
        let k = knowledge();
        assert_eq!(k.country_of_tld("ru").unwrap().code, "RU");
        assert_eq!(k.country_of_tld("uk").unwrap().code, "GB");
        assert_eq!(k.country_of_tld("JP").unwrap().ja.as_deref(), Some("日本"));
        assert!(k.country_of_tld("eu").is_none());
        assert!(k.country_of_tld("com").is_none());
    }

    #[test]
    fn brand_domains_are_lower_case_registrable_names() {
        for b in &knowledge().brands {
            for d in &b.domains {
                assert_eq!(d, &d.to_ascii_lowercase(), "{}: {d}", b.id);
                assert!(d.contains('.'), "{}: {d}", b.id);
            }
        }
    }

    /// The domain index finds the brand that going through the file in order would.
    #[test]
    fn sender_domain_brand_is_the_first_brand_owning_the_domain() {
        let k = knowledge();
        for b in &k.brands {
            for d in &b.domains {
                for host in [d.clone(), format!("mail.{d}"), format!("a.b.{d}"), format!("x{d}")] {
                    let linear = (!k.is_consumer_domain(&host))
                        .then(|| k.brands.iter().find(|b| b.owns(&host)))
                        .flatten()
                        .map(|b| &b.id);
                    assert_eq!(k.sender_domain_brand(&host).map(|b| &b.id), linear, "{host}");
                }
            }
        }
    }
}
