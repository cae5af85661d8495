//! The shape of `src/`: no file imports another that (through any chain)
//! imports it back, and no file grows past 500 lines. A module's children
//! may use their parent's own items (that edge is not counted); every
//! other import between files is, whether written in a `use` or inline
//! (`crate::db::Db` in an expression). A name a module re-exports
//! (`pub use child::Item`) is followed to the file that defines it, so a
//! child that takes a sibling's item through the parent still counts as
//! importing the sibling.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The longest a file in `src/` may be.
const FILE_LINES_MAX: usize = 500;

/// Every `.rs` file under `src/` (the binary's `main.rs` too).
fn all_files() -> Vec<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    let mut stack = vec![src];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out
}

/// Every `.rs` file under `src/` (but the binary's `main.rs`), by module path.
fn modules() -> BTreeMap<Vec<String>, PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(&src).unwrap();
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            let file = parts.pop().unwrap();
            match file.as_str() {
                "main.rs" if parts.is_empty() => continue,
                "lib.rs" if parts.is_empty() => {}
                "mod.rs" => {}
                other => parts.push(other.trim_end_matches(".rs").to_owned()),
            }
            out.insert(parts, path);
        }
    }
    out
}

/// The text with comments, string literals and attributes' strings blanked,
/// so that only code is searched for paths.
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            let mut depth = 0;
            while i < b.len() {
                if b[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if b[i] == b'r'
            && (b.get(i + 1) == Some(&b'"') || b.get(i + 1) == Some(&b'#'))
            && (i == 0 || !is_ident(b[i - 1]))
        {
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&b'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&b'"') {
                out.push('r');
                i += 1;
                continue;
            }
            let close: Vec<u8> = std::iter::once(b'"')
                .chain(std::iter::repeat_n(b'#', hashes))
                .collect();
            j += 1;
            while j < b.len() && !b[j..].starts_with(&close) {
                j += 1;
            }
            i = j + close.len();
            out.push_str("\"\"");
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if b[i] == b'\'' && b.get(i + 2) == Some(&b'\'') {
            // A one-character literal like '{' (never a lifetime).
            i += 3;
            out.push_str("' '");
        } else if b[i] == b'\'' && b.get(i + 1) == Some(&b'\\') {
            i += 2;
            while i < b.len() && b[i] != b'\'' {
                i += 1;
            }
            i += 1;
            out.push_str("' '");
        } else {
            let len = text[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&text[i..i + len]);
            i += len;
        }
    }
    out
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Tokens: identifiers, `::`, and single punctuation characters.
fn tokens(code: &str) -> Vec<String> {
    let b = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if is_ident(b[i]) {
            let start = i;
            while i < b.len() && is_ident(b[i]) {
                i += 1;
            }
            out.push(code[start..i].to_owned());
        } else if b[i..].starts_with(b"::") {
            out.push("::".into());
            i += 2;
        } else if b[i].is_ascii_whitespace() || !b[i].is_ascii() {
            i += 1;
        } else {
            out.push((b[i] as char).to_string());
            i += 1;
        }
    }
    out
}

/// The paths a use tree names, each as its segments (braces expanded).
fn use_tree(toks: &[String], i: &mut usize, prefix: &[String], out: &mut Vec<Vec<String>>) {
    let mut path = prefix.to_vec();
    while *i < toks.len() {
        let t = toks[*i].as_str();
        match t {
            "{" => {
                *i += 1;
                loop {
                    use_tree(toks, i, &path, out);
                    match toks.get(*i).map(String::as_str) {
                        Some(",") => *i += 1,
                        Some("}") => {
                            *i += 1;
                            return;
                        }
                        _ => return,
                    }
                    if toks.get(*i).map(String::as_str) == Some("}") {
                        *i += 1;
                        return;
                    }
                }
            }
            "::" => *i += 1,
            "," | "}" | ";" => break,
            "as" => {
                *i += 2;
                break;
            }
            "*" => {
                *i += 1;
                break;
            }
            _ => {
                path.push(t.to_owned());
                *i += 1;
            }
        }
    }
    out.push(path);
}

/// The names a file re-exports (`pub use`, `pub(crate) use`, ...) at its
/// top level, each with the path it names.
fn reexports(code: &str) -> BTreeMap<String, Vec<String>> {
    let toks = tokens(code);
    let mut out = BTreeMap::new();
    for (i, t) in toks.iter().enumerate() {
        if t != "use" {
            continue;
        }
        let public = match i.checked_sub(1).map(|p| toks[p].as_str()) {
            Some("pub") => true,
            Some(")") => (0..i)
                .rev()
                .find(|&k| toks[k] == "(")
                .is_some_and(|k| k > 0 && toks[k - 1] == "pub"),
            _ => false,
        };
        if !public {
            continue;
        }
        let mut j = i + 1;
        let mut found = Vec::new();
        use_tree(&toks, &mut j, &[], &mut found);
        for p in found {
            let relative = p
                .first()
                .is_some_and(|s| matches!(s.as_str(), "crate" | "super" | "self"));
            if let Some(name) = p.last().filter(|_| relative || p.len() > 1) {
                out.insert(name.clone(), p.clone());
            }
        }
    }
    out
}

/// Every path that starts at `crate`, `super` or `self`, from `use`
/// statements and from code, with the inline module it was written in.
fn paths(code: &str) -> Vec<(Vec<String>, Vec<String>)> {
    let toks = tokens(code);
    let mut out = Vec::new();
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i].as_str();
        let here: Vec<String> = inline.iter().map(|(m, _)| m.clone()).collect();
        match t {
            "{" => depth += 1,
            "}" => {
                depth = depth.saturating_sub(1);
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
            }
            "mod" if toks.get(i + 2).map(String::as_str) == Some("{") => {
                inline.push((toks[i + 1].clone(), depth));
            }
            "use" => {
                let mut j = i + 1;
                let mut found = Vec::new();
                use_tree(&toks, &mut j, &[], &mut found);
                for p in found {
                    if p.first()
                        .is_some_and(|s| matches!(s.as_str(), "crate" | "super" | "self"))
                    {
                        out.push((here.clone(), p));
                    }
                }
                i = j;
                continue;
            }
            "crate" | "super" | "self"
                if toks.get(i + 1).map(String::as_str) == Some("::")
                    && (i == 0 || toks[i - 1] != "::") =>
            {
                let mut p = vec![t.to_owned()];
                let mut j = i + 1;
                while toks.get(j).map(String::as_str) == Some("::")
                    && toks.get(j + 1).is_some_and(|s| is_ident(s.as_bytes()[0]))
                {
                    p.push(toks[j + 1].clone());
                    j += 2;
                }
                out.push((here.clone(), p));
                i = j;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// The file a path lands in: the longest module prefix that is a file,
/// and the segment that follows it (an item of that file, if any).
fn resolve(
    files: &BTreeMap<Vec<String>, PathBuf>,
    module: &[String],
    inline: &[String],
    path: &[String],
) -> (Vec<String>, Option<String>) {
    // Where `self` is: the file's module plus the inline modules around
    // the path (which are not files, so resolution climbs out of them).
    let mut at: Vec<String> = module.iter().chain(inline).cloned().collect();
    let mut rest = path;
    match rest.first().map(String::as_str) {
        Some("crate") => {
            at.clear();
            rest = &rest[1..];
        }
        Some("self") => rest = &rest[1..],
        _ => {}
    }
    while rest.first().map(String::as_str) == Some("super") {
        at.pop();
        rest = &rest[1..];
    }
    while !at.is_empty() && !files.contains_key(&at) {
        at.pop();
    }
    let mut best = at.clone();
    let mut next = None;
    for seg in rest {
        at.push(seg.clone());
        if !files.contains_key(&at) {
            next = Some(seg.clone());
            break;
        }
        best = at.clone();
    }
    (best, next)
}

/// The file that defines `item` of `target`, following `target`'s
/// re-exports (a few hops at most: re-exports of re-exports).
fn defining_file(
    files: &BTreeMap<Vec<String>, PathBuf>,
    exports: &BTreeMap<Vec<String>, BTreeMap<String, Vec<String>>>,
    mut target: Vec<String>,
    mut item: Option<String>,
) -> Vec<String> {
    for _ in 0..4 {
        let Some(path) = item
            .as_ref()
            .and_then(|name| exports.get(&target)?.get(name))
        else {
            break;
        };
        let (next_target, next_item) = resolve(files, &target, &[], path);
        if next_target == target {
            break;
        }
        target = next_target;
        item = next_item.or(item);
    }
    target
}

/// Strongly connected groups of more than one file (Tarjan).
fn cycles(edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<Vec<String>>> {
    struct State<'a> {
        edges: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<Vec<String>, usize>,
        low: BTreeMap<Vec<String>, usize>,
        stack: Vec<Vec<String>>,
        on_stack: BTreeSet<Vec<String>>,
        next: usize,
        out: Vec<Vec<Vec<String>>>,
    }
    fn visit(s: &mut State, v: &Vec<String>) {
        s.index.insert(v.clone(), s.next);
        s.low.insert(v.clone(), s.next);
        s.next += 1;
        s.stack.push(v.clone());
        s.on_stack.insert(v.clone());
        let targets: Vec<Vec<String>> = s.edges.get(v).into_iter().flatten().cloned().collect();
        for w in &targets {
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v.clone(), low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v.clone(), low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut group = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(&w);
                let done = w == *v;
                group.push(w);
                if done {
                    break;
                }
            }
            if group.len() > 1 {
                s.out.push(group);
            }
        }
    }
    let mut s = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out
}

/// Which file imports which, children's uses of their ancestors left out.
fn import_graph() -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let files = modules();
    let code: BTreeMap<Vec<String>, String> = files
        .iter()
        .map(|(m, path)| {
            (
                m.clone(),
                code_only(&std::fs::read_to_string(path).unwrap()),
            )
        })
        .collect();
    let exports: BTreeMap<Vec<String>, BTreeMap<String, Vec<String>>> = code
        .iter()
        .map(|(m, c)| (m.clone(), reexports(c)))
        .collect();
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (module, code) in &code {
        let targets = edges.entry(module.clone()).or_default();
        for (inline, p) in paths(code) {
            let (landed, item) = resolve(&files, module, &inline, &p);
            let target = defining_file(&files, &exports, landed, item);
            let is_ancestor = target.len() < module.len() && module.starts_with(&target);
            if target != *module && !is_ancestor {
                targets.insert(target);
            }
        }
    }
    edges
}

fn name(module: &[String]) -> String {
    if module.is_empty() {
        "crate".into()
    } else {
        module.join("::")
    }
}

#[test]
fn no_file_in_src_imports_another_that_imports_it_back() {
    let graph = import_graph();
    assert!(graph.len() > 50, "found only {} files", graph.len());
    let found = cycles(&graph);
    let report: Vec<String> = found
        .iter()
        .map(|group| {
            group
                .iter()
                .map(|m| name(m))
                .collect::<Vec<_>>()
                .join(" <-> ")
        })
        .collect();
    assert!(report.is_empty(), "import cycles in src/: {report:#?}");
}

#[test]
fn the_checker_sees_uses_inline_paths_and_cycles() {
    let code = code_only(
        "use super::{a::B, c};\nuse crate::x::{y::{self, Z}, w as v};\nfn f() { crate::q::r(); let s = \"crate::no\"; } // crate::nope\nmod tests { use super::*; }",
    );
    let found: Vec<Vec<String>> = paths(&code).into_iter().map(|(_, p)| p).collect();
    let want: Vec<Vec<&str>> = vec![
        vec!["super", "a", "B"],
        vec!["super", "c"],
        vec!["crate", "x", "y", "self"],
        vec!["crate", "x", "y", "Z"],
        vec!["crate", "x", "w"],
        vec!["crate", "q", "r"],
        vec!["super"],
    ];
    assert_eq!(found, want);
    let exported = reexports(&code_only(
        "pub use parse::{Field, parse_sms};\npub(crate) use crate::x::Y;\nuse a::B;",
    ));
    let names: Vec<&str> = exported.keys().map(String::as_str).collect();
    assert_eq!(names, ["Field", "Y", "parse_sms"]);
    assert_eq!(exported["Y"], ["crate", "x", "Y"]);
    let m = |s: &str| s.split("::").map(str::to_owned).collect::<Vec<_>>();
    let mut graph = BTreeMap::new();
    graph.insert(m("a"), BTreeSet::from([m("b")]));
    graph.insert(m("b"), BTreeSet::from([m("c")]));
    graph.insert(m("c"), BTreeSet::from([m("a")]));
    graph.insert(m("d"), BTreeSet::from([m("a")]));
    let found = cycles(&graph);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].len(), 3);
}

#[test]
fn no_file_in_src_is_over_500_lines() {
    let long: Vec<String> = all_files()
        .iter()
        .filter_map(|path| {
            let lines = std::fs::read_to_string(path).unwrap().lines().count();
            (lines > FILE_LINES_MAX).then(|| format!("{} has {lines} lines", path.display()))
        })
        .collect();
    assert!(long.is_empty(), "split these by meaning: {long:#?}");
}
