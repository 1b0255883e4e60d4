pub mod apk;
pub mod dpkg;
pub mod dpkg_copyright;
pub mod release;
pub mod rpm;
