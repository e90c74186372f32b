//! The autoencoder `x̂ = A σ(Bx)`: weights, activations, minibatch forward and backward.

pub mod activation;

pub use activation::Activation;
pub mod autoencoder;

pub use autoencoder::{
    Autoencoder, Grads, NeuronMap, Surrogate, Workspace, normalize_row, sum_sq, sum_sq_par,
};
