//! One file per route.

pub mod article;
pub mod articles;
pub mod contact;
pub mod home;
pub mod not_found;
pub mod playground;
pub mod services;
