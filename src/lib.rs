//! ofsted-themes: Ofsted reports on children's social care in, labelled sentences and
//! comparable theme summaries out.
//!
//! The pipeline's stages, one module each, with the data types between them in [`types`]:
//!
//! | stage | module | in → out |
//! |---|---|---|
//! | ingest | [`ingest`] (with [`pdf`], [`html`]) | path → [`types::RawDocument`] |
//! | clean | [`clean`] | raw pages → [`types::Block`]s |
//! | facts | [`facts`] | pages and blocks → [`types::ReportFacts`] |
//! | segment | [`segment`] | blocks → [`types::Sentence`]s |
//! | classify | [`classify`] (rules; encoder + heads, fitted by [`classify::train`]) | sentences → [`types::Label`]s |
//! | aggregate | [`aggregate`] | labelled reports → [`aggregate::Summary`] |
//! | write | [`mod@write`] | summary → CSV files |
//! | views | [`workbook`], [`page`] | summary → ofsted-themes.xlsx, report.html |
//!
//! [`pipeline`] composes them; [`store`] keeps every processed report between runs, so a
//! run only reads and labels what is new; [`cmd`] holds one module per subcommand.
//! Beside them: [`taxonomy`] loads the themes and cue phrases (`taxonomy.toml`), [`eval`]
//! scores classifiers against labelled sentences, [`modelfetch`] fetches and checks the
//! encoder's weights, [`codes`] gives each authority's DfE and ONS codes and region
//! (`data/authority_codes.csv`), [`results`] reads a results folder back for `compare`, and
//! [`error`] says why an input was skipped.

pub mod aggregate;
pub mod classify;
pub mod clean;
pub mod cmd;
pub mod codes;
pub mod error;
pub mod eval;
pub mod facts;
pub mod html;
pub mod ingest;
pub mod modelfetch;
pub mod mpnetfetch;
pub mod page;
pub mod pdf;
pub mod pipeline;
pub mod results;
pub mod segment;
pub mod store;
pub mod taxonomy;
pub mod types;
pub mod workbook;
pub mod write;
