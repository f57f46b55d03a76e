//! `<ClickPathMachineTable>` (spec §4.8): the machines of a farm, so that each continues the
//! others' sessions. Each line: an address or host name, an optional name (default: the line
//! number) and an optional store URL.

use std::collections::HashMap;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr, ToSocketAddrs};

use super::perl_text::{is_space, is_word, lines, run_len, split_run, trim_end, trim_start};

#[derive(Clone, Debug, PartialEq, Eq)]
struct Machine {
    name: Vec<u8>,
    store: Vec<u8>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MachineTable {
    /// Local address text → machine.
    by_address: HashMap<Vec<u8>, Machine>,
    /// Name → store (empty when none).
    store_by_name: HashMap<Vec<u8>, Vec<u8>>,
    /// Name → its first address (empty for a host that did not resolve): what the Perl
    /// decoder's `server_map` reports as the server.
    address_by_name: HashMap<Vec<u8>, Vec<u8>>,
}

/// A host that did not resolve: startup goes on without its addresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unresolvable(pub String);

impl fmt::Display for Unresolvable {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "WARNING: Cannot resolve {} -- ignoring", self.0)
    }
}

/// A dotted quad with every part below 256, kept as written (`127.000.0.1` stays that text,
/// and so never equals a local address string).
fn is_dotted_quad(host: &[u8]) -> bool {
    let parts: Vec<&[u8]> = host.split(|&byte| byte == b'.').collect();
    parts.len() == 4
        && parts.iter().all(|part| {
            !part.is_empty() && part.iter().all(u8::is_ascii_digit) && part.iter().fold(0u32, |n, &d| (n * 10 + u32::from(d - b'0')).min(256)) < 256
        })
}

/// `(\S+)\s*(\w+)?` then the rest with trailing spaces removed as the store (unanchored: text
/// that does not fit the name ends the line).
fn parse_line(line: &[u8]) -> Option<(&[u8], Option<&[u8]>, Option<&[u8]>)> {
    let (host, rest) = split_run(trim_start(line), |byte| !is_space(byte));
    if host.is_empty() {
        return None;
    }
    if run_len(rest, is_space) == 0 {
        return Some((host, None, None));
    }
    let (name, rest) = split_run(trim_start(rest), is_word);
    if name.is_empty() {
        return Some((host, None, None));
    }
    let store = (run_len(rest, is_space) > 0).then(|| trim_end(trim_start(rest))).filter(|store| !store.is_empty());
    Some((host, Some(name), store))
}

impl MachineTable {
    /// `resolve` gives a host name's IPv4 addresses (empty when it does not resolve).
    pub fn parse(text: &[u8], mut resolve: impl FnMut(&[u8]) -> Vec<Ipv4Addr>) -> (Self, Vec<Unresolvable>) {
        let mut table = Self::default();
        let mut warnings = Vec::new();
        let entries = lines(text).map(trim_end).filter(|line| !line.is_empty());
        for (index, line) in entries.enumerate() {
            let Some((host, name, store)) = parse_line(line) else { continue };
            let name = name.map_or_else(|| (index + 1).to_string().into_bytes(), <[u8]>::to_vec);
            let store = store.unwrap_or_default().to_vec();
            let addresses: Vec<Vec<u8>> = if is_dotted_quad(host) {
                vec![host.to_vec()]
            } else {
                let resolved = resolve(host);
                if resolved.is_empty() {
                    warnings.push(Unresolvable(String::from_utf8_lossy(host).into_owned()));
                }
                resolved.iter().map(|address| address.to_string().into_bytes()).collect()
            };
            table.address_by_name.insert(name.clone(), addresses.first().cloned().unwrap_or_default());
            for address in addresses {
                table.by_address.insert(address, Machine { name: name.clone(), store: store.clone() });
            }
            table.store_by_name.insert(name, store);
        }
        (table, warnings)
    }

    /// The name and store (empty if none) of the machine with this local address.
    pub fn machine_at(&self, local_ip: &[u8]) -> Option<(&[u8], &[u8])> {
        self.by_address.get(local_ip).map(|machine| (machine.name.as_slice(), machine.store.as_slice()))
    }

    /// The store (empty if none) of a machine named in an ID, if the table knows the name.
    pub fn store_of(&self, name: &[u8]) -> Option<&[u8]> {
        self.store_by_name.get(name).map(Vec::as_slice)
    }

    /// The address (empty if its host did not resolve) of a machine named in an ID.
    pub fn address_of(&self, name: &[u8]) -> Option<&[u8]> {
        self.address_by_name.get(name).map(Vec::as_slice)
    }

    /// A table kept in a file (`clickpath-decode --server-map`): the lines of a
    /// `<ClickPathMachineTable>` as httpd would hand them over, so comment lines and the
    /// container's own opening and closing lines (if pasted along) do not count as machines.
    pub fn parse_file(text: &[u8], resolve: impl FnMut(&[u8]) -> Vec<Ipv4Addr>) -> (Self, Vec<Unresolvable>) {
        let is_container_tag = |line: &[u8]| {
            let line = trim_start(line).to_ascii_lowercase();
            line.starts_with(b"<clickpathmachinetable") || line.starts_with(b"</clickpathmachinetable")
        };
        let kept = lines(text).filter(|line| !trim_start(line).starts_with(b"#") && !is_container_tag(line));
        let content: Vec<u8> = kept.flat_map(|line| line.iter().copied().chain([b'\n'])).collect();
        Self::parse(&content, resolve)
    }
}

/// IPv4 addresses of a host name, in resolver order without repeats (as gethostbyname gave them
/// to the Perl module); none when it does not resolve.
pub fn resolve_ipv4(host: &[u8]) -> Vec<Ipv4Addr> {
    let Ok(host) = std::str::from_utf8(host) else { return Vec::new() };
    let mut ipv4: Vec<Ipv4Addr> = Vec::new();
    for address in (host, 0).to_socket_addrs().into_iter().flatten() {
        if let SocketAddr::V4(address) = address
            && !ipv4.contains(address.ip())
        {
            ipv4.push(*address.ip());
        }
    }
    ipv4
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolver(host: &[u8]) -> Vec<Ipv4Addr> {
        match host {
            b"web1.farm" => vec![Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 11)],
            _ => vec![],
        }
    }

    #[test]
    fn the_documented_table() {
        let text = b"192.168.0.1 alpha http://store.alpha/ \nweb1.farm beta\n127.000.0.1\nnowhere.invalid gamma\n10.0.0.300 delta\n";
        let (table, warnings) = MachineTable::parse(text, resolver);
        assert_eq!(table.machine_at(b"192.168.0.1"), Some((&b"alpha"[..], &b"http://store.alpha/"[..])));
        assert_eq!(table.machine_at(b"10.0.0.1"), Some((&b"beta"[..], &b""[..])));
        assert_eq!(table.machine_at(b"10.0.0.11"), Some((&b"beta"[..], &b""[..])));
        assert_eq!(table.machine_at(b"127.000.0.1"), Some((&b"3"[..], &b""[..])), "the line number names it");
        assert_eq!(table.machine_at(b"127.0.0.1"), None, "addresses compare as text");
        assert_eq!(table.store_of(b"gamma"), Some(&b""[..]), "an unresolvable host's name still counts");
        assert_eq!(table.store_of(b"alpha"), Some(&b"http://store.alpha/"[..]));
        assert_eq!(table.store_of(b"fwAAAQ"), None);
        assert_eq!(
            warnings.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["WARNING: Cannot resolve nowhere.invalid -- ignoring", "WARNING: Cannot resolve 10.0.0.300 -- ignoring"]
        );
    }

    #[test]
    fn names_map_to_their_first_address() {
        let text = b"web1.farm beta\n192.168.0.1 alpha http://store.alpha/\nnowhere.invalid gamma\n10.0.0.9\n";
        let (table, _) = MachineTable::parse(text, resolver);
        assert_eq!(table.address_of(b"beta"), Some(&b"10.0.0.1"[..]), "the first of the host's addresses");
        assert_eq!(table.address_of(b"alpha"), Some(&b"192.168.0.1"[..]));
        assert_eq!(table.address_of(b"gamma"), Some(&b""[..]), "unresolvable: named, no address");
        assert_eq!(table.address_of(b"4"), Some(&b"10.0.0.9"[..]), "named by its line number");
        assert_eq!(table.address_of(b"fwAAAQ"), None);
    }

    #[test]
    fn a_table_file_is_read_as_the_container_lines() {
        let text = b"<ClickPathMachineTable>\n  # the farm\n\n192.168.0.1 alpha\n\t#192.168.0.3 old\n192.168.0.2\n</ClickPathMachineTable>\n";
        let (table, warnings) = MachineTable::parse_file(text, resolver);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(table.address_of(b"alpha"), Some(&b"192.168.0.1"[..]));
        assert_eq!(table.address_of(b"2"), Some(&b"192.168.0.2"[..]), "comments and tags do not count as lines");
        assert_eq!(table.address_of(b"old"), None);
        assert_eq!(MachineTable::parse_file(b"192.168.0.1 alpha\n", resolver).0, MachineTable::parse(b"192.168.0.1 alpha\n", resolver).0);
    }

    #[test]
    fn resolving() {
        assert_eq!(resolve_ipv4(b"127.0.0.1"), [Ipv4Addr::LOCALHOST]);
        assert_eq!(resolve_ipv4(b"\xff"), Vec::<Ipv4Addr>::new());
    }

    #[test]
    fn the_pattern_is_unanchored() {
        assert_eq!(parse_line(b"host a-b"), Some((&b"host"[..], Some(&b"a"[..]), None)));
        assert_eq!(parse_line(b"host -b"), Some((&b"host"[..], None, None)));
        assert_eq!(parse_line(b" host  n  s t  "), Some((&b"host"[..], Some(&b"n"[..]), Some(&b"s t"[..]))));
    }

    #[test]
    fn dotted_quads() {
        assert!(is_dotted_quad(b"255.255.255.255") && is_dotted_quad(b"127.000.0.1"));
        assert!(!is_dotted_quad(b"256.0.0.1") && !is_dotted_quad(b"1.2.3") && !is_dotted_quad(b"1.2.3.4.5") && !is_dotted_quad(b"1..2.3"));
    }
}
