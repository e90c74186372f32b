//! The autoencoder `x̂ = A σ(Bx)`: weights, activations, minibatch forward and backward.

pub mod activation;

pub use activation::Activation;
pub mod autoencoder;

pub use autoencoder::{Autoencoder, Grads, NeuronMap, Surrogate, Workspace, sum_sq};
