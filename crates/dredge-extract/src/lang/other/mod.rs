//! Lockfiles of smaller ecosystems: Dart (`pubspec.lock`), Elixir (`mix.lock`), Swift
//! (`Package.resolved`), CocoaPods (`Podfile.lock`), Conan (`conan.lock`), Julia
//! (`Manifest.toml`), and Bitnami's component SPDX files.

pub mod bitnami;
pub mod cocoapods;
pub mod conan;
pub mod julia;
pub mod mix;
pub mod pubspec;
pub mod swift;
