//! Python: installed distributions, pinned requirements, and the lockfiles of Poetry, Pipenv, uv,
//! PDM; Conda's package records.

pub mod conda;
pub mod egg;
pub mod installed;
pub mod pdm;
pub mod pipfile;
pub mod poetry;
pub mod requirements;
pub mod uv;
