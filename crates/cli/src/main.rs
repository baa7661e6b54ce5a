//! The `kaibo` command. Flags live in [`flags`]; this file reads input, runs the core and prints.

mod bulk;
mod flags;
mod learn;
mod update;
mod watch;

use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;

use clap::Parser;
use kaibo_core::{Dissection, Verdict};
use kaibo_report::{Lang, TextOptions};

use flags::{AnalyzeArgs, Cli, Command, Format, LangArg, When};

// Analysing mail allocates many small strings; mimalloc serves them faster than the system
// allocator (measured in docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The reference phishing mail, embedded so a new user can see kaibo work at once.
const SAMPLE: &[u8] = include_bytes!("../../../tests/fixtures/phish_seed_utf8.eml");

pub(crate) const EXIT_CLEAN: u8 = 0;
pub(crate) const EXIT_FLAGGED: u8 = 1;
pub(crate) const EXIT_ERROR: u8 = 2;

/// Transparent huge pages off for this process: mimalloc asks for them, and then every fresh 2 MB
/// region the allocator touches is zeroed whole. A scan touched about 90 MB that way instead of
/// 40 MB and spent a tenth of its time clearing pages (docs/performance.md).
#[cfg(target_os = "linux")]
fn disable_transparent_huge_pages() {
    // SAFETY: PR_SET_THP_DISABLE only sets a flag on this process; no memory is passed.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

fn main() -> ExitCode {
    #[cfg(target_os = "linux")]
    disable_transparent_huge_pages();
    let cli = Cli::parse();
    match cli.command {
        Command::Sample => {
            let mut out = std::io::stdout().lock();
            if out.write_all(SAMPLE).and_then(|_| out.flush()).is_err() {
                return ExitCode::from(EXIT_ERROR);
            }
            ExitCode::from(EXIT_CLEAN)
        }
        Command::Db(flags::DbCommand::Update(args)) => update::run(&args.online, update::What::Databases),
        Command::Feeds(flags::FeedsCommand::Update(args)) => update::run(&args.online, update::What::Feeds),
        Command::Scan(args) => ExitCode::from(bulk::run_scan(&args)),
        Command::Eval(args) if args.fit => finish(learn::run_fit(&args)),
        Command::Eval(args) => finish(bulk::run_eval(&args)),
        Command::Learn(args) => finish(learn::run_learn(&args)),
        Command::Abuse(args) => finish(run_abuse(&args)),
        Command::Visit(args) => finish(run_visit(&args)),
        Command::Analyze(args) => finish(run_analyze(&args)),
        Command::Serve(args) => finish(run_serve(&args)),
        Command::Watch(args) => finish(watch::run(&args)),
    }
}

/// The exit code of a command, with its error on stderr.
fn finish(result: Result<u8, String>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code),
        Err(msg) => {
            // The message may quote a file name, which may hold any byte.
            eprintln!("kaibo: error: {}", kaibo_core::inert::line(&msg));
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// Analyses one mail offline, then with the online rungs the flags asked for.
fn dissect(
    name: &str,
    raw: &[u8],
    judge: &flags::JudgeArgs,
    online: &flags::OnlineArgs,
) -> Result<Dissection, String> {
    let analysis = kaibo_core::analyze(raw, &judge.options()?).map_err(|e| format!("{name}: {e}"))?;
    Ok(match online.enricher()? {
        Some(enricher) => enricher.dissect(analysis),
        None => Dissection::offline(analysis),
    })
}

fn run_analyze(args: &AnalyzeArgs) -> Result<u8, String> {
    let (name, raw) = read_input(args)?;
    let d = dissect(&name, &raw, &args.judge, &args.online)?;
    if let (Some(path), Some(e)) = (&args.map, &d.enrichment) {
        match kaibo_report::render_map_svg(e) {
            Some(svg) => std::fs::write(path, svg).map_err(|err| format!("{}: {err}", path.display()))?,
            None => eprintln!("kaibo: no located address to map (geolocation needs a database)"),
        }
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let exports = kaibo_report::ExportOptions { created: now, keep_recipient: args.no_redact };
    let document = || {
        let opts = kaibo_report::ReportOptions {
            lang: pick_lang(args.lang),
            keep_recipient: args.no_redact,
            asset_dir: None,
            written_on: kaibo_core::calendar::civil_from_days(now.div_euclid(86_400)),
        };
        kaibo_report::document(&d, &opts)
    };
    let rendered = match args.format {
        Format::Json => kaibo_report::render_json(&d) + "\n",
        Format::Md => kaibo_report::render_markdown(&document()),
        Format::Html => kaibo_report::render_html(&document()),
        Format::Misp => kaibo_report::render_misp(&d, &exports),
        Format::Stix => kaibo_report::render_stix(&d, &exports),
        Format::Iocs => kaibo_report::render_iocs(&d, args.raw, args.no_redact),
        Format::Text => {
            let color = match args.color {
                When::Always => true,
                When::Never => false,
                When::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
            };
            let lang = pick_lang(args.lang);
            kaibo_report::render_text(&d, &TextOptions { lang, color, defang: !args.no_defang })
        }
    };
    if let Some(path) = &args.output {
        std::fs::write(path, rendered.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))?;
    } else {
        let mut out = std::io::stdout().lock();
        // A closed pipe (`kaibo … | head`) is not an analysis error.
        let _ = out.write_all(rendered.as_bytes()).and_then(|_| out.flush());
    }
    Ok(match d.analysis.verdict {
        Verdict::Clean => EXIT_CLEAN,
        Verdict::Suspicious | Verdict::Phishing => EXIT_FLAGGED,
    })
}

/// `kaibo serve`: runs until SIGTERM or Ctrl-C.
fn run_serve(args: &flags::ServeArgs) -> Result<u8, String> {
    let file = match &args.config {
        Some(path) => kaibo_server::FileConfig::read(path)?,
        None => kaibo_server::FileConfig::default(),
    };
    let config = kaibo_server::ServerConfig::resolve(
        file,
        args.listen,
        args.data_dir.clone(),
        args.max_size,
        std::env::var("KAIBO_TOKENS").ok(),
    )?;
    let data_dir = config.data_dir.clone();
    let tokens = !config.tokens.is_empty();
    kaibo_server::serve(config, |addr| {
        // Tests and scripts wait for this line: the server accepts connections from here on.
        eprintln!(
            "kaibo serve: listening on http://{addr} (data: {}; {})",
            data_dir.display(),
            if tokens { "API tokens required" } else { "no token: loopback only" }
        );
    })?;
    eprintln!("kaibo serve: stopped");
    Ok(EXIT_CLEAN)
}

/// `kaibo abuse FILE`: abuse-report drafts, printed or written one per file.
fn run_abuse(args: &flags::AbuseArgs) -> Result<u8, String> {
    let (name, raw) = read_mail(args.file.as_deref(), args.judge.max_size)?;
    let d = dissect(&name, &raw, &args.judge, &args.online)?;
    let drafts = kaibo_report::abuse_drafts(&d, &kaibo_report::header_block(&raw), args.no_redact);
    if drafts.is_empty() {
        eprintln!("kaibo: no abuse contact found (online lookups find registrars and networks: --online)");
    }
    match &args.output {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            for d in &drafts {
                let path = dir.join(&d.file_name);
                std::fs::write(&path, &d.text).map_err(|e| format!("{}: {e}", path.display()))?;
                println!("{}\t{}\t{}", path.display(), d.to, d.role);
            }
        }
        None => {
            let mut out = std::io::stdout().lock();
            for (i, d) in drafts.iter().enumerate() {
                let sep = if i == 0 { "" } else { "\n========================================\n\n" };
                let _ = write!(out, "{sep}{}", d.text);
            }
            let _ = out.flush();
        }
    }
    Ok(EXIT_CLEAN)
}

/// `kaibo visit URL…`: the landing-page rungs alone, on URLs given by the user.
fn run_visit(args: &flags::VisitArgs) -> Result<u8, String> {
    let mut online = args.online.clone();
    online.visit = true;
    let enricher = online.enricher()?.ok_or("nothing to do")?;
    let visit = enricher.visit_urls(&args.urls).ok_or_else(|| {
        let why = enricher.setup_notes().join("; ");
        format!("cannot visit: {why}")
    })?;
    let rendered = match args.format {
        flags::PlainFormat::Json => serde_json::to_string_pretty(&visit).map_err(|e| e.to_string())? + "\n",
        flags::PlainFormat::Text => kaibo_report::render_visit_text(
            &visit,
            &TextOptions { lang: pick_lang(args.lang), color: false, defang: !args.no_defang },
        ),
    };
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(rendered.as_bytes()).and_then(|_| out.flush());
    Ok(EXIT_CLEAN)
}

fn pick_lang(arg: Option<LangArg>) -> Lang {
    match arg {
        Some(LangArg::Ja) => Lang::Ja,
        Some(LangArg::En) => Lang::En,
        None => lang_from_env(),
    }
}

/// Reads the mail, at most one byte more than the limit so oversized input is refused without
/// reading all of it.
fn read_input(args: &AnalyzeArgs) -> Result<(String, Vec<u8>), String> {
    if args.sample {
        return Ok(("sample".into(), SAMPLE.to_vec()));
    }
    read_mail(args.file.as_deref(), args.judge.max_size)
}

/// Reads a mail from a file or standard input (`-` or none). An oversized file is refused with
/// its real size before any of it is read; standard input is read up to one byte past the limit.
fn read_mail(file: Option<&std::path::Path>, max_size: usize) -> Result<(String, Vec<u8>), String> {
    let limit = (max_size as u64).saturating_add(1);
    let mut raw = Vec::new();
    let name = match file {
        None => "stdin".to_string(),
        Some(p) if p.as_os_str() == "-" => "stdin".to_string(),
        Some(p) => p.display().to_string(),
    };
    let result = match file {
        Some(p) if p.as_os_str() != "-" => {
            let meta = std::fs::metadata(p).map_err(|e| format!("{name}: {e}"))?;
            if meta.is_dir() {
                return Err(format!("{name}: is a directory"));
            }
            if meta.is_file() && meta.len() > max_size as u64 {
                let size = usize::try_from(meta.len()).unwrap_or(usize::MAX);
                return Err(format!(
                    "{name}: {}",
                    kaibo_core::AnalyzeError::TooLarge { size, limit: max_size }
                ));
            }
            std::fs::File::open(p).and_then(|f| f.take(limit).read_to_end(&mut raw))
        }
        _ => std::io::stdin().lock().take(limit).read_to_end(&mut raw),
    };
    result.map_err(|e| format!("{name}: {e}"))?;
    if raw.len() > max_size {
        // Only the first bytes were read: the real size is unknown, and not the limit plus one.
        return Err(format!(
            "{name}: the input is larger than the limit of {max_size} bytes (see --max-size)"
        ));
    }
    Ok((name, raw))
}

/// ja for Japanese locales (LC_ALL, then LC_MESSAGES, then LANG), else en.
fn lang_from_env() -> Lang {
    for var in ["LC_ALL", "LC_MESSAGES", "LANG"] {
        if let Ok(v) = std::env::var(var)
            && !v.is_empty()
        {
            return if v.starts_with("ja") { Lang::Ja } else { Lang::En };
        }
    }
    Lang::En
}
