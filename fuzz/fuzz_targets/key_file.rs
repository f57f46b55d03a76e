//! `KeyRing::from_file_contents` with arbitrary file contents and modes (input: 4 bytes of mode,
//! then the contents): never panics; a file others may read is always refused; a ring that loads
//! signs values that it verifies; an error names the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mod_usertrack::core::signing::{KeyFileError, KeyRing, MAX_KEYS, SIGNED_VALUE_CAPACITY, Verdict};

fuzz_target!(|data: &[u8]| {
    let mut mode = [0u8; 4];
    let split = data.len().min(4);
    mode[..split].copy_from_slice(&data[..split]);
    let mode = u32::from_le_bytes(mode);
    let contents = &data[split..];
    match KeyRing::from_file_contents("/fuzz.keys", contents, mode) {
        Ok(ring) => {
            assert_eq!(mode & 0o004, 0);
            assert!((1..=MAX_KEYS).contains(&ring.len()));
            let mut out = [0u8; SIGNED_VALUE_CAPACITY];
            let len = ring.sign(b"Apache", b"d2e9002.660d2e900a927", &mut out);
            let verdict = ring.verify(b"Apache", &out[..len]);
            assert_eq!(verdict, Verdict::Signed { id: b"d2e9002.660d2e900a927", by_primary: true });
        }
        Err(error) => {
            assert!(mode & 0o004 == 0 || matches!(error, KeyFileError::WorldReadable { .. }));
            let message = error.to_string();
            assert!(message.starts_with("CookieSignKeyFile /fuzz.keys: "), "{message}");
        }
    }
});
