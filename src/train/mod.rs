//! Training: optimizers, schedules, the trainer, and the worker thread with its protocol.

pub mod convergence;
pub mod optim;
pub mod population;
pub mod protocol;
pub mod schedule;
pub mod snapshot;
pub mod trainer;
pub mod worker;

pub use protocol::{Command, Event};
pub use trainer::Trainer;
pub use worker::{
    Durability, RunControl, WorkerHandle, WorkerOptions, spawn, spawn_durable, spawn_with,
};
