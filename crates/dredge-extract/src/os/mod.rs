pub mod apk;
pub mod dpkg;
pub mod release;
pub mod rpm;
