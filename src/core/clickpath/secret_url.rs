//! Where `ClickPathSecret` takes its key material from (spec §3.4, decision in §13): `data:`
//! URLs (RFC 2397, `%XX` and `;base64`) and `file:` URLs. `http:` and `https:` are refused
//! with a startup error: fetching keys over the network while httpd reads its config is not
//! something a module should do, and a file does the same job.

use std::fmt;

use super::id_base64::decode_lenient_in_place;
use super::secret::KeyError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretSource {
    /// The content, decoded.
    Data(Vec<u8>),
    /// A local path, percent-decoded (relative paths are the embedder's to resolve).
    File(Vec<u8>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretError {
    NotAUrl,
    Network { url: String },
    CannotFetch { url: String },
    Key(KeyError),
}

impl fmt::Display for SecretError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Self::NotAUrl => f.write_str("ERROR: ClickPathSecret URL: please specify a http, https, file or data URL\n"),
            Self::Network { url } => writeln!(
                f,
                "ERROR: ClickPathSecret: {url}: http and https URLs are not supported (this module does not fetch keys \
                 over the network while httpd starts); save the key in a file and use a file: URL"
            ),
            Self::CannotFetch { url } => writeln!(f, "ERROR: ClickPathSecret: Cannot fetch secret from {url}"),
            Self::Key(error) => error.fmt(f),
        }
    }
}

fn hex_value(byte: u8) -> Option<u8> {
    (byte as char).to_digit(16).map(|digit| digit as u8)
}

/// `%XX` decoded; a `%` not followed by two hex digits stays as it is.
pub fn percent_decode(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut index = 0;
    while index < text.len() {
        let escaped = (text[index] == b'%')
            .then(|| Some((hex_value(*text.get(index + 1)?)? << 4) | hex_value(*text.get(index + 2)?)?))
            .flatten();
        match escaped {
            Some(byte) => {
                out.push(byte);
                index += 3;
            }
            None => {
                out.push(text[index]);
                index += 1;
            }
        }
    }
    out
}

impl SecretSource {
    /// Reads the raw directive argument (quotes included, as the Perl module got it).
    pub fn parse(url: &[u8]) -> Result<Self, SecretError> {
        let url_text = || String::from_utf8_lossy(url).into_owned();
        if let Some(rest) = url.strip_prefix(b"data:") {
            let comma = rest.iter().position(|&byte| byte == b',').ok_or_else(|| SecretError::CannotFetch { url: url_text() })?;
            let (header, data) = (&rest[..comma], &rest[comma + 1..]);
            let mut content = percent_decode(data);
            if header.ends_with(b";base64") {
                let len = decode_lenient_in_place(&mut content);
                content.truncate(len);
            }
            Ok(Self::Data(content))
        } else if let Some(rest) = url.strip_prefix(b"file:") {
            let path = match rest.strip_prefix(b"//") {
                Some(authority_and_path) => {
                    let slash = authority_and_path.iter().position(|&byte| byte == b'/').unwrap_or(authority_and_path.len());
                    let (authority, path) = authority_and_path.split_at(slash);
                    if !authority.is_empty() && !authority.eq_ignore_ascii_case(b"localhost") {
                        return Err(SecretError::CannotFetch { url: url_text() });
                    }
                    path
                }
                None => rest,
            };
            if path.is_empty() {
                return Err(SecretError::CannotFetch { url: url_text() });
            }
            Ok(Self::File(percent_decode(path)))
        } else if url.starts_with(b"http:") || url.starts_with(b"https:") {
            Err(SecretError::Network { url: url_text() })
        } else {
            Err(SecretError::NotAUrl)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(url: &str) -> Vec<u8> {
        match SecretSource::parse(url.as_bytes()).unwrap() {
            SecretSource::Data(content) => content,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn data_urls() {
        assert_eq!(data("data:,So%20long%20and%20thanks%20for%20all%20the%20fish"), b"So long and thanks for all the fish");
        assert_eq!(data("data:text/plain;base64,aGV4OjAxMDI="), b"hex:0102");
        assert_eq!(data("data:,binary:%zz%4"), b"binary:%zz%4");
        assert_eq!(data("data:,a,b"), b"a,b");
    }

    #[test]
    fn file_urls() {
        for (url, path) in [("file:///etc/key", "/etc/key"), ("file://localhost/etc/key", "/etc/key"), ("file:/a%20b", "/a b"), ("file:conf/key", "conf/key")] {
            assert_eq!(SecretSource::parse(url.as_bytes()).unwrap(), SecretSource::File(path.as_bytes().to_vec()), "{url}");
        }
        assert!(matches!(SecretSource::parse(b"file://otherhost/key"), Err(SecretError::CannotFetch { .. })));
    }

    #[test]
    fn errors_read_as_the_perl_module_wrote_them() {
        assert_eq!(
            SecretSource::parse(b"\"data:,x\"").unwrap_err().to_string(),
            "ERROR: ClickPathSecret URL: please specify a http, https, file or data URL\n",
            "quotes are part of the raw argument"
        );
        assert_eq!(SecretSource::parse(b"ftp://x/").unwrap_err(), SecretError::NotAUrl);
        assert_eq!(SecretError::CannotFetch { url: "file:///nope".into() }.to_string(), "ERROR: ClickPathSecret: Cannot fetch secret from file:///nope\n");
        assert_eq!(SecretSource::parse(b"data:nocomma").unwrap_err().to_string(), "ERROR: ClickPathSecret: Cannot fetch secret from data:nocomma\n");
    }

    #[test]
    fn network_urls_are_refused_pointing_to_file() {
        for url in ["http://keys/secret", "https://user:pw@keys/secret"] {
            let message = SecretSource::parse(url.as_bytes()).unwrap_err().to_string();
            assert!(message.starts_with(&format!("ERROR: ClickPathSecret: {url}: http and https URLs are not supported")), "{message}");
            assert!(message.contains("use a file: URL"));
        }
    }
}
