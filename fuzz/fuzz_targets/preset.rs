//! Any bytes as a preset (TOML), with `--set` overrides after NUL bytes: an error is fine; a
//! panic, a hang or a huge allocation is a bug. A preset that loads must print back
//! (`aescope preset show`, the sweep's per-run configs) as TOML that loads to the same
//! settings.
#![no_main]

use aescope::config::Config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.split('\0');
    let preset = parts.next().unwrap_or_default();
    let overrides: Vec<String> = parts.map(str::to_string).collect();
    let Ok(cfg) = Config::from_toml(preset, "fuzz.toml", &overrides) else {
        return;
    };
    let shown = cfg.to_toml();
    match Config::from_toml(&shown, "shown", &[]) {
        Ok(again) => assert_eq!(
            again.to_toml(),
            shown,
            "printed settings load to other settings"
        ),
        Err(e) => panic!("printed settings do not load: {e}\n{shown}"),
    }
});
