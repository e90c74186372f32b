//! Presets: the TOML schema, built-in presets, `--set key=value` overrides and validation.
//!
//! A preset plus its overrides plus a seed fixes a run bit for bit; the fully resolved
//! [`Config`] is the first line of every run record.

use crate::data::files::Format;
use crate::data::real;
use crate::data::{SourceKind, SourceSpec};
use crate::model::Activation;
use crate::protocol::{
    Convergence, DecoderMode, LearningRate, OptKind, OptParams, Schedule, SignGrad, TrainMode,
};
use serde::{Deserialize, Serialize};
use std::path::Path;
use thiserror::Error;

/// A configuration error, naming where it came from (file or `--set`), the key, the value and
/// what is allowed.
#[derive(Debug, Error)]
pub enum ConfigError {
    #[error(transparent)]
    Input(#[from] crate::safe_io::InputError),
    #[error("{origin}: {message}")]
    Parse { origin: String, message: String },
    #[error("{origin}: unknown key '{key}' (known keys: {known})")]
    UnknownKey {
        origin: String,
        key: String,
        known: String,
    },
    #[error("{origin}: {key} = {value}: {expected}")]
    Invalid {
        origin: String,
        key: String,
        value: String,
        expected: String,
    },
    #[error("--set {arg}: expected key=value, e.g. --set train.lr=0.01")]
    BadOverride { arg: String },
    #[error("unknown preset '{name}': not a file, and not a built-in preset (built-in: {builtin})")]
    UnknownPreset { name: String, builtin: String },
    #[error("{origin}: {key}: {message}")]
    Data {
        origin: String,
        /// The preset key naming the file at fault: `data.path` or `data.val_path`.
        key: &'static str,
        message: String,
    },
}

/// The autoencoder (`[model]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelConfig {
    /// sign | relu | tanh | erf | linear.
    pub activation: Activation,
    /// Compression rate r = n/d > 0; n = round(r·d), at least 1.
    pub rate: f64,
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig {
            activation: Activation::Sign,
            rate: 0.5,
        }
    }
}

/// A section whose preset table is flat while the section embeds the engine's own parameter
/// types: generates the table as users write it (`$keys`: keys in this order, defaults from
/// the section's `Default`, unknown keys refused) and the one conversion each way, from a
/// list of `key: type = field.path` lines.
macro_rules! preset_table {
    (
        $(#[$meta:meta])*
        $keys:ident <=> $section:ident {
            $($key:ident: $ty:ty = $($path:ident).+,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Serialize, Deserialize)]
        #[serde(deny_unknown_fields, default)]
        struct $keys {
            $($key: $ty,)*
        }

        impl Default for $keys {
            fn default() -> Self {
                $section::default().into()
            }
        }

        impl From<$keys> for $section {
            fn from(k: $keys) -> Self {
                let mut s = $section::default();
                $(s.$($path).+ = k.$key;)*
                s
            }
        }

        impl From<$section> for $keys {
            fn from(s: $section) -> Self {
                $keys {
                    $($key: s.$($path).+,)*
                }
            }
        }
    };
}

/// The optimizer and its schedule (`[train]`). The optimizer's parameters are the engine's
/// [`OptParams`], handed to it as they are; the preset keeps them as flat keys
/// (`train.optimizer`, `train.beta1`, ...) as listed in `TrainKeys`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "TrainKeys", into = "TrainKeys")]
pub struct TrainConfig {
    pub mode: TrainMode,
    /// The optimizer (`train.optimizer`) and its hyper-parameters: momentum (heavy-ball) and
    /// Adam's beta1, beta2 in [0, 1); Adam's eps > 0.
    pub opt: OptParams,
    /// Initial learning rate > 0, for the risk R = (1/d) E‖x − x̂‖² (the 1/d normalization),
    /// or `auto` (population mode: the step follows the exact risk's curvature).
    pub lr: LearningRate,
    /// Learning rate at the end of the budget (exp, cosine), > 0 and ≤ lr (unused by auto).
    pub lr_final: f64,
    pub schedule: Schedule,
    /// Step budget ≥ 1.
    pub steps: u64,
    /// Minibatch size ≥ 1 (sample mode).
    pub batch: usize,
    pub sign_grad: SignGrad,
    /// tanh relaxation temperature: β from beta_start to beta_end (geometric), both > 0.
    pub beta_start: f64,
    pub beta_end: f64,
    pub decoder: DecoderMode,
    /// Threads of the matrix products: 0 = every available core, 1 = the training thread
    /// alone. Results do not depend on it (sample mode); the sampler has a thread of its own.
    pub threads: usize,
}

preset_table! {
    /// `[train]` as a preset writes it.
    TrainKeys <=> TrainConfig {
        mode: TrainMode = mode,
        optimizer: OptKind = opt.kind,
        lr: LearningRate = lr,
        lr_final: f64 = lr_final,
        schedule: Schedule = schedule,
        steps: u64 = steps,
        batch: usize = batch,
        momentum: f64 = opt.momentum,
        beta1: f64 = opt.beta1,
        beta2: f64 = opt.beta2,
        eps: f64 = opt.eps,
        sign_grad: SignGrad = sign_grad,
        beta_start: f64 = beta_start,
        beta_end: f64 = beta_end,
        decoder: DecoderMode = decoder,
        threads: usize = threads,
    }
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            mode: TrainMode::Sample,
            opt: OptParams {
                kind: OptKind::Adam,
                momentum: 0.9,
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-8,
            },
            lr: LearningRate::Fixed(0.01),
            lr_final: 0.0005,
            schedule: Schedule::Cosine,
            steps: 20_000,
            batch: 256,
            sign_grad: SignGrad::Ste,
            beta_start: 1.0,
            beta_end: 30.0,
            decoder: DecoderMode::Learned,
            threads: 0,
        }
    }
}

/// Evaluation and reporting (`[eval]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EvalConfig {
    /// Held-out validation samples ≥ 1.
    pub val_size: usize,
    /// Steps between reports (validation risk + a record line) ≥ 1.
    pub every: u64,
    /// EMA smoothing of the minibatch loss, in [0, 1).
    pub ema: f64,
}

impl Default for EvalConfig {
    fn default() -> Self {
        EvalConfig {
            val_size: 8192,
            every: 500,
            ema: 0.99,
        }
    }
}

/// Rate sweeps (`[sweep]`, used by `aescope sweep`). The convergence stop is the engine's
/// [`Convergence`]; the preset keeps its parameters as flat keys (`sweep.tol`,
/// `sweep.window`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "SweepKeys", into = "SweepKeys")]
pub struct SweepConfig {
    /// Rates: a comma list ("0.25,0.5,1") or a range "start:stop:step" (stop included).
    pub rates: String,
    /// Seeds per rate ≥ 1 (seed, seed + 1, …): error bars across seeds.
    pub seeds: u32,
    /// Stop a run early once the risk has converged (else run the full train.steps).
    pub until_converged: bool,
    /// Convergence: relative change of the risk over `window` steps below `tol` (> 0).
    pub convergence: Convergence,
}

preset_table! {
    /// `[sweep]` as a preset writes it.
    SweepKeys <=> SweepConfig {
        rates: String = rates,
        seeds: u32 = seeds,
        until_converged: bool = until_converged,
        tol: f64 = convergence.tol,
        window: u64 = convergence.window,
    }
}

impl Default for SweepConfig {
    fn default() -> Self {
        SweepConfig {
            rates: "0.25,0.5,1,2,4".into(),
            seeds: 1,
            until_converged: false,
            convergence: Convergence::default(),
        }
    }
}

/// A fully resolved run configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Preset name (for display).
    pub name: String,
    /// What the experiment shows.
    pub description: String,
    /// Seed of every random stream (init, data, validation set).
    pub seed: u64,
    pub data: SourceSpec,
    pub model: ModelConfig,
    pub train: TrainConfig,
    pub eval: EvalConfig,
    pub sweep: SweepConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            name: "custom".into(),
            description: String::new(),
            seed: 1,
            data: SourceSpec::default(),
            model: ModelConfig::default(),
            train: TrainConfig::default(),
            eval: EvalConfig::default(),
            sweep: SweepConfig::default(),
        }
    }
}

/// Presets compiled into the binary, so `aescope` works from any directory.
pub const BUILTIN_PRESETS: &[(&str, &str)] = &[
    ("sign-r0.5", include_str!("../presets/sign-r0.5.toml")),
    ("sign-r2", include_str!("../presets/sign-r2.toml")),
    ("relu-r0.5", include_str!("../presets/relu-r0.5.toml")),
    ("linear-r0.5", include_str!("../presets/linear-r0.5.toml")),
    ("sparse-sign", include_str!("../presets/sparse-sign.toml")),
    (
        "powerlaw-sign",
        include_str!("../presets/powerlaw-sign.toml"),
    ),
    (
        "sign-population-r0.5",
        include_str!("../presets/sign-population-r0.5.toml"),
    ),
    (
        "sign-population-r2",
        include_str!("../presets/sign-population-r2.toml"),
    ),
    (
        "powerlaw-population",
        include_str!("../presets/powerlaw-population.toml"),
    ),
    (
        "relu-population-r0.5",
        include_str!("../presets/relu-population-r0.5.toml"),
    ),
    ("sweep-sign", include_str!("../presets/sweep-sign.toml")),
    ("sweep-relu", include_str!("../presets/sweep-relu.toml")),
    ("sweep-sparse", include_str!("../presets/sweep-sparse.toml")),
    ("digits-sign", include_str!("../presets/digits-sign.toml")),
    (
        "digits-population",
        include_str!("../presets/digits-population.toml"),
    ),
    ("sweep-digits", include_str!("../presets/sweep-digits.toml")),
    ("mnist-sign", include_str!("../presets/mnist-sign.toml")),
    (
        "mnist-sign-white",
        include_str!("../presets/mnist-sign-white.toml"),
    ),
    ("fashion-sign", include_str!("../presets/fashion-sign.toml")),
    ("cifar-sign", include_str!("../presets/cifar-sign.toml")),
];

/// The preset `cargo run --release` opens.
pub const DEFAULT_PRESET: &str = "sign-r0.5";

impl Config {
    /// n = round(r·d), at least 1.
    pub fn n(&self) -> usize {
        n_for_rate(self.model.rate, self.data.d)
    }

    /// Parse TOML text (origin names the file in errors), apply overrides, validate.
    pub fn from_toml(
        text: &str,
        origin: &str,
        overrides: &[String],
    ) -> Result<Config, ConfigError> {
        let mut table: toml::Table =
            text.parse()
                .map_err(|e: toml::de::Error| ConfigError::Parse {
                    origin: origin.to_string(),
                    message: crate::safe_io::excerpt(e.to_string().trim_end(), MAX_MESSAGE_CHARS),
                })?;
        check_keys(&table, origin)?;
        for arg in overrides {
            apply_override(&mut table, arg)?;
        }
        // Errors in the merged config may come from the file or from an override: say both.
        let with_sets: String;
        let origin = if overrides.is_empty() {
            origin
        } else {
            let sets: Vec<String> = overrides.iter().map(|o| format!("--set {o}")).collect();
            with_sets = format!("{origin} with {}", sets.join(" "));
            &with_sets
        };
        let cfg: Config =
            Config::deserialize(toml::Value::Table(table)).map_err(|e| ConfigError::Parse {
                origin: origin.to_string(),
                message: crate::safe_io::excerpt(e.to_string().trim_end(), MAX_MESSAGE_CHARS),
            })?;
        cfg.validate(origin)?;
        Ok(cfg)
    }

    /// Load a preset by path, or by built-in name (`sign-r0.5` or `sign-r0.5.toml`), and for a
    /// file source read and preprocess its data (a relative `data.path` is looked up next to
    /// the preset file first, then in the working directory).
    pub fn load(preset: &str, overrides: &[String]) -> Result<Config, ConfigError> {
        let mut cfg = Config::load_spec(preset, overrides)?;
        if cfg.data.kind == SourceKind::File {
            let dir = Path::new(preset)
                .is_file()
                .then(|| Path::new(preset).parent())
                .flatten();
            cfg.data.path = real::resolve(&cfg.data.path, dir);
            if !cfg.data.val_path.is_empty() {
                cfg.data.val_path = real::resolve(&cfg.data.val_path, dir);
            }
            cfg.attach_data(preset)?;
        }
        Ok(cfg)
    }

    /// Read a file source's data (once per process: later calls share it) and set `data.d`
    /// to its dimension after preprocessing. Other sources are left alone.
    pub fn attach_data(&mut self, origin: &str) -> Result<(), ConfigError> {
        if self.data.kind != SourceKind::File {
            return Ok(());
        }
        let err = |key: &'static str, message: String| ConfigError::Data {
            origin: origin.to_string(),
            key,
            message,
        };
        let spec = self
            .data
            .file_spec(self.seed)
            .map_err(|m| err("data.path", m))?;
        let data = real::load_shared(&spec).map_err(|e| {
            let mut message = e.to_string();
            if let real::RealDataError::File(crate::data::files::DataFileError::Missing { path }) =
                &e
            {
                message = format!(
                    "{message}: {}",
                    real::describe_missing(&path.to_string_lossy())
                );
            }
            err(e.key(&spec), message)
        })?;
        self.data.d = data.d();
        self.data.loaded = real::LoadedData(Some(data));
        self.validate(origin)
    }

    /// [`Config::load`] without reading any data file (to print or list presets).
    pub fn load_spec(preset: &str, overrides: &[String]) -> Result<Config, ConfigError> {
        let path = Path::new(preset);
        if std::fs::symlink_metadata(path).is_ok() {
            let text = crate::safe_io::read_input(path, MAX_PRESET_BYTES, "preset (TOML)")
                .map_err(ConfigError::Input)?;
            return Config::from_toml(&text, preset, overrides);
        }
        // Not file_stem: "sign-r0.5" has no extension, its ".5" is part of the name.
        let stem = preset.strip_suffix(".toml").unwrap_or(preset);
        let stem = stem.rsplit('/').next().unwrap_or(stem);
        match BUILTIN_PRESETS.iter().find(|(name, _)| *name == stem) {
            Some((name, text)) => Config::from_toml(text, &format!("preset {name}"), overrides),
            None => Err(ConfigError::UnknownPreset {
                name: preset.to_string(),
                builtin: builtin_names(),
            }),
        }
    }

    /// Check every section on its own, then the rules that span sections; errors name the
    /// dotted key, the value and what is allowed.
    pub fn validate(&self, origin: &str) -> Result<(), ConfigError> {
        check_section(&self.data, origin)?;
        check_section(&self.model, origin)?;
        check_section(&self.train, origin)?;
        check_section(&self.eval, origin)?;
        check_section(&self.sweep, origin)?;
        self.check_across().map_err(|e| e.at(origin))
    }

    /// The rules that involve more than one section: memory of the buffers, the hidden width,
    /// and what the exact risk needs. Keys are dotted.
    fn check_across(&self) -> Result<(), Invalid> {
        // Names are printed on the terminal: an escape sequence in them would be obeyed.
        for (key, v) in [("name", &self.name), ("description", &self.description)] {
            if crate::safe_io::text::has_control(v) {
                return Err(Invalid::new(
                    key,
                    &crate::safe_io::excerpt(&format!("{v:?}"), 80),
                    "expected text without control characters",
                ));
            }
        }
        // Buffers of batch×d and val_size×d f32: a typo must be an error, not an out-of-memory
        // abort (1 << 28 values = 1 GiB).
        const MAX_VALUES: usize = 1 << 28;
        let d = self.data.d;
        for (key, rows) in [
            ("train.batch", self.train.batch),
            ("eval.val_size", self.eval.val_size),
        ] {
            if rows.saturating_mul(d) > MAX_VALUES {
                return Err(Invalid::new(
                    key,
                    &rows,
                    format!("{key} × data.d must be at most {MAX_VALUES} values (1 GiB); d = {d}"),
                ));
            }
        }
        if self.n() > 65_536 {
            return Err(Invalid::new(
                "model.rate",
                &self.model.rate,
                format!("r·d = {} neurons is too many (at most 65536)", self.n()),
            ));
        }
        let t = &self.train;
        let needs_closed_form = [
            (
                t.mode == TrainMode::Population,
                "train.mode",
                t.mode.to_string(),
            ),
            (
                t.decoder == DecoderMode::Optimal,
                "train.decoder",
                t.decoder.to_string(),
            ),
        ];
        for (on, key, value) in needs_closed_form {
            if !on {
                continue;
            }
            match self.data.kind {
                SourceKind::Sparse => {
                    return Err(Invalid::new(
                        key,
                        &value,
                        "needs Gaussian data (data.source = gaussian or powerlaw): sparse data has no closed-form risk",
                    ));
                }
                // Population mode on a data file trains on its Gaussian twin N(0, Σ̂), where
                // A*(B) has a closed form too; minibatches of the file have none.
                SourceKind::File if t.mode == TrainMode::Sample => {
                    return Err(Invalid::new(
                        key,
                        &value,
                        "needs Gaussian data (data.source = gaussian or powerlaw), or train.mode = population on a data file (A*(B) of its Gaussian twin N(0, Σ̂))",
                    ));
                }
                SourceKind::File | SourceKind::Gaussian | SourceKind::Powerlaw => {}
            }
            if self.model.activation == Activation::Tanh {
                return Err(Invalid::new(
                    key,
                    &value,
                    "needs an activation with a closed-form risk (sign, relu, erf, linear), not tanh",
                ));
            }
        }
        Ok(())
    }

    /// The resolved config as TOML (for `aescope presets show` and records).
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }
}

/// Most rates a sweep or a theory table may list.
pub const MAX_RATES: usize = 100_000;

/// Largest preset file read, in bytes (presets are a few hundred bytes).
pub const MAX_PRESET_BYTES: u64 = 1 << 20;

/// Longest excerpt of a parse error shown (a damaged file must not flood the terminal).
const MAX_MESSAGE_CHARS: usize = 600;

/// A value a section does not accept: the key (within its section, or dotted for rules that
/// span sections), the value as written, and what is allowed.
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    pub key: String,
    pub value: String,
    pub expected: String,
}

impl Invalid {
    fn new(key: &str, value: &dyn std::fmt::Display, expected: impl Into<String>) -> Self {
        Invalid {
            key: key.to_string(),
            value: value.to_string(),
            expected: expected.into(),
        }
    }

    /// The error as the user sees it, naming where the value came from.
    fn at(self, origin: &str) -> ConfigError {
        ConfigError::Invalid {
            origin: origin.to_string(),
            key: self.key,
            value: self.value,
            expected: self.expected,
        }
    }
}

/// One table of a preset, checked on its own before it is used (as linfa's parameter
/// guards): a checked section is handed to the engine as it is, without a copy.
pub trait Section {
    /// The table's name in a preset: `data`, `model`, `train`, `eval`, `sweep`.
    const NAME: &'static str;

    /// Check every key of this section that does not depend on another section; the error's
    /// key is relative to the section.
    fn check(&self) -> Result<(), Invalid>;
}

fn check_section<S: Section>(section: &S, origin: &str) -> Result<(), ConfigError> {
    section.check().map_err(|mut e| {
        e.key = format!("{}.{}", S::NAME, e.key);
        e.at(origin)
    })
}

/// A finite number > 0.
fn positive(key: &str, v: f64) -> Result<(), Invalid> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(Invalid::new(key, &v, "expected a finite number > 0"))
    }
}

/// A number in [0, 1).
fn unit(key: &str, v: f64) -> Result<(), Invalid> {
    if (0.0..1.0).contains(&v) {
        Ok(())
    } else {
        Err(Invalid::new(key, &v, "expected a number in [0, 1)"))
    }
}

/// An integer ≥ 1.
fn count(key: &str, v: u64) -> Result<(), Invalid> {
    if v == 0 {
        Err(Invalid::new(key, &0, "expected an integer ≥ 1"))
    } else {
        Ok(())
    }
}

impl Section for SourceSpec {
    const NAME: &'static str = "data";

    fn check(&self) -> Result<(), Invalid> {
        if !(self.p > 0.0 && self.p <= 1.0) {
            return Err(Invalid::new("p", &self.p, "expected a number in (0, 1]"));
        }
        if !self.alpha.is_finite() || self.alpha < 0.0 {
            return Err(Invalid::new(
                "alpha",
                &self.alpha,
                "expected a finite number ≥ 0",
            ));
        }
        count("d", self.d as u64)?;
        // Guard allocations a typo could make absurd (d = 1e9 would be an OOM, not an error).
        if self.d > 65_536 {
            return Err(Invalid::new(
                "d",
                &self.d,
                "expected an integer in 1..=65536",
            ));
        }
        if self.kind == SourceKind::File {
            check_file(self)?;
        }
        Ok(())
    }
}

/// The `[data]` keys of a file source.
fn check_file(d: &SourceSpec) -> Result<(), Invalid> {
    if d.path.is_empty() {
        return Err(Invalid::new(
            "path",
            &"\"\"",
            "data.source = \"file\" needs a path (a file, or builtin:digits)",
        ));
    }
    if d.val_path.is_empty() && !(d.val_fraction > 0.0 && d.val_fraction < 1.0) {
        return Err(Invalid::new(
            "val_fraction",
            &d.val_fraction,
            "expected a number in (0, 1) (or set data.val_path)",
        ));
    }
    positive("floor", d.floor)?;
    if d.format != "auto"
        && let Err(e) = d.format.parse::<Format>()
    {
        return Err(Invalid::new("format", &format!("{:?}", d.format), e));
    }
    if let Err(e) = real::label_column(&d.label_column) {
        return Err(Invalid::new(
            "label_column",
            &format!("{:?}", d.label_column),
            e,
        ));
    }
    Ok(())
}

impl Section for ModelConfig {
    const NAME: &'static str = "model";

    fn check(&self) -> Result<(), Invalid> {
        positive("rate", self.rate)
    }
}

impl Section for TrainConfig {
    const NAME: &'static str = "train";

    fn check(&self) -> Result<(), Invalid> {
        if let LearningRate::Fixed(lr) = self.lr {
            positive("lr", lr)?;
        }
        for (key, v) in [
            ("lr_final", self.lr_final),
            ("eps", self.opt.eps),
            ("beta_start", self.beta_start),
            ("beta_end", self.beta_end),
        ] {
            positive(key, v)?;
        }
        for (key, v) in [
            ("momentum", self.opt.momentum),
            ("beta1", self.opt.beta1),
            ("beta2", self.opt.beta2),
        ] {
            unit(key, v)?;
        }
        count("batch", self.batch as u64)?;
        count("steps", self.steps)?;
        if self.threads > 1024 {
            return Err(Invalid::new(
                "threads",
                &self.threads,
                "expected an integer in 0..=1024 (0 = every available core)",
            ));
        }
        if let LearningRate::Fixed(lr) = self.lr
            && self.lr_final > lr
        {
            return Err(Invalid::new(
                "lr_final",
                &self.lr_final,
                format!("expected a number ≤ train.lr ({lr})"),
            ));
        }
        if self.lr == LearningRate::Auto {
            if self.mode != TrainMode::Population {
                return Err(Invalid::new(
                    "lr",
                    &"\"auto\"",
                    "the automatic step needs train.mode = \"population\" (the exact risk's curvature); give a number for sample mode",
                ));
            }
            if self.opt.kind == OptKind::Adam {
                return Err(Invalid::new(
                    "lr",
                    &"\"auto\"",
                    "the automatic step needs train.optimizer = \"sgd\" or \"momentum\" (Adam's step does not follow the curvature)",
                ));
            }
        }
        Ok(())
    }
}

impl Section for EvalConfig {
    const NAME: &'static str = "eval";

    fn check(&self) -> Result<(), Invalid> {
        unit("ema", self.ema)?;
        count("val_size", self.val_size as u64)?;
        count("every", self.every)
    }
}

impl Section for SweepConfig {
    const NAME: &'static str = "sweep";

    fn check(&self) -> Result<(), Invalid> {
        if let Err(e) = parse_rates(&self.rates) {
            return Err(Invalid::new("rates", &format!("{:?}", self.rates), e));
        }
        count("seeds", u64::from(self.seeds))?;
        count("window", self.convergence.window)?;
        positive("tol", self.convergence.tol)
    }
}

/// Rates from `0.25,0.5,1` or `start:stop:step` (stop included up to rounding). Every rate
/// must be a finite number > 0; the message says what is wrong.
pub fn parse_rates(s: &str) -> Result<Vec<f64>, String> {
    let num = |t: &str| -> Result<f64, String> {
        let v: f64 = t
            .trim()
            .parse()
            .map_err(|_| format!("'{t}' is not a number"))?;
        if !v.is_finite() || v <= 0.0 {
            return Err(format!("{v} is not allowed (expected finite rates > 0)"));
        }
        Ok(v)
    };
    if s.contains(':') {
        let parts: Vec<&str> = s.split(':').collect();
        let [a, b, step] = parts.as_slice() else {
            return Err(format!("'{s}': expected start:stop:step"));
        };
        let (a, b, step) = (num(a)?, num(b)?, num(step)?);
        if b < a {
            return Err(format!("'{s}': stop {b} is below start {a}"));
        }
        // In f64 before any cast: a tiny step gives 1e300 rates, not a saturated usize.
        let count = ((b - a) / step + 1e-9).floor() + 1.0;
        if !count.is_finite() || count > MAX_RATES as f64 {
            return Err(format!(
                "'{s}' gives {count:.3e} rates (at most {MAX_RATES}): use a larger step"
            ));
        }
        let count = count as usize;
        // Round to 12 digits so 0.1:4:0.1 gives 0.3, not 0.30000000000000004.
        Ok((0..count)
            .map(|i| ((a + i as f64 * step) * 1e12).round() / 1e12)
            .collect())
    } else {
        s.split(',').map(num).collect()
    }
}

/// n = round(r·d), at least 1.
pub fn n_for_rate(rate: f64, d: usize) -> usize {
    ((rate * d as f64).round() as usize).max(1)
}

fn builtin_names() -> String {
    BUILTIN_PRESETS
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every dotted key the schema knows, from the defaults.
pub fn known_keys() -> Vec<String> {
    let mut keys = Vec::new();
    if let Ok(toml::Value::Table(t)) = toml::Value::try_from(Config::default()) {
        collect_keys(&t, "", &mut keys);
    }
    keys
}

fn collect_keys(t: &toml::Table, prefix: &str, out: &mut Vec<String>) {
    for (k, v) in t {
        let key = format!("{prefix}{k}");
        match v {
            toml::Value::Table(sub) => collect_keys(sub, &format!("{key}."), out),
            _ => out.push(key),
        }
    }
}

/// Reject unknown keys before serde does, so the message names the dotted key.
fn check_keys(table: &toml::Table, origin: &str) -> Result<(), ConfigError> {
    let known = known_keys();
    let mut present = Vec::new();
    collect_keys(table, "", &mut present);
    for key in present {
        let is_section = known.iter().any(|k| k.starts_with(&format!("{key}.")));
        if !known.contains(&key) && !is_section {
            return Err(ConfigError::UnknownKey {
                origin: origin.to_string(),
                key,
                known: known.join(", "),
            });
        }
    }
    Ok(())
}

/// Apply `key=value`: the value is read as a TOML literal (number, bool, string), and as a
/// bare string when it is not one (`--set model.activation=relu`).
fn apply_override(table: &mut toml::Table, arg: &str) -> Result<(), ConfigError> {
    let origin = format!("--set {arg}");
    let Some((key, raw)) = arg.split_once('=') else {
        return Err(ConfigError::BadOverride { arg: arg.into() });
    };
    let key = key.trim();
    let raw = raw.trim();
    let known = known_keys();
    if !known.iter().any(|k| k == key) {
        return Err(ConfigError::UnknownKey {
            origin,
            key: key.into(),
            known: known.join(", "),
        });
    }
    let value = parse_literal(raw);
    let parts: Vec<&str> = key.split('.').collect();
    let (last, sections) = parts
        .split_last()
        .ok_or(ConfigError::BadOverride { arg: arg.into() })?;
    let mut cur = table;
    for s in sections {
        let entry = cur
            .entry(s.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        cur = match entry {
            toml::Value::Table(t) => t,
            other => {
                return Err(ConfigError::Invalid {
                    origin,
                    key: s.to_string(),
                    value: other.to_string(),
                    expected: "expected a table".into(),
                });
            }
        };
    }
    cur.insert(last.to_string(), value);
    Ok(())
}

pub(crate) fn parse_literal(raw: &str) -> toml::Value {
    let doc = format!("v = {raw}");
    match doc.parse::<toml::Table>() {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or_else(|| toml::Value::String(raw.into())),
        Err(_) => toml::Value::String(raw.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each section checks its own keys, named relative to the section; the config prefixes
    /// the section; rules across sections name dotted keys.
    #[test]
    fn sections_check_their_own_keys() {
        let data = SourceSpec {
            p: 1.5,
            ..SourceSpec::default()
        };
        assert_eq!(
            data.check(),
            Err(Invalid::new("p", &1.5, "expected a number in (0, 1]"))
        );
        let train = TrainConfig {
            lr_final: 0.1,
            lr: LearningRate::Fixed(0.01),
            ..TrainConfig::default()
        };
        assert_eq!(
            train.check().map_err(|e| e.key),
            Err("lr_final".to_string())
        );
        let eval = EvalConfig {
            every: 0,
            ..EvalConfig::default()
        };
        assert_eq!(eval.check().map_err(|e| e.key), Err("every".to_string()));
        for ok in [
            SourceSpec::default().check(),
            ModelConfig::default().check(),
            TrainConfig::default().check(),
            EvalConfig::default().check(),
            SweepConfig::default().check(),
        ] {
            assert_eq!(ok, Ok(()));
        }

        let mut cfg = Config::default();
        cfg.data.p = 1.5;
        let msg = cfg.validate("test").map_err(|e| e.to_string());
        assert_eq!(
            msg,
            Err("test: data.p = 1.5: expected a number in (0, 1]".into())
        );
        // Each section alone is fine; together they are not.
        let mut cfg = Config::default();
        cfg.train.mode = TrainMode::Population;
        cfg.model.activation = Activation::Tanh;
        let err = cfg.validate("test").map_err(|e| e.to_string());
        assert!(
            err.as_ref().is_err_and(|m| m.starts_with("test: train.mode = population: needs an activation")),
            "{err:?}"
        );
    }

    /// Every field of `[train]` is a preset key: a field left out of `TrainKeys` would fall
    /// back to its default here.
    #[test]
    fn train_keys_carry_every_field() {
        let train = TrainConfig {
            mode: TrainMode::Population,
            opt: OptParams {
                kind: OptKind::Momentum,
                momentum: 0.5,
                beta1: 0.8,
                beta2: 0.99,
                eps: 1e-6,
            },
            lr: LearningRate::Fixed(0.2),
            lr_final: 0.1,
            schedule: Schedule::Exp,
            steps: 7,
            batch: 3,
            sign_grad: SignGrad::Tanh,
            beta_start: 2.0,
            beta_end: 4.0,
            decoder: DecoderMode::Optimal,
            threads: 2,
        };
        assert_eq!(TrainConfig::from(TrainKeys::from(train.clone())), train);
        let text = toml::to_string(&train).unwrap_or_default();
        assert!(
            text.starts_with("mode = \"population\"\noptimizer = \"momentum\"\nlr = 0.2\n"),
            "{text}"
        );
        assert_eq!(toml::from_str::<TrainConfig>(&text).ok(), Some(train));
    }

    #[test]
    fn known_keys_are_dotted() {
        let keys = known_keys();
        assert!(keys.contains(&"train.lr".to_string()));
        assert!(keys.contains(&"data.d".to_string()));
        assert!(keys.contains(&"seed".to_string()));
    }

    #[test]
    fn rate_lists() {
        assert_eq!(parse_rates("0.5,1,2"), Ok(vec![0.5, 1.0, 2.0]));
        assert_eq!(parse_rates("0.5:2:0.5"), Ok(vec![0.5, 1.0, 1.5, 2.0]));
        assert_eq!(
            parse_rates("0.1:4:0.1").map(|v| (v.len(), v[2])),
            Ok((40, 0.3))
        );
        assert!(parse_rates("0.5,-1").is_err());
        assert!(parse_rates("0.5,x").is_err());
        assert!(parse_rates("2:1:0.5").is_err());
        assert!(parse_rates("nan").is_err());
    }

    #[test]
    fn literal_parsing() {
        assert_eq!(parse_literal("3"), toml::Value::Integer(3));
        assert_eq!(parse_literal("relu"), toml::Value::String("relu".into()));
        assert_eq!(
            parse_literal("\"relu\""),
            toml::Value::String("relu".into())
        );
        assert!(matches!(parse_literal("nan"), toml::Value::Float(f) if f.is_nan()));
    }
}
