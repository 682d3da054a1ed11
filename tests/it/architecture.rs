//! The layering the code relies on, checked on the sources: the engine names no
//! UI, desktop or front-end module, and no engine module imports one that
//! imports it back (the root, `engine.rs`, holds the shared state and may be
//! named by all).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn engine_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/engine")
}

/// Every `.rs` file under `dir` but unit tests (`tests.rs`), with its depth below `src/engine` (1 for
/// `src/engine/x.rs`, 2 for `src/engine/x/y.rs`…).
fn sources(dir: &Path, depth: usize, out: &mut Vec<(PathBuf, usize)>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, depth + 1, out);
        } else if path.extension().is_some_and(|e| e == "rs")
            && path.file_name().is_some_and(|n| n != "tests.rs")
        {
            out.push((path, depth));
        }
    }
}

/// The code of a file without its unit tests (they may reach anywhere).
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

#[test]
fn the_engine_names_no_ui_desktop_or_front_end_module() {
    let forbidden = ["iced", "zbus", "tray_icon", "notify_rust", "rfd", "fluent"];
    let front_ends = ["i18n", "agent", "ipc", "cli", "ui", "platform", "config"];
    let mut files = Vec::new();
    sources(&engine_dir(), 1, &mut files);
    files.push((engine_dir().with_extension("rs"), 0));
    let mut found = Vec::new();
    for (path, _) in &files {
        let text = code(path);
        for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for name in forbidden {
                if line.contains(&format!("{name}::")) || line.contains(&format!("use {name}")) {
                    found.push(format!("{}: {line}", path.display()));
                }
            }
            for module in front_ends {
                if line.contains(&format!("crate::{module}")) {
                    found.push(format!("{}: {line}", path.display()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "the engine reaches out:\n{}",
        found.join("\n")
    );
}

/// The engine modules a file names: `super::x` / `crate::engine::x` paths and the
/// names inside `super::{x, y}` groups, where `super` is the engine root.
fn named_modules(text: &str, depth: usize) -> BTreeSet<String> {
    let root = "super::".repeat(depth);
    let mut names = BTreeSet::new();
    for prefix in [root.as_str(), "crate::engine::"] {
        for (at, _) in text.match_indices(prefix) {
            // `super::super::x` seen from a file of depth 1 is not the root.
            if prefix.starts_with("super") && text[..at].ends_with("super::") {
                continue;
            }
            let rest = &text[at + prefix.len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let group = &group[..group.find('}').unwrap_or(group.len())];
                names.extend(group.split(',').filter_map(|item| {
                    let first = item.trim().split("::").next()?.trim();
                    (!first.is_empty()).then(|| first.to_owned())
                }));
            } else {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && rest[name.len()..].starts_with("::") {
                    names.insert(name);
                }
            }
        }
    }
    names
}

#[test]
fn no_engine_module_imports_one_that_imports_it_back() {
    let dir = engine_dir();
    let mut files = Vec::new();
    sources(&dir, 1, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, depth) in &files {
        let relative = path.strip_prefix(&dir).unwrap();
        let top = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        let names = named_modules(&code(path), *depth);
        graph.entry(top.clone()).or_default().extend(names);
    }
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for (module, names) in &mut graph {
        names.retain(|n| n != module && modules.contains(n));
    }
    assert!(
        graph
            .get("scheduler")
            .is_some_and(|n| n.contains("transfer")),
        "the reading of imports works: {graph:?}"
    );
    // Depth-first search for a path from each module back to itself.
    for start in graph.keys() {
        let mut stack: Vec<Vec<&String>> = vec![vec![start]];
        let mut seen = BTreeSet::new();
        while let Some(path) = stack.pop() {
            let last = *path.last().unwrap();
            for next in &graph[last] {
                if next == start {
                    let cycle: Vec<&str> = path.iter().map(|s| s.as_str()).collect();
                    panic!("import cycle: {} -> {start}", cycle.join(" -> "));
                }
                if seen.insert(next) {
                    let mut longer = path.clone();
                    longer.push(next);
                    stack.push(longer);
                }
            }
        }
    }
}
