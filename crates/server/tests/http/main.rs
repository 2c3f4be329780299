//! The HTTP surface of keel-server: one test binary (one link), a module per
//! subject, all on one fixture, the site as the build writes it
//! (`support::site`: the route table's pages rendered into the repository's
//! shells) and a real SQLite file.

mod edge;
mod intake;
mod origins;
mod partners;
mod reads;
mod support;
