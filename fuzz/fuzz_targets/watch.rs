//! Any bytes as the record `aescope watch` follows: the header reader must refuse or accept
//! it, and every later line must turn into events or nothing (a line that is not a record
//! line is skipped). An error is fine; a panic, a hang or a huge allocation is a bug.
#![no_main]

use aescope::record::read_header;
use aescope::watch::replay::Replay;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("aescope-fuzz-watch-{}.jsonl", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let header = read_header(&path);
    let _ = std::fs::remove_file(&path);
    let Ok(header) = header else {
        return;
    };
    let mut replay = Replay::new(header);
    for line in data.split(|&b| b == b'\n') {
        let _ = replay.line(line);
    }
    // A resume cuts the record back: the same lines read again must not panic either.
    replay.restart();
    for line in data.split(|&b| b == b'\n') {
        let _ = replay.line(line);
    }
});
