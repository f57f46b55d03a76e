//! `<ClickPathFriendlySessions>` / `ClickPathFriendlySessionsFile` (spec §4.7): partner sites
//! whose session a visitor brings along in the Referer. Each line: a host, one or more
//! `uri(N)` / `param(NAME)` statements, an optional short name (default: the host). Lines that
//! do not parse are ignored; later lines win.

use std::collections::HashMap;

use super::perl_text::{is_space, is_word, lines, run_len, split_run, trim_start};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Statement {
    /// Path segment N (1 = the first real one).
    Uri(usize),
    /// A query parameter, given as `NAME=value`.
    Param(Vec<u8>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Site {
    statements: Vec<Statement>,
    name: Vec<u8>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FriendlyTable {
    by_host: HashMap<Vec<u8>, Site>,
    host_by_name: HashMap<Vec<u8>, Vec<u8>>,
}

/// A friendly session found in a Referer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FriendlySession<'t> {
    pub name: &'t [u8],
    pub host: &'t [u8],
    /// The statements' values joined by newlines: `REMOTE_SESSION`.
    pub text: Vec<u8>,
}

/// Perl's numeric reading of `\w+`: leading digits, else 0.
fn perl_number(text: &[u8]) -> usize {
    text.iter().take_while(|byte| byte.is_ascii_digit()).fold(0usize, |n, &digit| n.saturating_mul(10).saturating_add(usize::from(digit - b'0')))
}

/// `(uri|param)\s*\(\s*(\w+)\s*\)\s*` at the start of `text`: the statement and the rest.
fn parse_statement(text: &[u8]) -> Option<(Statement, &[u8])> {
    let (is_uri, rest) = match text {
        [b'u', b'r', b'i', rest @ ..] => (true, rest),
        [b'p', b'a', b'r', b'a', b'm', rest @ ..] => (false, rest),
        _ => return None,
    };
    let rest = trim_start(rest).strip_prefix(b"(")?;
    let (argument, rest) = split_run(trim_start(rest), is_word);
    let rest = trim_start(rest).strip_prefix(b")")?;
    if argument.is_empty() {
        return None;
    }
    let statement = if is_uri { Statement::Uri(perl_number(argument)) } else { Statement::Param(argument.to_vec()) };
    Some((statement, trim_start(rest)))
}

/// `^\s*(\S+)\s+((?:statement)+)(?:\s*(\w+))?` by hand.
fn parse_line(line: &[u8]) -> Option<(&[u8], Vec<Statement>, Option<&[u8]>)> {
    let (host, rest) = split_run(trim_start(line), |byte| !is_space(byte));
    if host.is_empty() || run_len(rest, is_space) == 0 {
        return None;
    }
    let mut rest = trim_start(rest);
    let mut statements = Vec::new();
    while let Some((statement, after)) = parse_statement(rest) {
        statements.push(statement);
        rest = after;
    }
    if statements.is_empty() {
        return None;
    }
    let (name, _) = split_run(trim_start(rest), is_word);
    Some((host, statements, (!name.is_empty()).then_some(name)))
}

impl FriendlyTable {
    pub fn parse(text: &[u8]) -> Self {
        let mut table = Self::default();
        for (host, statements, name) in lines(text).filter_map(parse_line) {
            let name = name.unwrap_or(host).to_vec();
            table.host_by_name.insert(name.clone(), host.to_vec());
            table.by_host.insert(host.to_vec(), Site { statements, name });
        }
        table
    }

    /// The host a short name in an incoming ID stands for.
    pub fn host_of(&self, name: &[u8]) -> Option<&[u8]> {
        self.host_by_name.get(name).map(Vec::as_slice)
    }

    pub fn is_empty(&self) -> bool {
        self.by_host.is_empty()
    }

    /// The friendly session a (stripped) Referer carries, if it comes from a listed host.
    pub fn session_from_referer(&self, referer: &[u8]) -> Option<FriendlySession<'_>> {
        let (scheme, rest) = split_run(referer, is_word);
        let rest = rest.strip_prefix(b"://").filter(|_| !scheme.is_empty())?;
        let host_len = rest.iter().position(|&byte| byte == b'/')?;
        let (host, path) = rest.split_at(host_len);
        if host.is_empty() {
            return None;
        }
        let (host, site) = self.by_host.get_key_value(host)?;
        let (path, query) = match path.iter().position(|&byte| byte == b'?') {
            Some(mark) => (&path[..mark], &path[mark + 1..]),
            None => (path, &b""[..]),
        };
        let mut text = Vec::new();
        for (index, statement) in site.statements.iter().enumerate() {
            if index > 0 {
                text.push(b'\n');
            }
            match statement {
                Statement::Uri(n) => text.extend_from_slice(path_segment(path, *n)),
                Statement::Param(key) => {
                    text.extend_from_slice(key);
                    text.push(b'=');
                    text.extend_from_slice(query_value(query, key).unwrap_or_default());
                }
            }
        }
        Some(FriendlySession { name: &site.name, host, text })
    }
}

/// Segment `n` of `split /\/+/, path` (segment 0 is the empty text before the leading slash;
/// Perl drops trailing empty segments, which reads the same as a missing one).
fn path_segment(path: &[u8], n: usize) -> &[u8] {
    let mut segments = path.split(|&byte| byte == b'/').enumerate().filter(|(index, segment)| *index == 0 || !segment.is_empty()).map(|(_, segment)| segment);
    segments.nth(n).unwrap_or_default()
}

/// The value of the last `key=value` pair in a `;`/`&` separated query (value: up to a second `=`).
fn query_value<'q>(query: &'q [u8], key: &[u8]) -> Option<&'q [u8]> {
    query
        .split(|&byte| byte == b';' || byte == b'&')
        .filter_map(|pair| {
            let mut parts = pair.split(|&byte| byte == b'=');
            let pair_key = parts.next()?;
            (pair_key == key && !pair_key.is_empty()).then(|| parts.next().unwrap_or_default())
        })
        .next_back()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &[u8] = b"www.partner.com uri(1) param(sid) partner\nshop.example:8080 param ( id ) uri( 2 )\nbroken.example nothing here\n";

    fn text(table: &FriendlyTable, referer: &str) -> Option<String> {
        table.session_from_referer(referer.as_bytes()).map(|session| String::from_utf8(session.text).unwrap())
    }

    #[test]
    fn lines_give_hosts_names_and_statements() {
        let table = FriendlyTable::parse(TABLE);
        assert_eq!(table.host_of(b"partner"), Some(&b"www.partner.com"[..]));
        assert_eq!(table.host_of(b"shop.example:8080"), Some(&b"shop.example:8080"[..]), "the name defaults to the host");
        assert_eq!(table.host_of(b"broken.example"), None);
        assert_eq!(parse_line(b"h uri(1)uri"), Some((&b"h"[..], vec![Statement::Uri(1)], Some(&b"uri"[..]))));
        assert_eq!(parse_line(b"h uri()"), None);
        assert_eq!(parse_line(b"h"), None);
    }

    #[test]
    fn sessions_from_a_partner_referer() {
        let table = FriendlyTable::parse(TABLE);
        let session = table.session_from_referer(b"http://www.partner.com//cart/x/y?a=1;sid=abc=def&sid=xyz").unwrap();
        assert_eq!(session.name, b"partner");
        assert_eq!(session.host, b"www.partner.com");
        assert_eq!(session.text, b"cart\nsid=xyz", "later duplicates win");
        assert_eq!(text(&table, "https://shop.example:8080/a/b?id=7=8"), Some("id=7\nb".to_string()), "value up to a second =");
        assert_eq!(text(&table, "https://shop.example:8080/a/"), Some("id=\n".to_string()));
    }

    #[test]
    fn other_referers_carry_nothing() {
        let table = FriendlyTable::parse(TABLE);
        for referer in ["", "http://www.partner.com", "http://WWW.PARTNER.COM/x", "http://www.partner.com:80/x", "www.partner.com/x", "://www.partner.com/x", "http://other/x"] {
            assert_eq!(text(&table, referer), None, "{referer}");
        }
    }

    #[test]
    fn later_lines_win() {
        let table = FriendlyTable::parse(b"h uri(1) a\nh uri(2) b\n");
        assert_eq!(table.session_from_referer(b"http://h/1/2").unwrap().name, b"b");
        assert_eq!(table.session_from_referer(b"http://h/1/2").unwrap().text, b"2");
    }
}
