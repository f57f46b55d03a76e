use proptest::prelude::*;

use super::*;
use crate::core::clickpath::secret::{DEFAULT_IV, SessionCipher, key_from_content};

fn decoded<'a>(id: &str, cipher: Option<&SessionCipher>, scratch: &'a mut Vec<u8>) -> DecodedId<'a> {
    scratch.resize(id.len(), 0);
    decode(id.as_bytes(), cipher, scratch)
}

fn encoded(id: &NewId, cipher: Option<&SessionCipher>) -> String {
    let mut out = vec![0; id.max_len()];
    let len = id.encode_into(cipher, &mut out);
    out.truncate(len);
    String::from_utf8(out).unwrap()
}

fn fish() -> SessionCipher {
    SessionCipher::new(&key_from_content(b"So long and thanks for all the fish"), DEFAULT_IV).unwrap()
}

const EXAMPLE: &str = "s9NNNd:vAYsyaINNTSaB7INNNNNMsMyq*.CF!vq*.InoJ";

#[test]
fn the_spec_worked_example_decodes() {
    let mut scratch = Vec::new();
    let id = decoded(EXAMPLE, None, &mut scratch);
    assert_eq!(id.machine, b"fwAAAQ");
    assert_eq!(
        id.body,
        DecodedBody { checksum_ok: true, time: Some(1121948895), pid: Some(24909), counter: Some(55023), conn_id: Some(0) }
    );
    assert_eq!(id.friendly_name, Some(&b"f"[..]));
    assert_eq!(id.friendly_text, Some(&b"ld=25\nid=8ab9"[..]));
}

#[test]
fn the_spec_worked_example_encodes() {
    let fields = BodyFields { time: 1121948895, pid: 24909, counter: 55023, conn_id: 0 };
    let friendly = Some(FriendlyPart { name: b"f", text: b"ld=25\nid=8ab9" });
    assert_eq!(encoded(&NewId { machine: b"fwAAAQ", fields, friendly }, None), EXAMPLE);
}

#[test]
fn the_spec_worked_example_with_a_secret() {
    let fields = BodyFields { time: 1121948902, pid: 24909, counter: 55034, conn_id: 0 };
    let cipher = fish();
    assert_eq!(encoded(&NewId { machine: b"fwAAAQ", fields, friendly: None }, Some(&cipher)), "s9NNNd:qHL0wyDpZfpRC189RSdqrNM");
    assert_eq!(encoded(&NewId { machine: b"test", fields, friendly: None }, Some(&cipher)), "6r56:qHL0wyDpZfpRC189RSdqrNM");
    assert_eq!(encoded(&NewId { machine: b"", fields, friendly: None }, Some(&cipher)), ":qHL0wyDpZfpRC189RSdqrNM");
    let mut scratch = Vec::new();
    let id = decoded("s9NNNd:qHL0wyDpZfpRC189RSdqrNM", Some(&cipher), &mut scratch);
    assert_eq!(id.body, DecodedBody { checksum_ok: true, time: Some(1121948902), pid: Some(24909), counter: Some(55034), conn_id: Some(0) });
}

#[test]
fn machines_from_ip_addresses() {
    let machine = |ip: &str| {
        let mut out = [0; 6];
        let len = machine_from_ip(ip.as_bytes(), &mut out);
        String::from_utf8(out[..len].to_vec()).unwrap()
    };
    assert_eq!(machine("127.0.0.1"), "fwAAAQ");
    assert_eq!(machine("192.168.1.20"), "wKgBFA");
    assert_eq!(machine("::1"), "AA", "IPv6: one byte 0");
    assert_eq!(machine("256.1.2.3"), "AAECAw", "pieces wrap modulo 256");
}

#[test]
fn a_one_byte_body_passes_the_checksum_without_fields() {
    // Quirk 7 (reproduced): `NN` rotates back to `AA`, one 0x00 byte, the CRC of nothing.
    let mut scratch = Vec::new();
    let id = decoded("s9NNNd:NN", None, &mut scratch);
    assert_eq!(id.body, DecodedBody { checksum_ok: true, ..DecodedBody::default() });
    assert_eq!(id.friendly_name, None);
}

#[test]
fn short_bodies_lack_the_fields_they_cannot_hold() {
    let body = BodyFields { time: 7, pid: 8, counter: 9, conn_id: 10 }.plaintext();
    let mut text = [0u8; 20];
    // 11 bytes: CRC, time, pid, counter; no connection id. The CRC then fails (it covered 14).
    let len = id_base64::encode_into(&body[..11], &mut text);
    let mut id = b"x:".to_vec();
    id.extend_from_slice(&text[..len]);
    rotate(&mut id);
    let mut scratch = vec![0; id.len()];
    let decoded = decode(&id, None, &mut scratch);
    assert_eq!(decoded.body, DecodedBody { checksum_ok: false, time: Some(7), pid: Some(8), counter: Some(9), conn_id: None });
}

#[test]
fn garbage_fails_the_checksum() {
    let mut scratch = Vec::new();
    for id in ["", ":", ",", "abc", "s9NNNd:", "s9NNNd:wAYsyaINNTSaB7INNNNNM", "::::,,,,"] {
        assert!(!decoded(id, None, &mut scratch).body.checksum_ok, "{id:?}");
    }
}

#[test]
fn without_a_colon_the_whole_main_part_is_the_machine() {
    let mut scratch = Vec::new();
    let id = decoded("6r56M", None, &mut scratch);
    assert_eq!(id.machine, b"test");
    assert!(!id.body.checksum_ok);
}

#[test]
fn friendly_data_keeps_its_commas() {
    let mut scratch = Vec::new();
    let id = decoded("NNMsMNMN", None, &mut scratch); // "AA,f,A,A"
    assert_eq!(id.friendly_name, Some(&b"f"[..]));
    assert_eq!(id.friendly_text, Some(&b"A,A"[..]));
}

#[test]
fn with_a_secret_plain_ids_and_tampered_ones_fail_the_checksum() {
    // Quirk 1 (fixed): not a whole number of blocks is a failed checksum, not a 500.
    let mut scratch = Vec::new();
    let cipher = fish();
    assert!(!decoded(EXAMPLE, Some(&cipher), &mut scratch).body.checksum_ok);
    assert!(!decoded("s9NNNd:NN", Some(&cipher), &mut scratch).body.checksum_ok);
    assert!(!decoded("s9NNNd:qHL0wyDpZfpRC189RSdqrNN", Some(&cipher), &mut scratch).body.checksum_ok);
}

fn machine_name() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(proptest::sample::select(b"ABCxyz019_".to_vec()), 0..12)
}

proptest! {
    #[test]
    fn encode_then_decode_round_trips(
        machine in machine_name(),
        time: u32, pid: u32, counter: u16, conn_id: u32,
        friendly in proptest::option::of((proptest::collection::vec(proptest::sample::select(b"abc_9".to_vec()), 1..8),
                                          proptest::collection::vec(any::<u8>(), 0..40))),
        secret in proptest::option::of(proptest::collection::vec(any::<u8>(), 8..57)),
    ) {
        let cipher = secret.map(|key| SessionCipher::new(&key, DEFAULT_IV).unwrap());
        let fields = BodyFields { time, pid, counter, conn_id };
        let part = friendly.as_ref().map(|(name, text)| FriendlyPart { name, text });
        let new = NewId { machine: &machine, fields, friendly: part };
        let mut out = vec![0; new.max_len()];
        let len = new.encode_into(cipher.as_ref(), &mut out);
        let id = &out[..len];
        prop_assert!(!id.contains(&b'/'), "an ID is one path segment");
        let mut scratch = vec![0; len];
        let decoded = decode(id, cipher.as_ref(), &mut scratch);
        prop_assert_eq!(decoded.machine, &machine[..]);
        prop_assert_eq!(decoded.body, DecodedBody { checksum_ok: true, time: Some(time), pid: Some(pid), counter: Some(counter), conn_id: Some(conn_id) });
        prop_assert_eq!(decoded.friendly_name, part.map(|p| p.name));
        prop_assert_eq!(decoded.friendly_text, part.map(|p| p.text));
    }

    #[test]
    fn no_input_makes_decoding_panic(id in proptest::collection::vec(any::<u8>(), 0..200), with_secret: bool) {
        let cipher = with_secret.then(fish);
        let mut scratch = vec![0; id.len()];
        let _ = decode(&id, cipher.as_ref(), &mut scratch);
    }

    #[test]
    fn no_id_shaped_input_makes_decoding_panic(id in "[A-Za-z0-9@,:*!.=-]{0,80}", with_secret: bool) {
        let cipher = with_secret.then(fish);
        let mut scratch = vec![0; id.len()];
        let _ = decode(id.as_bytes(), cipher.as_ref(), &mut scratch);
    }
}
