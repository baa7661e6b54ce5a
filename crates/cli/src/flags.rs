//! Every command-line flag of kaibo, in one place.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "kaibo",
    version,
    about = "kaibo (解剖): dissects a suspicious email and explains the verdict",
    long_about = "kaibo (解剖): dissects a suspicious email the way an analyst does — headers, sender, \
authentication, the lure, every link — and explains its verdict in English or Japanese.\n\n\
Exit codes: 0 clean, 1 suspicious or phishing, 2 error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyse one email, offline.
    Analyze(AnalyzeArgs),
    /// Analyse many mails: files, directories, mbox files and maildirs, on all cores.
    Scan(ScanArgs),
    /// Measure detection and false positives on a labelled corpus; with --fit, fit the finding
    /// weights and train the text model on it, measured in-sample and leave-one-source-out.
    Eval(EvalArgs),
    /// Train a text model on your own mail (folders of phishing and of legitimate mail), for
    /// --model. Offline.
    Learn(LearnArgs),
    /// Draft abuse reports (registrar, hosting network, sender's provider, national reporting
    /// points) for a phishing mail. Prints them, or writes one file per contact with -o. Never
    /// sends anything.
    Abuse(AbuseArgs),
    /// Visit URLs safely (defanged ones too): the redirect chain, the final page, what it asks
    /// for and which brand it imitates; a screenshot with --render. Online.
    Visit(VisitArgs),
    /// Serve the page to drop a mail on, the REST API (/api/v1), the searchable history and the
    /// campaigns. Loopback only unless API tokens are configured. Offline analyses.
    Serve(ServeArgs),
    /// Triage a reporting mailbox over IMAP: analyse every mail in the folder, store it with
    /// `kaibo serve`'s history, and file it into kaibo/Phishing, kaibo/Suspicious or
    /// kaibo/Clean. Offline analyses.
    Watch(WatchArgs),
    /// Print the embedded sample mail (the reference phishing case) to stdout.
    Sample,
    /// Geolocation databases and the RDAP bootstrap: download them (online).
    #[command(subcommand)]
    Db(DbCommand),
    /// Reputation feeds: download them (online).
    #[command(subcommand)]
    Feeds(FeedsCommand),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on (default 127.0.0.1:8080; any other than loopback needs a
    /// token: `tokens` in the config or KAIBO_TOKENS).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<std::net::SocketAddr>,

    /// Where the database lives (default: $KAIBO_DATA_DIR, else $XDG_DATA_HOME/kaibo, else
    /// ~/.local/share/kaibo).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Server settings (TOML: listen, data_dir, tokens, max_size, max_concurrent,
    /// rate_per_minute, raw_retention_days; see docs/server.md).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Refuse an uploaded mail larger than this (bytes; K, M and G suffixes allowed; default 25M).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_size: Option<usize>,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// The mailbox: imaps://USER@HOST[:PORT]/FOLDER (imap:// uses STARTTLS, or plain text to a
    /// loopback address only). `%40` writes an @ in the user name.
    #[arg(long, value_name = "URL")]
    pub imap: String,

    /// A file holding the password (else the KAIBO_IMAP_PASSWORD environment variable).
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,

    /// A file holding an OAuth2 access token, sent with XOAUTH2 instead of a password (else
    /// KAIBO_IMAP_OAUTH2_TOKEN).
    #[arg(long, value_name = "FILE", conflicts_with = "password_file")]
    pub oauth2_token_file: Option<PathBuf>,

    /// Where the database lives (shared with `kaibo serve`; default: $KAIBO_DATA_DIR, else
    /// $XDG_DATA_HOME/kaibo, else ~/.local/share/kaibo).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Watch settings (TOML: parent, phishing, suspicious, clean folder names; poll_seconds).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Process what is in the folder and exit (for cron and tests).
    #[arg(long)]
    pub once: bool,

    /// CA certificates (PEM) to trust besides the system's, for a server with its own CA.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,

    /// `text`: a line per mail; `jsonl`: one JSON object per mail.
    #[arg(long, value_enum, default_value_t = WatchFormat::Text)]
    pub format: WatchFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WatchFormat {
    Text,
    Jsonl,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Download the RDAP bootstrap and the geolocation/ASN databases named in the config.
    Update(UpdateArgs),
}

#[derive(Debug, Subcommand)]
pub enum FeedsCommand {
    /// Download every feed of the config into the data directory.
    Update(UpdateArgs),
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    pub online: OnlineArgs,
}

/// Online enrichment: nothing touches the network unless one of these asks for it.
#[derive(Debug, Clone, Args)]
pub struct OnlineArgs {
    /// Run every online enrichment rung: DNS, RDAP/WHOIS, geolocation/ASN, feeds.
    #[arg(long)]
    pub online: bool,

    /// Run only these rungs (comma-separated: dns, rdap, geo, feeds, fetch, render).
    #[arg(long, value_name = "RUNGS")]
    pub enrich: Option<String>,
    /// Visit the landing page of the most telling links (HTTP only, SSRF-guarded, nothing
    /// submitted). Not part of --online: a visit can tell the attacker the mail was opened.
    #[arg(long)]
    pub visit: bool,
    /// Also take a screenshot of each landing page in headless Chromium (implies --visit).
    #[arg(long)]
    pub render: bool,
    /// Where --render writes its screenshots (default: the current directory).
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,

    /// Endpoints, databases and limits (TOML; see docs/enrichment.md).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Name server for DNS lookups, IP:PORT (repeatable; default: the system's).
    #[arg(long = "resolver", value_name = "IP:PORT")]
    pub resolvers: Vec<std::net::SocketAddr>,

    /// Where lookup answers are cached (default: ~/.cache/kaibo).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,

    /// Do not read or write the lookup cache.
    #[arg(long)]
    pub no_cache: bool,

    /// Where databases and feeds live (default: ~/.local/share/kaibo, or $KAIBO_DATA_DIR).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    /// The dissection as Markdown, ready to publish.
    Md,
    /// The dissection as one self-contained HTML file.
    Html,
    /// A MISP event (JSON).
    Misp,
    /// A STIX 2.1 bundle (JSON).
    Stix,
    /// One indicator per line (defanged unless --raw).
    Iocs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    Text,
    Jsonl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
/// Text or JSON: the output of `eval` and `visit`.
pub enum PlainFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    En,
    Ja,
}

/// When to do something that depends on the terminal: colour, a progress line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum When {
    Auto,
    Always,
    Never,
}

/// Options shared by every command that analyses mail.
#[derive(Debug, Clone, clap::Args)]
pub struct JudgeArgs {
    /// Keep verdicts of upstream filters (spam stamps, X-Spam-*, Microsoft SCL) out of the score.
    #[arg(long)]
    pub ignore_upstream_verdicts: bool,

    /// Trust the Authentication-Results header of this authserv-id (repeatable); by default the
    /// topmost one is trusted.
    #[arg(long = "trusted-authserv-id", value_name = "ID")]
    pub trusted_authserv_ids: Vec<String>,

    /// Refuse (skip) a mail larger than this (bytes; K, M and G suffixes allowed).
    #[arg(long, value_name = "SIZE", default_value = "50M", value_parser = parse_size)]
    pub max_size: usize,

    /// Read the words with this text model (a .kbtm file from `kaibo learn`) instead of the one
    /// shipped with kaibo.
    #[arg(long, value_name = "FILE", conflicts_with = "no_text_model")]
    pub model: Option<PathBuf>,

    /// Judge without the text model (findings alone).
    #[arg(long)]
    pub no_text_model: bool,
}

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Files, directories (recursive), mbox files and maildir folders.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,

    /// `text`: a table and a summary; `jsonl`: one JSON object per mail (the `analyze --format
    /// json` object plus its `location`).
    #[arg(long, value_enum, default_value_t = ScanFormat::Text)]
    pub format: ScanFormat,

    /// Analysis threads (default: one per core).
    #[arg(long, short = 'j', default_value_t = 0)]
    pub jobs: usize,

    /// Descend into symbolic links to directories found while walking (each directory is
    /// still read once, so link loops end). Without it they are skipped, and said so.
    #[arg(long, short = 'L')]
    pub follow: bool,

    #[command(flatten)]
    pub judge: JudgeArgs,

    /// Progress on stderr: auto shows it only when stderr is a terminal.
    #[arg(long, value_enum, default_value_t = When::Auto)]
    pub progress: When,

    #[command(flatten)]
    pub online: OnlineArgs,
}

#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// Labels: `path<TAB>label<TAB>source[<TAB>bytes]`, labels `phish` or `ham`, paths relative
    /// to ROOT (default: labels.tsv inside ROOT).
    #[arg(long, value_name = "TSV")]
    pub labels: Option<PathBuf>,

    /// The corpus root.
    #[arg(value_name = "ROOT")]
    pub root: PathBuf,

    #[arg(long, value_enum, default_value_t = PlainFormat::Text)]
    pub format: PlainFormat,

    /// How many misses and false positives to list in the text report.
    #[arg(long, default_value_t = 25)]
    pub show: usize,

    /// Analysis threads (default: one per core).
    #[arg(long, short = 'j', default_value_t = 0)]
    pub jobs: usize,

    #[command(flatten)]
    pub judge: JudgeArgs,

    /// Rspamd's verdicts on the same files, as `rspamc -j` prints them (what
    /// `scripts/bench_rspamd.sh --eval` saves): adds a column with the share Rspamd flags.
    #[arg(long, value_name = "FILE", conflicts_with = "fit")]
    pub rspamd: Option<PathBuf>,

    /// Fit the finding weights and train the text model on this corpus instead of measuring
    /// the current ones; prints in-sample and leave-one-source-out detection per collection.
    #[arg(long)]
    pub fit: bool,

    /// With --fit: write weights.toml and text-model.kbtm into DIR (kaibo's own: `data`).
    #[arg(long, value_name = "DIR", requires = "fit")]
    pub write: Option<PathBuf>,

    /// With --fit: folds for the text model's out-of-fold probabilities.
    #[arg(long, value_name = "K", default_value_t = 5, requires = "fit", value_parser = clap::value_parser!(u16).range(2..=20))]
    pub folds: u16,

    /// With --fit: what a false positive costs, in missed phishing mails.
    #[arg(long, value_name = "COST", default_value_t = 4.0, requires = "fit")]
    pub fp_cost: f64,

    /// With --fit: skip the leave-one-source-out measurement (one fit per collection).
    #[arg(long, requires = "fit")]
    pub no_leave_out: bool,
}

#[derive(Debug, clap::Args)]
pub struct LearnArgs {
    /// Phishing mail: files, directories, mbox files, maildirs (repeatable).
    #[arg(long, value_name = "PATH", required = true)]
    pub phish: Vec<PathBuf>,

    /// Legitimate mail, the kind your users receive (repeatable).
    #[arg(long, value_name = "PATH", required = true)]
    pub ham: Vec<PathBuf>,

    /// Where to write the model (.kbtm).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,

    /// Folds for the out-of-fold estimate printed at the end.
    #[arg(long, value_name = "K", default_value_t = 5, value_parser = clap::value_parser!(u16).range(2..=20))]
    pub folds: u16,

    /// Analysis threads (default: one per core).
    #[arg(long, short = 'j', default_value_t = 0)]
    pub jobs: usize,

    /// Refuse (skip) a mail larger than this (bytes; K, M and G suffixes allowed).
    #[arg(long, value_name = "SIZE", default_value = "50M", value_parser = parse_size)]
    pub max_size: usize,
}

#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {
    /// The mail to analyse (.eml, RFC 5322); `-` or nothing reads standard input.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// Analyse the embedded sample mail instead of FILE.
    #[arg(long, conflicts_with = "file")]
    pub sample: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Language of the text report; default from LC_ALL / LC_MESSAGES / LANG (ja_* → ja).
    #[arg(long, value_enum)]
    pub lang: Option<LangArg>,

    #[command(flatten)]
    pub judge: JudgeArgs,

    /// When to colour the text report.
    #[arg(long, value_enum, default_value_t = When::Auto)]
    pub color: When,

    /// Show URLs and domains as they are instead of defanged (hxxps://, [.]).
    #[arg(long)]
    pub no_defang: bool,

    #[command(flatten)]
    pub online: OnlineArgs,

    /// With enrichment: write a world map (SVG) of the addresses' locations to FILE.
    #[arg(long, value_name = "FILE")]
    pub map: Option<PathBuf>,
    /// Write the output to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Keep the recipient's address and name in reports and exports (redacted by default).
    #[arg(long)]
    pub no_redact: bool,
    /// With --format iocs: print indicators as they are, not defanged.
    #[arg(long)]
    pub raw: bool,
}

#[derive(Debug, clap::Args)]
pub struct AbuseArgs {
    /// The mail (.eml); `-` or nothing reads standard input.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Write one file per contact into DIR instead of printing.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Keep the recipient's address in the drafts and the attached headers.
    #[arg(long)]
    pub no_redact: bool,
    #[command(flatten)]
    pub judge: JudgeArgs,
    #[command(flatten)]
    pub online: OnlineArgs,
}

#[derive(Debug, clap::Args)]
pub struct VisitArgs {
    /// The URLs to visit (`hxxps://evil[.]example/` is accepted and refanged).
    #[arg(value_name = "URL", required = true)]
    pub urls: Vec<String>,
    #[arg(long, value_enum, default_value_t = PlainFormat::Text)]
    pub format: PlainFormat,
    /// Language of the text report; default from the locale.
    #[arg(long, value_enum)]
    pub lang: Option<LangArg>,
    /// Show URLs as they are instead of defanged.
    #[arg(long)]
    pub no_defang: bool,
    #[command(flatten)]
    pub online: OnlineArgs,
}

impl JudgeArgs {
    /// The analysis options; fails when `--model` names a file that is not a text model.
    pub fn options(&self) -> Result<kaibo_core::Options, String> {
        let text_model = match (&self.model, self.no_text_model) {
            (_, true) => kaibo_core::TextModelChoice::Off,
            (Some(path), false) => {
                let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
                let model = kaibo_core::text_model::TextModel::from_bytes(&bytes)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                kaibo_core::TextModelChoice::Custom(std::sync::Arc::new(model))
            }
            (None, false) => kaibo_core::TextModelChoice::Bundled,
        };
        Ok(kaibo_core::Options {
            max_input_bytes: self.max_size,
            ignore_upstream_verdicts: self.ignore_upstream_verdicts,
            trusted_authserv_ids: self.trusted_authserv_ids.clone(),
            text_model,
        })
    }
}

impl OnlineArgs {
    /// The rungs asked for; none when neither `--online` nor `--enrich` was given.
    pub fn rungs(&self) -> Result<kaibo_enrich::Rungs, String> {
        let mut rungs = match (&self.enrich, self.online) {
            (Some(list), _) => kaibo_enrich::Rungs::parse(list)?,
            (None, true) => kaibo_enrich::Rungs::all(),
            (None, false) => kaibo_enrich::Rungs::default(),
        };
        rungs.fetch |= self.visit || self.render;
        rungs.render |= self.render;
        Ok(rungs)
    }

    /// The configuration file, with `--resolver` applied over it.
    pub fn config(&self) -> Result<kaibo_enrich::Config, String> {
        let mut cfg = match &self.config {
            Some(p) => kaibo_enrich::Config::load(p)?,
            None => kaibo_enrich::Config::default(),
        };
        if !self.resolvers.is_empty() {
            cfg.dns.resolvers = self.resolvers.clone();
        }
        if let Some(dir) = &self.out_dir {
            cfg.visit.screenshot_dir = Some(dir.clone());
        }
        Ok(cfg)
    }

    pub fn data_dir(&self) -> PathBuf {
        self.data_dir.clone().unwrap_or_else(kaibo_enrich::config::default_data_dir)
    }

    pub fn enricher(&self) -> Result<Option<kaibo_enrich::Enricher>, String> {
        let rungs = self.rungs()?;
        if !rungs.any() {
            return Ok(None);
        }
        let cfg = self.config()?;
        let cache = (!self.no_cache)
            .then(|| self.cache_dir.clone().unwrap_or_else(kaibo_enrich::config::default_cache_dir));
        Ok(Some(kaibo_enrich::Enricher::new(cfg, rungs, cache, self.data_dir())))
    }
}

/// `50M`, `512K`, `1G` or plain bytes, at most [`kaibo_core::limits::MAX_INPUT_BYTES_CEILING`]:
/// kaibo holds a mail in memory, and a value past the ceiling is a mistake, not a wish.
pub fn parse_size(s: &str) -> Result<usize, String> {
    let s = s.trim();
    let (num, mult) = match s.chars().last() {
        Some('k' | 'K') => (&s[..s.len() - 1], 1024),
        Some('m' | 'M') => (&s[..s.len() - 1], 1024 * 1024),
        Some('g' | 'G') => (&s[..s.len() - 1], 1024 * 1024 * 1024),
        _ => (s, 1),
    };
    let n: usize =
        num.trim().parse().map_err(|_| format!("not a size: {s:?} (use e.g. 50M, 512K or bytes)"))?;
    let ceiling = kaibo_core::limits::MAX_INPUT_BYTES_CEILING;
    match n.checked_mul(mult) {
        Some(bytes) if bytes <= ceiling => Ok(bytes),
        _ => Err(format!(
            "size too large: {s} (at most {}M: kaibo reads a whole mail into memory)",
            ceiling >> 20
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("50M"), Ok(50 * 1024 * 1024));
        assert_eq!(parse_size("512k"), Ok(512 * 1024));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("lots").is_err());
        assert_eq!(parse_size("2G"), Ok(kaibo_core::limits::MAX_INPUT_BYTES_CEILING));
        for absurd in ["18446744073709551615", "2049M", "17179869184G"] {
            assert!(parse_size(absurd).unwrap_err().contains("at most 2048M"), "{absurd}");
        }
    }
}
