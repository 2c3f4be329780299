//! Building blocks shared by the pages.

pub mod attrs;
pub mod card;
pub mod contact_form;
pub mod cta;
pub mod doc;
pub mod layout;
pub mod link;
pub mod offices;
pub mod picture;
pub mod status;
