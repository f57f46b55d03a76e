//! `<ClickPathUAExceptions>` / `ClickPathUAExceptionsFile` (spec §4.6): lines of a name and a
//! regex; a new visitor whose User-Agent matches one anywhere gets the name as its session.
//! Lines that do not parse are skipped, as the Perl module skipped them (quirk 5: a name with a
//! dot, like `dir.com`, is not a `\w+` name).
//!
//! Most lists are plain product tokens (`Googlebot`, `bingbot`): a regex without any special
//! character matches exactly where its text occurs, so those are searched as substrings
//! (`memchr::memmem`), which costs a crawler's request a fraction of a PCRE2 match.

use std::fmt;

use memchr::memmem;
use pcre2::bytes::{Regex, RegexBuilder};

use super::perl_text::{is_space, is_word, lines, split_run, trim_end, trim_start};

#[derive(Debug)]
pub struct UaException {
    pub name: Vec<u8>,
    pattern: Pattern,
}

#[derive(Debug)]
enum Pattern {
    /// A regex that is a literal text: found anywhere, exactly as PCRE2 would match it.
    Literal(Box<memmem::Finder<'static>>),
    Regex(Regex),
}

impl Pattern {
    fn compile(source: &str) -> Result<Self, pcre2::Error> {
        if let Some(text) = literal_text(source.as_bytes()) {
            return Ok(Self::Literal(Box::new(memmem::Finder::new(&text).into_owned())));
        }
        RegexBuilder::new().jit_if_available(true).build(source).map(Self::Regex)
    }

    /// A regex that fails to run (PCRE2's match limits) counts as no match.
    fn is_match(&self, subject: &[u8]) -> bool {
        match self {
            Self::Literal(finder) => finder.find(subject).is_some(),
            Self::Regex(regex) => regex.is_match(subject).unwrap_or(false),
        }
    }
}

/// The text a regex matches literally, if it is one: printable ASCII without PCRE2's special
/// characters (`\ ^ $ . | ? * + ( ) [ ] { }`), where a backslash before ASCII punctuation stands
/// for that character (`Dir\.com`). Anything else (letters after a backslash, `(?i)`, classes)
/// goes to PCRE2. Without the `x` option, blanks and `#` are literal too.
fn literal_text(source: &[u8]) -> Option<Vec<u8>> {
    let mut text = Vec::with_capacity(source.len());
    let mut bytes = source.iter();
    while let Some(&byte) = bytes.next() {
        match byte {
            b'\\' => match bytes.next() {
                Some(&escaped) if escaped.is_ascii_punctuation() => text.push(escaped),
                _ => return None,
            },
            b'^' | b'$' | b'.' | b'|' | b'?' | b'*' | b'+' | b'(' | b')' | b'[' | b']' | b'{' | b'}' => return None,
            b' '..=b'~' => text.push(byte),
            _ => return None,
        }
    }
    (!text.is_empty()).then_some(text)
}

#[derive(Debug, Default)]
pub struct UaExceptions {
    exceptions: Vec<UaException>,
}

/// A regex PCRE2 does not accept: startup fails with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadRegex {
    pub name: String,
    pub regex: String,
    pub reason: String,
}

impl fmt::Display for BadRegex {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "ClickPathUAExceptions: the regex of {} ({}) does not compile: {}", self.name, self.regex, self.reason)
    }
}

/// `^\s*(\w+):?\s+(.+?)\s*$` by hand: the name and the regex, or `None`.
fn parse_line(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let (name, rest) = split_run(trim_start(line), is_word);
    let rest = rest.strip_prefix(b":").unwrap_or(rest);
    let (gap, regex) = split_run(rest, is_space);
    let regex = trim_end(regex);
    (!name.is_empty() && !gap.is_empty() && !regex.is_empty()).then_some((name, regex))
}

impl UaExceptions {
    pub fn parse(text: &[u8]) -> Result<Self, BadRegex> {
        let exceptions = lines(text)
            .filter_map(parse_line)
            .map(|(name, regex)| {
                let bad = |reason: String| BadRegex {
                    name: String::from_utf8_lossy(name).into_owned(),
                    regex: String::from_utf8_lossy(regex).into_owned(),
                    reason,
                };
                let source = std::str::from_utf8(regex).map_err(|_| bad("it is not UTF-8".to_string()))?;
                let pattern = Pattern::compile(source).map_err(|error| bad(error.to_string()))?;
                Ok(UaException { name: name.to_vec(), pattern })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { exceptions })
    }

    /// The name of the first exception whose regex matches anywhere in `user_agent`.
    pub fn crawler_name(&self, user_agent: &[u8]) -> Option<&[u8]> {
        self.exceptions.iter().find(|exception| exception.pattern.is_match(user_agent)).map(|exception| exception.name.as_slice())
    }

    pub fn len(&self) -> usize {
        self.exceptions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.exceptions.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCUMENTED: &[u8] = b"google    Googlebot\nMSN  (?i:msnbot)\ndir.com  Dir\\.com\nsearch.ch search\\.ch\n  yahoo: Slurp  \n";

    #[test]
    fn the_first_matching_regex_names_the_crawler() {
        let list = UaExceptions::parse(DOCUMENTED).unwrap();
        assert_eq!(list.len(), 3, "dir.com and search.ch are dropped (quirk 5)");
        assert_eq!(list.crawler_name(b"Mozilla/5.0 (compatible; Googlebot/2.1)"), Some(&b"google"[..]));
        assert_eq!(list.crawler_name(b"MSNBOT/1.0"), Some(&b"MSN"[..]));
        assert_eq!(list.crawler_name(b"Yahoo! Slurp"), Some(&b"yahoo"[..]));
        assert_eq!(list.crawler_name(b"googlebot"), None, "case-sensitive unless the regex says otherwise");
        assert_eq!(list.crawler_name(b"Dir.com"), None);
        assert_eq!(list.crawler_name(b""), None);
    }

    #[test]
    fn line_syntax() {
        assert_eq!(parse_line(b"a b"), Some((&b"a"[..], &b"b"[..])));
        assert_eq!(parse_line(b"\t a:\tb c \r"), Some((&b"a"[..], &b"b c"[..])));
        assert_eq!(parse_line(b"a:b"), None, "a gap is needed");
        assert_eq!(parse_line(b"a"), None);
        assert_eq!(parse_line(b"a   "), None);
        assert_eq!(parse_line(b": b"), None);
        assert_eq!(parse_line(b"a.b c"), None);
    }

    #[test]
    fn order_decides_between_overlapping_regexes() {
        let list = UaExceptions::parse(b"first bot\nsecond robot\n").unwrap();
        assert_eq!(list.crawler_name(b"robot"), Some(&b"first"[..]));
    }

    #[test]
    fn a_bad_regex_is_an_error_naming_it() {
        let error = UaExceptions::parse(b"ok fine\nbroken (unclosed\n").unwrap_err();
        assert_eq!(error.name, "broken");
        assert!(error.to_string().starts_with("ClickPathUAExceptions: the regex of broken ((unclosed) does not compile: "), "{error}");
    }

    #[test]
    fn literal_regexes_are_recognised() {
        assert_eq!(literal_text(b"Googlebot/2.1 x"), None, "a dot is any character");
        assert_eq!(literal_text(b"Googlebot"), Some(b"Googlebot".to_vec()));
        assert_eq!(literal_text(br"Dir\.com; #1 -_/:=,"), Some(b"Dir.com; #1 -_/:=,".to_vec()));
        assert_eq!(literal_text(br"a\\b"), Some(br"a\b".to_vec()));
        for regex in [&br"\d"[..], br"a\", b"(?i)bot", b"^bot", b"bot$", b"a|b", b"bots?", b"[b]ot", b"a{2}", b"a}", b"a]", b"\xe9t\xe9", b"a\tb"] {
            assert_eq!(literal_text(regex), None, "{}", String::from_utf8_lossy(regex));
        }
    }

    /// The fast path decides exactly as PCRE2 does, for the literal regexes and for ones that
    /// only look alike.
    #[test]
    fn literal_matching_agrees_with_pcre2() {
        let regexes = [&b"Googlebot"[..], br"Dir\.com", b"a b", b"#x", b"-/:", br"\(x\)", b"Dir.com", b"(?i)googlebot", b"bot$"];
        let agents = [&b""[..], b"Googlebot", b"Mozilla/5.0 (compatible; Googlebot/2.1)", b"googlebot", b"Dir.com", b"DirXcom", b"a b", b"a  b", b"#x", b"x-/:y", b"(x)", b"robot"];
        for regex in regexes {
            let source = std::str::from_utf8(regex).unwrap();
            let ours = Pattern::compile(source).unwrap();
            let pcre2 = RegexBuilder::new().build(source).unwrap();
            for agent in agents {
                assert_eq!(ours.is_match(agent), pcre2.is_match(agent).unwrap(), "{source} on {}", String::from_utf8_lossy(agent));
            }
        }
    }

    proptest::proptest! {
        /// Regexes and User-Agents from a small alphabet of letters, blanks and special
        /// characters: wherever PCRE2 accepts the regex, the two agree.
        #[test]
        fn any_regex_decides_as_pcre2_does(
            regex in proptest::collection::vec(proptest::sample::select(br"ab .\\(?)#-*".to_vec()), 1..8),
            agent in proptest::collection::vec(proptest::sample::select(br"ab .\\()#-".to_vec()), 0..12),
        ) {
            let source = std::str::from_utf8(&regex).unwrap();
            if let Ok(pcre2) = RegexBuilder::new().build(source) {
                let ours = Pattern::compile(source).unwrap();
                proptest::prop_assert_eq!(ours.is_match(&agent), pcre2.is_match(&agent).unwrap());
            }
        }
    }

    #[test]
    fn perl_features_work() {
        let list = UaExceptions::parse(b"lazy a.*?b(?=c)\nback (x)\\1\n").unwrap();
        assert_eq!(list.crawler_name(b"--aXbc"), Some(&b"lazy"[..]));
        assert_eq!(list.crawler_name(b"xx"), Some(&b"back"[..]));
        assert!(UaExceptions::parse(b"").unwrap().is_empty());
    }
}
