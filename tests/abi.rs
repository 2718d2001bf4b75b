//! The C ABI check: every declaration of the header as released (tests/fixtures/abi/, the header
//! of 0.1.0) is still in include/trendcast.h word for word: each function's prototype, each
//! struct's members in order, each enum's values, each constant and each conditional typedef.
//! The header may add declarations and move them (it reads by topic); it may not change or drop
//! one. The version constants are the exception: they say which release a header is.

use std::collections::HashSet;

/// A header's declarations: comments removed, whitespace collapsed, one item per statement ending
/// in `;` outside braces (preprocessor lines inside it kept), or per preprocessor line between
/// statements.
fn declarations(header: &str) -> Vec<String> {
    let mut text = String::new();
    let mut rest = header;
    while let Some(start) = rest.find("/*") {
        text.push_str(&rest[..start]);
        rest = rest[start..].find("*/").map_or("", |end| &rest[start + end + 2..]);
    }
    text.push_str(rest);
    let mut items = Vec::new();
    let mut pending = String::new();
    let mut depth = 0i32;
    for line in text.lines() {
        let line = line.split("//").next().unwrap_or("").trim();
        // The C++ linkage wrapper around the functions is not a declaration.
        if line.is_empty() || line == "extern \"C\" {" || (line == "}" && pending.is_empty() && depth == 0) {
            continue;
        }
        if line.starts_with('#') && pending.is_empty() {
            items.push(line.split_whitespace().collect::<Vec<_>>().join(" "));
            continue;
        }
        if !pending.is_empty() {
            pending.push(if line.starts_with('#') || pending.starts_with('#') { '\n' } else { ' ' });
        }
        pending.push_str(&line.split_whitespace().collect::<Vec<_>>().join(" "));
        depth += line.matches('{').count() as i32 - line.matches('}').count() as i32;
        if depth == 0 && line.ends_with(';') {
            items.push(std::mem::take(&mut pending));
        }
    }
    assert!(pending.is_empty() && depth == 0, "an unterminated declaration: {pending}");
    items
}

/// The released declarations that the current header lacks or has changed.
fn broken(released: &str, current: &str) -> Vec<String> {
    let now: HashSet<String> = declarations(current).into_iter().collect();
    declarations(released).into_iter().filter(|d| !d.contains("TRENDCAST_VERSION_") && !now.contains(d)).collect()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

#[test]
fn the_header_keeps_every_released_declaration() {
    let released = read("tests/fixtures/abi/trendcast-0.1.0.h");
    let missing = broken(&released, &read("include/trendcast.h"));
    assert!(missing.is_empty(), "include/trendcast.h changed or dropped released declarations:\n{}", missing.join("\n\n"));
}

/// The check sees a reordered struct, a changed prototype, a renumbered status, a dropped function
/// and a changed underlying type, and lets moved declarations and new ones pass.
#[test]
fn the_check_catches_each_kind_of_break() {
    let released = read("tests/fixtures/abi/trendcast-0.1.0.h");
    let decls = declarations(&released);
    assert!(decls.len() > 60, "{} declarations read", decls.len());
    for name in ["trendcast_direction(", "struct trendcast_bars {", "enum trendcast_status", "typedef int32_t trendcast_status;"] {
        assert!(decls.iter().any(|d| d.contains(name)), "{name} not read as a declaration");
    }
    let moved = format!("{released}\n/* new */\nvoid trendcast_new_call(void);\n");
    assert!(broken(&released, &moved).is_empty());
    let changes = [
        ("const int32_t *dates;\n  const double *open;", "const double *open;\n  const int32_t *dates;"),
        ("size_t top_k,", "int32_t top_k,"),
        ("TRENDCAST_STATUS_PANIC = 13,", "TRENDCAST_STATUS_PANIC = 14,"),
        ("void trendcast_model_free(struct trendcast_model *model);", ""),
        ("typedef int32_t trendcast_status;", "typedef int64_t trendcast_status;"),
    ];
    for (from, to) in changes {
        assert!(released.contains(from), "the fixture has no {from:?}");
        let changed = released.replacen(from, to, 1);
        assert!(!broken(&released, &changed).is_empty(), "{from:?} -> {to:?} was not seen");
    }
}
