//! The shape of the house, checked: what docs/architecture.md promises a newcomer stays true.
//!
//! - no import cycle between the top-level modules of a crate (`crate::a` using `crate::b`
//!   using `crate::a`): each module has one job, and jobs depend one way;
//! - no function of `crates/*/src` is longer than 120 lines: long functions are split into one
//!   function per step or section;
//! - the report crate renders the model only: it depends on neither the online rungs nor their
//!   network stack;
//! - docs/architecture.md names every crate, and the files it points to exist.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The source without its `#[cfg(test)] mod tests` (tests may use anything).
fn without_tests(text: &str) -> &str {
    text.find("\n#[cfg(test)]\nmod tests").map_or(text, |i| &text[..i])
}

/// `crate::name` references in `text`, including `use crate::{a, b::c}`.
fn crate_references(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        if text[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue; // `kaibo_crate::` or the like
        }
        let rest = &text[i + 7..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String =
                    item.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                out.insert(name);
            }
        } else {
            out.insert(rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect());
        }
    }
    out.retain(|n| !n.is_empty());
    out
}

/// The top-level module of each source file of a crate, and the modules it refers to.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if top == "lib" || top == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let refs = crate_references(without_tests(&text));
        graph.entry(top.clone()).or_default().extend(refs.into_iter().filter(|r| *r != top));
    }
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for deps in graph.values_mut() {
        deps.retain(|d| modules.contains(d));
    }
    graph
}

/// A cycle through `start`, if there is one.
fn cycle_from(graph: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    let mut stack = vec![(start.to_string(), vec![start.to_string()])];
    let mut seen = BTreeSet::new();
    while let Some((node, path)) = stack.pop() {
        for next in graph.get(&node).into_iter().flatten() {
            if next == start {
                return Some([path.clone(), vec![start.to_string()]].concat());
            }
            if seen.insert(next.clone()) {
                stack.push((next.clone(), [path.clone(), vec![next.clone()]].concat()));
            }
        }
    }
    None
}

#[test]
fn no_import_cycles_between_modules() {
    let mut cycles = Vec::new();
    for e in std::fs::read_dir(crates_dir()).unwrap().flatten() {
        let src = e.path().join("src");
        if !src.is_dir() {
            continue;
        }
        let graph = module_graph(&src);
        assert!(!graph.is_empty() || e.file_name() == "cli" || e.file_name() == "model", "{}", src.display());
        for m in graph.keys() {
            if let Some(c) = cycle_from(&graph, m) {
                cycles.push(format!("{}: {}", e.file_name().to_string_lossy(), c.join(" → ")));
            }
        }
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

/// Functions (`fn name(…) {`) and their length in lines, by brace matching on the source with
/// strings, characters and comments blanked out.
fn function_lengths(text: &str) -> Vec<(String, usize, usize)> {
    let code = blank_literals(text);
    let lines: Vec<&str> = code.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        let t = t.strip_prefix("pub(crate) ").or_else(|| t.strip_prefix("pub ")).unwrap_or(t);
        let t = t.strip_prefix("async ").unwrap_or(t);
        let t = t.strip_prefix("const ").unwrap_or(t);
        let Some(rest) = t.strip_prefix("fn ") else { continue };
        let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        let (mut depth, mut started) = (0i64, false);
        for (j, l) in lines.iter().enumerate().skip(i) {
            for c in l.chars() {
                match c {
                    '{' => {
                        depth += 1;
                        started = true;
                    }
                    '}' => depth -= 1,
                    ';' if !started && depth == 0 => break,
                    _ => {}
                }
            }
            if !started && l.trim_end().ends_with(';') {
                break;
            }
            if started && depth <= 0 {
                out.push((name.clone(), i + 1, j - i + 1));
                break;
            }
        }
    }
    out
}

/// `text` with the contents of string and character literals and comments replaced by spaces,
/// so that braces inside them do not count.
fn blank_literals(text: &str) -> String {
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == '/' && b.get(i + 1) == Some(&'/') {
            while i < b.len() && b[i] != '\n' {
                out.push(' ');
                i += 1;
            }
            continue;
        }
        if c == 'r' && (b.get(i + 1) == Some(&'#') || b.get(i + 1) == Some(&'"')) && !prev_ident(&b, i) {
            let hashes = b[i + 1..].iter().take_while(|c| **c == '#').count();
            if b.get(i + 1 + hashes) == Some(&'"') {
                let close: String = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
                let start = i + 2 + hashes;
                let body: String = b[start..].iter().collect();
                let len = body.find(&close).map_or(b.len() - start, |k| body[..k].chars().count());
                for ch in &b[i..(start + len + close.len()).min(b.len())] {
                    out.push(if *ch == '\n' { '\n' } else { ' ' });
                }
                i = (start + len + close.len()).min(b.len());
                continue;
            }
        }
        if c == '"' {
            out.push(' ');
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < b.len() {
                    out.push(if b[i] == '\n' { '\n' } else { ' ' });
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
            continue;
        }
        if c == '\'' {
            // A character literal ('x', '\n', '{'), not a lifetime ('a).
            let close = if b.get(i + 1) == Some(&'\\') {
                b[i + 2..].iter().position(|c| *c == '\'').map(|p| i + 2 + p)
            } else if b.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            if let Some(end) = close {
                for _ in i..=end {
                    out.push(' ');
                }
                i = end + 1;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

fn prev_ident(b: &[char], i: usize) -> bool {
    i > 0 && (b[i - 1].is_alphanumeric() || b[i - 1] == '_')
}

#[test]
fn no_function_is_longer_than_120_lines() {
    let mut long = Vec::new();
    let mut files = Vec::new();
    for e in std::fs::read_dir(crates_dir()).unwrap().flatten() {
        let src = e.path().join("src");
        if src.is_dir() {
            rust_files(&src, &mut files);
        }
    }
    let mut counted = 0;
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (name, line, len) in function_lengths(without_tests(&text)) {
            counted += 1;
            if len > 120 {
                long.push(format!("{}:{line} {name}: {len} lines", f.display()));
            }
        }
    }
    assert!(counted > 300, "only {counted} functions found");
    assert!(long.is_empty(), "functions over 120 lines:\n{}", long.join("\n"));
}

#[test]
fn the_report_crate_renders_the_model_only() {
    let manifest = std::fs::read_to_string(crates_dir().join("report/Cargo.toml")).unwrap();
    let normal = manifest.split("[dev-dependencies]").next().unwrap();
    for online in ["kaibo-enrich", "kaibo-visit", "tokio", "reqwest", "hickory", "scraper"] {
        assert!(!normal.contains(online), "kaibo-report depends on {online}");
    }
}

/// docs/architecture.md names every crate of the workspace, and every file or folder it points
/// a newcomer to exists.
#[test]
fn the_architecture_page_matches_the_tree() {
    let root = crates_dir().join("..");
    let page = std::fs::read_to_string(root.join("docs/architecture.md")).unwrap();
    for e in std::fs::read_dir(crates_dir()).unwrap().flatten() {
        let manifest = e.path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else { continue };
        let name = text.lines().find_map(|l| l.strip_prefix("name = \"")).unwrap().trim_end_matches('"');
        assert!(page.contains(&format!("`{name}`")), "docs/architecture.md does not name {name}");
    }
    let mut checked = 0;
    for quoted in page.split('`').skip(1).step_by(2) {
        let path = quoted.split_whitespace().next().unwrap_or("");
        let path = path.trim_end_matches(['*', '.', ',', ')']);
        let looks_like_path = ["crates/", "data/", "docs/", "scripts/"].iter().any(|p| path.starts_with(p));
        if looks_like_path && !path.contains('*') {
            assert!(root.join(path).exists(), "docs/architecture.md names {path}, which does not exist");
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} paths checked");
}

#[test]
fn the_checker_reads_rust() {
    let text = "fn a() {\n    let s = \"{\";\n    let c = '}';\n    // {\n    let r = r#\"}\"#;\n}\nfn b() -> u8 {\n    1\n}\n";
    assert_eq!(function_lengths(text), vec![("a".into(), 1, 6), ("b".into(), 7, 3)]);
    assert_eq!(
        crate_references("use crate::{a, b::c};\nlet x = crate::d::e; kaibo_crate::f"),
        ["a", "b", "d"].iter().map(|s| s.to_string()).collect()
    );
}
