//! ofsted-themes: Ofsted reports on children's social care in, labelled sentences and
//! comparable theme summaries out.
//!
//! The pipeline's stages, one module each, with the data types between them in [`types`]:
//!
//! | stage | module | in → out |
//! |---|---|---|
//! | ingest | [`ingest`] (with [`pdf`], [`html`], [`markdown`]) | path → [`types::RawDocument`] |
//! | clean | [`clean`] | raw pages → [`types::Block`]s |
//! | facts | [`facts`] | pages and blocks → [`types::ReportFacts`] |
//! | segment | [`segment`] | blocks → [`types::Sentence`]s |
//! | classify | [`classify`] (rules; encoder + heads, fitted by [`train`]) | sentences → [`types::Label`]s |
//! | aggregate | [`aggregate`] | labelled reports → [`aggregate::Summary`] |
//! | write | [`output`]: [`mod@write`] (CSVs), [`workbook`], [`page`] | summary → files |
//!
//! [`pipeline::run()`] is the whole of a run, in one line of steps: discover the files → hash
//! them → plan against the [`store`] (which keeps every processed report, so a run reads and
//! labels only what is new) → read and label → save → aggregate → render every
//! [`output::Output`]. The binary's `src/cmd/` holds one thin file per subcommand.
//!
//! Beside the stages: [`taxonomy`] loads the themes and cue phrases (`taxonomy.toml`),
//! [`eval`] scores classifiers against labelled sentences and [`train`] fits the heads
//! (and distils them from a stronger encoder's, reading unlabelled reports),
//! [`modelfetch`] fetches and checks the encoder's weights, [`codes`] gives each authority's
//! DfE and ONS codes and region (`data/authority_codes.csv`), [`results`] reads a results
//! folder back for `compare`, and [`error`] says why an input was skipped. At the bottom,
//! used by all: [`files`] (hashing, atomic writes), [`text`] (normal forms of text) and
//! [`types`].
//!
//! Modules only use modules below them, in this order (bottom first): files, text, types,
//! error → taxonomy → pdf, html → markdown → ingest → clean → facts → codes → segment → modelfetch →
//! classify → eval → train → store → aggregate → output (write, workbook, page) → results →
//! pipeline.

pub mod aggregate;
pub mod classify;
pub mod clean;
pub mod codes;
pub mod error;
pub mod eval;
pub mod facts;
pub mod files;
pub mod html;
pub mod ingest;
pub mod markdown;
pub mod modelfetch;
pub mod mpnetfetch;
pub mod output;
pub mod page;
pub mod pdf;
pub mod pipeline;
pub mod results;
pub mod segment;
pub mod store;
pub mod taxonomy;
pub mod text;
pub mod train;
pub mod types;
pub mod workbook;
pub mod write;
