//! Language packages installed in the image (issue 4 starts here: Python and Node).

pub mod npm;
pub mod python;
