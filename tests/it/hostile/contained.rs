//! Documents read in a contained worker with limits (issue 27: cases 03, 04, 05, 08, and the reader fuzz).

#[allow(unused_imports)]
use super::*;
