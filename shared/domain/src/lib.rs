//! Reelcart's domain: pure types and rules shared by every function.
//!
//! Nothing in this crate performs I/O or needs an async runtime: webhook signature verification,
//! delivery identification (dedupe keys), normalization of platform payloads into domain events, and
//! the clock abstraction every time-dependent rule takes.

pub mod attribution;
pub mod catalog;
pub mod clock;
pub mod connection;
pub mod content;
pub mod creator;
pub mod event;
pub mod feed;
pub mod json_int;
pub mod oauth;
pub mod retry;
pub mod video;
pub mod webhook;

pub use clock::{Clock, FixedClock, SystemClock};
