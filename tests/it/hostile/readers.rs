//! Text, HTML and Markdown read as a reader sees them (issue 27: cases 10, 11, 12, 14, 15, 16, 23).

#[allow(unused_imports)]
use super::*;
