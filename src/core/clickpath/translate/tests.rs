use std::borrow::Cow;
use std::net::Ipv4Addr;

use super::*;
use crate::core::clickpath::secret::{DEFAULT_IV, key_from_content};

/// 2005-07-21 12:28:15 UTC + 100 s: the spec example's ID is 100 seconds old.
const NOW: i64 = 1121948995;
const EXAMPLE: &[u8] = b"s9NNNd:vAYsyaINNTSaB7INNNNNMsMyq*.CF!vq*.InoJ";

struct Fixture {
    ua: UaExceptions,
    friendly: FriendlyTable,
    table: Option<MachineTable>,
    machine: Option<Vec<u8>>,
    max_age: u64,
    cipher: Option<SessionCipher>,
}

impl Fixture {
    fn new() -> Self {
        Self {
            ua: UaExceptions::parse(b"google Googlebot\n").unwrap(),
            friendly: FriendlyTable::parse(b"www.partner.com uri(1) param(sid) f\n"),
            table: None,
            machine: None,
            max_age: 0,
            cipher: None,
        }
    }

    fn config(&self) -> ActiveConfig<'_> {
        ActiveConfig {
            prefix: b"-S:",
            max_age: self.max_age,
            ua_exceptions: &self.ua,
            friendly: &self.friendly,
            machine: self.machine.as_deref(),
            machine_table: self.table.as_ref(),
            cipher: self.cipher.as_ref(),
        }
    }
}

fn request<'a>(path: &'a [u8]) -> RequestFacts<'a> {
    RequestFacts { path, args: None, referer: None, user_agent: Some(b"Mozilla"), request_time: NOW, local_ip: b"127.0.0.1", pid: 24909, conn_id: 0 }
}

fn run<'a>(fixture: &'a Fixture, request: &RequestFacts<'a>, scratch: &'a mut Vec<u8>) -> Translation<'a> {
    translate(
        &fixture.config(),
        request,
        |len| {
            scratch.resize(len, 0);
            scratch
        },
        || 55023,
    )
}

fn set(text: &str) -> Env<'static> {
    Env::Set(Cow::Owned(text.as_bytes().to_vec()))
}

fn text(env: &Env) -> String {
    match env {
        Env::Set(bytes) => String::from_utf8(bytes.to_vec()).unwrap(),
        other => panic!("not set: {other:?}"),
    }
}

#[test]
fn a_valid_session_is_stripped_and_continued() {
    let fixture = Fixture::new();
    let mut scratch = Vec::new();
    let path = [b"/-S:".as_slice(), EXAMPLE, b"/dir/page.html"].concat();
    let mut facts = request(&path);
    facts.args = Some(b"q=1");
    facts.referer = Some(b"http://localhost/-S:abc/dir/");
    let result = run(&fixture, &facts, &mut scratch);
    assert_eq!(result.new_uri.as_deref(), Some(&b"/dir/page.html?q=1"[..]));
    assert_eq!(result.new_referer.as_deref(), Some(&b"http://localhost/dir/"[..]));
    assert_eq!(result.filter, FilterMode::Existing);
    assert_eq!(result.notice, None);
    let env = &result.env;
    assert_eq!(text(&env.session).as_bytes(), EXAMPLE);
    assert_eq!(text(&env.cgi_session).as_bytes(), [b"/-S:".as_slice(), EXAMPLE].concat());
    assert_eq!(env.session_start, Env::Number(1121948895));
    assert_eq!(env.session_age, Env::Number(100));
    assert_eq!(env.remote_session, set("ld=25\nid=8ab9"), "the ID's friendly part, unescaped");
    assert_eq!(env.remote_session_host, set("www.partner.com"));
    assert_eq!(env.expired_session, Env::Untouched);
    assert_eq!(env.machine_name, Env::Untouched, "no table, no machine check");
}

#[test]
fn an_empty_query_is_dropped_and_an_absent_referer_stays_absent() {
    let fixture = Fixture::new();
    let mut scratch = Vec::new();
    let path = [b"/-S:".as_slice(), EXAMPLE, b"/"].concat();
    let mut facts = request(&path);
    facts.args = Some(b"");
    let result = run(&fixture, &facts, &mut scratch);
    assert_eq!(result.new_uri.as_deref(), Some(&b"/"[..]));
    assert_eq!(result.new_referer, None, "quirk 2 fixed");
}

#[test]
fn a_request_without_a_session_gets_a_new_one() {
    let fixture = Fixture::new();
    let mut scratch = Vec::new();
    let mut facts = request(b"/index.html");
    facts.request_time = 1121948895;
    let result = run(&fixture, &facts, &mut scratch);
    assert_eq!(result.new_uri, None);
    assert_eq!(result.filter, FilterMode::NewSession);
    assert_eq!(text(&result.env.session), "s9NNNd:vAYsyaINNTSaB7INNNNNM", "the spec example's body, minted");
    assert_eq!(text(&result.env.cgi_session), "/-S:s9NNNd:vAYsyaINNTSaB7INNNNNM");
    assert_eq!(result.env.session_start, Env::Number(1121948895));
    assert_eq!(result.env.session_age, Env::Number(0));
    assert_eq!(result.env.remote_session, Env::Unset);
    assert_eq!(result.server_error, None);
}

#[test]
fn a_partner_referer_becomes_a_friendly_session_in_the_new_id() {
    let fixture = Fixture::new();
    let mut scratch = Vec::new();
    let mut facts = request(b"/");
    facts.request_time = 1121948895;
    facts.referer = Some(b"http://www.partner.com/ld=25?sid=8ab9");
    let result = run(&fixture, &facts, &mut scratch);
    assert_eq!(result.env.remote_session, set("ld=25\nsid=8ab9"));
    assert_eq!(result.env.remote_session_host, set("www.partner.com"));
    assert_eq!(text(&result.env.session), "s9NNNd:vAYsyaINNTSaB7INNNNNMsMyq*.CF!5vq*.InoJ");
}

#[test]
fn the_referer_of_a_request_without_session_loses_one_with_a_single_slash() {
    let fixture = Fixture::new();
    let mut scratch = Vec::new();
    let mut facts = request(b"/x");
    facts.referer = Some(b"http://h/-S:abc/page");
    assert_eq!(run(&fixture, &facts, &mut scratch).new_referer.as_deref(), Some(&b"http://h/page"[..]));
    facts.referer = Some(b"http://h//-S:abc/page");
    assert_eq!(run(&fixture, &facts, &mut scratch).new_referer, None);
}

#[test]
fn a_tampered_id_is_logged_and_replaced() {
    let fixture = Fixture::new();
    let mut scratch = Vec::new();
    let result = run(&fixture, &request(b"/-S:s9NNNd:wAYsyaINNTSaB7INNNNNM/x"), &mut scratch);
    assert_eq!(result.notice, Some(Notice::CrcFailed));
    assert_eq!(result.notice.as_ref().unwrap().to_string(), "Caught invalid session: CRC checksum failed");
    assert_eq!(result.filter, FilterMode::ReplacedSession);
    assert_eq!(result.new_uri.as_deref(), Some(&b"/x"[..]));
    assert!(text(&result.env.session).starts_with("s9NNNd:"), "a new ID");
    assert_eq!(result.env.expired_session, Env::Untouched, "not set for CRC failures");
}

#[test]
fn old_and_future_sessions_expire_silently() {
    let mut fixture = Fixture::new();
    fixture.max_age = 99;
    let mut scratch = Vec::new();
    let path = [b"/-S:".as_slice(), EXAMPLE, b"/"].concat();
    let result = run(&fixture, &request(&path), &mut scratch);
    assert_eq!(result.env.expired_session, Env::borrowed(EXAMPLE));
    assert_eq!(result.notice, None);
    assert_eq!(result.filter, FilterMode::ReplacedSession);
    fixture.max_age = 100;
    assert_eq!(run(&fixture, &request(&path), &mut scratch).filter, FilterMode::Existing, "exactly max age is fine");
    fixture.max_age = 0;
    let mut past = request(&path);
    past.request_time = 1121948894;
    assert_eq!(run(&fixture, &past, &mut scratch).env.expired_session, Env::borrowed(EXAMPLE), "from the future (quirk 12)");
}

#[test]
fn a_one_byte_body_is_accepted_without_a_max_age() {
    // Quirk 7, reproduced.
    let mut fixture = Fixture::new();
    let mut scratch = Vec::new();
    let result = run(&fixture, &request(b"/-S:s9NNNd:NN/"), &mut scratch);
    assert_eq!(result.filter, FilterMode::Existing);
    assert_eq!(result.env.session_start, Env::Unset);
    assert_eq!(result.env.session_age, Env::Number(NOW));
    fixture.max_age = 10;
    assert_eq!(run(&fixture, &request(b"/-S:s9NNNd:NN/"), &mut scratch).filter, FilterMode::ReplacedSession);
}

#[test]
fn crawlers_get_their_name_and_no_filter() {
    let fixture = Fixture::new();
    let mut scratch = Vec::new();
    let mut facts = request(b"/");
    facts.user_agent = Some(b"Googlebot/2.1");
    let result = run(&fixture, &facts, &mut scratch);
    assert_eq!(result.env.session, set("google"));
    assert_eq!(result.env.cgi_session, Env::Unset);
    assert_eq!(result.env.session_start, Env::Number(NOW));
    assert_eq!(result.filter, FilterMode::Off);
    // Quirk 6: a crawler on a valid session URL keeps it.
    let path = [b"/-S:".as_slice(), EXAMPLE, b"/"].concat();
    let mut facts = request(&path);
    facts.user_agent = Some(b"Googlebot/2.1");
    assert_eq!(run(&fixture, &facts, &mut scratch).filter, FilterMode::Existing);
}

fn farm() -> MachineTable {
    MachineTable::parse(b"127.0.0.1 web1 http://store1/\n10.0.0.2 web2\n", |_| Vec::<Ipv4Addr>::new()).0
}

#[test]
fn machine_tables_name_new_ids_and_check_old_ones() {
    let mut fixture = Fixture::new();
    fixture.table = Some(farm());
    let mut scratch = Vec::new();
    let result = run(&fixture, &request(b"/"), &mut scratch);
    assert!(text(&result.env.session).starts_with("9roB:"), "web1 rotated");
    assert_eq!(result.env.machine_name, set("web1"));
    assert_eq!(result.env.machine_store, set("http://store1/"));
    let id = text(&result.env.session);
    let path = format!("/-S:{id}/");
    let continued = run(&fixture, &request(path.as_bytes()), &mut scratch);
    assert_eq!(continued.filter, FilterMode::Existing);
    assert_eq!(continued.env.machine_name, set("web1"));

    let path = [b"/-S:".as_slice(), EXAMPLE, b"/"].concat();
    let result = run(&fixture, &request(&path), &mut scratch);
    assert_eq!(result.notice.as_ref().unwrap().to_string(), "Caught invalid session: Unknown Machine name 'fwAAAQ'");
    assert_eq!(result.env.invalid_session, Env::borrowed(EXAMPLE));
    assert_eq!(result.filter, FilterMode::ReplacedSession);
}

#[test]
fn a_server_missing_from_its_table_says_so_and_mints_ip_ids() {
    let mut fixture = Fixture::new();
    fixture.table = Some(farm());
    let mut scratch = Vec::new();
    let mut facts = request(b"/");
    facts.local_ip = b"10.9.9.9";
    let result = run(&fixture, &facts, &mut scratch);
    assert_eq!(result.server_error.unwrap().to_string(), "Cannot find myself (10.9.9.9) in ClickPathMachineTable");
    assert!(text(&result.env.session).starts_with("PtxWPd:"), "{}", text(&result.env.session));
}

#[test]
fn click_path_machine_wins_and_sets_no_machine_name() {
    let mut fixture = Fixture::new();
    fixture.table = Some(farm());
    fixture.machine = Some(b"test".to_vec());
    let mut scratch = Vec::new();
    let result = run(&fixture, &request(b"/"), &mut scratch);
    assert!(text(&result.env.session).starts_with("6r56:"));
    assert_eq!(result.env.machine_name, Env::Untouched);
    assert_eq!(result.server_error, None);
}

#[test]
fn secret_ids_round_trip_and_plain_ones_fail() {
    let mut fixture = Fixture::new();
    fixture.cipher = Some(SessionCipher::new(&key_from_content(b"So long and thanks for all the fish"), DEFAULT_IV).unwrap());
    let mut scratch = Vec::new();
    let mut facts = request(b"/-S:s9NNNd:qHL0wyDpZfpRC189RSdqrNM/");
    facts.request_time = 1121948902;
    let result = run(&fixture, &facts, &mut scratch);
    assert_eq!(result.filter, FilterMode::Existing);
    assert_eq!(result.env.session_start, Env::Number(1121948902));
    let path = [b"/-S:".as_slice(), EXAMPLE, b"/"].concat();
    assert_eq!(run(&fixture, &request(&path), &mut scratch).notice, Some(Notice::CrcFailed), "quirk 1 fixed: a notice, not a 500");
}

#[test]
fn hostile_paths_do_not_panic() {
    let fixture = Fixture::new();
    let mut scratch = Vec::new();
    let long = format!("/-S:{}/x", "A".repeat(3000));
    for path in ["/-S:/x", "/-S:x", "/-S:\u{0}\u{ff}/", "/-S:,,,,::::/", long.as_str(), "/-S:a/-S:b/c"] {
        let result = run(&fixture, &request(path.as_bytes()), &mut scratch);
        assert_ne!(result.filter, FilterMode::Existing, "{path}");
    }
}
