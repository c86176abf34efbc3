//! The integration tests, one binary (as ripgrep does): one link against candle, tokenizers
//! and SQLite instead of one per file. Shared helpers are in `util`; each module's doc says
//! what it checks. Tests that need `../shared` are marked by `shared_or_skip!`.

#[macro_use]
mod util;

mod bad_inputs;
mod clean_corpus;
mod embeddings_store;
mod encoder;
mod eval_rules;
mod facts_corpus;
mod fair_comparison;
mod golden_rules;
mod hostile;
mod install;
mod model_classifier;
mod mpnet;
mod page_browser;
mod pipeline;
mod store;
mod workbook;
