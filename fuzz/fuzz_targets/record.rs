//! Any bytes as a run record (JSONL). A follower (`RecordTail`, under `watch` and the sweep
//! view) must read the same reports whether the file arrived in one read or two; resuming the
//! record at a step (`Recorder::resume`) must either refuse or keep a whole-line prefix of it
//! and append one `resumed` line. An error is fine; a panic, a hang or a huge allocation is a
//! bug.
#![no_main]

use aescope::record::Recorder;
use aescope::ui::record_tail::RecordTail;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    // First byte: where the follower's first read ends; next eight: the resume step.
    if data.len() < 9 {
        return;
    }
    let (head, record) = data.split_at(9);
    let cut = usize::from(head[0]).min(record.len());
    let step = u64::from_le_bytes([
        head[1], head[2], head[3], head[4], head[5], head[6], head[7], head[8],
    ]) % 1000;

    let mut whole = RecordTail::default();
    whole.feed(record);
    let mut split = RecordTail::default();
    split.feed(&record[..cut]);
    split.feed(&record[cut..]);
    assert_eq!(format!("{:?}", whole.reports), format!("{:?}", split.reports));
    assert_eq!(format!("{:?}", whole.summary), format!("{:?}", split.summary));
    assert_eq!(whole.bad_lines, split.bad_lines);

    let path = std::env::temp_dir().join(format!("aescope-fuzz-{}.jsonl", std::process::id()));
    if std::fs::write(&path, record).is_err() {
        return;
    }
    let resumed = Recorder::resume(&path, step, Path::new("x.ckpt"));
    let ok = resumed.is_ok();
    drop(resumed);
    let after = std::fs::read(&path).unwrap_or_default();
    let _ = std::fs::remove_file(&path);
    if !ok {
        assert_eq!(after, record, "a refused resume changed the record");
        return;
    }
    let body = &after[..after.len() - 1];
    let last = body.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let (kept, line) = after.split_at(last);
    assert!(record.starts_with(kept), "resume kept bytes that were not there");
    assert!(kept.ends_with(b"\n"), "resume kept a partial line");
    assert!(line.starts_with(b"{") && line.ends_with(b"}\n"));
    let v: serde_json::Value = serde_json::from_slice(line).expect("the resumed line is JSON");
    assert_eq!(v["type"], "resumed");
});
