//! The `clickpath-decode` command as an admin runs it: its `--help` and man page
//! (debian/clickpath-decode.1) name the same options, a mistyped option is refused, and IDs
//! read from stdin are decoded past a line that has none (spec §3.6's worked example).
//! What an ID decodes to is core's, tested in src/core/clickpath/decode_report.rs.
//!
//! Run: `cargo test --release --test clickpath_decode_cli`.

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Output, Stdio};

const EXAMPLE: &str = "s9NNNd:vAYsyaINNTSaB7INNNNNMsMyq*.CF!vq*.InoJ";

fn decode(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_clickpath-decode"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("clickpath-decode runs");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// The `--long-option` words in `text`, with the man page's `\-` read as `-`.
fn long_options(text: &str) -> BTreeSet<String> {
    let text = text.replace("\\-", "-");
    let word = |c: char| c.is_ascii_lowercase() || c == '-';
    text.match_indices("--")
        .map(|(start, _)| text[start..].chars().take_while(|&c| word(c)).collect::<String>())
        .filter(|option| option.len() > 2 && !option.ends_with('-'))
        .collect()
}

#[test]
fn help_and_man_page_name_the_same_options() {
    let help = decode(&["--help"], "");
    assert!(help.status.success(), "{help:?}");
    let help = String::from_utf8(help.stdout).unwrap();
    assert!(help.starts_with("usage: clickpath-decode "), "{help}");
    let man_page = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/debian/clickpath-decode.1")).unwrap();
    let in_help = long_options(&help);
    assert_eq!(
        in_help,
        ["--friendly", "--help", "--secret", "--secret-iv", "--server-map", "--tag"].map(String::from).into(),
        "{help}"
    );
    assert_eq!(long_options(&man_page), in_help);
}

#[test]
fn a_mistyped_option_is_a_usage_error() {
    let output = decode(&["--tga", "-S:", EXAMPLE], "");
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).starts_with("unknown option --tga\nusage: "), "{output:?}");
}

#[test]
fn stdin_lines_are_decoded_past_one_without_a_session() {
    let log = format!("GET /index.html HTTP/1.1\nGET /-S:{EXAMPLE}/index.html HTTP/1.1\n");
    let output = decode(&["--tag", "-S:"], &log);
    assert_eq!(output.status.code(), Some(1), "one line had no session");
    assert_eq!(String::from_utf8_lossy(&output.stderr), "GET /index.html HTTP/1.1: no session found\n");
    let report = String::from_utf8(output.stdout).unwrap();
    for field in ["creation_time:       1121948895 (2005-07-21 12:28:15 UTC)", "server_pid:          24909", "seq_number:          55023", "server_id:           127.0.0.1"] {
        assert!(report.lines().any(|line| line == field), "{field} in\n{report}");
    }
    assert!(report.ends_with("\n\n"), "a blank line after the block");
}
