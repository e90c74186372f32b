//! The README runs: every `aescope` command in README.md and docs/*.md is executed against the
//! built binary, so a section or a flag that stops matching the code fails CI.
//!
//! # Convention (for anyone editing README.md or docs/*.md)
//!
//! * **Runnable blocks** are fenced code blocks tagged `console`. Each line starting with `$ `
//!   is a command (a line ending in `\` continues on the next one); the lines after it, up to
//!   the next `$ ` line, are its expected output: stdout and stderr together, as a terminal
//!   shows them. A command with no output lines is only checked for its exit code.
//! * **Wildcards** in expected output: `[..]` inside a line matches any text on that line
//!   (timings, steps/s, the last digits of a sampled risk); a line `...` matches any number of
//!   lines (progress lines on stderr, the middle of a long table). Trailing spaces are ignored.
//! * **Exit code**: 0 unless the output ends with a line `? N` (e.g. `? 2` for bad input).
//! * **Where they run**: each block in a fresh temporary directory holding a link `presets/` to
//!   the repository's presets; the commands of a block run in order in it (so a later command
//!   can read what an earlier one wrote), through `sh -c` with the built `aescope` first on
//!   PATH. A command must start with `aescope` or one of [`HELPERS`] (e.g. `head -c 200 r.jsonl`).
//! * **Small runs**: prefer examples that are cheap as written (a population preset, a few
//!   rates, `--steps 2000`). Where an example is long by nature, the comment
//!   `<!-- test-args: ARGS -->` on the line before the block makes the test insert ARGS right
//!   after `aescope run` / `aescope sweep` in each of its commands (e.g.
//!   `<!-- test-args: --rates 0.25,1 -->`); the block's expected output must then hold for the
//!   smaller run too (use `[..]` and `...` where it differs).
//! * **Skipped blocks**: `<!-- skip: REASON -->` on the line before a block: not run (the TUI,
//!   `cargo bench`, the Python references, sbatch, cargo fuzz, scripts). Every code block that
//!   mentions an `aescope` command and is not a `console` block needs this marker, and
//!   indented code blocks may not hold `aescope` commands at all (fence them), so every skip
//!   is deliberate.
//!
//! * **Design**: the README's `## Design` section names every module folder and top-level
//!   file of `src/`, and every dependency of `Cargo.toml`.
//! * **Rust blocks** (```rust) must be verbatim excerpts of a program in `examples/` (which
//!   `cargo test` compiles), ignoring indentation and blank lines.
//!
//! The test also checks that every internal link (`[text](#anchor)`, `[text](docs/x.md)`)
//! resolves, that it found at least [`MIN_COMMANDS`] runnable commands (so a bug in this
//! extractor cannot pass silently), and, in every `aescope ...` line or code span and every
//! code span starting with `--` (skipped blocks and prose included), that each `--flag` is one
//! of the binary's (from `--help`; the few others named on purpose are listed in the test), and
//! that every dotted preset key named anywhere (`train.lr`, `sweep.tol`) is in the schema.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Fewer runnable commands than this means the extractor lost some.
const MIN_COMMANDS: usize = 20;
/// Programs other than aescope a runnable command may start with.
const HELPERS: &[&str] = &[
    "cat", "head", "tail", "ls", "wc", "grep", "cut", "sort", "mkdir", "test", "echo",
];
/// Longest a single command may take before it is killed and reported.
const TIMEOUT: Duration = Duration::from_mins(2);

/// One `$ ...` line of a console block, with what it should print.
#[derive(Debug, Clone)]
struct Cmd {
    line: String,
    expected: Vec<String>,
    code: i32,
}

/// A console block, located for messages.
#[derive(Debug, Clone)]
struct Block {
    place: String,
    cmds: Vec<Cmd>,
}

#[derive(Debug, Default)]
struct Doc {
    blocks: Vec<Block>,
    skipped: Vec<String>,
    errors: Vec<String>,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// README.md and docs/*.md, as (path relative to the repo, text).
fn documents() -> Vec<(String, String)> {
    let mut paths = vec![repo().join("README.md")];
    if let Ok(dir) = std::fs::read_dir(repo().join("docs")) {
        let mut docs: Vec<PathBuf> = dir
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "md"))
            .collect();
        docs.sort();
        paths.extend(docs);
    }
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p)
                .unwrap_or_else(|e| panic!("reading {}: {e}", p.display()));
            let rel = p.strip_prefix(repo()).unwrap_or(&p).display().to_string();
            (rel, text)
        })
        .collect()
}

/// A marker comment `<!-- key: value -->` on a line, if it is one.
fn marker<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let inner = line
        .trim()
        .strip_prefix("<!--")?
        .strip_suffix("-->")?
        .trim();
    Some(inner.strip_prefix(key)?.strip_prefix(':')?.trim())
}

fn is_aescope_command(line: &str) -> bool {
    let l = line.trim_start();
    let l = l.strip_prefix("$ ").unwrap_or(l);
    l == "aescope" || l.starts_with("aescope ")
}

/// Split a document into console blocks, skipped blocks and convention errors.
fn parse(name: &str, text: &str) -> Doc {
    let mut doc = Doc::default();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    let mut prev_blank = true;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_start();
        let fence = ["```", "~~~"].into_iter().find(|f| trimmed.starts_with(f));
        let Some(fence) = fence else {
            // An indented code block (after a blank line, outside a list item).
            if prev_blank && line.starts_with("    ") {
                let mut j = i;
                while j < lines.len() && (lines[j].starts_with("    ") || lines[j].is_empty()) {
                    if is_aescope_command(lines[j]) {
                        doc.errors.push(format!(
                            "{name}:{}: an aescope command in an indented block: put it in a ```console block (or a fenced block after <!-- skip: REASON -->)",
                            j + 1
                        ));
                    }
                    j += 1;
                }
                prev_blank = false;
                i = j;
                continue;
            }
            prev_blank = line.trim().is_empty();
            i += 1;
            continue;
        };
        let indent = line.len() - trimmed.len();
        let info = trimmed.trim_start_matches(fence.chars().next().unwrap_or('`'));
        let tag = info.split_whitespace().next().unwrap_or("").to_string();
        let start = i + 1;
        let mut end = start;
        while end < lines.len() && !lines[end].trim_start().starts_with(fence) {
            end += 1;
        }
        let body: Vec<String> = lines[start..end.min(lines.len())]
            .iter()
            .map(|l| l.get(indent..).unwrap_or(l.trim_start()).to_string())
            .collect();
        let place = format!("{name}:{}", i + 1);
        // The marker is the last non-blank line before the fence.
        let before = lines[..i].iter().rev().find(|l| !l.trim().is_empty());
        let skip = before.and_then(|l| marker(l, "skip"));
        let args = before.and_then(|l| marker(l, "test-args"));
        let mentions = body.iter().any(|l| is_aescope_command(l));
        match (skip, tag.as_str()) {
            (Some(""), _) => doc
                .errors
                .push(format!("{place}: <!-- skip: --> needs a reason")),
            (Some(reason), _) => {
                if mentions || tag == "console" {
                    doc.skipped.push(format!("{place} ({reason})"));
                }
            }
            (None, "console") => match console_block(&place, &body, args) {
                Ok(b) => doc.blocks.push(b),
                Err(e) => doc.errors.push(e),
            },
            (None, _) if mentions => doc.errors.push(format!(
                "{place}: a ```{tag} block with an aescope command: tag it console to run it, or put <!-- skip: REASON --> before it"
            )),
            (None, _) => {}
        }
        i = end + 1;
        prev_blank = true;
    }
    doc
}

/// The commands of a console block, with `args` inserted after `aescope run|sweep`.
fn console_block(place: &str, body: &[String], args: Option<&str>) -> Result<Block, String> {
    let mut cmds: Vec<Cmd> = Vec::new();
    let mut k = 0;
    while k < body.len() {
        let l = &body[k];
        if let Some(first) = l.strip_prefix("$ ") {
            let mut line = first.trim_end().to_string();
            while line.ends_with('\\') && k + 1 < body.len() {
                line.pop();
                line.truncate(line.trim_end().len());
                k += 1;
                line.push(' ');
                line.push_str(body[k].trim());
            }
            let word = line.split_whitespace().next().unwrap_or("");
            if word != "aescope" && !HELPERS.contains(&word) {
                return Err(format!(
                    "{place}: `{line}`: a console block runs only aescope and {HELPERS:?}; put <!-- skip: REASON --> before this block"
                ));
            }
            if let Some(args) = args {
                line = insert_args(&line, args);
            }
            cmds.push(Cmd {
                line,
                expected: Vec::new(),
                code: 0,
            });
        } else if let Some(cmd) = cmds.last_mut() {
            cmd.expected.push(l.trim_end().to_string());
        } else if !l.trim().is_empty() {
            return Err(format!(
                "{place}: a console block must start with a `$ ` command line"
            ));
        }
        k += 1;
    }
    if cmds.is_empty() {
        return Err(format!("{place}: a console block without a `$ ` command"));
    }
    for cmd in &mut cmds {
        while cmd.expected.last().is_some_and(String::is_empty) {
            cmd.expected.pop();
        }
        if let Some(last) = cmd.expected.last()
            && let Some(code) = last.strip_prefix("? ")
        {
            cmd.code = code
                .trim()
                .parse()
                .map_err(|_| format!("{place}: `{last}`: expected `? N`, N an exit code"))?;
            cmd.expected.pop();
        }
    }
    Ok(Block {
        place: place.to_string(),
        cmds,
    })
}

/// `aescope run X` → `aescope run ARGS X` (and for sweep), in every aescope of a shell line.
fn insert_args(line: &str, args: &str) -> String {
    let mut out = line.to_string();
    for sub in ["run", "sweep"] {
        let pat = format!("aescope {sub} ");
        out = out.replace(&pat, &format!("aescope {sub} {args} "));
    }
    out
}

/// Does `actual` match `expected`, with `[..]` and `...` wildcards?
fn matches(expected: &[String], actual: &[String]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((e, rest)) if e == "..." => {
            (0..=actual.len()).any(|skip| matches(rest, &actual[skip..]))
        }
        Some((e, rest)) => actual
            .split_first()
            .is_some_and(|(a, arest)| line_matches(e, a) && matches(rest, arest)),
    }
}

fn line_matches(expected: &str, actual: &str) -> bool {
    let parts: Vec<&str> = expected.split("[..]").collect();
    let Some((first, rest)) = parts.split_first() else {
        return actual.is_empty();
    };
    let Some(mut tail) = actual.strip_prefix(first) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return tail.is_empty();
    };
    for part in middle {
        match tail.find(part) {
            Some(p) => tail = &tail[p + part.len()..],
            None => return false,
        }
    }
    tail.ends_with(last)
}

/// Run one shell line in `dir`; (exit code, stdout+stderr as lines).
fn run_line(dir: &Path, line: &str) -> Result<(i32, Vec<String>), String> {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_aescope"));
    let bin_dir = bin.parent().unwrap_or(Path::new("."));
    let path = std::env::join_paths(std::iter::once(bin_dir.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .map_err(|e| e.to_string())?;
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("exec 2>&1\n{line}"))
        .current_dir(dir)
        .env("PATH", path)
        .env_remove("COLORTERM")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawning sh: {e}"))?;
    let mut stdout = child.stdout.take().ok_or("no stdout pipe")?;
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(s) => break s,
            None if started.elapsed() > TIMEOUT => {
                let _ = child.kill();
                return Err(format!(
                    "killed after {TIMEOUT:?}: make the example cheaper"
                ));
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    let out = reader.join().map_err(|_| "reader thread panicked")?;
    let text = String::from_utf8_lossy(&out);
    let mut lines: Vec<String> = text.lines().map(|l| l.trim_end().to_string()).collect();
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    Ok((status.code().unwrap_or(-1), lines))
}

/// Run a block's commands in order in a fresh directory; the failures, as messages.
fn run_block(block: &Block) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    #[cfg(unix)]
    if let Err(e) = std::os::unix::fs::symlink(repo().join("presets"), dir.path().join("presets")) {
        return vec![format!("{}: linking presets/: {e}", block.place)];
    }
    let mut failures = Vec::new();
    for cmd in &block.cmds {
        match run_line(dir.path(), &cmd.line) {
            Err(e) => failures.push(format!("{}: `{}`: {e}", block.place, cmd.line)),
            Ok((code, out)) => {
                let output_ok = cmd.expected.is_empty() || matches(&cmd.expected, &out);
                if code != cmd.code || !output_ok {
                    failures.push(format!(
                        "{}: `{}`\n  exit code {code} (expected {})\n  --- expected ---\n{}\n  --- got ---\n{}",
                        block.place,
                        cmd.line,
                        cmd.code,
                        cmd.expected.join("\n"),
                        out.join("\n")
                    ));
                    // Later commands of the block build on this one.
                    break;
                }
            }
        }
    }
    failures
}

/// GitHub's anchor of a heading: lower case, spaces to hyphens, punctuation dropped.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// Headings' anchors of a document (outside code blocks), with GitHub's -1, -2 suffixes.
fn anchors(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut in_fence = false;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence || !line.starts_with('#') {
            continue;
        }
        let base = anchor(line.trim_start_matches('#'));
        let mut a = base.clone();
        let mut k = 1;
        while out.contains(&a) {
            a = format!("{base}-{k}");
            k += 1;
        }
        out.push(a);
    }
    out
}

/// Every `](target)` link that is not a URL: the file exists, the anchor is a heading.
fn broken_links(name: &str, text: &str, docs: &[(String, String)]) -> Vec<String> {
    let mut bad = Vec::new();
    let base = Path::new(name).parent().unwrap_or(Path::new(""));
    for (n, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(p) = rest.find("](") {
            rest = &rest[p + 2..];
            let Some(end) = rest.find(')') else { break };
            let target = &rest[..end];
            rest = &rest[end..];
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (file, frag) = target.split_once('#').unwrap_or((target, ""));
            let file_rel = if file.is_empty() {
                name.to_string()
            } else {
                base.join(file).display().to_string()
            };
            if !file.is_empty() && !repo().join(&file_rel).exists() {
                bad.push(format!("{name}:{}: link to a missing file {file}", n + 1));
                continue;
            }
            if frag.is_empty() {
                continue;
            }
            let Some((_, target_text)) = docs.iter().find(|(d, _)| *d == file_rel) else {
                bad.push(format!("{name}:{}: anchor into a non-markdown file", n + 1));
                continue;
            };
            if !anchors(target_text).iter().any(|a| a == frag) {
                bad.push(format!(
                    "{name}:{}: no heading with anchor #{frag} in {file_rel}",
                    n + 1
                ));
            }
        }
    }
    bad
}

#[test]
fn readme_commands_run_as_documented() {
    let docs = documents();
    let mut blocks = Vec::new();
    let mut skipped = Vec::new();
    let mut errors = Vec::new();
    for (name, text) in &docs {
        let doc = parse(name, text);
        blocks.extend(doc.blocks);
        skipped.extend(doc.skipped);
        errors.extend(doc.errors);
        errors.extend(broken_links(name, text, &docs));
    }
    assert!(
        errors.is_empty(),
        "README convention:\n{}",
        errors.join("\n")
    );
    let commands: usize = blocks.iter().map(|b| b.cmds.len()).sum();
    eprintln!(
        "readme: {commands} commands in {} blocks; {} blocks skipped:\n  {}",
        blocks.len(),
        skipped.len(),
        skipped.join("\n  ")
    );
    assert!(
        commands >= MIN_COMMANDS,
        "found only {commands} runnable commands (expected at least {MIN_COMMANDS}): is the extractor broken?"
    );

    // Longest blocks first, on as many threads as cores (the sweeps use them all anyway).
    blocks.sort_by_key(|b| std::cmp::Reverse(b.cmds.len()));
    let queue = Mutex::new(blocks);
    let failures = Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 4));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let next = queue.lock().map_or(None, |mut q| q.pop());
                    let Some(block) = next else { break };
                    let f = run_block(&block);
                    if let Ok(mut all) = failures.lock() {
                        all.extend(f);
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap_or_default();
    assert!(
        failures.is_empty(),
        "{} README command(s) do not run as documented:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// Run the binary with `args`, stdout as text (for --help and presets).
fn aescope_stdout(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_aescope"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running aescope {args:?}: {e}"));
    assert!(out.status.success(), "aescope {args:?} failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `--flag` tokens in a text.
fn flags(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(p) = rest.find("--") {
        rest = &rest[p + 2..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '-')
            .collect();
        // `--` alone, or a long dash drawn as `---`: not a flag.
        if name.starts_with(|c: char| c.is_ascii_lowercase()) {
            out.push(format!("--{}", name.trim_end_matches('-')));
        }
        rest = &rest[name.len()..];
    }
    out
}

/// The aescope command lines of a document, in code (fenced, skipped or not) and in inline
/// code spans (each starting at `aescope`), and the code spans that start with a flag.
fn aescope_mentions(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut in_fence = false;
    for (n, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            if is_aescope_command(t) {
                out.push((n + 1, t.to_string()));
            }
            continue;
        }
        for (k, span) in line.split('`').enumerate() {
            if k % 2 == 1 && (is_aescope_command(span) || span.starts_with("--")) {
                out.push((n + 1, span.to_string()));
            }
        }
    }
    out
}

/// Dotted preset keys (`train.lr`) in a text: a section name, a dot, a lower-case field.
fn dotted_keys(text: &str) -> Vec<String> {
    const SECTIONS: [&str; 5] = ["data", "model", "train", "eval", "sweep"];
    // File names that look like keys: sweep.csv, sweep.sbatch, sweep.records/ ...
    const NOT_KEYS: [&str; 8] = ["csv", "svg", "png", "json", "sbatch", "records", "by", "rs"];
    let mut out = Vec::new();
    for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_')) {
        let Some((section, field)) = word.split_once('.') else {
            continue;
        };
        let field = field.trim_end_matches('.');
        if SECTIONS.contains(&section)
            && field.starts_with(|c: char| c.is_ascii_lowercase())
            && !NOT_KEYS.contains(&field.split('.').next().unwrap_or(field))
        {
            out.push(format!("{section}.{field}"));
        }
    }
    out
}

/// Every flag given to aescope in the docs (also in skipped blocks and in prose) exists, and
/// every dotted preset key they name is a key of the schema.
#[test]
fn flags_and_keys_in_the_docs_exist() {
    let mut known_flags = Vec::new();
    for sub in ["run", "sweep", "sweep-merge", "theory", "presets", "data"] {
        known_flags.extend(flags(&aescope_stdout(&[sub, "--help"])));
    }
    known_flags.extend(flags(&aescope_stdout(&["--help"])));
    // Hidden on purpose (a measurement aid), documented under Speed with the interface attached;
    // the numpy reference's --threads, named in Speed; the placeholder of the contributing notes.
    known_flags.extend(["--exit-when-done", "--threads", "--flag"].map(String::from));
    let resolved = aescope_stdout(&["presets", "sign-r0.5"]);
    let mut known_keys = Vec::new();
    let mut section = String::new();
    for line in resolved.lines() {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_string();
        } else if let Some((key, _)) = line.split_once(" = ") {
            known_keys.push(if section.is_empty() {
                key.to_string()
            } else {
                format!("{section}.{key}")
            });
        }
    }
    assert!(
        known_keys.len() > 20 && known_flags.len() > 15,
        "parsing --help or the resolved preset failed: {known_flags:?} {known_keys:?}"
    );
    let mut bad = Vec::new();
    for (name, text) in documents() {
        for (n, cmd) in aescope_mentions(&text) {
            // Only what follows aescope on the line (a comment after # is prose).
            let cmd = cmd.split(" # ").next().unwrap_or(&cmd);
            for f in flags(cmd) {
                if !known_flags.contains(&f) {
                    bad.push(format!("{name}:{n}: `{f}` is not a flag of aescope: {cmd}"));
                }
            }
        }
        // Console blocks are run: a bad key there fails the run (or is the point of an
        // error example, like --set train.lrr).
        let mut in_console = false;
        for (n, line) in text.lines().enumerate() {
            let t = line.trim_start();
            if t.starts_with("```") || t.starts_with("~~~") {
                in_console = !in_console && t.trim_start_matches(['`', '~']).starts_with("console");
                continue;
            }
            if in_console {
                continue;
            }
            for k in dotted_keys(line) {
                if !known_keys.contains(&k) {
                    bad.push(format!("{name}:{n}: `{k}` is not a preset key", n = n + 1));
                }
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// The ```rust blocks of a document, as trimmed non-blank lines, with their line numbers.
fn rust_blocks(text: &str) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, Vec<String>)> = None;
    for (n, line) in text.lines().enumerate() {
        let t = line.trim();
        match current.take() {
            None if t == "```rust" => current = Some((n + 1, Vec::new())),
            None => {}
            Some(block) if t.starts_with("```") => out.push(block),
            Some((start, mut lines)) => {
                if !t.is_empty() {
                    lines.push(t.to_string());
                }
                current = Some((start, lines));
            }
        }
    }
    out
}

/// Every ```rust block of the docs is a verbatim excerpt of a program in examples/, which
/// `cargo test` and clippy compile: the API shown is the API that exists.
#[test]
fn rust_blocks_are_compiled_examples() {
    let mut examples = Vec::new();
    if let Ok(dir) = std::fs::read_dir(repo().join("examples")) {
        for e in dir.filter_map(Result::ok) {
            let text = std::fs::read_to_string(e.path()).unwrap_or_default();
            let lines: Vec<String> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from)
                .collect();
            examples.push(lines);
        }
    }
    let mut bad = Vec::new();
    let mut found = 0;
    for (name, text) in documents() {
        for (n, block) in rust_blocks(&text) {
            found += 1;
            let inside = examples
                .iter()
                .any(|ex| ex.windows(block.len()).any(|w| w == block.as_slice()));
            if !inside {
                bad.push(format!(
                    "{name}:{n}: this rust block is not an excerpt of a file in examples/ (copy it from one, after cargo fmt)"
                ));
            }
        }
    }
    assert!(found >= 1, "no rust block found: is the extractor broken?");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// The README's Design section (from `## Design` to the next `## `).
fn design_section(readme: &str) -> &str {
    let start = readme
        .find("\n## Design\n")
        .unwrap_or_else(|| panic!("README: no ## Design"));
    let rest = &readme[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |e| e + 3);
    &rest[..end]
}

/// Folders under `dir`, as paths relative to `src`, recursively.
fn module_dirs(src: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.filter_map(Result::ok) {
        let p = e.path();
        if p.is_dir() {
            out.push(p.strip_prefix(src).unwrap_or(&p).to_path_buf());
            module_dirs(src, &p, out);
        }
    }
}

/// The Design section names every module folder (`gaussian/`, or its `preprocess.rs` when the
/// folder only holds the module's tests) and top-level file of src/, and every dependency of
/// Cargo.toml: a new module or library cannot land undescribed.
#[test]
fn design_section_names_every_module_and_dependency() {
    let readme = std::fs::read_to_string(repo().join("README.md"))
        .unwrap_or_else(|e| panic!("README.md: {e}"));
    let design = design_section(&readme);
    let src = repo().join("src");
    let mut missing = Vec::new();
    let mut dirs = Vec::new();
    module_dirs(&src, &src, &mut dirs);
    for d in &dirs {
        let name = d
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !design.contains(&format!("{name}/")) && !design.contains(&format!("{name}.rs")) {
            missing.push(format!("src/{}/", d.display()));
        }
    }
    let files = std::fs::read_dir(&src).unwrap_or_else(|e| panic!("src: {e}"));
    for f in files.filter_map(Result::ok) {
        let path = f.path();
        let name = f.file_name().to_string_lossy().into_owned();
        let entry =
            path.extension().is_some_and(|x| x == "rs") && name != "lib.rs" && name != "main.rs";
        if entry && !design.contains(&format!("`{name}`")) {
            missing.push(format!("src/{name}"));
        }
    }
    let manifest = std::fs::read_to_string(repo().join("Cargo.toml"))
        .unwrap_or_else(|e| panic!("Cargo.toml: {e}"));
    let after = manifest
        .split("\n[dependencies]\n")
        .nth(1)
        .unwrap_or_else(|| panic!("Cargo.toml: no [dependencies]"));
    let deps = after.split("\n[").next().unwrap_or(after);
    let mut count = 0;
    for line in deps.lines() {
        let Some((name, _)) = line.split_once('=') else {
            continue;
        };
        let name = name.trim();
        if name.is_empty() || name.starts_with('#') {
            continue;
        }
        count += 1;
        if !design.contains(name) {
            missing.push(format!("dependency {name} (Cargo.toml)"));
        }
    }
    assert!(
        dirs.len() >= 5 && count >= 10,
        "found {} src folders and {count} dependencies: is the scan broken?",
        dirs.len()
    );
    assert!(
        missing.is_empty(),
        "README.md, ## Design does not name: {}",
        missing.join(", ")
    );
}

#[test]
fn wildcards_match_what_they_say() {
    let v = |s: &[&str]| s.iter().map(ToString::to_string).collect::<Vec<_>>();
    assert!(line_matches("wall [..] s", "wall 28.4 s"));
    assert!(line_matches(
        "risk 0.68[..] (exact)",
        "risk 0.682100 (exact)"
    ));
    assert!(!line_matches(
        "risk 0.68[..] (exact)",
        "risk 0.682100 (validation)"
    ));
    assert!(!line_matches("steps 2000", "steps 20000"));
    assert!(matches(&v(&["...", "b"]), &v(&["x", "y", "b"])));
    assert!(matches(&v(&["a", "...", "c"]), &v(&["a", "c"])));
    assert!(!matches(&v(&["a", "c"]), &v(&["a", "b", "c"])));
    assert!(!matches(&v(&["a", "..."]), &v(&["b"])));
}

#[test]
fn markers_and_blocks_are_parsed() {
    let text = "intro\n\n    aescope run x\n\n<!-- skip: tui -->\n```\naescope\n```\n\n<!-- test-args: --steps 5 -->\n```console\n$ aescope run p --headless \\\n    --json\nline [..]\n? 3\n$ head -c 1 f\n```\n\n```sh\naescope theory\n```\n";
    let doc = parse("t.md", text);
    assert_eq!(doc.blocks.len(), 1, "{doc:?}");
    assert_eq!(doc.skipped.len(), 1, "{doc:?}");
    assert_eq!(doc.errors.len(), 2, "{doc:?}");
    let cmds = &doc.blocks[0].cmds;
    assert_eq!(cmds[0].line, "aescope run --steps 5 p --headless --json");
    assert_eq!(cmds[0].expected, vec!["line [..]".to_string()]);
    assert_eq!(cmds[0].code, 3);
    assert_eq!(cmds[1].code, 0);
    assert_eq!(
        flags("aescope sweep x --rates 1 --no-plot -- a --- b"),
        vec!["--rates".to_string(), "--no-plot".to_string()]
    );
    assert_eq!(
        dotted_keys("set `train.lr` (not sweep.csv) and sweep.tol."),
        vec!["train.lr".to_string(), "sweep.tol".to_string()]
    );
    assert_eq!(
        aescope_mentions(
            "run `aescope run --json` or `cargo x --release` with `--set`\n```sh\naescope --tui\n```\n"
        )
        .len(),
        3
    );
    assert_eq!(
        anchor("Rate sweeps: the risk-versus-rate figure"),
        "rate-sweeps-the-risk-versus-rate-figure"
    );
}
