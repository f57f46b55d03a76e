//! The base a new session's relative links resolve against (spec §6): the request line minus
//! the method and leading blanks, cut after the last `/` before the first blank or `?`, raw
//! (not decoded); when the session replaced an invalid one, that one's `^/+P[^/]+` is removed.

pub fn base<'a>(request_line: &'a [u8], prefix: &[u8], replaced_session: bool) -> &'a [u8] {
    let after_method = request_line.iter().position(|&byte| byte == b' ').map_or(&b""[..], |blank| &request_line[blank..]);
    let target = &after_method[after_method.iter().position(|&byte| byte != b' ').unwrap_or(after_method.len())..];
    let target = &target[..target.iter().position(|&byte| byte == b' ' || byte == b'?').unwrap_or(target.len())];
    let base = &target[..target.iter().rposition(|&byte| byte == b'/').map_or(0, |slash| slash + 1)];
    if replaced_session { without_old_session(base, prefix) } else { base }
}

/// `^/+P[^/]+` removed.
fn without_old_session<'a>(base: &'a [u8], prefix: &[u8]) -> &'a [u8] {
    let slashes = base.iter().position(|&byte| byte != b'/').unwrap_or(base.len());
    if slashes == 0 {
        return base;
    }
    let Some(after_prefix) = base[slashes..].strip_prefix(prefix) else { return base };
    let id_len = after_prefix.iter().position(|&byte| byte == b'/').unwrap_or(after_prefix.len());
    if id_len == 0 {
        return base;
    }
    &after_prefix[id_len..]
}

#[cfg(test)]
mod tests {
    use super::base;

    fn of(line: &str, replaced: bool) -> String {
        String::from_utf8(base(line.as_bytes(), b"-S:", replaced).to_vec()).unwrap()
    }

    #[test]
    fn the_spec_example() {
        assert_eq!(of("GET /a/b/c.html?x HTTP/1.1", false), "/a/b/");
    }

    #[test]
    fn edges() {
        assert_eq!(of("GET  /a/b?x/y HTTP/1.1", false), "/a/", "blanks skipped; the query is cut first");
        assert_eq!(of("GET /a%20b/c HTTP/1.0", false), "/a%20b/", "raw");
        assert_eq!(of("GET / HTTP/1.1", false), "/");
        assert_eq!(of("GET /x", false), "/");
        assert_eq!(of("OPTIONS * HTTP/1.1", false), "");
        assert_eq!(of("", false), "");
    }

    #[test]
    fn an_invalid_session_is_removed_from_the_base() {
        assert_eq!(of("GET /-S:bad/a/b.html HTTP/1.1", true), "/a/");
        assert_eq!(of("GET //-S:bad/b.html HTTP/1.1", true), "/");
        assert_eq!(of("GET /-S:bad/a/b.html HTTP/1.1", false), "/-S:bad/a/");
    }
}
