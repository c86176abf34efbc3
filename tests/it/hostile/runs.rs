//! Runs that say what they did (issue 27: cases 01, 02, 18, 19, 20, 21, 22, 24, 26, 27).

#[allow(unused_imports)]
use super::*;
