//! The bad-input table in `Error`'s docs (`core/docs/bad_input.md`) names
//! a test for every row: each must exist, so the table cannot promise
//! coverage that is not there.

use std::path::Path;

const TABLE: &str = include_str!("../core/docs/bad_input.md");

/// The `path::test` cells of the table's last column.
fn named_tests() -> Vec<(String, String)> {
    TABLE
        .lines()
        .filter(|l| l.starts_with('|') && !l.starts_with("|---") && !l.starts_with("| Operation"))
        .map(|row| {
            let cell = row
                .trim_end_matches('|')
                .rsplit('|')
                .next()
                .unwrap_or_default()
                .trim()
                .trim_matches('`');
            let (path, test) = cell
                .rsplit_once("::")
                .unwrap_or_else(|| panic!("row without a test: {row}"));
            (path.to_owned(), test.to_owned())
        })
        .collect()
}

#[test]
fn every_row_names_a_test_that_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rows = named_tests();
    assert!(rows.len() >= 40, "the table lost rows: {}", rows.len());
    for (path, test) in rows {
        let source = std::fs::read_to_string(root.join(&path))
            .unwrap_or_else(|e| panic!("{path} (named by the table): {e}"));
        // `#[test]` right above `fn name(`, plain or inside `proptest!`.
        let lines: Vec<&str> = source.lines().map(str::trim).collect();
        let is_test = lines.windows(2).any(|w| {
            w[0] == "#[test]"
                && (w[1].starts_with(&format!("fn {test}("))
                    || w[1].starts_with(&format!("async fn {test}(")))
        });
        assert!(is_test, "{path} has no test `{test}`");
    }
}

/// The variants of `Error`, read from its source, so that a new one
/// cannot be left out of the table unnoticed.
fn error_variants() -> Vec<String> {
    let source = include_str!("../core/src/error.rs");
    let body = source
        .split_once("pub enum Error {")
        .and_then(|(_, rest)| rest.split_once("\n}"))
        .map(|(body, _)| body)
        .expect("core/src/error.rs declares `pub enum Error`");
    body.lines()
        .filter_map(|l| l.strip_prefix("    "))
        .filter(|l| l.starts_with(|c: char| c.is_ascii_uppercase()))
        .map(|l| {
            l.split(|c: char| !c.is_alphanumeric())
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

#[test]
fn every_error_variant_appears_in_the_table() {
    let variants = error_variants();
    assert!(variants.len() >= 17, "read {variants:?}");
    for variant in variants {
        assert!(
            TABLE.contains(&format!("`Err({variant}")),
            "{variant} is missing from the table"
        );
    }
}
