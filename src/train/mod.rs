//! Training: optimizers, the trainer, and the worker thread (its channel protocol is
//! [`crate::protocol`]).

pub mod checkpoint;
pub mod convergence;
pub mod curvature;
pub mod feature_png;
pub mod features;
pub mod optim;
pub mod population;
pub mod reconstructions;
pub mod snapshot;
pub mod speed;
pub mod stop;
pub mod trainer;
pub mod twin;
pub mod worker;

pub use stop::StopFlag;
pub use trainer::Trainer;
pub use worker::{
    CheckpointPolicy, Durability, Resume, RunControl, WorkerHandle, WorkerOptions, spawn,
    spawn_durable, spawn_with,
};
