//! # kaibo-learn: what kaibo learns from labelled mail
//!
//! kaibo's verdict adds up findings. *Which* findings exist, and what they mean, is written by
//! hand (`data/findings.toml`, the checks); *how much* each weighs is measured here, on
//! labelled mail, and so is the text model that reads the words:
//!
//! - [`corpus`] reads labelled mail once: the findings of every mail, and its text's features;
//! - [`fit`] fits the finding weights (cost-weighted logistic regression with hand-set priors
//!   and sign bounds) and writes `data/weights.toml`;
//! - [`text`] trains the text model (`data/text-model.kbtm`, or a user's own with
//!   `kaibo learn`);
//! - [`evaluate`] measures both in-sample and leave-one-source-out;
//! - [`logistic`] holds the two solvers.
//!
//! Everything is deterministic: the same mail gives the same files, bit for bit.

pub mod corpus;
pub mod evaluate;
pub mod fit;
pub mod logistic;
pub mod text;
