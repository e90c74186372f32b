//! The architecture, read from the code: every `crate::…` and `super::…` path in `src/**/*.rs`
//! becomes an edge between modules (the top-level modules, and the submodules of `ui`), and
//! the layering rules are asserted on that graph:
//!
//! - no import cycles;
//! - `protocol` is a leaf: it uses nothing from the crate but `model` and `theory`;
//! - the engine (`theory`, `linalg`, `model`, `data`, `train`) and the layers below the front
//!   ends (`protocol`, `config`, `record`) never use `ui`, `cli` or `sweep`;
//! - `config` and `record` do not use `train`;
//! - no `ui` module reaches into `train::trainer` or `train::worker` (it talks to training
//!   through `protocol` and the worker handle that `train` exports);
//! - the shared parts of `ui` (widgets, view settings, histories, keys) never use a front end
//!   (`ui::live`, `ui::sweep`), and front ends do not use each other.
//!
//! Each failure names the file and line of the offending path.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

/// Where a path was written.
#[derive(Debug, Clone)]
struct Site {
    file: String,
    line: usize,
    path: String,
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{} uses {}", self.file, self.line, self.path)
    }
}

/// One source file: its module path (`["ui", "app"]` for src/ui/app.rs) and its text.
struct Source {
    rel: String,
    module: Vec<String>,
    text: String,
}

fn sources() -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    collect_rs(&root, &mut files);
    assert!(
        files.len() > 20,
        "found only {} files under {}",
        files.len(),
        root.display()
    );
    files
        .into_iter()
        .map(|f| {
            let rel = f.strip_prefix(&root).unwrap_or(&f).to_path_buf();
            let mut module: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if let Some(last) = module.pop() {
                let stem = last.trim_end_matches(".rs");
                if !matches!(stem, "mod" | "lib" | "main") {
                    module.push(stem.to_string());
                }
            }
            let text = std::fs::read_to_string(&f)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", f.display()));
            Source {
                rel: format!("src/{}", rel.display()),
                module,
                text,
            }
        })
        .collect()
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a line without its comment (doc links such as [`crate::train`] are not uses).
fn code_of(line: &str) -> &str {
    match line.find("//") {
        Some(i) => &line[..i],
        None => line,
    }
}

/// Expand a use tree starting at `s` (after `crate::` or `super::`) into full paths:
/// `{config::Config, train::{Trainer, spawn}}` → config::Config, train::Trainer, train::spawn.
fn expand(s: &str) -> Vec<Vec<String>> {
    let chars: Vec<char> = s.chars().collect();
    let mut pos = 0;
    let mut out = Vec::new();
    tree(&chars, &mut pos, &mut Vec::new(), &mut out);
    out
}

fn tree(c: &[char], pos: &mut usize, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    skip_ws(c, pos);
    if c.get(*pos) == Some(&'{') {
        *pos += 1;
        loop {
            skip_ws(c, pos);
            match c.get(*pos) {
                Some('}') => {
                    *pos += 1;
                    return;
                }
                Some(',') => *pos += 1,
                None => return,
                _ => {
                    let before = *pos;
                    tree(c, pos, &mut prefix.clone(), out);
                    if *pos == before {
                        *pos += 1;
                    }
                }
            }
        }
    }
    let start = *pos;
    while c
        .get(*pos)
        .is_some_and(|ch| ch.is_alphanumeric() || *ch == '_')
    {
        *pos += 1;
    }
    if *pos == start {
        if !prefix.is_empty() {
            out.push(prefix.clone());
        }
        return;
    }
    let ident: String = c[start..*pos].iter().collect();
    if ident != "self" {
        prefix.push(ident);
    }
    if c.get(*pos) == Some(&':') && c.get(*pos + 1) == Some(&':') {
        *pos += 2;
        tree(c, pos, prefix, out);
    } else {
        out.push(prefix.clone());
    }
}

fn skip_ws(c: &[char], pos: &mut usize) {
    while c.get(*pos).is_some_and(|ch| ch.is_whitespace()) {
        *pos += 1;
    }
}

/// For each line, the inline modules (`mod tests { … }`) it sits in: `super::` inside them is
/// relative to them, not to the file.
fn inline_modules(code: &str) -> Vec<Vec<String>> {
    let mut stack: Vec<(String, usize)> = Vec::new();
    let mut depth: usize = 0;
    let mut per_line = Vec::new();
    for line in code.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let opens_mod = match words.as_slice() {
            ["mod", name, "{", ..] | [_, "mod", name, "{", ..] => Some(name.to_string()),
            _ => None,
        };
        if let Some(name) = opens_mod {
            stack.push((name, depth));
        }
        per_line.push(stack.iter().map(|(n, _)| n.clone()).collect());
        depth = (depth + line.matches('{').count()).saturating_sub(line.matches('}').count());
        while stack.last().is_some_and(|(_, d)| depth <= *d) {
            stack.pop();
        }
    }
    per_line
}

/// Every absolute path (from the crate root) a file uses, with its line. Use statements may
/// span lines, so the whole comment-free text is scanned and line numbers recovered.
fn uses(src: &Source) -> Vec<(Vec<String>, usize)> {
    let code: String = src.text.lines().map(code_of).collect::<Vec<_>>().join("\n");
    let inline = inline_modules(&code);
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(code.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let mut found = Vec::new();
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < code.len() {
        let rest = &code[i..];
        let boundary = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        let line = line_starts.partition_point(|&start| start <= i);
        let (base, skip) = if boundary && rest.starts_with("crate::") {
            (Vec::new(), "crate::".len())
        } else if boundary && rest.starts_with("super::") {
            // Count the chain super::super::…
            let mut up = 0;
            let mut r = rest;
            while let Some(t) = r.strip_prefix("super::") {
                up += 1;
                r = t;
            }
            let mut base = src.module.clone();
            base.extend(inline.get(line - 1).cloned().unwrap_or_default());
            for _ in 0..up {
                base.pop();
            }
            (base, rest.len() - r.len())
        } else {
            i += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        };
        for tail in expand(&rest[skip..]) {
            let mut path = base.clone();
            path.extend(tail);
            found.push((path, line));
        }
        i += skip;
    }
    found
}

/// The graph node of a module path: the top-level module, or `ui::<sub>` inside ui.
fn node_of(path: &[String], top: &BTreeSet<String>, ui_subs: &BTreeSet<String>) -> Option<String> {
    let first = path.first()?;
    if !top.contains(first) {
        return None;
    }
    if first == "ui"
        && let Some(sub) = path.get(1)
        && ui_subs.contains(sub)
    {
        return Some(format!("ui::{sub}"));
    }
    Some(first.clone())
}

struct Graph {
    /// node → (node it uses → where, first occurrence).
    edges: BTreeMap<String, BTreeMap<String, Site>>,
    /// Every use with its source node and full path, for the path-level rules.
    all: Vec<(String, Vec<String>, Site)>,
    /// The top-level modules.
    top: BTreeSet<String>,
}

fn graph() -> Graph {
    let srcs = sources();
    let top: BTreeSet<String> = srcs
        .iter()
        .filter_map(|s| s.module.first().cloned())
        .collect();
    let ui_subs: BTreeSet<String> = srcs
        .iter()
        .filter(|s| s.module.first().is_some_and(|m| m == "ui"))
        .filter_map(|s| s.module.get(1).cloned())
        .collect();
    let mut g = Graph {
        edges: BTreeMap::new(),
        all: Vec::new(),
        top: top.clone(),
    };
    for src in &srcs {
        let Some(from) = node_of(&src.module, &top, &ui_subs) else {
            continue; // lib.rs, main.rs
        };
        g.edges.entry(from.clone()).or_default();
        for (path, line) in uses(src) {
            let site = Site {
                file: src.rel.clone(),
                line,
                path: path.join("::"),
            };
            if let Some(to) = node_of(&path, &top, &ui_subs)
                && to != from
            {
                g.edges
                    .entry(from.clone())
                    .or_default()
                    .entry(to)
                    .or_insert_with(|| site.clone());
            }
            g.all.push((from.clone(), path, site));
        }
    }
    g
}

fn top_of(node: &str) -> &str {
    node.split("::").next().unwrap_or(node)
}

/// One cycle per strongly connected component with more than one node, as the list of edges
/// that close it.
fn cycles(edges: &BTreeMap<String, BTreeMap<String, Site>>) -> Vec<Vec<(String, String)>> {
    let mut found = Vec::new();
    let mut reported: BTreeSet<String> = BTreeSet::new();
    for start in edges.keys() {
        if reported.contains(start) {
            continue;
        }
        // Breadth-first search for the shortest way back to `start`.
        let mut parent: BTreeMap<String, String> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start.clone()]);
        let mut closing = None;
        while let Some(n) = queue.pop_front() {
            for next in edges.get(&n).into_iter().flat_map(|e| e.keys()) {
                if next == start {
                    closing = Some(n.clone());
                    break;
                }
                if !parent.contains_key(next) {
                    parent.insert(next.clone(), n.clone());
                    queue.push_back(next.clone());
                }
            }
            if closing.is_some() {
                break;
            }
        }
        if let Some(last) = closing {
            let mut chain = vec![(last.clone(), start.clone())];
            let mut cur = last;
            while &cur != start {
                let p = parent[&cur].clone();
                chain.push((p.clone(), cur.clone()));
                cur = p;
            }
            chain.reverse();
            for (a, _) in &chain {
                reported.insert(a.clone());
            }
            found.push(chain);
        }
    }
    found
}

fn fail_with(rule: &str, sites: &[String]) {
    assert!(sites.is_empty(), "{rule}:\n  {}", sites.join("\n  "));
}

#[test]
fn the_graph_is_read_from_the_code() {
    // A parser that reads nothing would pass every rule: check it sees known edges.
    let g = graph();
    for (from, to) in [
        ("train", "protocol"),
        ("train", "model"),
        ("config", "protocol"),
        ("ui::live", "protocol"),
        ("theory", "model"),
        ("cli", "config"),
    ] {
        assert!(
            g.edges.get(from).is_some_and(|e| e.contains_key(to)),
            "expected an edge {from} → {to}; edges read: {:?}",
            g.edges
                .iter()
                .map(|(k, v)| (k, v.keys().collect::<Vec<_>>()))
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn use_trees_expand() {
    let paths = |s: &str| -> Vec<String> { expand(s).iter().map(|p| p.join("::")).collect() };
    assert_eq!(paths("config::Config;"), ["config::Config"]);
    assert_eq!(
        paths("{config::Config, train::{self, Trainer,\n spawn}};"),
        ["config::Config", "train", "train::Trainer", "train::spawn"]
    );
    assert_eq!(paths("ui::run(cfg)"), ["ui::run"]);
    assert_eq!(paths("protocol::*;"), ["protocol"]);
}

#[test]
fn no_import_cycles() {
    let g = graph();
    let cycles: Vec<String> = cycles(&g.edges)
        .into_iter()
        .map(|chain| {
            let names: Vec<&str> = chain.iter().map(|(a, _)| a.as_str()).collect();
            let why: Vec<String> = chain
                .iter()
                .map(|(a, b)| format!("    {a} → {b}: {}", g.edges[a][b]))
                .collect();
            format!("{} → {}\n{}", names.join(" → "), names[0], why.join("\n"))
        })
        .collect();
    fail_with("import cycles between modules", &cycles);
}

#[test]
fn protocol_is_a_leaf() {
    let g = graph();
    let allowed = ["protocol", "model", "theory"];
    let bad: Vec<String> = g
        .all
        .iter()
        .filter(|(from, path, _)| {
            top_of(from) == "protocol"
                && path
                    .first()
                    .is_some_and(|m| g.top.contains(m) && !allowed.contains(&m.as_str()))
        })
        .map(|(_, _, site)| site.to_string())
        .collect();
    fail_with(
        "protocol may use only model and theory from the crate",
        &bad,
    );
}

#[test]
fn lower_layers_never_use_the_front_ends() {
    let g = graph();
    let lower = [
        "theory", "linalg", "model", "data", "train", "protocol", "config", "record",
    ];
    let front = ["ui", "cli", "sweep"];
    let mut bad = Vec::new();
    for (from, uses) in &g.edges {
        if !lower.contains(&top_of(from)) {
            continue;
        }
        for (to, site) in uses {
            if front.contains(&top_of(to)) {
                bad.push(format!("{from} → {to}: {site}"));
            }
        }
    }
    fail_with(
        "the engine, protocol, config and record never use ui, cli or sweep",
        &bad,
    );
}

#[test]
fn config_and_record_do_not_use_train() {
    let g = graph();
    let mut bad = Vec::new();
    for from in ["config", "record"] {
        if let Some(site) = g.edges.get(from).and_then(|e| e.get("train")) {
            bad.push(format!("{from} → train: {site}"));
        }
    }
    fail_with(
        "config and record share types with train through protocol, not train",
        &bad,
    );
}

#[test]
fn ui_does_not_reach_into_the_trainer_or_worker() {
    let g = graph();
    let bad: Vec<String> = g
        .all
        .iter()
        .filter(|(from, path, _)| {
            top_of(from) == "ui"
                && path.first().is_some_and(|m| m == "train")
                && path.get(1).is_some_and(|m| m == "trainer" || m == "worker")
        })
        .map(|(_, _, site)| site.to_string())
        .collect();
    fail_with(
        "ui talks to training through protocol and the handle train exports (train::spawn, WorkerHandle), not train::trainer or train::worker",
        &bad,
    );
}

#[test]
fn shared_ui_parts_never_use_a_front_end() {
    // One module per front end composes the shared widgets and state parts; a shared part that
    // reached into one front end could not be reused by the next.
    let g = graph();
    let front_ends = ["ui::live", "ui::sweep", "ui::watch", "ui::replay"];
    let mut bad = Vec::new();
    for (from, uses) in &g.edges {
        let shared = top_of(from) == "ui" && from != "ui" && !front_ends.contains(&from.as_str());
        let front_end = front_ends.contains(&from.as_str());
        for (to, site) in uses {
            let to_front_end = front_ends.contains(&to.as_str());
            if (shared && to_front_end) || (front_end && to_front_end && to != from) {
                bad.push(format!("{from} → {to}: {site}"));
            }
        }
    }
    fail_with(
        "shared ui parts (widgets, view, history, keys, …) never use a front end, and front ends do not use each other",
        &bad,
    );
}
