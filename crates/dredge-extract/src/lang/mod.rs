//! Language packages in the image (issue 4 starts here: installed Python and Node packages,
//! Cargo.lock).

pub mod npm;
pub mod python;
pub mod rust;
