//! Renders the transition table as a Mermaid state diagram and as Graphviz
//! DOT. `cashgate diagram` prints these; `state-diagrams/` holds their
//! output, and a test fails when the two differ.

use std::fmt::Write;

use super::state::StateName;
use super::table::EDGES;

/// Mermaid `stateDiagram-v2` of every edge in the table.
pub fn render_mermaid() -> String {
    let mut out = String::new();
    out.push_str("---\ntitle: cashgate payment\n---\nstateDiagram-v2\n");
    out.push_str("    [*] --> searching: check arrives\n");
    for edge in EDGES {
        let _ = writeln!(out, "    {} --> {}: {}", edge.from, edge.to, edge.label());
    }
    for state in StateName::ALL.iter().filter(|s| s.is_final()) {
        let _ = writeln!(out, "    {state} --> [*]");
    }
    out.push_str("    classDef final fill:#e6f4ea,stroke:#1e8e3e\n");
    out.push_str("    classDef operator fill:#fef7e0,stroke:#f9ab00\n");
    let _ = writeln!(out, "    class {} final", members("final").join(","));
    let _ = writeln!(
        out,
        "    class {} operator",
        members("needs_operator").join(",")
    );
    out
}

/// Graphviz DOT of every edge, with the superstates as clusters.
pub fn render_dot() -> String {
    let mut out = String::new();
    out.push_str("digraph payment {\n");
    out.push_str("    rankdir=LR;\n");
    out.push_str("    node [shape=box, style=rounded, fontname=\"Helvetica\"];\n");
    out.push_str("    edge [fontname=\"Helvetica\", fontsize=10];\n");
    out.push_str("    start [shape=point];\n");
    for superstate in ["needs_operator", "final"] {
        let _ = writeln!(out, "    subgraph cluster_{superstate} {{");
        let _ = writeln!(out, "        label=\"{superstate}\";");
        for state in members(superstate) {
            let extra = if superstate == "final" {
                ", peripheries=2"
            } else {
                ""
            };
            let _ = writeln!(out, "        {state} [label=\"{state}\"{extra}];");
        }
        out.push_str("    }\n");
    }
    out.push_str("    start -> searching [label=\"check arrives\"];\n");
    for edge in EDGES {
        let _ = writeln!(
            out,
            "    {} -> {} [label=\"{}\"];",
            edge.from,
            edge.to,
            edge.label()
        );
    }
    out.push_str("}\n");
    out
}

fn members(superstate: &str) -> Vec<&'static str> {
    StateName::ALL
        .iter()
        .filter(|s| s.superstate() == Some(superstate))
        .map(StateName::as_str)
        .collect()
}
