//! The checked-in state diagrams are what `cashgate diagram` prints.

use std::process::Command;

fn diagram(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_cashgate"))
        .arg("diagram")
        .args(args)
        .output()
        .expect("run cashgate diagram");
    assert!(
        output.status.success(),
        "cashgate diagram failed: {output:?}"
    );
    String::from_utf8(output.stdout).expect("utf-8 diagram")
}

fn checked_in(name: &str) -> String {
    let path = format!("{}/state-diagrams/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_checked_in_mermaid_diagram_is_what_cashgate_prints() {
    assert_eq!(
        checked_in("payment.mmd"),
        diagram(&[]),
        "state-diagrams/payment.mmd is stale: run `cargo run -- diagram > state-diagrams/payment.mmd`"
    );
}

#[test]
fn the_checked_in_dot_diagram_is_what_cashgate_prints() {
    assert_eq!(
        checked_in("payment.dot"),
        diagram(&["--dot"]),
        "state-diagrams/payment.dot is stale: run `cargo run -- diagram --dot > state-diagrams/payment.dot`"
    );
}

#[test]
fn the_diagram_has_every_edge_of_the_table() {
    let mermaid = diagram(&[]);
    for edge in cashgate::machine::EDGES {
        let line = format!("    {} --> {}: {}", edge.from, edge.to, edge.label());
        assert!(mermaid.contains(&line), "missing: {line}");
    }
}

#[test]
fn the_readme_shows_the_current_diagram() {
    let readme =
        std::fs::read_to_string(format!("{}/README.md", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let block = format!("```mermaid\n{}```", diagram(&[]));
    assert!(
        readme.contains(&block),
        "README.md's mermaid block is stale: paste `cargo run -- diagram` into it"
    );
}
