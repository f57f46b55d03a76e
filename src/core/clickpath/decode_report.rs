//! What `clickpath-decode` prints for a session ID (spec §9, the Perl `decode-session.pl`):
//! the machine, the creation time, pid, counter, connection and the friendly session.

use std::fmt::Write;

use super::friendly_table::FriendlyTable;
use crate::core::netscape_date::civil_from_days;
use super::id_base64::decode_lenient_in_place;
use super::machine_table::MachineTable;
use super::secret::SessionCipher;
use super::session_id::decode;

#[derive(Clone, Copy, Debug, Default)]
pub struct DecodeOptions<'a> {
    /// The prefix (`-S:`): the ID is then found after it anywhere in the input (a URL, a log line).
    pub tag: Option<&'a [u8]>,
    pub cipher: Option<&'a SessionCipher>,
    /// With a friendly-session table, the friendly part is reported with its host.
    pub friendly: Option<&'a FriendlyTable>,
    /// With a machine table (the Perl decoder's `server_map`), the server is the named
    /// machine's address instead of the machine read as a base64 address.
    pub server_map: Option<&'a MachineTable>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Nothing that looks like a session (no `:`), as the Perl decoder's `undef`.
    NoSession,
    CrcFailed,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(match self {
            Self::NoSession => "no session found",
            Self::CrcFailed => "Invalid session: CRC checksum failed",
        })
    }
}

/// `tag([^/]+)` anywhere in `input`, or the whole input without a tag.
fn find_id<'a>(input: &'a [u8], tag: Option<&[u8]>) -> Option<&'a [u8]> {
    let Some(tag) = tag else { return Some(input) };
    let start = input.windows(tag.len().max(1)).position(|window| window == tag)? + tag.len();
    let len = input[start..].iter().position(|&byte| byte == b'/').unwrap_or(input.len() - start);
    (len > 0).then(|| &input[start..start + len])
}

pub fn utc_time(seconds: i64) -> String {
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let in_day = seconds.rem_euclid(86_400);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC", in_day / 3600, in_day / 60 % 60, in_day % 60)
}

/// What `server_id` shows: the machine's address from the server map, or without one, the
/// machine's base64 read as IPv4 bytes (how IDs minted without a machine name or table carry
/// the server's address).
fn server_id(machine: &[u8], server_map: Option<&MachineTable>) -> String {
    if let Some(table) = server_map {
        return table.address_of(machine).map_or_else(|| "(not in the server map)".to_string(), |address| String::from_utf8_lossy(address).into_owned());
    }
    let mut bytes = machine.to_vec();
    let len = decode_lenient_in_place(&mut bytes);
    bytes[..len].iter().map(u8::to_string).collect::<Vec<_>>().join(".")
}

pub fn decode_report(input: &[u8], options: &DecodeOptions) -> Result<String, DecodeError> {
    let id = find_id(input, options.tag).filter(|id| id.contains(&b':')).ok_or(DecodeError::NoSession)?;
    let mut scratch = vec![0; id.len()];
    let decoded = decode(id, options.cipher, &mut scratch);
    if !decoded.body.checksum_ok {
        return Err(DecodeError::CrcFailed);
    }
    let mut report = String::new();
    let field = |value: Option<u64>| value.map_or_else(|| "(absent)".to_string(), |value| value.to_string());
    let _ = writeln!(report, "session:             {}", String::from_utf8_lossy(id));
    let _ = writeln!(report, "server_name:         {}", String::from_utf8_lossy(decoded.machine));
    let _ = writeln!(report, "server_id:           {}", server_id(decoded.machine, options.server_map));
    let time = decoded.body.time.map(u64::from);
    let when = time.map_or(String::new(), |time| format!(" ({})", utc_time(time as i64)));
    let _ = writeln!(report, "creation_time:       {}{when}", field(time));
    let _ = writeln!(report, "server_pid:          {}", field(decoded.body.pid.map(u64::from)));
    let _ = writeln!(report, "seq_number:          {}", field(decoded.body.counter.map(u64::from)));
    let _ = writeln!(report, "connection_id:       {}", field(decoded.body.conn_id.map(u64::from)));
    if let (Some(table), Some(name)) = (options.friendly, decoded.friendly_name)
        && let Some(host) = table.host_of(name)
    {
        let _ = writeln!(report, "remote_session:      {}", String::from_utf8_lossy(decoded.friendly_text.unwrap_or_default()).replace('\n', "\\n"));
        let _ = writeln!(report, "remote_session_host: {}", String::from_utf8_lossy(host));
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::clickpath::secret::{DEFAULT_IV, key_from_content};

    const EXAMPLE: &str = "s9NNNd:vAYsyaINNTSaB7INNNNNMsMyq*.CF!vq*.InoJ";

    #[test]
    fn the_spec_example() {
        let table = FriendlyTable::parse(b"partner.example uri(1) f\n");
        let options = DecodeOptions { friendly: Some(&table), ..DecodeOptions::default() };
        let report = decode_report(EXAMPLE.as_bytes(), &options).unwrap();
        assert_eq!(
            report,
            format!(
                "session:             {EXAMPLE}\nserver_name:         fwAAAQ\nserver_id:           127.0.0.1\n\
                 creation_time:       1121948895 (2005-07-21 12:28:15 UTC)\nserver_pid:          24909\n\
                 seq_number:          55023\nconnection_id:       0\nremote_session:      ld=25\\nid=8ab9\n\
                 remote_session_host: partner.example\n"
            )
        );
    }

    #[test]
    fn ids_in_urls_and_log_lines_with_a_tag() {
        let line = format!("GET /-S:{EXAMPLE}/index.html HTTP/1.1");
        let options = DecodeOptions { tag: Some(b"-S:"), ..DecodeOptions::default() };
        assert!(decode_report(line.as_bytes(), &options).unwrap().contains("server_pid:          24909"));
        assert_eq!(decode_report(b"GET /index.html", &options), Err(DecodeError::NoSession));
        assert_eq!(decode_report(b"nocolon", &DecodeOptions::default()), Err(DecodeError::NoSession));
    }

    #[test]
    fn secret_ids_need_the_secret() {
        let cipher = SessionCipher::new(&key_from_content(b"So long and thanks for all the fish"), DEFAULT_IV).unwrap();
        let id = b"s9NNNd:qHL0wyDpZfpRC189RSdqrNM";
        assert_eq!(decode_report(id, &DecodeOptions::default()), Err(DecodeError::CrcFailed));
        assert_eq!(DecodeError::CrcFailed.to_string(), "Invalid session: CRC checksum failed");
        let options = DecodeOptions { cipher: Some(&cipher), ..DecodeOptions::default() };
        assert!(decode_report(id, &options).unwrap().contains("creation_time:       1121948902 (2005-07-21 12:28:22 UTC)"));
    }

    #[test]
    fn a_server_map_names_the_address() {
        let (table, _) = MachineTable::parse(b"192.168.0.7 test\nweb2.farm web2\n", |_| Vec::new());
        let options = DecodeOptions { server_map: Some(&table), ..DecodeOptions::default() };
        let id = |machine: &str| EXAMPLE.replacen("s9NNNd", machine, 1);
        let server = |id: &str, options: &DecodeOptions| {
            let report = decode_report(id.as_bytes(), options).unwrap();
            report.lines().find_map(|line| line.strip_prefix("server_id:           ")).unwrap().to_string()
        };
        assert_eq!(server(&id("6r56"), &options), "192.168.0.7", "machine test");
        assert_eq!(server(&id("9roC"), &options), "", "web2 did not resolve");
        assert_eq!(server(EXAMPLE, &options), "(not in the server map)");
        assert_eq!(server(EXAMPLE, &DecodeOptions::default()), "127.0.0.1", "no map: the machine as an address");
        assert!(decode_report(id("6r56").as_bytes(), &options).unwrap().contains("server_name:         test\n"));
    }

    #[test]
    fn dates() {
        assert_eq!(utc_time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc_time(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc_time(4_102_444_799), "2099-12-31 23:59:59 UTC");
    }
}
