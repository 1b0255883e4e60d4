//! PHP: Composer's record of installed packages and `composer.lock`.

pub mod composer;
