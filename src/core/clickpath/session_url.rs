//! Finding a session in a request's path and removing one from a Referer (spec §4 steps 2, 3
//! and 5). The prefix compares literally and case-sensitively.

use super::perl_text::{is_word, run_len};

/// A session found at the start of a path: `^/+P([^/]+)/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionInPath<'a> {
    /// The ID as in the URL (rotated).
    pub id: &'a [u8],
    /// `/` + prefix + ID: the `CGI_SESSION` value, a slice of the path.
    pub session_path: &'a [u8],
    /// The path after the ID, from its `/`.
    pub rest: &'a [u8],
}

pub fn find_session<'a>(path: &'a [u8], prefix: &[u8]) -> Option<SessionInPath<'a>> {
    let slashes = run_len(path, |byte| byte == b'/');
    if slashes == 0 {
        return None;
    }
    let after_prefix = path[slashes..].strip_prefix(prefix)?;
    let id_len = after_prefix.iter().position(|&byte| byte == b'/')?;
    if id_len == 0 {
        return None;
    }
    let id_start = slashes + prefix.len();
    let id_end = id_start + id_len;
    Some(SessionInPath { id: &path[id_start..id_end], session_path: &path[slashes - 1..id_end], rest: &path[id_end..] })
}

/// How many slashes may stand before the prefix in a Referer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slashes {
    /// `/+`: after a session was found in the request's own path.
    AnyNumber,
    /// Exactly one: for a request without a session.
    One,
}

/// The Referer without a session as its first path segment: `^(\w+://[^/]+)/+P[^/]+` → `$1`
/// (any host). `None` when there is nothing to remove.
pub fn strip_referer<'r>(referer: &'r [u8], prefix: &[u8], slashes: Slashes) -> Option<(&'r [u8], &'r [u8])> {
    let scheme = run_len(referer, is_word);
    if scheme == 0 || !referer[scheme..].starts_with(b"://") {
        return None;
    }
    let host_start = scheme + 3;
    let host_len = referer[host_start..].iter().position(|&byte| byte == b'/')?;
    if host_len == 0 {
        return None;
    }
    let origin_end = host_start + host_len;
    let slash_count = run_len(&referer[origin_end..], |byte| byte == b'/');
    if slashes == Slashes::One && slash_count != 1 {
        return None;
    }
    let after_prefix = referer[origin_end + slash_count..].strip_prefix(prefix)?;
    let id_len = after_prefix.iter().position(|&byte| byte == b'/').unwrap_or(after_prefix.len());
    if id_len == 0 {
        return None;
    }
    let rest_start = origin_end + slash_count + prefix.len() + id_len;
    Some((&referer[..origin_end], &referer[rest_start..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &[u8] = b"-S:";

    #[test]
    fn sessions_at_the_start_of_the_path() {
        let found = find_session(b"//-S:abc/x/y.html", P).unwrap();
        assert_eq!(found, SessionInPath { id: b"abc", session_path: b"/-S:abc", rest: b"/x/y.html" });
        assert_eq!(find_session(b"/-S:abc/", P).unwrap().rest, b"/");
        assert_eq!(find_session(b"/-S:a/-S:b/", P).unwrap().rest, b"/-S:b/", "only the first segment is a session");
    }

    #[test]
    fn what_is_not_a_session() {
        for path in ["/-S:abc", "/-S:/x", "/x/-S:abc/", "-S:abc/", "/-s:abc/", "", "/"] {
            assert_eq!(find_session(path.as_bytes(), P), None, "{path}");
        }
    }

    fn stripped(referer: &str, slashes: Slashes) -> Option<String> {
        strip_referer(referer.as_bytes(), P, slashes).map(|(origin, rest)| String::from_utf8([origin, rest].concat()).unwrap())
    }

    #[test]
    fn referers_lose_their_session() {
        assert_eq!(stripped("http://a.example/-S:abc/page?q", Slashes::AnyNumber).as_deref(), Some("http://a.example/page?q"));
        assert_eq!(stripped("https://other:8080//-S:abc/x", Slashes::AnyNumber).as_deref(), Some("https://other:8080/x"));
        assert_eq!(stripped("http://h/-S:abc?q=1", Slashes::AnyNumber).as_deref(), Some("http://h"), "the ID runs to the next slash");
        assert_eq!(stripped("http://h//-S:abc/x", Slashes::One), None, "without a session in the path: exactly one slash");
        assert_eq!(stripped("http://h/-S:abc/x", Slashes::One).as_deref(), Some("http://h/x"));
    }

    #[test]
    fn referers_without_a_session_stay() {
        for referer in ["", "http://h/x/-S:abc/", "http://h/-S:/x", "http:///-S:a/", "/-S:a/x", "http://h"] {
            assert_eq!(stripped(referer, Slashes::AnyNumber), None, "{referer}");
        }
    }
}
