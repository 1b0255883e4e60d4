//! Java: archives (jar, war, ear and kin, nested ones included) identified from their own Maven
//! metadata, Gradle lockfiles and `pom.xml` with pinned versions.

pub mod archive;
pub mod gradle;
pub mod pom;
